"""The video lab's Lambda function, called directly with S3 event records in the shape S3 sends
(key URL-encoded, size, eTag, ObjectCreated:Put) against moto's S3, running the real ffmpeg
(imageio-ffmpeg's binary) on clips generated for the test. What comes out is read back with
the verify's own MP4 and JPEG readers, not with the function's code."""

import hashlib
import json
import tempfile
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import pytest

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video.verify import decode, jpeg_size, mp4_info
from labs.catalog.video.functions.video_transcoder import app

UPLOADS, OUTPUTS = "sa-test-uploads", "sa-test-renditions"


# Clips made by ffmpeg are deterministic: made once on this machine, shared by the video tests.
CLIPS = Path(tempfile.gettempdir()) / "serverless-academy-test-clips"


@pytest.fixture(scope="module")
def clips():
    """Short clips made with ffmpeg: (spec, path) by name."""
    specs = {
        "hd": video_ffmpeg.ClipSpec(1920, 1080, 2.0),
        "small": video_ffmpeg.ClipSpec(480, 270, 1.0, bitrate_kbps=2000),
        "portrait": video_ffmpeg.ClipSpec(360, 640, 1.0, audio=False, bitrate_kbps=2000),
    }
    return {name: (spec, video_ffmpeg.sample_clip(spec, CLIPS)) for name, spec in specs.items()}


@pytest.fixture
def buckets(moto_aws, monkeypatch):
    monkeypatch.setenv("OUTPUT_BUCKET", OUTPUTS)
    monkeypatch.setenv("FFMPEG_PATH", str(video_ffmpeg.ffmpeg_binary()))
    monkeypatch.setattr(app, "_s3", None)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=UPLOADS)
    s3.create_bucket(Bucket=OUTPUTS)
    return s3


def s3_event(key: str, size: int, etag: str = "d41d8cd98f00b204e9800998ecf8427e", name: str = "ObjectCreated:Put") -> dict:
    """One record as S3 sends it to Lambda (event version 2.1): the key URL-encoded, + for spaces."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-26T18:00:00.000Z", "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0", "configurationId": "transcode-mp4",
            "bucket": {"name": UPLOADS, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": f"arn:aws:s3:::{UPLOADS}"},
            "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"},
        },
    }]}


class Context:
    """What Lambda passes as the handler's second argument (what the function uses of it)."""

    function_name = "sa-test-transcoder"
    aws_request_id = "8f5e3b1c-1111-2222-3333-444455556666"

    def get_remaining_time_in_millis(self):
        return 900_000


def upload(s3, key: str, body: bytes) -> dict:
    s3.put_object(Bucket=UPLOADS, Key=key, Body=body)
    return app.handler(s3_event(key, len(body)), Context())


def manifest(s3, name: str) -> dict:
    return json.loads(s3.get_object(Bucket=OUTPUTS, Key=f"{name}/manifest.json")["Body"].read())


def listed(s3, prefix: str) -> dict:
    return {item["Key"]: item["Size"] for item in s3.list_objects_v2(Bucket=OUTPUTS, Prefix=prefix).get("Contents", [])}


