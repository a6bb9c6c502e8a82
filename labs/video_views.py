"""The video lab's part of a run page: the videos its function processed, listed and playable,
and a form to upload one of your own.

What is listed is read from the run's output bucket (one ``manifest.json`` per upload), so a
video the learner uploads with the AWS CLI shows up too. In the local sandbox the site serves
the files itself, with HTTP range requests so a ``<video>`` element can start and seek; in an
AWS account the page links presigned URLs (valid for an hour), and the bucket stays private.
"""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from labs import aws, sandbox, selectors
from labs.aws import error_code, is_not_found
from labs.catalog import video
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video.functions.video_transcoder import app as transcoder
from labs.engine.lab import Names
from labs.models import LabRun, LedgerEntry, RunEvent

LIST_LIMIT = 12
MAX_PENDING = 2  # a learner's page uploads being transcoded at once (each can take minutes of CPU)
PRESIGNED_SECONDS = 3600
# What the function writes; anything else in the bucket is served as a download, never inline.
INLINE_TYPES = {"video/mp4", "image/jpeg", "application/json"}
MEDIA_CSP = "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
RANGE = re.compile(r"^bytes=\d*-\d*$")


def upload_limit_bytes() -> int:
    from labs.catalog.video.verify import setting

    return int(setting("LABS_VIDEO_UPLOAD_MB", 200)) * 1_000_000


def _run_video(request, pk) -> LabRun:
    run = selectors.run_for(request.user, pk)
    if run.lab_slug != video.LAB.slug:
        from django.http import Http404

        raise Http404("This run has no videos.")
    return run


def output_bucket_of(run: LabRun) -> str:
    return run.outputs.get("output_bucket") or video.output_bucket(Names(run.prefix), run.sandbox.account_id)


def uploads_bucket_of(run: LabRun) -> str:
    return run.outputs.get("uploads_bucket") or video.uploads_bucket(Names(run.prefix), run.sandbox.account_id)


def bitrate_text(bits_per_second) -> str:
    if not bits_per_second:
        return "?"
    if bits_per_second >= 1_000_000:
        return f"{bits_per_second / 1e6:.2f} Mbit/s"
    return f"{bits_per_second / 1e3:.0f} kbit/s"


@dataclass
class Rendition:
    name: str
    device: str
    width: int
    height: int
    bitrate: int
    size: int
    duration: float
    url: str
    download_url: str

    @property
    def bitrate_text(self) -> str:
        return bitrate_text(self.bitrate)


@dataclass
class Video:
    name: str
    status: str
    created: str = ""
    reason: str = ""
    source: dict = field(default_factory=dict)
    renditions: list[Rendition] = field(default_factory=list)
    poster_url: str = ""
    poster: dict = field(default_factory=dict)
    manifest_url: str = ""

    @property
    def created_at(self):
        from datetime import datetime

        try:
            return datetime.fromisoformat(self.created.replace("Z", "+00:00"))
        except ValueError:
            return None

    @property
    def source_bitrate_text(self) -> str:
        return bitrate_text(self.source.get("bitrate"))

    @property
    def dom_id(self) -> str:
        return "video-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)[:80]

    @property
    def default(self) -> Rendition | None:
        """What the player starts with: the tablet size if there is one (it fits most screens)."""
        by_name = {r.name: r for r in self.renditions}
        return by_name.get("tablet") or (self.renditions[-1] if self.renditions else None)


class MediaLinks:
    """URLs for objects in the run's output bucket: the site's own (local) or presigned (AWS)."""

    def __init__(self, run: LabRun, s3, bucket: str):
        self.run, self.s3, self.bucket = run, s3, bucket

    def __call__(self, key: str, *, download: bool = False) -> str:
        if self.run.sandbox.is_local:
            url = reverse("labs:video_media", kwargs={"pk": self.run.pk, "key": key})
            return url + ("?download=1" if download else "")
        params = {"Bucket": self.bucket, "Key": key}
        if download:
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(key.rsplit('/', 1)[-1])}"
        return self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=PRESIGNED_SECONDS)


def videos_of(run: LabRun, s3) -> list[Video]:
    """The newest processed uploads in the run's output bucket, from their manifests."""
    bucket = output_bucket_of(run)
    manifests = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        manifests += [item for item in page.get("Contents", []) if item["Key"].endswith("/manifest.json")]
    manifests.sort(key=lambda item: item["LastModified"], reverse=True)
    link = MediaLinks(run, s3, bucket)
    found = []
    for item in manifests[:LIST_LIMIT]:
        name = item["Key"][: -len("/manifest.json")]
        try:
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        except Exception as error:  # noqa: BLE001 - one unreadable manifest must not hide the rest
            found.append(Video(name, "error", reason=f"Its manifest cannot be read: {error}"))
            continue
        entry = Video(name, manifest.get("status", "error"), created=manifest.get("created", ""),
                      reason=manifest.get("reason", ""), source=manifest.get("source") or {},
                      manifest_url=link(item["Key"]))
        for r in manifest.get("renditions") or []:
            entry.renditions.append(Rendition(r.get("name", ""), r.get("device", ""), r.get("width", 0),
                                              r.get("height", 0), r.get("bitrate") or 0, r.get("size") or 0,
                                              r.get("duration") or 0, link(r["key"]), link(r["key"], download=True)))
        poster = manifest.get("poster") or {}
        if poster.get("key"):
            entry.poster, entry.poster_url = poster, link(poster["key"])
        found.append(entry)
    return found


