"""The video lab's pages: the lab page (diagram, steps, cost per minute of video, SAM template,
the function's code), its run page (the renditions panel, its own verify summary, no website
files), and the panel's views when there is nothing to reach. Serving and playing renditions
from a real deployment is in test_video_e2e.py and the browser test."""

import pytest
from django.urls import reverse

from labs.models import LabRun, LedgerEntry, RunEvent, Sandbox
from tests.factories import LabRunFactory, LedgerEntryFactory, SandboxFactory, UserFactory

pytestmark = pytest.mark.django_db

VIDEO_STEPS = {"buckets": "pending", "ffmpeg": "pending", "function": "pending", "trigger": "pending"}


def video_run(**fields):
    return LabRunFactory(lab_slug="video", step_states=VIDEO_STEPS, **fields)


def test_the_lab_page_explains_the_pipeline_and_its_cost(client, sandbox_down):
    page = client.get(reverse("labs:detail", args=["video"])).content.decode()
    assert "Real-time video processing" in page and 'data-part="uploads"' in page and 'data-part="layer"' in page
    for step in ("Create the two buckets", "Give the function ffmpeg", "Deploy the transcoder function",
                 "Connect uploads to the function", "A file that is not a video gets an error manifest"):
        assert step in page
    assert "per minute of 1080p video transcoded" in page and "What it costs in your AWS account" in page
    assert "labs/catalog/video/template.sam.yaml" in page and "labs/catalog/video/functions/video_transcoder/app.py" in page
    assert "unquote_plus" in page  # the function's code, highlighted


def test_the_labs_index_lists_the_video_lab_and_no_longer_promises_it(client, sandbox_down):
    page = client.get(reverse("labs:index")).content.decode()
    assert reverse("labs:detail", args=["video"]) in page and "Coming next" not in page


def test_the_run_page_has_the_renditions_panel_and_the_function_code(client, sandbox_down):
    run = video_run()
    client.force_login(run.user)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="video-renditions"' in page and reverse("labs:video_list", args=[run.pk]) in page
    assert "a name with spaces and accents, and a file that is not a video" in page  # its own verify summary
    assert "Website files" not in page and "keep-layer" not in page  # the local sandbox has no layer
    assert "video_transcoder.zip" in page
    package = client.get(reverse("labs:run_files", args=[run.pk, "video_transcoder"]))
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"


def test_the_fullstack_run_page_is_unchanged(client, sandbox_down):
    run = LabRunFactory()
    client.force_login(run.user)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Website files" in page and "video-renditions" not in page
    assert "Real HTTP requests to the deployed app" in page
    assert client.get(reverse("labs:video_list", args=[run.pk])).status_code == 404


def test_the_panel_says_why_it_cannot_list(client, sandbox_down):
    run = video_run()
    client.force_login(run.user)
    assert "local sandbox is not running" in client.get(reverse("labs:video_list", args=[run.pk])).content.decode()
    run.status = LabRun.Status.CLEANED
    run.save()
    assert "torn down" in client.get(reverse("labs:video_list", args=[run.pk])).content.decode()
    media = client.get(reverse("labs:video_media", args=[run.pk, "clip/tv-1080p.mp4"]))
    assert media.status_code == 404


def test_other_learners_reach_nothing(client, sandbox_down):
    run = video_run()
    client.force_login(UserFactory())
    for url in (reverse("labs:video_list", args=[run.pk]), reverse("labs:video_media", args=[run.pk, "a/b.mp4"])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("labs:video_upload", args=[run.pk])).status_code == 404
    assert client.post(reverse("labs:video_keep_layer", args=[run.pk])).status_code == 404