def test_a_1080p_upload_gets_three_renditions_a_poster_and_a_manifest(buckets, clips, tmp_path):
    spec, path = clips["hd"]
    body = path.read_bytes()
    result = upload(buckets, "uploads/holiday.mp4", body)
    assert result == {"processed": [{"key": "uploads/holiday.mp4", "status": "ok", "manifest": "holiday/manifest.json"}]}

    made = manifest(buckets, "holiday")
    assert made["status"] == "ok" and made["source"]["key"] == "uploads/holiday.mp4"
    assert (made["source"]["width"], made["source"]["height"], made["source"]["audio"]) == (1920, 1080, True)
    sizes = {r["name"]: (r["width"], r["height"]) for r in made["renditions"]}
    assert sizes == {"phone": (640, 360), "tablet": (1280, 720), "tv": (1920, 1080)}
    files = listed(buckets, "holiday/")
    assert set(files) == {"holiday/phone-360p.mp4", "holiday/tablet-720p.mp4", "holiday/tv-1080p.mp4",
                          "holiday/poster.jpg", "holiday/manifest.json"}

    source_bitrate = len(body) * 8 / spec.seconds
    for rendition in made["renditions"]:
        data = buckets.get_object(Bucket=OUTPUTS, Key=rendition["key"])
        assert data["ContentType"] == "video/mp4"
        data = data["Body"].read()
        info = mp4_info(data)
        assert info.fast_start and info.audio and info.video == (rendition["width"], rendition["height"])
        assert rendition["size"] == len(data) == files[rendition["key"]]
        assert abs(rendition["duration"] - spec.seconds) < 0.1 and abs(info.duration - spec.seconds) < 0.1
        assert rendition["bitrate"] == round(len(data) * 8 / rendition["duration"]) < source_bitrate
        assert rendition["max_video_bitrate"] in (800_000, 2_800_000, 5_000_000)
        (tmp_path / rendition["name"]).write_bytes(data)
        decoded = decode(tmp_path / rendition["name"])
        assert decoded.ok and decoded.frames == 60 and abs(decoded.seconds - spec.seconds) < 0.1, decoded

    poster = buckets.get_object(Bucket=OUTPUTS, Key="holiday/poster.jpg")
    assert poster["ContentType"] == "image/jpeg"
    assert jpeg_size(poster["Body"].read()) == (1920, 1080) == (made["poster"]["width"], made["poster"]["height"])
    assert set(made["seconds"]) == {"download", "transcode", "upload"}


def test_a_key_with_spaces_accents_and_a_plus_is_decoded(buckets, clips):
    _, path = clips["small"]
    key = "uploads/trips/Été à la plage + café.mp4"
    event = s3_event(key, path.stat().st_size)
    assert event["Records"][0]["s3"]["object"]["key"] == "uploads/trips/%C3%89t%C3%A9+%C3%A0+la+plage+%2B+caf%C3%A9.mp4"
    buckets.put_object(Bucket=UPLOADS, Key=key, Body=path.read_bytes())
    result = app.handler(event, Context())
    assert result["processed"][0]["status"] == "ok"
    made = manifest(buckets, "trips/Été à la plage + café")
    assert made["source"]["key"] == key
    assert [r["key"] for r in made["renditions"]] == ["trips/Été à la plage + café/phone-270p.mp4"]


def test_a_source_smaller_than_every_rung_is_never_upscaled(buckets, clips):
    _, path = clips["small"]
    upload(buckets, "uploads/tiny.mp4", path.read_bytes())
    made = manifest(buckets, "tiny")
    assert [(r["name"], r["width"], r["height"]) for r in made["renditions"]] == [("phone", 480, 270)]
    assert (made["poster"]["width"], made["poster"]["height"]) == (480, 270)


def test_portrait_video_without_audio_keeps_its_orientation(buckets, clips):
    _, path = clips["portrait"]
    upload(buckets, "uploads/vertical.mov", path.read_bytes())
    made = manifest(buckets, "vertical")
    assert [(r["name"], r["width"], r["height"]) for r in made["renditions"]] == [("phone", 360, 640)]
    assert made["source"]["audio"] is False and made["renditions"][0]["audio_bitrate"] == 0
    info = mp4_info(buckets.get_object(Bucket=OUTPUTS, Key="vertical/phone-360p.mp4")["Body"].read())
    assert info.video == (360, 640) and not info.audio


