"""Video transcoder: the Lambda function behind the video-processing lab.

S3 invokes it asynchronously when a video lands under ``uploads/``. For each record it:
1. decodes the key (``my clip.mp4`` arrives as ``my+clip.mp4``), asks S3 for the object's size
   (HeadObject: some sources' events omit ``size``, and an event may be stale), and downloads it to
   /tmp if it fits the function's ephemeral storage (EPHEMERAL_MB, set by the lab);
2. probes it with ffmpeg (size, rotation, duration, bitrate, audio);
3. runs ONE ffmpeg process that decodes it once into every rendition and a poster: phone 360p,
   tablet 720p, TV 1080p, each only if the source is that large, H.264/AAC MP4 with fast-start;
4. writes them and ``manifest.json`` (last) to OUTPUT_BUCKET: ``uploads/a/b.mp4`` -> ``a/b/...``.

A file that is not a video or is corrupt gets a manifest with ``"status": "error"`` and the
function returns normally (a retry cannot fix it); only what a retry may cure (S3) raises.
ffmpeg: FFMPEG_PATH (the local sandbox), else /opt/bin/ffmpeg (the lab's layer), else PATH.
This file ships to AWS as it is: standard library and boto3 only.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import unquote_plus

import boto3
from botocore.exceptions import ClientError

UPLOAD_PREFIX = "uploads/"
POSTER_AT_SECONDS = 1.0
SAFETY_SECONDS = 20  # left at the end of the invocation to write an error manifest
# What one upload may ask of the function: a short clip is a lab, an hour of 1080p (about 5 MB
# once compressed) is a quarter of an hour of CPU. The lab sets both; these are the defaults.
MAX_SECONDS = 600
MAX_PIXELS = 3840 * 2160  # 4K UHD


@dataclass(frozen=True)
class Rung:
    """One step of the bitrate ladder: who it is for, its size, and what it may spend."""
    name: str
    device: str
    height: int  # the short side: 360p is 640x360 landscape, 360x640 portrait
    video_kbps: int  # the cap (VBV maxrate); x264's quality target (CRF) usually spends less
    audio_kbps: int
    profile: str


LADDER = (
    Rung("phone", "Phones", 360, 800, 96, "main"),
    Rung("tablet", "Tablets", 720, 2800, 128, "high"),
    Rung("tv", "TVs", 1080, 5000, 160, "high"),
)

_s3 = None


class Unusable(Exception):
    """The upload cannot be turned into renditions; the message says why, for the manifest."""


def s3():
    global _s3  # created on first use and kept while the execution environment is warm
    _s3 = _s3 or boto3.client("s3")
    return _s3


def handler(event, context):
    outcomes = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        outcomes.append(process(bucket, key, _deadline(context)))
    return {"processed": outcomes}


def _deadline(context) -> float:
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 900
    return time.monotonic() + max(remaining - SAFETY_SECONDS, 10)


def output_name(key: str) -> str:
    """Where a source's outputs go: its key without ``uploads/`` and without the extension."""
    name = key[len(UPLOAD_PREFIX):] if key.startswith(UPLOAD_PREFIX) else key
    folder, _, file = name.rpartition("/")
    stem = os.path.splitext(file)[0] or file
    return f"{folder}/{stem}" if folder else stem


def process(bucket: str, key: str, deadline: float) -> dict:
    name = output_name(key)
    output_bucket = os.environ["OUTPUT_BUCKET"]
    head = stat(bucket, key)
    if head is None:  # deleted since the event: no manifest, which could overwrite a good one
        print(f"{key}: gone before it was processed")
        return {"key": key, "status": "gone"}
    source = {"bucket": bucket, "key": key, "size": head["ContentLength"], "etag": head.get("ETag", "").strip('"')}
    work = tempfile.mkdtemp(prefix="transcode-", dir=os.environ.get("TMPDIR") or None)
    started = time.monotonic()
    try:
        try:
            ffmpeg = ffmpeg_path()
            source_path = download(bucket, key, work, source["size"])
            timings = {"download": round(time.monotonic() - started, 3)}
            manifest = transcode(ffmpeg, source_path, work, name, deadline, timings)
        except Unusable as error:
            print(f"{key}: not processed: {error}")
            manifest = {"status": "error", "reason": str(error)}
            manifest.update(source=source, created=_now())
            put_json(output_bucket, f"{name}/manifest.json", manifest)
            return {"key": key, "status": "error", "reason": str(error)}
        upload_started = time.monotonic()
        for item in manifest["renditions"] + [manifest["poster"]]:
            s3().upload_file(os.path.join(work, item.pop("file")), output_bucket, item["key"], ExtraArgs={
                "ContentType": item["content_type"], "CacheControl": "max-age=86400"})
        timings["upload"] = round(time.monotonic() - upload_started, 3)
        manifest["source"].update(source)
        manifest.update(status="ok", seconds=timings, created=_now())
        put_json(output_bucket, f"{name}/manifest.json", manifest)  # last: its presence means "all done"
        print(f"{key}: {len(manifest['renditions'])} rendition(s) and a poster in "
              f"{time.monotonic() - started:.2f} s: {json.dumps(timings)}")
        return {"key": key, "status": "ok", "manifest": f"{name}/manifest.json"}
    finally:
        shutil.rmtree(work, ignore_errors=True)  # /tmp outlives the invocation in a warm environment


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def put_json(bucket: str, key: str, document: dict) -> None:
    s3().put_object(Bucket=bucket, Key=key, Body=json.dumps(document, indent=2, ensure_ascii=False).encode(),
                    ContentType="application/json", CacheControl="no-cache")


