"""The video lab end to end against a real MiniStack process, through the real task worker:
an automatic run deploys, uploads a real 1080p clip (2 s here; the benchmark uses 5 s), checks
every file the function wrote, stays up for the learner, who plays the renditions through the
site and uploads a video of their own; then teardown leaves nothing in the sandbox."""

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from labs import aws, services
from labs.catalog import get_lab
from labs.catalog.video import function_step
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.conftest import leftovers, run_worker
from tests.labs.test_video_function import CLIPS, crafted_uploads

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("video")


@pytest.fixture
def video_settings(settings, sandbox_url, monkeypatch):
    settings.LABS_VIDEO_CLIP_SECONDS = 2
    settings.LABS_VIDEO_WAIT_SECONDS = 60
    # The sample clips are deterministic: made once on this machine, shared by the video tests.
    real = video_ffmpeg.sample_clip
    monkeypatch.setattr(video_ffmpeg, "sample_clip", lambda spec, folder=None: real(spec, folder or CLIPS))
    return settings


def wait_for(s3, bucket: str, key: str, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            time.sleep(0.1)
    raise AssertionError(f"no {key} in {bucket} after {seconds} s")


def test_an_automatic_run_transcodes_serves_the_renditions_and_leaves_nothing(video_settings, client):
    learner = UserFactory()
    run = services.lab_run_start(user=learner, lab=LAB, mode=LabRun.Mode.AUTO, website_origin="http://testserver",
                                 explore_seconds=600)
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.LIVE), run.message
    assert run.step_states == {step.slug: "passed" for step in LAB.steps} and run.verify_state == "passed"
    verified = {event.step: event.message for event in run.events.filter(kind="verify", status="ok").exclude(step="")}
    assert set(verified) == {check.slug for check in LAB.verify}
    assert "phone 640x360, tablet 1280x720, tv 1920x1080" in verified["upload"]
    assert "%C3%89t%C3%A9+%C3%A0+la+plage+%2B+caf%C3%A9" in verified["names"]
    assert not run.events.filter(status="fail").exists()
    actions = list(run.events.filter(kind="aws").values_list("message", flat=True))
    # New buckets block all public access already (as in AWS, and in MiniStack under AUTH=true), so the
    # lab does not need PutPublicAccessBlock; the buckets check proves the setting.
    for action in ("s3 CreateBucket", "iam CreateRole", "lambda CreateFunction",
                   "lambda PutFunctionEventInvokeConfig", "lambda AddPermission", "s3 PutBucketNotificationConfiguration"):
        assert action in actions
    assert "lambda PublishLayerVersion" not in actions  # the local sandbox uses this machine's ffmpeg

    # The learner's page lists the three uploads and plays the renditions through the site.
    client.force_login(learner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="video-renditions"' in page and "Website files" not in page
    listing = client.get(reverse("labs:video_list", args=[run.pk])).content.decode()
    assert listing.count("<video") == 2 and "Not processed: This is not a video" in listing
    assert "1920×1080" in listing and "phone-360p.mp4" in listing
    s3 = aws.clients_for(run.sandbox).s3
    outputs = run.outputs["output_bucket"]
    tv = next(item["Key"] for item in s3.list_objects_v2(Bucket=outputs)["Contents"] if item["Key"].endswith("tv-1080p.mp4"))
    size = s3.head_object(Bucket=outputs, Key=tv)["ContentLength"]
    url = reverse("labs:video_media", args=[run.pk, tv])
    assert url in listing

    first = client.get(url, HTTP_RANGE="bytes=0-1023")
    assert first.status_code == 206 and first["Content-Range"] == f"bytes 0-1023/{size}"
    assert first["Content-Type"] == "video/mp4" and first["Accept-Ranges"] == "bytes"
    assert b"".join(first.streaming_content)[4:8] == b"ftyp"
    whole = client.get(url)
    assert whole.status_code == 200 and int(whole["Content-Length"]) == size and "sandbox" in whole["Content-Security-Policy"]
    assert len(b"".join(whole.streaming_content)) == size
    assert client.get(url, HTTP_RANGE=f"bytes={size + 10}-").status_code == 416
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"] == "attachment; filename*=UTF-8''tv-1080p.mp4"
    assert client.get(reverse("labs:video_media", args=[run.pk, "nothing/here.mp4"])).status_code == 404

    # A video of their own, through the page's form: into uploads/, where the trigger picks it up.
    sample = video_ffmpeg.sample_clip(video_ffmpeg.ClipSpec(640, 360, 1.0, bitrate_kbps=3000))
    with open(sample, "rb") as handle:
        response = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": handle}, HTTP_HX_REQUEST="true")
    assert "the function is on it" in response.content.decode()
    mine = wait_for(s3, outputs, f"{sample.stem}/manifest.json")
    assert mine["status"] == "ok" and mine["source"]["key"] == f"uploads/{sample.name}"
    # Lists of other files, naming a real video on this machine, uploaded as "clips": in the local
    # sandbox ffmpeg runs on the host, so reading what they name would expose the host's files.
    # The page refuses them by probing; put straight into the bucket (as the CLI can), the
    # function refuses them and writes only an error manifest.
    for kind, (body, named) in crafted_uploads(sample).items():
        crafted = SimpleUploadedFile(f"crafted-{kind}.mp4", body, content_type="video/mp4")
        page = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": crafted}, HTTP_HX_REQUEST="true")
        assert "not a video container the lab accepts" in page.content.decode() and named in page.content.decode()
        s3.put_object(Bucket=run.outputs["uploads_bucket"], Key=f"uploads/crafted-{kind}.mp4", Body=body)
        refused = wait_for(s3, outputs, f"crafted-{kind}/manifest.json")
        assert refused["status"] == "error" and named in refused["reason"], refused
        assert [item["Key"] for item in s3.list_objects_v2(Bucket=outputs, Prefix=f"crafted-{kind}/")["Contents"]] \
            == [f"crafted-{kind}/manifest.json"]
    notes = SimpleUploadedFile("notes.txt", b"not a video", content_type="text/plain")
    refused = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": notes}, HTTP_HX_REQUEST="true")
    assert "does not end in a video suffix" in refused.content.decode()

    # Nobody else reaches any of it.
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("labs:video_list", args=[run.pk])).status_code == 404

    # Teardown empties and deletes both buckets, the function, its role and its log group.
    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED, run.message
    assert {entry.kind for entry in run.ledger.all()} == {"s3:bucket", "iam:role", "iam:role-policy", "logs:log-group",
                                                           "lambda:function", "lambda:permission"}
    assert {entry.status for entry in run.ledger.all()} == {"deleted"}
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
    client.force_login(learner)
    assert client.get(url).status_code == 404
    assert "torn down" in client.get(reverse("labs:video_list", args=[run.pk])).content.decode()


