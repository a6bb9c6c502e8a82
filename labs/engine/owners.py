"""Who owns a run right now, and whether that owner is still alive.

A run is owned by a process while it is ``running`` or ``tearing_down`` (the ``host:pid`` it
recorded when it claimed the run) and by a task while it is ``queued`` (the ``task_id`` of the
worker task that will claim it, or the CLI that is about to). An owner is dead when its process
no longer exists on this host, when it has been silent past ``LABS_STALL_SECONDS``, or, for a
queued run, when its task is gone: never recorded, finished without claiming the run, or taken by a
worker that never moved the run on (the worker died between taking the task and claiming the run)."""

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from labs.models import LabRun

Status = LabRun.Status


def process_gone(worker: str) -> bool:
    """True when ``host:pid`` names a process of this host that no longer runs."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only the heartbeat can tell
    if int(pid) == os.getpid():
        return True  # this process is asking, so it is not running that run
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet waited for is a zombie: it still "exists"
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return False


def task_state(task_id: str) -> str:
    """The django-tasks status of a run's task ("READY", "RUNNING", ...), or "" when there is none."""
    if not task_id:
        return ""
    from django_tasks import default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    try:
        return str(default_task_backend.get_result(task_id).status)
    except (TaskResultDoesNotExist, NotImplementedError):
        return ""


def owner_gone(run: LabRun, now=None) -> str:
    """Why ``run`` has no live owner (a sentence), or "" when someone is working on it."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.LABS_STALL_SECONDS)
    if run.status in (Status.RUNNING, Status.TEARING_DOWN):
        if process_gone(run.worker):
            return f"the process running it ({run.worker}) has ended"
        if run.heartbeat_at is None or run.heartbeat_at < limit:
            return f"the process running it ({run.worker or 'unknown'}) has been silent since {run.heartbeat_at or 'it started'}"
        return ""
    if run.status == Status.QUEUED and run.updated_at < limit:
        state = task_state(run.task_id)
        if state == "READY":
            return ""  # still waiting its turn in the queue
        if state == "RUNNING":
            return "a worker took its task and stopped before starting it"
        if state:
            return "its task ended without starting it"
        return "no task is queued for it"
    return ""