@pytest.mark.parametrize("body, says", [
    (b"These are meeting notes, not a video.\n", "This is not a video container the lab accepts"),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000, "not a video ffmpeg can read"),
])
def test_a_file_that_is_not_a_video_gets_an_error_manifest_and_no_retry(buckets, body, says):
    result = upload(buckets, "uploads/notes.mp4", body)  # returns normally: Lambda would otherwise retry it
    assert result["processed"][0]["status"] == "error"
    made = manifest(buckets, "notes")
    assert made["status"] == "error" and says in made["reason"]
    assert made["source"] == {"bucket": UPLOADS, "key": "uploads/notes.mp4", "size": len(body),
                              "etag": hashlib.md5(body).hexdigest()}  # what S3 says (HeadObject), not the event
    assert list(listed(buckets, "notes/")) == ["notes/manifest.json"]


def crafted_uploads(secret: Path) -> dict[str, tuple[bytes, str]]:
    """Files that are lists of other files, each naming a real video on this machine: what an
    attacker uploads as "clip.mp4" to make ffmpeg read the host's files (issue 15, high)."""
    dash = (f'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
            f'mediaPresentationDuration="PT1S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">'
            f'<Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000" width="480" height="270" '
            f'codecs="avc1.64000d"><BaseURL>file://{secret}</BaseURL></Representation></AdaptationSet></Period></MPD>\n')
    hls = f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1,\nfile://{secret}\n#EXT-X-ENDLIST\n"
    concat = f"ffconcat version 1.0\nfile '{secret}'\n"
    return {"dash": (dash.encode(), "DASH manifest"), "hls": (hls.encode(), "HLS playlist"),
            "concat": (concat.encode(), "concat list")}


@pytest.mark.parametrize("kind", ["dash", "hls", "concat"])
def test_a_manifest_playlist_or_list_naming_host_files_is_refused(buckets, clips, kind):
    """The upload is refused by its first bytes; ffmpeg never opens the host file it names."""
    _, secret = clips["small"]
    body, named = crafted_uploads(secret)[kind]
    result = upload(buckets, f"uploads/{kind}.mp4", body)
    assert result["processed"][0]["status"] == "error"
    made = manifest(buckets, kind)
    assert made["status"] == "error" and "not a video container the lab accepts" in made["reason"]
    assert named in made["reason"]
    assert list(listed(buckets, f"{kind}/")) == [f"{kind}/manifest.json"]  # no rendition, no poster