def _list_context(request, run: LabRun) -> dict:
    context = {"run": run, "videos": [], "problem": "", "upload_mb": upload_limit_bytes() // 1_000_000,
               "uploads_bucket": uploads_bucket_of(run), "prefix": video.UPLOAD_PREFIX}
    if run.status == LabRun.Status.CLEANED:
        context["problem"] = "This run is torn down: its buckets and every rendition in them are deleted."
        return context
    if run.sandbox.is_local and not sandbox.status().up:
        context["problem"] = "The local sandbox is not running, so the renditions cannot be listed."
        return context
    try:
        context["videos"] = videos_of(run, aws.clients_for(run.sandbox).s3)
    except aws.SandboxUnavailable as error:
        context["problem"] = str(error)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error) or error_code(error) == "NoSuchBucket":
            context["problem"] = ("No output bucket yet: build step 1, then the renditions of the verify's uploads "
                                  "(and of yours) appear here.")
        else:
            context["problem"] = f"The output bucket could not be listed: {aws.error_message(error)}"
    return context


@require_GET
def run_videos(request, pk):
    """The panel's list (htmx loads it after the page, and again when the run moves on)."""
    run = _run_video(request, pk)
    return render(request, "labs/video/_video_list.html", _list_context(request, run))


@require_http_methods(["GET", "HEAD"])
def run_media(request, pk, key):
    """One object of the run's output bucket, for the page's <video> and <img> (local sandbox),
    or a redirect to a presigned URL (AWS account)."""
    run = _run_video(request, pk)
    if run.status == LabRun.Status.CLEANED:
        return HttpResponse("This run is torn down: its renditions are deleted.", status=404,
                            content_type="text/plain; charset=utf-8")
    download = request.GET.get("download") == "1"
    try:
        clients = aws.clients_for(run.sandbox)
    except aws.SandboxUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    bucket = output_bucket_of(run)
    if not run.sandbox.is_local:
        return redirect(MediaLinks(run, clients.s3, bucket)(key, download=download))
    if not sandbox.status().up:
        return HttpResponse("The local sandbox is not running.", status=503, content_type="text/plain; charset=utf-8")
    options = {"Bucket": bucket, "Key": key}
    asked = request.headers.get("Range", "")
    if asked and RANGE.match(asked) and asked != "bytes=-":
        options["Range"] = asked
    try:
        got = clients.s3.head_object(**options) if request.method == "HEAD" else clients.s3.get_object(**options)
    except Exception as error:  # noqa: BLE001
        if error_code(error) == "InvalidRange":
            response = HttpResponse(status=416)
            response["Content-Range"] = "bytes */*"
            return response
        if is_not_found(error):
            return HttpResponse("No such file in this run's output bucket.", status=404,
                                content_type="text/plain; charset=utf-8")
        raise
    content_type = (got.get("ContentType") or "").split(";")[0].strip()
    if content_type not in INLINE_TYPES:
        content_type, download = "application/octet-stream", True
    body = got["Body"].iter_chunks(64 * 1024) if "Body" in got else iter(())
    response = StreamingHttpResponse(body, status=206 if got.get("ContentRange") else 200, content_type=content_type)
    response["Content-Length"] = str(got["ContentLength"])
    if got.get("ContentRange"):
        response["Content-Range"] = got["ContentRange"]
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    if download:
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(key.rsplit('/', 1)[-1])}"
    return response


class _CappedUpload(FileUploadHandler):
    """Stops reading a request body once it passes the upload limit (a client may send no
    Content-Length, or a false one): nothing more reaches the disk."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit, self.received = limit, 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_name(raw: str, limit: int = 200) -> str:
    """The file's own name, without folders, shortened to ``limit`` characters keeping its suffix."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10:
        return name[:limit]
    return stem[: limit - len(suffix) - 1].rstrip() + "." + suffix


def pending_transcodes(run: LabRun) -> int:
    """Uploads of this run whose manifest is not written yet: transcodes in flight or queued."""
    s3 = aws.clients_for(run.sandbox).s3
    uploads = s3.list_objects_v2(Bucket=uploads_bucket_of(run), Prefix=video.UPLOAD_PREFIX).get("Contents", [])
    done = {item["Key"] for item in s3.list_objects_v2(Bucket=output_bucket_of(run)).get("Contents", [])
            if item["Key"].endswith("/manifest.json")}
    return sum(1 for item in uploads if f"{transcoder.output_name(item['Key'])}/manifest.json" not in done)


