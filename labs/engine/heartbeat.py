"""A run's heartbeat, kept beating by a thread for as long as the process that claimed the run
works on it. Events beat too, but a step may wait long without writing one (a big transcode, a
function becoming active, a teardown waiting for invocations in flight): without this, the reaper
would take a working run for a dead one after ``LABS_STALL_SECONDS``."""

import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from labs.models import LabRun


def interval() -> float:
    """Four beats within the stall limit, and at most one every 10 s."""
    return max(0.2, min(10.0, settings.LABS_STALL_SECONDS / 4))


class Heartbeat:
    """``with Heartbeat(run_id, worker):`` beats while the block runs, only while ``worker`` holds the run."""

    def __init__(self, run_id: int, worker: str, last_beat=lambda: 0.0):
        # last_beat(): when (time.monotonic) the run last beat otherwise; the thread writes only
        # when the run has been quiet for a beat, so it rarely writes at the same time as the run.
        self.run_id, self.worker, self.last_beat = run_id, worker, last_beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-run-{run_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        return False

    def _beat(self):
        try:
            while not self._stop.wait(interval()):
                if time.monotonic() - self.last_beat() < interval():
                    continue
                try:
                    LabRun.objects.filter(pk=self.run_id, worker=self.worker, status__in=LabRun.BUSY).update(
                        heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - a locked database now and then: the next beat will do
                    pass
        finally:
            connection.close()  # this thread's own connection