def test_ffmpeg_is_told_the_demuxer_and_may_open_only_local_files(tmp_path, clips):
    """Even a file that passes the sniff is read with exactly that demuxer, over file: only."""
    _, path = clips["small"]
    assert app.container_of(str(path)) == "mov"
    args = app.input_args(str(path), "mov")
    assert args[:2] == ["-f", "mov"] and "-protocol_whitelist" in args and args[-1] == f"file:{path}"
    assert "dash" not in args[args.index("-format_whitelist") + 1].split(",")
    with pytest.raises(app.Unusable):
        app.input_args(str(path), "dash")
    for head, demuxer in ((b"\x1a\x45\xdf\xa3\x9f", "matroska"), (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
                          (b"OggS\x00\x02", "ogg"), (b"FLV\x01\x05", "flv"), (b"\x00\x00\x01\xba\x44", "mpeg"),
                          ((b"\x47" + b"\x00" * 187) * 3, "mpegts")):
        assert app.sniff_container(head) == demuxer


@pytest.mark.parametrize("kind", ["dash", "hls", "concat"])
def test_the_sites_own_decoder_refuses_the_crafted_files(tmp_path, clips, kind):
    """The verify decodes "renditions" from the learner's bucket: it reads containers only."""
    _, secret = clips["small"]
    body, named = crafted_uploads(secret)[kind]
    crafted = tmp_path / f"{kind}.mp4"
    crafted.write_bytes(body)
    decoded = decode(crafted)
    assert not decoded.ok and decoded.frames == 0 and named in decoded.errors
    assert decode(secret).ok  # the real file decodes: the refusal is about the crafted one


def test_a_truncated_upload_is_reported_as_corrupt(buckets, clips):
    _, path = clips["hd"]
    data = path.read_bytes()
    upload(buckets, "uploads/cut.mp4", data[: len(data) // 3])  # fast start: the index survives, the media does not
    made = manifest(buckets, "cut")
    assert made["status"] == "error" and ("truncated or corrupt" in made["reason"] or "corrupt" in made["reason"])
    assert list(listed(buckets, "cut/")) == ["cut/manifest.json"]


def test_an_empty_upload_and_a_missing_ffmpeg_are_reported(buckets, monkeypatch):
    upload(buckets, "uploads/empty.mp4", b"")
    assert "empty" in manifest(buckets, "empty")["reason"]
    monkeypatch.setenv("FFMPEG_PATH", "/nowhere/ffmpeg")
    monkeypatch.setattr(app.shutil, "which", lambda name: None)
    upload(buckets, "uploads/later.mp4", b"\x00" * 100)
    assert "ffmpeg is not available" in manifest(buckets, "later")["reason"]


def test_an_output_bucket_it_cannot_write_raises_so_lambda_retries(buckets, clips):
    """Unlike a bad file, a failure to write may pass: the function raises and the event is retried."""
    from boto3.exceptions import S3UploadFailedError

    _, path = clips["small"]
    buckets.delete_bucket(Bucket=OUTPUTS)
    with pytest.raises(S3UploadFailedError, match="NoSuchBucket"):
        upload(buckets, "uploads/lost.mp4", path.read_bytes())


def test_other_events_are_ignored(buckets):
    assert app.handler(s3_event("uploads/gone.mp4", 0, name="ObjectRemoved:Delete"), Context()) == {"processed": []}
    assert app.handler({"Service": "Amazon S3", "Event": "s3:TestEvent"}, Context()) == {"processed": []}


def test_output_names():
    assert app.output_name("uploads/my clip.mp4") == "my clip"
    assert app.output_name("uploads/2026/trip.MOV") == "2026/trip"
    assert app.output_name("elsewhere/x.mkv") == "elsewhere/x"


@pytest.mark.parametrize("size, expected", [
    ((1920, 1080), [("phone", 640, 360), ("tablet", 1280, 720), ("tv", 1920, 1080)]),
    ((3840, 2160), [("phone", 640, 360), ("tablet", 1280, 720), ("tv", 1920, 1080)]),
    ((1280, 720), [("phone", 640, 360), ("tablet", 1280, 720)]),
    ((1080, 1920), [("phone", 360, 640), ("tablet", 720, 1280), ("tv", 1080, 1920)]),
    ((1440, 1080), [("phone", 480, 360), ("tablet", 960, 720), ("tv", 1440, 1080)]),
    ((320, 240), [("phone", 320, 240)]),
    ((853, 480), [("phone", 640, 360)]),
])
def test_the_ladder_never_upscales_and_keeps_the_shape(size, expected):
    assert [(rung.name, w, h) for rung, w, h in app.plan(*size)] == expected


def test_the_probe_reads_rotation_and_pixel_aspect():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'source.mov':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 15872 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 15000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 256 kb/s (default)
At least one output file must be specified"""
    probe = app.parse_probe(text)
    assert (probe.width, probe.height, probe.codec, probe.audio) == (1080, 1920, "hevc", True)
    assert probe.duration == 62.5 and probe.bitrate == 15_872_000 and probe.fps == 29.97
    anamorphic = "  Duration: 00:00:04.00, bitrate: 9000 kb/s\n  Stream #0:0: Video: mpeg2video (Main), yuv420p, 720x576 [SAR 64:45 DAR 16:9], 25 fps"
    assert (app.parse_probe(anamorphic).width, app.parse_probe(anamorphic).height) == (1024, 576)
    with pytest.raises(app.Unusable, match="no video stream"):
        app.parse_probe("  Duration: 00:03:00.00\n  Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 192 kb/s")


def test_one_ffmpeg_process_decodes_once_for_every_output():
    planned = app.plan(1920, 1080)
    command = app.ffmpeg_command("ffmpeg", "in.mp4", "/tmp/w", planned, (1920, 1080), 1.0, audio=True)
    assert command.count("-i") == 1
    graph = command[command.index("-filter_complex") + 1]
    assert graph.startswith("[0:v]split=4")  # three renditions and the poster
    assert command.count("libx264") == 3 and command.count("+faststart") == 3 and command.count("veryfast") == 3
    assert command[-1].endswith("poster.jpg")


@pytest.mark.parametrize("variable, value, says", [
    ("MAX_SECONDS", "1", "long; this function transcodes at most 1 s"),
    ("MAX_PIXELS", str(640 * 360), "this function transcodes at most 230,400 pixels a frame"),
])
def test_a_video_too_long_or_too_large_is_refused_before_transcoding(buckets, clips, monkeypatch, variable, value, says):
    """Issue 15: an hour of 1080p is ~5 MB but a quarter hour of CPU; the function bounds the work."""
    _, path = clips["hd"]  # 2 s of 1920x1080
    monkeypatch.setenv(variable, value)
    upload(buckets, "uploads/big.mp4", path.read_bytes())
    made = manifest(buckets, "big")
    assert made["status"] == "error" and says in made["reason"]
    assert list(listed(buckets, "big/")) == ["big/manifest.json"]


def test_a_record_without_size_is_sized_by_head_object_not_taken_as_empty(buckets, clips):
    """Issue 16, item 7: real S3 events for some sources omit ``size``; the function asks S3."""
    _, path = clips["small"]
    buckets.put_object(Bucket=UPLOADS, Key="uploads/nosize.mp4", Body=path.read_bytes())
    event = s3_event("uploads/nosize.mp4", 0)
    del event["Records"][0]["s3"]["object"]["size"]
    assert app.handler(event, Context())["processed"][0]["status"] == "ok"
    made = manifest(buckets, "nosize")
    assert made["status"] == "ok" and made["source"]["size"] == path.stat().st_size


def test_a_stale_event_never_overwrites_a_good_manifest_with_an_error(buckets, clips):
    """An event whose ``size`` is wrong (stale, or 0) or whose object is gone changes nothing."""
    _, path = clips["small"]
    upload(buckets, "uploads/good.mp4", path.read_bytes())
    assert manifest(buckets, "good")["status"] == "ok"
    app.handler(s3_event("uploads/good.mp4", 0), Context())  # says 0 bytes: S3 says otherwise
    assert manifest(buckets, "good")["status"] == "ok"
    buckets.delete_object(Bucket=UPLOADS, Key="uploads/good.mp4")
    assert app.handler(s3_event("uploads/good.mp4", 10), Context())["processed"][0]["status"] == "gone"
    assert manifest(buckets, "good")["status"] == "ok"


def test_the_tmp_check_compares_with_the_configured_ephemeral_storage(buckets, clips, monkeypatch):
    """Issue 10: locally the function runs on this machine's disk; EPHEMERAL_MB is its /tmp."""
    _, path = clips["hd"]
    assert path.stat().st_size * 2 > 1024 * 1024  # bigger than half a 1 MB /tmp
    monkeypatch.setenv("EPHEMERAL_MB", "1")
    upload(buckets, "uploads/huge.mp4", path.read_bytes())
    made = manifest(buckets, "huge")
    assert made["status"] == "error" and "the function has 1 MB of /tmp" in made["reason"], made


def test_the_lab_tells_the_function_its_ephemeral_storage():
    from labs.catalog.video.function_step import function_environment
    from labs.catalog.video.names import EPHEMERAL_MB
    from tests.labs.conftest import make_context

    assert function_environment(make_context())["EPHEMERAL_MB"] == str(EPHEMERAL_MB)
