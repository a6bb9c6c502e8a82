"""The video lab's end-to-end verify: real uploads, then everything that comes out is checked.

The first check uploads three objects at once, the way a learner would (``aws s3 cp``): a 1080p
clip with audio made by ffmpeg, a small clip whose name has spaces, accents and a plus sign,
and a text file named like a video. It waits, with a bound and progress notes, for the clip's
manifest. The next checks open what the function wrote with code of their own, not the
function's: each rendition is parsed as MP4 (size, duration, index before the media for
fast start) and decoded in full by ffmpeg; the poster's JPEG header gives its size; the
listing of the output folder is compared with the manifest.
"""

import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video import names
from labs.catalog.video.media import decode, jpeg_size, mp4_info
from labs.catalog.video.names import UPLOAD_PREFIX, function_name, output_bucket, uploads_bucket
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit.calls import Attempts, missing
from labs.toolkit.functions import log_tail

LADDER_HEIGHTS = {"phone": 360, "tablet": 720, "tv": 1080}  # what the lab promises, stated independently
NOT_A_VIDEO = b"These are meeting notes, not a video.\nThe function must say so, and nothing else may break.\n"
NOTE_EVERY = 2.0


def setting(name: str, default: float) -> float:
    """A video-lab setting: from Django's settings when set there (tests), else the environment."""
    value = getattr(settings, name, None)
    return float(value if value is not None else os.environ.get(name, default))


def clip_seconds() -> float:
    return setting("LABS_VIDEO_CLIP_SECONDS", 5)


def wait_seconds() -> float:
    return setting("LABS_VIDEO_WAIT_SECONDS", 120)


def main_spec() -> video_ffmpeg.ClipSpec:
    return video_ffmpeg.ClipSpec(1920, 1080, clip_seconds())


NAMED_SPEC = video_ffmpeg.ClipSpec(640, 360, 1.0, bitrate_kbps=3000)


@dataclass
class Upload:
    key: str
    name: str  # where its outputs go in the output bucket
    spec: video_ffmpeg.ClipSpec | None
    started: float = 0.0
    manifest: dict | None = None


def output_name(key: str) -> str:
    name = key[len(UPLOAD_PREFIX):]
    folder, _, file = name.rpartition("/")
    stem = file.rsplit(".", 1)[0]
    return f"{folder}/{stem}" if folder else stem


def expected_renditions(spec: video_ffmpeg.ClipSpec) -> dict[str, tuple[int, int]]:
    """Rendition name -> (width, height) for a landscape clip: never above the source."""
    rungs = {name: height for name, height in LADDER_HEIGHTS.items() if height <= spec.height}
    return {name: (round(spec.width * height / spec.height / 2) * 2, height) for name, height in rungs.items()}


# Waiting for the function ------------------------------------------------------------------

def _output_bucket(ctx: Context) -> str:
    return output_bucket(ctx.name, ctx.account_id)


def wait_for_manifest(ctx: Context, upload: Upload, what: str) -> dict | None:
    """Poll for ``<name>/manifest.json`` until the bound; a progress note every few seconds."""
    if upload.manifest is not None:
        return upload.manifest
    s3, bucket = ctx.clients.s3, _output_bucket(ctx)
    key = f"{upload.name}/manifest.json"
    limit = wait_seconds()
    deadline, next_note = upload.started + limit, upload.started + NOTE_EVERY
    delay, most = 0.05, (0.1 if names.is_local(ctx) else 2.0)
    attempts = Attempts(f"Reading s3://{bucket}/{key}", ctx.note)
    while True:
        try:
            got = missing(s3.get_object, Bucket=bucket, Key=key)
        except Exception as error:  # noqa: BLE001 - a transient one is retried until the deadline
            attempts.failed_once(error)
            got = None
            if time.monotonic() > deadline:
                raise
        if got is not None:
            upload.manifest = json.loads(got["Body"].read())
            upload.manifest["_arrived_after"] = round(time.monotonic() - upload.started, 2)
            return upload.manifest
        now = time.monotonic()
        if now > deadline:
            return None
        if now >= next_note:
            ctx.note(f"Waiting for {what}: {now - upload.started:.0f} s since the upload (giving up after "
                     f"{limit:.0f} s). Nothing in s3://{bucket}/{upload.name}/ yet: the function writes the "
                     "manifest last.")
            next_note += NOTE_EVERY
        time.sleep(delay)
        delay = min(delay * 1.5, most)


def _timed_out(ctx: Context, upload: Upload, what: str) -> CheckResult:
    return CheckResult.failed(f"No manifest for {what} ({upload.key}) within {wait_seconds():.0f} s. "
                              + log_tail(ctx, function_name(ctx.name), never_invoked="check the trigger"))