def ffmpeg_path() -> str:
    for candidate in (os.environ.get("FFMPEG_PATH"), "/opt/bin/ffmpeg", shutil.which("ffmpeg")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise Unusable("ffmpeg is not available to the function: attach the lab's ffmpeg layer (it provides "
                   "/opt/bin/ffmpeg) or set FFMPEG_PATH to an ffmpeg binary.")


def stat(bucket: str, key: str) -> dict | None:
    """HeadObject: the object as it is now, or None when it is gone (other errors may pass: raise)."""
    try:
        return s3().head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def download(bucket: str, key: str, work: str, size: int) -> str:
    if size == 0:
        raise Unusable("The upload is empty (0 bytes).")
    free = shutil.disk_usage(work).free  # in AWS the configured size; locally this machine's disk, so
    if os.environ.get("EPHEMERAL_MB", "").isdigit():  # the lab tells the function what it has
        free = min(free, int(os.environ["EPHEMERAL_MB"]) * 1024 * 1024)
    if size * 2 > free:  # the source plus its renditions must fit in /tmp
        raise Unusable(f"The upload is {size / 1e6:.0f} MB but the function has {free / 1e6:.0f} MB of /tmp: "
                       "raise its ephemeral storage to at least twice the largest upload.")
    path = os.path.join(work, "source")  # the learner's name plays no part in how ffmpeg reads it
    s3().download_file(bucket, key, path)
    return path


# What ffmpeg may open. Left to itself ffmpeg guesses the format, and some formats list other files
# (a DASH manifest or HLS playlist naming file:///etc/..., a concat list): uploaded as "clip.mp4",
# one would make ffmpeg read the host's files into renditions. So the container is recognised by
# its first bytes, ffmpeg uses exactly that demuxer, and it may open only the local file it is given.

CONTAINERS = {"mov": "MP4 / MOV / 3GP", "matroska": "Matroska / WebM", "avi": "AVI", "mpegts": "MPEG-TS",
              "mpeg": "MPEG program stream", "flv": "FLV", "ogg": "Ogg"}  # demuxer -> what the learner calls it
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
HEAD_BYTES = 1024


def sniff_container(head: bytes) -> str:
    """The one demuxer ffmpeg may use for a file that starts with ``head``; Unusable for
    anything that is not a video container (manifests, playlists, lists, text, images...)."""
    if len(head) >= 8 and head[4:8] in _ISO_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpeg"
    if len(head) >= 377 and head[0] == head[188] == head[376] == 0x47:
        return "mpegts"
    raise Unusable(f"This is not a video container the lab accepts ({', '.join(CONTAINERS.values())}): "
                   f"{_looks_like(head)}.")


def _looks_like(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"#extm3u"):
        return "it is an HLS playlist, which names other files"
    if b"<mpd" in text:
        return "it is a DASH manifest, which names other files"
    if text.startswith(b"ffconcat") or text.startswith(b"file "):
        return "it is an ffmpeg concat list, which names other files"
    if text.startswith(b"<") or text.startswith(b"{"):
        return "it is a text document (XML, HTML or JSON)"
    if not head:
        return "it is empty"
    return "its first bytes match no video format"


def container_of(path: str) -> str:
    with open(path, "rb") as file:
        return sniff_container(file.read(HEAD_BYTES))


def input_args(path: str, demuxer: str) -> list[str]:
    """ffmpeg's input options for a local file read with exactly one allowed demuxer."""
    if demuxer not in CONTAINERS:
        raise Unusable(f"{demuxer!r} is not a demuxer the lab allows.")
    return ["-f", demuxer, "-format_whitelist", ",".join(CONTAINERS), "-protocol_whitelist", "file",
            "-i", "file:" + path]


# Probing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    width: int  # as displayed: rotation and pixel aspect applied
    height: int
    duration: float | None
    bitrate: int | None  # bits per second, the whole file
    codec: str
    fps: float | None
    audio: bool


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_BITRATE = re.compile(r"Duration: .*?bitrate: (\d+) kb/s")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(.*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_SAR = re.compile(r"\[SAR (\d+):(\d+) DAR")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")


def probe(ffmpeg: str, path: str, timeout: float = 60, demuxer: str | None = None) -> Probe:
    """What ffmpeg says about a file (ffmpeg prints it on stderr when given no output)."""
    demuxer = demuxer or container_of(path)
    result = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", *input_args(path, demuxer)], capture_output=True,
                            text=True, errors="replace", timeout=timeout)
    return parse_probe(result.stderr)


def parse_probe(text: str) -> Probe:
    if "Invalid data found when processing input" in text or "moov atom not found" in text:
        raise Unusable("This is not a video ffmpeg can read (a different kind of file, or a corrupt or "
                       "truncated one): " + _last_line(text))
    video = next((match for match in _VIDEO.finditer(text) if "attached pic" not in match.group(2)), None)
    if video is None:
        if "Stream #" in text:
            raise Unusable("The file has no video stream (audio or data only).")
        raise Unusable("This is not a video ffmpeg can read: " + _last_line(text))
    size = _SIZE.search(video.group(2))
    if size is None:
        raise Unusable("The video stream has no frame size: the file is corrupt.")
    width, height = int(size.group(1)), int(size.group(2))
    sar = _SAR.search(video.group(2))
    if sar and int(sar.group(1)) and int(sar.group(2)):
        width = round(width * int(sar.group(1)) / int(sar.group(2)))  # non-square pixels, as displayed
    rotation = _ROTATION.search(text[video.start():])
    if rotation and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width  # phones store portrait video as rotated landscape
    duration = _DURATION.search(text)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))) if duration else None
    bitrate = _BITRATE.search(text)
    fps = _FPS.search(video.group(2))
    audio = bool(re.search(r"Stream #\S+.*?: Audio: ", text))
    return Probe(width, height, seconds, int(bitrate.group(1)) * 1000 if bitrate else None, video.group(1),
                 float(fps.group(1)) if fps else None, audio)


