"""Runs that stopped moving: their worker died or went silent, or they sat idle past their time.
:func:`reap` (a periodic task, and at start-up) queues a teardown for each."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs.engine.owners import owner_gone
from labs.models import LabRun, RunEvent

Status, Action, Outcome = LabRun.Status, LabRun.Action, LabRun.Outcome


def stalled(now=None) -> list[LabRun]:
    """Runs holding a claim (running, tearing down, or queued) whose owner died or went silent."""
    now = now or timezone.now()
    candidates = LabRun.objects.filter(status__in=[Status.RUNNING, Status.TEARING_DOWN, Status.QUEUED])
    return [run for run in candidates.select_related("sandbox") if owner_gone(run, now)]


def take_over(run: LabRun, now=None, *, enqueue=None) -> bool:
    """Queue a teardown for ``run`` if its owner is still the dead one; True when this call took it."""
    now = now or timezone.now()
    why = owner_gone(run, now)
    if not why:
        return False
    with transaction.atomic():
        taken = LabRun.objects.filter(pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at,
                                      updated_at=run.updated_at).update(
            status=Status.QUEUED, pending_action=Action.TEARDOWN, pending_step="", updated_at=now, task_id="",
            outcome=run.outcome or Outcome.CRASHED)
        if taken:
            RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, status=RunEvent.Status.FAIL, message=(
                f"This run lost its worker: {why}. Tearing down everything it recorded, including what it was "
                "creating."))
            if enqueue is not None:
                enqueue(run.pk)
    return bool(taken)


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
        if can_tear_down(run) and take_over(run, now, enqueue=enqueue):
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
