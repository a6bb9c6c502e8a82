"""Runs that stopped moving: their worker died or went silent, or they sat idle past their time.
:func:`reap` (a periodic task, and at start-up) queues a teardown for each."""

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs.models import LabRun, RunEvent

Status, Action, Outcome = LabRun.Status, LabRun.Action, LabRun.Outcome


def _process_gone(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only the heartbeat can tell
    if int(pid) == os.getpid():
        return True  # this process is reaping, so it is not running that run
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


def stalled(now=None) -> list[LabRun]:
    """Runs a worker was working on when it died or stopped answering."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.LABS_STALL_SECONDS)
    found = []
    for run in LabRun.objects.filter(status__in=[Status.RUNNING, Status.TEARING_DOWN]).select_related("sandbox"):
        if run.heartbeat_at is None or run.heartbeat_at < limit or _process_gone(run.worker):
            found.append(run)
    return found


def reap(now=None, *, enqueue) -> list[int]:
    """Queue a teardown for runs whose worker died and for runs left idle past their time;
    ``enqueue(run_id)`` hands each to the worker once the transaction commits."""
    now = now or timezone.now()
    queued = []
    local_up = None

    def can_tear_down(run) -> bool:
        # The periodic task also runs as `make run` starts, maybe before the sandbox answers:
        # leave a local run for the next tick rather than fail its teardown.
        nonlocal local_up
        if not run.sandbox.is_local:
            return True
        if local_up is None:
            from labs.sandbox import health

            local_up = health().up
        return local_up

    for run in stalled(now):
        if not can_tear_down(run):
            continue
        with transaction.atomic():
            taken = LabRun.objects.filter(pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at).update(
                status=Status.QUEUED, pending_action=Action.TEARDOWN, pending_step="", updated_at=now,
                outcome=run.outcome or Outcome.CRASHED)
            if taken:
                RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, status=RunEvent.Status.FAIL, message=(
                    f"The worker running this lab ({run.worker or 'unknown'}) stopped mid-way. Tearing down everything "
                    "it recorded, including what it was creating."))
                enqueue(run.pk)
                queued.append(run.pk)
    for run in LabRun.objects.filter(status__in=[Status.WAITING, Status.LIVE], teardown_after__lt=now).select_related("sandbox"):
        if not can_tear_down(run):
            continue
        with transaction.atomic():
            taken = LabRun.objects.filter(pk=run.pk, status=run.status).update(
                status=Status.QUEUED, pending_action=Action.TEARDOWN, pending_step="", updated_at=now,
                outcome=run.outcome or Outcome.EXPIRED, message=(
                    "" if run.outcome == Outcome.PASSED else "This run was left idle past its time, so it was torn "
                    "down to leave nothing running. Start a new run to carry on."))
            if taken:
                RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, message=(
                    "Time is up for this run: tearing it down so nothing is left running."))
                enqueue(run.pk)
                queued.append(run.pk)
    return queued