def check_limits(info: Probe) -> None:
    """Refuse work out of proportion to a lab: too long or too large a picture (the env can set both)."""
    max_seconds = float(os.environ.get("MAX_SECONDS") or MAX_SECONDS)
    max_pixels = int(os.environ.get("MAX_PIXELS") or MAX_PIXELS)
    if info.duration is None:
        raise Unusable("The video does not say how long it is: the file is incomplete or a live stream.")
    if info.duration > max_seconds:
        raise Unusable(f"The video is {info.duration:.0f} s long; this function transcodes at most {max_seconds:.0f} s. "
                       "Upload a shorter clip.")
    if info.width * info.height > max_pixels:
        raise Unusable(f"The video is {info.width}x{info.height}; this function transcodes at most "
                       f"{max_pixels:,} pixels a frame (4K UHD is 3840x2160).")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


# Transcoding -------------------------------------------------------------------------------

def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def plan(width: int, height: int) -> list[tuple[Rung, int, int]]:
    """The renditions for a source of this displayed size: each rung no taller (on its short
    side) than the source; a source smaller than every rung gets one phone rendition at its own size."""
    short = min(width, height)
    rungs = [rung for rung in LADDER if rung.height <= short]
    if not rungs:
        rungs = [Rung(LADDER[0].name, LADDER[0].device, _even(short), LADDER[0].video_kbps, LADDER[0].audio_kbps,
                      LADDER[0].profile)]
    planned = []
    for rung in rungs:
        scale = rung.height / short
        out_w, out_h = _even(width * scale), _even(height * scale)
        if width >= height:
            out_h = rung.height
        else:
            out_w = rung.height
        planned.append((rung, out_w, out_h))
    return planned