# The checks --------------------------------------------------------------------------------

def _uploads(ctx: Context) -> dict[str, Upload]:
    return ctx.scratch.setdefault("uploads", {})


def verify_upload(ctx: Context) -> CheckResult:
    s3, bucket = ctx.clients.s3, uploads_bucket(ctx.name, ctx.account_id)
    stamp = f"{ctx.name.prefix}-{int(time.time() * 1000) % 10**8:08d}"
    main_clip = video_ffmpeg.sample_clip(main_spec())
    named_clip = video_ffmpeg.sample_clip(NAMED_SPEC)
    planned = {
        "main": Upload(f"{UPLOAD_PREFIX}verify-{stamp}.mp4", "", main_spec()),
        "named": Upload(f"{UPLOAD_PREFIX}Été à la plage + café {stamp}.mp4", "", NAMED_SPEC),
        "bad": Upload(f"{UPLOAD_PREFIX}not-a-video-{stamp}.mp4", "", None),
    }
    bodies = {"main": main_clip.read_bytes(), "named": named_clip.read_bytes(), "bad": NOT_A_VIDEO}
    _uploads(ctx).update(planned)

    def put(role: str) -> None:
        upload = planned[role]
        upload.name = output_name(upload.key)
        upload.started = time.monotonic()
        s3.put_object(Bucket=bucket, Key=upload.key, Body=bodies[role],
                      ContentType="text/plain" if role == "bad" else "video/mp4")

    main = planned["main"]
    put("main")
    ctx.note(f"Uploaded {main.key} ({len(bodies['main']) / 1e6:.1f} MB, {main.spec.width}x{main.spec.height}, "
             f"{main.spec.seconds:g} s, with audio).")
    try:
        manifest = wait_for_manifest(ctx, main, "the 1080p clip's renditions")
    finally:
        # The two small uploads follow once the clip is done (or given up on). In AWS each invocation has
        # a machine of its own; in the local sandbox they would share this one's cores with the clip's.
        put("named")
        put("bad")
        ctx.note(f"Uploaded {planned['named'].key} and {planned['bad'].key}.")
    if manifest is None:
        return _timed_out(ctx, main, "the 1080p clip")
    if manifest.get("status") != "ok":
        return CheckResult.failed(f"The function could not process the 1080p clip: {manifest.get('reason')}")
    made = ", ".join(f"{r['name']} {r['width']}x{r['height']}" for r in manifest.get("renditions", []))
    seconds = manifest.get("seconds") or {}
    inside = ", ".join(f"{what} {seconds[what]:.2f} s" for what in ("download", "transcode", "upload") if what in seconds)
    return CheckResult.passed(f"{main.key} was transcoded {manifest['_arrived_after']:.1f} s after the upload: {made}, "
                              f"a poster and a manifest" + (f" (in the function: {inside})." if inside else "."))


def _main_manifest(ctx: Context) -> tuple[Upload | None, dict | None]:
    upload = _uploads(ctx).get("main")
    manifest = upload.manifest if upload else None
    return upload, manifest if manifest and manifest.get("status") == "ok" else None


def _download(ctx: Context, key: str) -> tuple[bytes, str] | None:
    got = missing(ctx.clients.s3.get_object, Bucket=_output_bucket(ctx), Key=key)
    return (got["Body"].read(), got.get("ContentType", "")) if got else None