def test_an_upload_without_a_file_or_after_the_run_is_refused(client, sandbox_down):
    run = video_run()
    client.force_login(run.user)
    answer = client.post(reverse("labs:video_upload", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Choose a video file" in answer
    run.status = LabRun.Status.CLEANED
    run.save()
    answer = client.post(reverse("labs:video_upload", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "This run is over" in answer


def test_in_an_aws_account_the_learner_can_keep_the_layer(client):
    learner = UserFactory()
    sandbox = SandboxFactory(user=learner, kind=Sandbox.Kind.AWS, account_id="123456789012")
    run = video_run(user=learner, sandbox=sandbox, status=LabRun.Status.LIVE,
                    outputs={"layer_arn": "arn:aws:lambda:us-east-1:123456789012:layer:sa-ffmpeg:3"})
    layer = LedgerEntryFactory(run=run, kind="lambda:layer-version", name="sa-ffmpeg sha256:0123456789abcdef",
                               physical_id="arn:aws:lambda:us-east-1:123456789012:layer:sa-ffmpeg:3")
    bucket = LedgerEntryFactory(run=run, kind="s3:bucket", name="sa-x-uploads-123456789012")
    client.force_login(learner)
    response = client.post(reverse("labs:video_keep_layer", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.outputs["keep_layer"] is True and run.outputs["layer_arn"].endswith(":3")
    assert not LedgerEntry.objects.filter(pk=layer.pk).exists() and LedgerEntry.objects.filter(pk=bucket.pk).exists()
    said = RunEvent.objects.filter(run=run).last().message
    assert "teardown leaves arn:aws:lambda:us-east-1:123456789012:layer:sa-ffmpeg:3" in said
    assert "aws lambda delete-layer-version" in said


def test_the_local_sandbox_has_no_layer_to_keep(client):
    run = video_run()
    client.force_login(run.user)
    client.post(reverse("labs:video_keep_layer", args=[run.pk]))
    run.refresh_from_db()
    assert "keep_layer" not in run.outputs


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(client, sandbox_down, settings):
    """Issue 15: over-limit uploads were refused only after ~199 MB had been written to /tmp."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.LABS_VIDEO_UPLOAD_MB = 1
    run = video_run()
    client.force_login(run.user)
    big = SimpleUploadedFile("big.mp4", b"\0" * 1_200_000, content_type="video/mp4")
    response = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": big}, HTTP_HX_REQUEST="true")
    assert response.status_code == 413 and "limited to 1 MB" in response.content.decode()


def test_the_streaming_cap_stops_a_body_that_lies_about_its_length():
    from django.core.files.uploadhandler import StopUpload
    from django.test import RequestFactory

    from labs.video_views import _CappedUpload

    capped = _CappedUpload(RequestFactory().post("/"), limit=100)
    assert capped.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(StopUpload):
        capped.receive_data_chunk(b"x" * 60, 60)


def test_a_long_name_keeps_its_video_suffix():
    """Issue 15: a 300-character .mp4 name was cut to 200 and refused as "not a video suffix"."""
    from labs.video_views import upload_name

    name = upload_name("folder/" + "a" * 300 + ".mp4")
    assert len(name) == 200 and name.endswith(".mp4")
    assert upload_name("short clip.mov") == "short clip.mov"


def test_a_page_upload_is_probed_and_a_learner_has_at_most_two_transcodes_at_once(client, monkeypatch):
    """Issue 15: uploads are probed before they are accepted (not a video, too long, too large),
    and a learner's page uploads wait while two of theirs are still being transcoded."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from labs import video_views
    from labs.catalog.video import ffmpeg as video_ffmpeg

    run = video_run(sandbox=SandboxFactory(kind=Sandbox.Kind.AWS))
    client.force_login(run.user)
    notes = SimpleUploadedFile("notes.mp4", b"Meeting notes, not a video.\n", content_type="video/mp4")
    answer = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": notes}, HTTP_HX_REQUEST="true")
    assert "This is not a video container the lab accepts" in answer.content.decode()
    clip = video_ffmpeg.sample_clip(video_ffmpeg.ClipSpec(640, 360, 1.0, bitrate_kbps=3000))
    monkeypatch.setenv("MAX_SECONDS", "0.5")
    with open(clip, "rb") as handle:
        answer = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": handle}, HTTP_HX_REQUEST="true")
    assert "this function transcodes at most 0 s" in answer.content.decode() or "at most 1 s" in answer.content.decode()
    monkeypatch.delenv("MAX_SECONDS")
    monkeypatch.setattr(video_views, "pending_transcodes", lambda run: 2)
    with open(clip, "rb") as handle:
        answer = client.post(reverse("labs:video_upload", args=[run.pk]), {"video": handle}, HTTP_HX_REQUEST="true")
    assert "2 of your videos are still being transcoded" in answer.content.decode()