def ffmpeg_command(ffmpeg: str, source: str, work: str, planned, poster_size: tuple[int, int],
                   poster_at: float, audio: bool, demuxer: str = "mov") -> list[str]:
    """One process, one decode: ``split`` fans the decoded frames out to every output."""
    branches = [f"[v{index}]" for index in range(len(planned))] + ["[vp]"]
    graph = [f"[0:v]split={len(branches)}{''.join(branches)}"]
    for index, (_, width, height) in enumerate(planned):
        graph.append(f"[v{index}]scale={width}:{height}:flags=bicubic,setsar=1[o{index}]")
    graph.append(f"[vp]select='gte(t\\,{poster_at:.3f})',scale={poster_size[0]}:{poster_size[1]}:flags=bicubic,"
                 "setsar=1[op]")
    command = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y", *input_args(source, demuxer),
               "-filter_complex", ";".join(graph)]
    for index, (rung, width, height) in enumerate(planned):
        command += ["-map", f"[o{index}]"]
        if audio:
            command += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{rung.audio_kbps}k", "-ac", "2"]
        command += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", rung.profile, "-crf", "23",
                    "-maxrate", f"{rung.video_kbps}k", "-bufsize", f"{rung.video_kbps}k", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", "-map_metadata", "-1", "-sn", "-dn",
                    os.path.join(work, f"{rung.name}-{min(width, height)}p.mp4")]
    command += ["-map", "[op]", "-frames:v", "1", "-q:v", "3", "-update", "1", "-map_metadata", "-1",
                os.path.join(work, "poster.jpg")]
    return command


def transcode(ffmpeg: str, source: str, work: str, name: str, deadline: float, timings: dict) -> dict:
    started = time.monotonic()
    demuxer = container_of(source)
    check_limits(info := probe(ffmpeg, source, timeout=max(deadline - started, 5), demuxer=demuxer))
    planned = plan(info.width, info.height)
    poster = (planned[-1][1], planned[-1][2])  # the size of the largest rendition: no jump when it starts
    poster_at = min(POSTER_AT_SECONDS, (info.duration or 0) / 3)
    print(f"{name}: {info.width}x{info.height} {info.codec}, {info.duration or '?'} s, "
          f"{'with' if info.audio else 'no'} audio -> " + ", ".join(f"{r.name} {w}x{h}" for r, w, h in planned))
    command = ffmpeg_command(ffmpeg, source, work, planned, poster, poster_at, info.audio, demuxer)
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                timeout=max(deadline - time.monotonic(), 5))
    except subprocess.TimeoutExpired:
        raise Unusable("Transcoding did not finish within the function's timeout: give the function more "
                       "memory (more CPU) or a longer timeout, or upload a shorter video.") from None
    if result.returncode != 0:
        raise Unusable("ffmpeg could not transcode the upload (corrupt or unsupported): " + _last_line(result.stderr))
    timings["transcode"] = round(time.monotonic() - started, 3)
    renditions = []
    for rung, width, height in planned:
        file = f"{rung.name}-{min(width, height)}p.mp4"
        made, size = probe(ffmpeg, os.path.join(work, file), demuxer="mov"), os.path.getsize(os.path.join(work, file))
        duration = made.duration or info.duration or 0
        if info.duration and duration < info.duration * 0.9 - 0.5:
            raise Unusable(f"Only {duration:.1f} s of the {info.duration:.1f} s video could be decoded: the upload "
                           "is truncated or corrupt.")
        renditions.append({
            "name": rung.name, "device": rung.device, "key": f"{name}/{file}", "file": file,
            "width": made.width, "height": made.height, "duration": round(duration, 3), "size": size,
            "bitrate": round(size * 8 / duration) if duration else None,
            "max_video_bitrate": rung.video_kbps * 1000, "audio_bitrate": rung.audio_kbps * 1000 if info.audio else 0,
            "codecs": "avc1,mp4a" if info.audio else "avc1", "content_type": "video/mp4",
        })
    poster_path = os.path.join(work, "poster.jpg")
    if not os.path.exists(poster_path) or os.path.getsize(poster_path) == 0:
        raise Unusable("ffmpeg wrote no poster frame: the video has no decodable frames.")
    return {"source": {"width": info.width, "height": info.height, "duration": info.duration, "bitrate": info.bitrate,
                       "codec": info.codec, "fps": info.fps, "audio": info.audio}, "renditions": renditions,
            "poster": {"key": f"{name}/poster.jpg", "file": "poster.jpg", "width": poster[0], "height": poster[1],
                       "at": round(poster_at, 3), "size": os.path.getsize(poster_path), "content_type": "image/jpeg"}}
