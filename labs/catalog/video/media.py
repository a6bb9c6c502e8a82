"""Reading what the video function wrote, with code of its own (not the function's): MP4 boxes
(duration, track sizes, audio, index before the media), a JPEG's start-of-frame, and a full
decode by ffmpeg."""

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video.functions.video_transcoder import app as transcoder


def mp4_boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, box end) for each box between start and end."""
    end = len(data) if end is None else end
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[position + 8:position + 16])[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            raise ValueError(f"a box at byte {position} claims {size} bytes")
        yield kind.decode("latin-1"), position + header, position + size
        position += size


@dataclass(frozen=True)
class Mp4:
    top_level: tuple[str, ...]
    duration: float
    video: tuple[int, int] | None  # width, height of the first video track
    audio: bool

    @property
    def fast_start(self) -> bool:
        """The index (moov) comes before the media (mdat): a browser can start playing at once."""
        boxes = list(self.top_level)
        return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")


def mp4_info(data: bytes) -> Mp4:
    top = list(mp4_boxes(data))
    kinds = tuple(kind for kind, _, _ in top)
    if not kinds or kinds[0] != "ftyp":
        raise ValueError("not an MP4 file (no ftyp box first)")
    moov = next(((start, end) for kind, start, end in top if kind == "moov"), None)
    if moov is None:
        raise ValueError("the MP4 has no moov box (no index)")
    duration, video_size, audio = 0.0, None, False
    for kind, start, end in mp4_boxes(data, *moov):
        if kind == "mvhd":
            version = data[start]
            if version == 1:
                timescale, length = struct.unpack(">IQ", data[start + 20:start + 32])
            else:
                timescale, length = struct.unpack(">II", data[start + 12:start + 20])
            duration = length / timescale if timescale else 0.0
        elif kind == "trak":
            size, handler = None, ""
            for inner, inner_start, inner_end in mp4_boxes(data, start, end):
                if inner == "tkhd":
                    width, height = struct.unpack(">II", data[inner_end - 8:inner_end])
                    size = (width >> 16, height >> 16)
                elif inner == "mdia":
                    for part, part_start, _ in mp4_boxes(data, inner_start, inner_end):
                        if part == "hdlr":
                            handler = data[part_start + 8:part_start + 12].decode("latin-1")
            if handler == "vide" and video_size is None:
                video_size = size
            audio = audio or handler == "soun"
    return Mp4(kinds, duration, video_size, audio)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no FFD8 start-of-image marker)")
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError(f"corrupt JPEG: no marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    raise ValueError("the JPEG has no start-of-frame segment")


@dataclass(frozen=True)
class Decoded:
    ok: bool
    frames: int
    seconds: float
    errors: str


def decode(path: str | Path) -> Decoded:
    """Decode every stream of a file to nowhere with ffmpeg; errors and what was decoded."""
    binary = video_ffmpeg.describe().path
    try:  # a "rendition" is whatever sits in the learner's bucket: read it only as a video container
        source = transcoder.input_args(str(path), transcoder.container_of(str(path)))
    except transcoder.Unusable as refused:
        return Decoded(False, 0, 0.0, str(refused))
    result = subprocess.run([str(binary), "-hide_banner", "-nostdin", "-v", "error", *source, "-map", "0",
                             "-f", "null", "-", "-progress", "pipe:1", "-nostats"],
                            capture_output=True, text=True, errors="replace", timeout=120)
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    frames = int(values.get("frame", "0") or 0)
    seconds = int(values.get("out_time_us", "0") or 0) / 1e6 if values.get("out_time_us", "N/A") != "N/A" else 0.0
    return Decoded(result.returncode == 0 and not result.stderr.strip(), frames, seconds, result.stderr.strip()[-300:])