def verify_renditions(ctx: Context) -> CheckResult:
    upload, manifest = _main_manifest(ctx)
    if manifest is None:
        return CheckResult.failed("Skipped: the 1080p clip produced no renditions.")
    expected = expected_renditions(upload.spec)
    got = {r["name"]: r for r in manifest["renditions"]}
    if set(got) != set(expected):
        return CheckResult.failed(f"A {upload.spec.width}x{upload.spec.height} source should give "
                                  f"{', '.join(expected)}; the manifest lists {', '.join(got) or 'none'}.")
    source_bitrate = manifest["source"].get("bitrate") or upload.spec.bitrate_kbps * 1000
    files = {}
    with tempfile.TemporaryDirectory() as work:
        for name, rendition in got.items():
            downloaded = _download(ctx, rendition["key"])
            if downloaded is None:
                return CheckResult.failed(f"The manifest lists {rendition['key']}, but it is not in the bucket.")
            body, content_type = downloaded
            if content_type != "video/mp4":
                return CheckResult.failed(f"{rendition['key']} is stored as {content_type!r}: browsers need video/mp4.")
            try:
                info = mp4_info(body)
            except ValueError as error:
                return CheckResult.failed(f"{rendition['key']} is not a valid MP4: {error}.")
            if not info.fast_start:
                return CheckResult.failed(f"{rendition['key']} has its index after the media ({' '.join(info.top_level)}):"
                                          " a browser must download all of it before playing. Use -movflags +faststart.")
            if info.video != expected[name]:
                return CheckResult.failed(f"{rendition['key']} is {info.video}, not {expected[name]} (width, height).")
            if not info.audio:
                return CheckResult.failed(f"{rendition['key']} has no audio track, but the source has one.")
            bitrate = len(body) * 8 / info.duration if info.duration else 0
            if not 0 < bitrate < source_bitrate:
                return CheckResult.failed(f"{rendition['key']} runs at {bitrate / 1e6:.2f} Mbit/s, not below the "
                                          f"source's {source_bitrate / 1e6:.2f} Mbit/s.")
            path = Path(work) / f"{name}.mp4"
            path.write_bytes(body)
            files[name] = (path, info, bitrate)
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            decoded = dict(zip(files, pool.map(decode, [path for path, _, _ in files.values()])))
    for name, result in decoded.items():
        if not result.ok or result.frames == 0:
            return CheckResult.failed(f"{got[name]['key']} does not decode cleanly: {result.errors or 'no frames'}.")
        if abs(result.seconds - upload.spec.seconds) > 0.2:
            return CheckResult.failed(f"{got[name]['key']} decodes to {result.seconds:.2f} s of a "
                                      f"{upload.spec.seconds:g} s source.")
    shown = "; ".join(f"{name} {files[name][1].video[0]}x{files[name][1].video[1]} {files[name][2] / 1e6:.2f} Mbit/s "
                      f"({decoded[name].frames} frames)" for name in expected)
    return CheckResult.passed(f"Each rendition is an MP4 with fast start that decodes in full at its size, below the "
                              f"source's {source_bitrate / 1e6:.1f} Mbit/s: {shown}.")


def verify_poster(ctx: Context) -> CheckResult:
    upload, manifest = _main_manifest(ctx)
    if manifest is None:
        return CheckResult.failed("Skipped: the 1080p clip produced no poster.")
    poster = manifest.get("poster") or {}
    downloaded = _download(ctx, poster.get("key", f"{upload.name}/poster.jpg"))
    if downloaded is None:
        return CheckResult.failed(f"There is no poster at {poster.get('key') or upload.name + '/poster.jpg'}.")
    body, content_type = downloaded
    try:
        size = jpeg_size(body)
    except ValueError as error:
        return CheckResult.failed(f"The poster is not a JPEG: {error}.")
    largest = max(expected_renditions(upload.spec).values(), key=lambda wh: wh[0] * wh[1])
    if size != largest:
        return CheckResult.failed(f"The poster is {size[0]}x{size[1]}; it should match the largest rendition, "
                                  f"{largest[0]}x{largest[1]}, so the page does not jump when the video starts.")
    if (poster.get("width"), poster.get("height")) != size or content_type != "image/jpeg":
        return CheckResult.failed(f"The poster is a {size[0]}x{size[1]} JPEG stored as {content_type!r}, but the "
                                  f"manifest says {poster.get('width')}x{poster.get('height')}.")
    return CheckResult.passed(f"The poster is a {size[0]}x{size[1]} JPEG ({len(body) / 1000:.0f} kB), the size of "
                              "the largest rendition.")


