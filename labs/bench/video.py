"""What the lab engine costs on top of ffmpeg, for the video lab.

The floor is ffmpeg itself: :func:`baseline_ffmpeg` runs the very code the function runs on an
upload (``transcode`` in ``labs/catalog/video/functions/video_transcoder/app.py``: probe, ONE ffmpeg process
writing the 360p, 720p and 1080p renditions and the poster, then reading each output back) on
the 5-second 1080p clip with audio the verify uploads, directly in this process, nothing around
it. The engine side is an automatic run started the way the site starts one (a ``LabRun``, a
task in the database queue) and timed from enqueue to cleaned while a real ``db_worker`` deploys
(two buckets, role, function, trigger), verifies (uploads the clip plus two small files, waits
for the function in MiniStack, downloads and decodes every rendition) and tears down. Rounds
alternate which goes first.

    python manage.py lab bench --lab video --rounds 5
"""

import contextlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack

from django.conf import settings
from django.utils import timezone

from labs import sandbox
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video import verify as video_verify
from labs.catalog.video.functions.video_transcoder import app as transcoder

ARRIVED = re.compile(r"transcoded ([\d.]+) s after the upload")
IN_FUNCTION = re.compile(r"\btranscode ([\d.]+) s\b")


def baseline_ffmpeg(clip) -> dict:
    """The function's ffmpeg work on ``clip``, run directly. Seconds."""
    binary = str(video_ffmpeg.describe().path)
    work = tempfile.mkdtemp(prefix="bench-ffmpeg-")
    try:
        started = time.perf_counter()
        timings = {}
        with contextlib.redirect_stdout(io.StringIO()):  # the function logs what it plans
            transcoder.transcode(binary, str(clip), work, "bench", time.monotonic() + 600, timings)
        return {"ffmpeg": time.perf_counter() - started, "total": time.perf_counter() - started}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def engine_video(user, sandbox_row, *, timeout: float = 180.0) -> dict:
    """One automatic run of the video lab through the task queue, timed from enqueue to cleaned."""
    from labs import services
    from labs.catalog import get_lab
    from labs.models import LabRun

    started_at, started = timezone.now(), time.perf_counter()
    run = services.lab_run_start(user=user, lab=get_lab("video"), mode=LabRun.Mode.AUTO, sandbox=sandbox_row,
                                 website_origin=settings.LABS_SITE_ORIGIN, explore_seconds=0)
    while not LabRun.objects.filter(pk=run.pk, status__in=LabRun.FINISHED).exists():
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"run {run.pk} did not finish within {timeout:.0f} s")
        time.sleep(0.01)
    total = time.perf_counter() - started
    run.refresh_from_db()
    if run.outcome != LabRun.Outcome.PASSED or run.status != LabRun.Status.CLEANED:
        raise RuntimeError(f"run {run.pk} ended {run.outcome}/{run.status}: {run.message}")
    events = list(run.events.order_by("id"))
    first_step = next(e.at for e in events if e.kind == "step")
    verify_start = next(e.at for e in events if e.kind == "verify")
    teardown_start = next(e.at for e in events if e.kind == "teardown")
    upload = next(e.message for e in events if e.kind == "verify" and e.step == "upload")
    arrived, inside = ARRIVED.search(upload), IN_FUNCTION.search(upload)
    return {
        "queue": (first_step - started_at).total_seconds(),
        "deploy": (verify_start - first_step).total_seconds(),
        "verify": (teardown_start - verify_start).total_seconds(),
        "upload->renditions": float(arrived.group(1)) if arrived else float("nan"),
        "ffmpeg in function": float(inside.group(1)) if inside else float("nan"),
        "teardown": (events[-1].at - teardown_start).total_seconds(),
        "total": total,
        "events": len(events),
    }


def run_video_bench(*, rounds: int, out=sys.stdout) -> dict:
    """Alternate ffmpeg-direct and the engine ``rounds`` times (after a warm-up of each); print the figures."""
    from django.contrib.auth import get_user_model

    from labs.models import LabRun, Sandbox

    spec = video_verify.main_spec()
    clip = video_ffmpeg.sample_clip(spec)  # made once; the worker's verify finds it in the same var/ folder
    out.write(f"Clip: {clip.name} ({clip.stat().st_size / 1e6:.1f} MB, {spec.width}x{spec.height}, {spec.seconds:g} s, "
              f"with audio); ffmpeg {video_ffmpeg.describe().version}; {os.cpu_count()} CPU(s)\n")
    with ExitStack() as stack:
        url = settings.LABS_SANDBOX_URL
        if not sandbox.health(url).up:
            local = stack.enter_context(sandbox.LocalSandbox(sandbox.free_port()))
            url = local.url
            out.write(f"Started a MiniStack for the benchmark at {url}\n")
        env = {**os.environ, "LABS_SANDBOX_URL": url, "VAR_DIR": str(settings.VAR_DIR)}
        worker_args = list(settings.SITE_PROCESSES["worker"])
        worker = subprocess.Popen([sys.executable, "manage.py", *worker_args, "--no-startup-delay", "-v", "0"],
                                  cwd=settings.BASE_DIR, env=env)
        stack.callback(lambda: (worker.terminate(), worker.wait(10)))
        settings.LABS_SANDBOX_URL = url
        user, _ = get_user_model().objects.get_or_create(username="lab-bench", defaults={"is_active": False})
        sandbox_row = Sandbox.local_for(user)
        out.write(f"Worker: manage.py {' '.join(worker_args)} (pid {worker.pid}); sandbox account {sandbox_row.account_id}\n")

        def baseline():
            return baseline_ffmpeg(clip)

        def engine():
            return engine_video(user, sandbox_row)

        baseline(), engine()  # warm-up: page cache, imports, the first Lambda worker
        results = {"ffmpeg": [], "engine": []}
        for number in range(1, rounds + 1):
            order = (("ffmpeg", baseline), ("engine", engine)) if number % 2 else (("engine", engine), ("ffmpeg", baseline))
            for name, measure in order:
                phases = measure()
                results[name].append(phases)
                shown = "  ".join(f"{key} {value:.2f}" for key, value in phases.items() if key not in ("total", "events"))
                extra = f"  ({phases['events']} events)" if "events" in phases else ""
                out.write(f"round {number}  {name:6}  {shown}  total {phases['total']:.2f} s{extra}\n")
        LabRun.objects.filter(user=user).delete()

    base = statistics.median(p["total"] for p in results["ffmpeg"])
    eng = statistics.median(p["total"] for p in results["engine"])
    ratio = eng / base
    verdict = "OK" if ratio <= 1.5 else "OVER BUDGET"
    out.write(f"median of {rounds}: ffmpeg directly {base:.2f} s, engine (deploy, verify with the clip, teardown) "
              f"{eng:.2f} s, ratio {ratio:.2f}x (budget: within 1.5x): {verdict}\n")
    return {"ffmpeg": base, "engine": eng, "ratio": ratio, "rounds": results}
