"""ffmpeg on the site's side of the video lab: where the binary is, the Lambda layer built from
it, and the test clips the verify uploads.

The binary is the static Linux x86_64 ffmpeg that imageio-ffmpeg ships. In the local sandbox
the function runs on this machine and is pointed at it (FFMPEG_PATH). For an AWS account the
lab packs it into a layer zip as ``bin/ffmpeg``: Lambda extracts layers under /opt and puts
/opt/bin on the PATH, so the function finds /opt/bin/ffmpeg. The zip is built once per binary
(byte-for-byte the same each time) and kept in ``var/labs/``.
"""

import hashlib
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

LAYER_NAME = "sa-ffmpeg"  # sa-: the prefix a learner's account role allows the labs to manage
LAYER_RUNTIMES = ("python3.12",)
LAYER_ARCHITECTURES = ("x86_64",)


def ffmpeg_binary() -> Path:
    """The ffmpeg executable imageio-ffmpeg ships (its own static build for this platform)."""
    import imageio_ffmpeg

    return Path(imageio_ffmpeg.get_ffmpeg_exe())


def cache_dir(kind: str) -> Path:
    folder = Path(settings.VAR_DIR) / "labs" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Binary:
    path: Path
    sha256: str
    size: int
    version: str

    @property
    def layer_description(self) -> str:
        # How a later run recognises a layer built from the very same binary (max 256 characters).
        return f"ffmpeg {self.version} (static, x86_64, from imageio-ffmpeg) sha256:{self.sha256}"


@cache
def _describe(path: str, size: int, mtime: float) -> Binary:
    digest = hashlib.sha256()
    with open(path, "rb") as binary:
        for chunk in iter(lambda: binary.read(1 << 20), b""):
            digest.update(chunk)
    return Binary(Path(path), digest.hexdigest(), size, version(path))


def describe(path: Path | None = None) -> Binary:
    """The binary with its SHA-256 and version (hashed once per file and modification time)."""
    path = Path(path or ffmpeg_binary())
    stat = path.stat()
    return _describe(str(path), stat.st_size, stat.st_mtime)


def version(path: str | Path) -> str:
    """``n9.0.2-...`` from ``ffmpeg -version``; raises if the binary does not run."""
    result = subprocess.run([str(path), "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"{path} -version exited with {result.returncode}: {result.stderr.strip()[:200]}")
    first = result.stdout.split("\n", 1)[0]  # "ffmpeg version n9.0.2-17-g... Copyright ..."
    return first.split()[2] if first.startswith("ffmpeg version ") else first[:40]


def layer_zip(binary: Binary) -> Path:
    """The layer archive (``bin/ffmpeg``, executable), built once per binary and kept."""
    target = cache_dir("layers") / f"ffmpeg-layer-{binary.sha256[:16]}.zip"
    if target.exists():
        return target
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            info = zipfile.ZipInfo("bin/ffmpeg", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 << 16)  # a regular file, rwxr-xr-x: Lambda keeps the mode
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(binary.path, "rb") as source, archive.open(info, "w", force_zip64=True) as entry:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    entry.write(chunk)
    os.replace(part.name, target)  # atomic: a concurrent run never sees half a zip
    return target


# Sample clips --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClipSpec:
    width: int
    height: int
    seconds: float
    fps: int = 30
    audio: bool = True
    bitrate_kbps: int = 12000  # about what a phone records 1080p at: the renditions must come out smaller

    @property
    def filename(self) -> str:
        return f"clip-{self.width}x{self.height}-{self.seconds:g}s-{self.fps}fps-{'a' if self.audio else 'n'}-{self.bitrate_kbps}k.mp4"


def clip_command(ffmpeg: str | Path, spec: ClipSpec, output: str | Path) -> list[str]:
    """A moving test pattern (with a little noise, so it compresses like camera footage) and a tone."""
    command = [str(ffmpeg), "-hide_banner", "-nostdin", "-v", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=size={spec.width}x{spec.height}:rate={spec.fps}:duration={spec.seconds}"]
    if spec.audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={spec.seconds}"]
    rate = f"{spec.bitrate_kbps}k"
    command += ["-vf", "noise=alls=6:allf=t+u", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", rate,
                "-maxrate", rate, "-bufsize", rate, "-pix_fmt", "yuv420p"]
    if spec.audio:
        command += ["-c:a", "aac", "-b:a", "192k", "-ac", "2", "-shortest"]
    return command + ["-movflags", "+faststart", str(output)]


def sample_clip(spec: ClipSpec, folder: Path | None = None) -> Path:
    """A clip made with ffmpeg to ``spec``, generated once and kept in ``folder`` (var/labs/clips/):
    the same binary and spec make the same file."""
    binary = describe()
    target = Path(folder or cache_dir("clips")) / f"{binary.sha256[:12]}-{spec.filename}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return target
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        part = Path(work) / spec.filename
        result = subprocess.run(clip_command(binary.path, spec, part), capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"ffmpeg could not make the test clip: {result.stderr.strip()[-300:]}")
        os.replace(part, target)
    return target