def verify_manifest(ctx: Context) -> CheckResult:
    upload, manifest = _main_manifest(ctx)
    if manifest is None:
        return CheckResult.failed("Skipped: the 1080p clip produced no manifest.")
    s3, bucket = ctx.clients.s3, _output_bucket(ctx)
    listed = {item["Key"]: item["Size"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{upload.name}/") for item in page.get("Contents", [])}
    described = {item["key"]: item.get("size") for item in manifest["renditions"] + [manifest["poster"]]}
    described[f"{upload.name}/manifest.json"] = listed.get(f"{upload.name}/manifest.json")
    if set(listed) != set(described):
        extra, missing = sorted(set(listed) - set(described)), sorted(set(described) - set(listed))
        return CheckResult.failed("The manifest and the bucket disagree: " + "; ".join(
            part for part in (f"not in the manifest: {', '.join(extra)}" if extra else "",
                              f"not in the bucket: {', '.join(missing)}" if missing else "") if part) + ".")
    for key, size in described.items():
        if listed[key] != size:
            return CheckResult.failed(f"The manifest says {key} is {size} bytes; the bucket has {listed[key]}.")
    for item in manifest["renditions"]:
        for field in ("width", "height", "bitrate", "duration", "size"):
            if not item.get(field):
                return CheckResult.failed(f"The manifest's entry for {item.get('key')} has no {field}.")
        if abs(item["duration"] - upload.spec.seconds) > 0.2:
            return CheckResult.failed(f"The manifest gives {item['key']} {item['duration']} s; the source is "
                                      f"{upload.spec.seconds:g} s.")
        if abs(item["bitrate"] - item["size"] * 8 / item["duration"]) > 0.01 * item["bitrate"]:
            return CheckResult.failed(f"The manifest's bitrate for {item['key']} does not match its size and duration.")
    return CheckResult.passed(f"manifest.json lists exactly the {len(manifest['renditions'])} renditions and the poster "
                              "in the bucket, with their real sizes, durations and bitrates.")


def _nothing_came_out(ctx: Context) -> bool:
    """The 1080p clip got no manifest at all within the bound: the pipeline is not running, so the
    other uploads are not waited for a second time."""
    main = _uploads(ctx).get("main")
    return main is not None and main.manifest is None


def verify_names(ctx: Context) -> CheckResult:
    upload = _uploads(ctx).get("named")
    if upload is None:
        return CheckResult.failed("Skipped: nothing was uploaded.")
    if _nothing_came_out(ctx):
        return CheckResult.failed("Skipped: the function wrote nothing for the 1080p clip either (see above).")
    manifest = wait_for_manifest(ctx, upload, "the clip with spaces and accents in its name")
    if manifest is None:
        return _timed_out(ctx, upload, "the clip with spaces and accents in its name")
    if manifest.get("status") != "ok":
        return CheckResult.failed(f"The function could not process {upload.key}: {manifest.get('reason')}")
    keys = [r["key"] for r in manifest.get("renditions", [])]
    if manifest.get("source", {}).get("key") != upload.key or not keys or not _download(ctx, keys[0]):
        return CheckResult.failed(f"The manifest for {upload.key} names {manifest.get('source', {}).get('key')!r}: the "
                                  "key must be decoded from the event (urllib.parse.unquote_plus).")
    return CheckResult.passed(f"“{upload.key}” arrived in the event as URL-encoded “{_event_form(upload.key)}” and was "
                              f"decoded and processed: {', '.join(keys)}.")


def _event_form(key: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(key, safe="/")


def verify_bad_upload(ctx: Context) -> CheckResult:
    upload = _uploads(ctx).get("bad")
    if upload is None:
        return CheckResult.failed("Skipped: nothing was uploaded.")
    if _nothing_came_out(ctx):
        return CheckResult.failed("Skipped: the function wrote nothing for the 1080p clip either (see above).")
    manifest = wait_for_manifest(ctx, upload, "the error manifest of the file that is not a video")
    if manifest is None:
        return _timed_out(ctx, upload, "the file that is not a video")
    if manifest.get("status") != "error" or not manifest.get("reason"):
        return CheckResult.failed(f"The function did not report {upload.key} as unusable: its manifest has status "
                                  f"{manifest.get('status')!r}.")
    listed = [item["Key"] for item in ctx.clients.s3.list_objects_v2(
        Bucket=_output_bucket(ctx), Prefix=f"{upload.name}/").get("Contents", [])]
    if listed != [f"{upload.name}/manifest.json"]:
        return CheckResult.failed(f"For a file that is not a video the function should write only an error manifest; "
                                  f"the bucket has {', '.join(listed)}.")
    retries = missing(ctx.clients.lambda_.get_function_event_invoke_config,
                       FunctionName=function_name(ctx.name)) or {}
    limit = retries.get("MaximumRetryAttempts", 2)
    return CheckResult.passed(f"{upload.key} got an error manifest (“{manifest['reason'][:120]}”) and nothing else; "
                              f"the function returned normally, so it is not retried (failed invocations are retried "
                              f"at most {limit} time{'s' if limit != 1 else ''}).")


CHECKS = (
    VerifyCheck("upload", "A 1080p clip uploaded to uploads/ is transcoded", verify_upload),
    VerifyCheck("renditions", "Each rendition decodes at its size, below the source's bitrate", verify_renditions),
    VerifyCheck("poster", "The poster is a JPEG of the right size", verify_poster),
    VerifyCheck("manifest", "The manifest matches the files", verify_manifest),
    VerifyCheck("names", "A name with spaces and accents is processed too", verify_names),
    VerifyCheck("bad-upload", "A file that is not a video gets an error manifest", verify_bad_upload),
)
