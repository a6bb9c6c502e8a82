"""Transient AWS errors in polls and checks are retried within the wait, each attempt shown;
only the final state decides (issue 16, item 5: one failed GetObject while waiting for the
manifest no longer fails the verify and tears down while uploads are still being processed)."""

import io
import json
import time
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from labs import aws
from labs.catalog.video import verify as video_verify
from labs.engine import runner
from labs.engine.lab import CheckResult, StepBlocked
from labs.toolkit.calls import wait_until
from tests.labs.conftest import make_context


def client_error(code: str, status: int, operation="GetObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       operation)


def scripted(*outcomes):
    """A call that raises or returns each outcome in turn."""
    queue = list(outcomes)

    def call(*args, **kwargs):
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return call


def notes(ctx) -> list[str]:
    return [event["message"] for event in ctx.recorder.events if event["kind"] == "note"]


def test_transient_errors_are_told_apart_from_real_ones():
    assert aws.is_transient(client_error("InternalError", 500))
    assert aws.is_transient(client_error("SlowDown", 503))
    assert aws.is_transient(client_error("ThrottlingException", 400))
    assert not aws.is_transient(client_error("AccessDenied", 403))
    assert not aws.is_transient(client_error("NoSuchKey", 404))


def test_one_failed_get_object_while_waiting_for_the_manifest_is_retried():
    ctx = make_context(prefix="sa-tran0001")
    manifest = {"status": "ok", "renditions": []}
    ctx.clients = SimpleNamespace(s3=SimpleNamespace(get_object=scripted(
        client_error("InternalError", 500), client_error("NoSuchKey", 404),
        {"Body": io.BytesIO(json.dumps(manifest).encode())})))
    upload = video_verify.Upload("uploads/clip.mp4", "clip", None, started=time.monotonic())
    got = video_verify.wait_for_manifest(ctx, upload, "the clip")
    assert got is not None and got["status"] == "ok"
    assert any("attempt 1 failed" in note and "manifest.json" in note for note in notes(ctx)), notes(ctx)


def test_a_real_error_while_waiting_for_the_manifest_is_not_retried():
    ctx = make_context(prefix="sa-tran0002")
    ctx.clients = SimpleNamespace(s3=SimpleNamespace(get_object=scripted(client_error("AccessDenied", 403))))
    with pytest.raises(ClientError):
        video_verify.wait_for_manifest(ctx, video_verify.Upload("uploads/a.mp4", "a", None, started=time.monotonic()), "a")


def test_wait_until_retries_transient_errors_and_shows_each_attempt():
    ctx = make_context()
    answers = scripted(client_error("ServiceUnavailable", 503), False, True)
    wait_until(lambda: answers(), "the function to become Active", timeout=5, note=ctx.note)
    assert len(notes(ctx)) == 1 and notes(ctx)[0].startswith("Waiting for the function to become Active: attempt 1 failed")
    assert "ServiceUnavailable" in notes(ctx)[0]
    with pytest.raises(ClientError):
        wait_until(scripted(client_error("AccessDenied", 403)), "anything", timeout=5)
    always = client_error("InternalError", 500)
    with pytest.raises(ClientError):  # still failing when the wait ends: the last error decides
        wait_until(lambda: (_ for _ in ()).throw(always), "anything", timeout=0.3)
    with pytest.raises(StepBlocked):
        wait_until(lambda: False, "anything", timeout=0.2)


def test_a_step_check_that_hits_one_transient_error_runs_again():
    ctx = make_context()
    step = SimpleNamespace(title="Create the table", check=scripted(client_error("InternalError", 500),
                                                                     CheckResult.passed("Table found.")))
    result = runner._check(ctx, step)
    assert result.ok, result.message
    assert notes(ctx) and "attempt 1 of 3 failed" in notes(ctx)[0]
    failing = SimpleNamespace(title="x", check=scripted(*[client_error("InternalError", 500)] * 3))
    assert not runner._check(ctx, failing).ok
