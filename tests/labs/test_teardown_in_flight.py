"""Teardown with work in flight (issue 16, item 1): it stops the event sources first, waits
(bounded, shown as events on the run page) for invocations in flight, deletes, then takes an
inventory of the account by the run's names and tags, in the local sandbox as in AWS, and again
after a grace period. "Cleaned" only when that inventory is empty; otherwise the leftovers are
listed with complete commands (endpoint and account included)."""

import time

import pytest

from labs import aws, services
from labs.catalog import get_lab
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video.names import UPLOAD_PREFIX, uploads_bucket
from labs.engine import runner
from labs.engine.resources import manual_command
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.conftest import leftovers
from tests.labs.test_video_function import CLIPS

pytestmark = pytest.mark.django_db(transaction=True)


def deployed(lab_slug: str) -> tuple[LabRun, object]:
    lab = get_lab(lab_slug)
    run = services.lab_run_start(user=UserFactory(), lab=lab, mode=LabRun.Mode.GUIDED, website_origin="http://testserver")
    ctx = runner.context_for(run, runner.DbRecorder(run))
    for step in lab.steps:
        assert runner.run_step(run, ctx, step, apply=True), run.message
    return run, ctx


def tear_down(run: LabRun) -> LabRun:
    services.lab_run_teardown(run=run)
    return runner.execute(run.pk) or LabRun.objects.get(pk=run.pk)


def test_teardown_right_after_an_upload_waits_for_the_transcode_and_nothing_comes_back(sandbox_url):
    run, ctx = deployed("video")
    clip = video_ffmpeg.sample_clip(video_ffmpeg.ClipSpec(1920, 1080, 2.0), CLIPS)
    ctx.clients.s3.put_object(Bucket=uploads_bucket(ctx.name, ctx.account_id), Key=f"{UPLOAD_PREFIX}late.mp4",
                              Body=clip.read_bytes())
    time.sleep(0.3)  # the notification has reached the function: a transcode is in flight
    run = tear_down(run)
    assert run.status == LabRun.Status.CLEANED, "\n".join(e.message for e in run.events.filter(kind__in=["teardown", "aws"], id__gt=run.events.filter(kind="teardown").first().id - 1))
    told = list(run.events.filter(kind="teardown").values_list("message", flat=True))
    assert any("Checked the account after teardown: nothing named" in message for message in told), told
    assert any(message.startswith("Looking again in") for message in told), told  # a notification: a late write may come
    time.sleep(3)  # longer than the emulator's async retry delay (1 s)
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}


def test_a_run_whose_functions_were_only_invoked_synchronously_skips_the_second_look(sandbox_url):
    """API Gateway invokes the full-stack lab's function synchronously: when the verify is over, nothing
    can invoke it late, so teardown does not wait LABS_TEARDOWN_GRACE_SECONDS for a late write."""
    run, ctx = deployed("fullstack")
    run = tear_down(run)
    assert run.status == LabRun.Status.CLEANED, run.message
    told = list(run.events.filter(kind="teardown").values_list("message", flat=True))
    assert not any(message.startswith("Looking again in") for message in told), told
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}


def test_a_leftover_found_by_the_inventory_fails_the_teardown_with_a_complete_command(sandbox_url, monkeypatch):
    run, ctx = deployed("fullstack")
    from own_account import guardrails

    real = guardrails.leftovers_after_teardown

    def then_a_late_log_group(run, clients, recorder):  # a late write, after the first look
        clients.logs.create_log_group(logGroupName=f"/aws/lambda/{run.prefix}-late")
        return real(run, clients, recorder)

    monkeypatch.setattr(guardrails, "leftovers_after_teardown", then_a_late_log_group)
    run = tear_down(run)
    assert run.status == LabRun.Status.TEARDOWN_FAILED, run.message
    endpoint, account = sandbox_url, run.sandbox.account_id
    assert (f"AWS_ACCESS_KEY_ID={account} AWS_SECRET_ACCESS_KEY=sandbox aws logs delete-log-group "
            f"--log-group-name /aws/lambda/{run.prefix}-late --region us-east-1 --endpoint-url {endpoint}") in run.message


def test_hand_delete_commands_name_the_endpoint_and_the_account():
    command = manual_command("dynamodb:table", "sa-x-items", "sa-x-items", endpoint_url="http://127.0.0.1:4566",
                             region="us-east-1", account="123456789012")
    assert command == ("AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=sandbox aws dynamodb delete-table "
                       "--table-name sa-x-items --region us-east-1 --endpoint-url http://127.0.0.1:4566")


def test_a_kind_the_inventory_cannot_list_keeps_the_run_from_being_called_cleaned(sandbox_url, monkeypatch):
    """Issue 16: "cleaned" only when the inventory is empty; one it could not take in full is not."""
    run, ctx = deployed("fullstack")
    from own_account import guardrails

    def refused(clients, start):
        raise RuntimeError("ListTables refused")

    monkeypatch.setattr(guardrails, "LISTERS", (("DynamoDB tables", refused),) + guardrails.LISTERS[1:])
    run = tear_down(run)
    assert run.status == LabRun.Status.TEARDOWN_FAILED, run.message
    assert run.message.startswith("Teardown deleted everything the run recorded, but could not check")
    assert "- Not checked: Could not list DynamoDB tables" in run.message and f"{run.prefix}-…" in run.message
    assert not run.ledger.exclude(status__in=["deleted", "gone"]).exists()  # what it recorded is gone
    monkeypatch.undo()
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}


def test_a_clickstream_run_with_records_not_all_counted_keeps_the_second_look(sandbox_url):
    """The clickstream lab proves at teardown that every record was handled, and then skips the
    second look (tests/labs/test_clickstream_e2e.py). Here the counter cannot write (its
    UpdateItem permission dropped), so the mapping keeps retrying a batch: no proof, and the
    look after the grace period stays, and nothing is left."""
    from labs.catalog.clickstream.names import stream_name
    from labs.catalog.clickstream.sabotage import drop_update_item

    run, ctx = deployed("clickstream")
    drop_update_item(ctx)
    ctx.clients.kinesis.put_record(StreamName=stream_name(ctx.name), PartitionKey="p",
                                   Data=b'{"event_id": "e1", "page": "/pricing", "ts": "2026-12-04T10:00:00Z"}\n')
    time.sleep(1.5)  # past the mapping's batching window: the counter is failing on it
    run = tear_down(run)
    assert run.status == LabRun.Status.CLEANED, run.message
    told = list(run.events.filter(kind="teardown").values_list("message", flat=True))
    assert not any("no second look needed" in message for message in told), told
    assert any(message.startswith("Looking again in") for message in told), told
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