def probe_upload(upload) -> str:
    """Why this file will not be transcoded (not a video container, too long, too large), or ""."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        upload.seek(0)
        try:
            info = transcoder.probe(str(video_ffmpeg.ffmpeg_binary()), copy.name, timeout=30)
            transcoder.check_limits(info)
        except transcoder.Unusable as refused:
            return str(refused)
    return ""


@csrf_exempt  # the token is checked below, after the upload handlers are in place
@require_POST
def run_video_upload(request, pk):
    """A video of the learner's own, put under uploads/ in the run's uploads bucket."""
    limit = upload_limit_bytes()
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > limit + 64 * 1024:  # refuse before reading: the body would go to /tmp
        return HttpResponse(f"The upload is {declared / 1e6:.0f} MB; uploads through the page are limited to "
                            f"{limit // 1_000_000} MB (use the AWS CLI for bigger files).", status=413,
                            content_type="text/plain; charset=utf-8")
    capped = _CappedUpload(request, limit + 64 * 1024)
    request.upload_handlers.insert(0, capped)
    return _run_video_upload(request, pk, capped)


@csrf_protect
def _run_video_upload(request, pk, capped: _CappedUpload):
    run = _run_video(request, pk)
    upload = request.FILES.get("video")
    problem, name = "", ""
    if run.is_finished:
        problem = "This run is over: start a new one to upload videos."
    elif upload is None:
        problem = (f"The upload is larger than {upload_limit_bytes() // 1_000_000} MB and was stopped."
                   if capped.received > capped.limit else "Choose a video file to upload.")
    elif upload.size > upload_limit_bytes():
        problem = f"{upload.name} is {upload.size / 1e6:.0f} MB; uploads through the page are limited to " \
                  f"{upload_limit_bytes() // 1_000_000} MB (use the AWS CLI for bigger files)."
    else:
        name = upload_name(upload.name)
        if not name.endswith(video.VIDEO_SUFFIXES):
            problem = f"{name} does not end in a video suffix the trigger listens for ({', '.join(video.VIDEO_SUFFIXES)})."
        elif run.sandbox.is_local and not sandbox.status().up:
            problem = "The local sandbox is not running."
        else:
            problem = probe_upload(upload)
    if not problem:
        try:
            if pending_transcodes(run) >= MAX_PENDING:
                problem = (f"{MAX_PENDING} of your videos are still being transcoded: wait until they appear "
                           "here, then upload the next one.")
            else:
                aws.clients_for(run.sandbox).s3.put_object(
                    Bucket=uploads_bucket_of(run), Key=video.UPLOAD_PREFIX + name, Body=upload.file,
                    ContentType=upload.content_type or "application/octet-stream")
        except Exception as error:  # noqa: BLE001
            problem = f"The upload failed: {aws.error_message(error)}"
    if request.htmx:
        context = _list_context(request, run)
        context["notice"] = problem or (f"Uploaded {video.UPLOAD_PREFIX}{name}: the function is on it. Its renditions "
                                        "appear here when it is done (press Refresh).")
        context["notice_bad"] = bool(problem)
        return render(request, "labs/video/_video_list.html", context)
    (messages.error if problem else messages.success)(request, problem or f"Uploaded {video.UPLOAD_PREFIX}{name}.")
    return redirect(run.get_absolute_url() + "#video-renditions")


@require_POST
def run_keep_layer(request, pk):
    """In an AWS account: keep the ffmpeg layer when the run is torn down, to reuse it next time.

    Recorded on the run (``outputs["keep_layer"]``, which the ffmpeg step reads); a layer version
    this run already published leaves the ledger, so teardown does not delete it."""
    run = _run_video(request, pk)
    if run.sandbox.is_local:
        messages.error(request, "The local sandbox has no layer: the function uses ffmpeg from this machine.")
        return redirect(run)
    outputs = {**run.outputs, "keep_layer": True}
    if not LabRun.objects.filter(pk=run.pk, status__in=[LabRun.Status.WAITING, LabRun.Status.LIVE]).update(outputs=outputs):
        messages.error(request, "The lab is busy or over: ask again while it waits for you.")
        return redirect(run)
    kept = list(run.ledger.filter(kind="lambda:layer-version", status__in=LedgerEntry.PRESENT))
    for entry in kept:
        RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, message=(
            f"You asked to keep the ffmpeg layer: teardown leaves {entry.physical_id or entry.name}. The next run reuses "
            f"it; delete it yourself with `{entry.manual_command()}`."))
        entry.delete()
    if not kept:
        RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, message=(
            "You asked to keep the ffmpeg layer: when this run publishes it, teardown leaves it for the next run."))
    messages.success(request, "The ffmpeg layer will be kept after teardown.")
    return redirect(run.get_absolute_url() + "#video-renditions")