def test_a_verify_that_gets_no_renditions_says_what_the_logs_say(video_settings, monkeypatch):
    """The trigger is built but the function cannot write: the bounded wait ends with its log lines."""
    video_settings.LABS_VIDEO_WAIT_SECONDS = 3
    real = function_step.function_environment
    # No ffmpeg either, so the invocation fails at once: nothing is still running (and logging, which
    # would bring the log group back) when teardown comes.
    monkeypatch.setattr(function_step, "function_environment", lambda ctx: {
        **real(ctx), "OUTPUT_BUCKET": "sa-no-such-bucket", "FFMPEG_PATH": "/nonexistent/ffmpeg"})
    monkeypatch.setattr(function_step, "_function_problem", lambda ctx, config, role_arn: "")
    # MiniStack runs a retry it scheduled before the function was deleted, and its log lines bring the
    # log group back after teardown (AWS drops events for a deleted function): no retries here.
    monkeypatch.setattr(function_step, "MAX_RETRIES", 0)
    run = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.AUTO, website_origin="http://testserver",
                                 explore_seconds=0)
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.FAILED, LabRun.Status.CLEANED)
    failed = run.events.get(kind="verify", step="upload", status="fail").message
    assert "No manifest for the 1080p clip" in failed and "within 3 s" in failed
    assert "/aws/lambda/" in failed
    assert run.events.filter(kind="note", message__startswith="Waiting for the 1080p clip's renditions").exists()
    skipped = run.events.filter(kind="verify", step__in=["names", "bad-upload"], status="fail")
    assert [event.message.split(":")[0] for event in skipped] == ["Skipped", "Skipped"]  # not waited for again
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
