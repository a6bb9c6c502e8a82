"""Writes on lab runs that views, commands and tasks call. The work itself happens in a task
(:mod:`labs.engine.tasks`), enqueued once the transaction that asked for it commits."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs import aws
from labs.engine.tasks import enqueue_run
from labs.models import LabRun, RunEvent, Sandbox
from own_account import guardrails

Status, Action, Outcome = LabRun.Status, LabRun.Action, LabRun.Outcome


class RunBusy(Exception):
    """The run cannot take this request now; the message says why."""


def lab_run_start(*, user, lab, mode: str, website_origin: str, sandbox: Sandbox | None = None,
                  explore_seconds: int | None = None, keep: bool = False, enqueue: bool = True) -> LabRun:
    """Open a run of ``lab`` for ``user``. An automatic run is queued at once; a guided run waits
    for the learner. ``enqueue=False`` leaves an automatic run queued for the caller to execute
    (the `lab run` command runs it in its own process)."""
    sandbox = sandbox or Sandbox.local_for(user)
    refusal = guardrails.deploy_refusal(sandbox)
    if refusal:
        raise aws.SandboxUnavailable(refusal)
    now = timezone.now()
    automatic = mode == LabRun.Mode.AUTO
    with transaction.atomic():
        run = LabRun.objects.create(
            user=user, sandbox=sandbox, lab_slug=lab.slug, mode=mode, website_origin=website_origin,
            status=Status.QUEUED if automatic else Status.WAITING,
            pending_action=Action.AUTO if automatic else "",
            step_states={step.slug: "pending" for step in lab.steps},
            explore_seconds=settings.LABS_EXPLORE_SECONDS if explore_seconds is None else explore_seconds,
            keep_after_verify=keep,
            teardown_after=None if automatic else now + timedelta(seconds=settings.LABS_IDLE_SECONDS),
        )
        if sandbox.is_aws:
            # The app is served from its S3 website in AWS: that is the origin its API must allow.
            run.website_origin = guardrails.aws_website_origin(run) or run.website_origin
            run.save(update_fields=["website_origin"])
        RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, message=(
            f"Started {lab.title} in {run.get_mode_display().lower()} mode in {sandbox.where}. "
            f"Every resource is named {run.prefix}-… and tagged with the run."))
        if automatic and enqueue:
            enqueue_run(run.pk)
    return run


def lab_run_request(*, run: LabRun, action: str, step: str = "") -> None:
    """Ask the engine to do ``action`` (apply/check a step, run the rest, verify) on a guided run."""
    lab = run.lab
    if action not in (Action.APPLY, Action.CHECK, Action.AUTO, Action.VERIFY):
        raise RunBusy(f"Unknown action {action!r}.")
    if action in (Action.APPLY, Action.CHECK):
        try:
            step_title = lab.step(step).title
        except KeyError:
            raise RunBusy(f"This lab has no step {step!r}.") from None
    else:
        step, step_title = "", ""
    now = timezone.now()
    with transaction.atomic():
        taken = LabRun.objects.filter(pk=run.pk, status__in=[Status.WAITING, Status.LIVE]).update(
            status=Status.QUEUED, pending_action=action, pending_step=step, updated_at=now,
            teardown_after=now + timedelta(seconds=settings.LABS_IDLE_SECONDS) if run.status == Status.WAITING
            else run.teardown_after)
        if not taken:
            raise RunBusy(_busy_message(run))
        label = Action(action).label + (f": {step_title}" if step_title else "")
        RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, step=step, message=f"You asked: {label}.")
        enqueue_run(run.pk)
    run.refresh_from_db()


def _busy_message(run: LabRun) -> str:
    run.refresh_from_db(fields=["status"])
    if run.is_finished:
        return "This run is over: start a new one to try again."
    return "The lab is busy with your last request: wait for it to finish, then try again."


def lab_run_teardown(*, run: LabRun) -> None:
    """Finish or abandon a run: delete what it created. A busy run stops after its current step."""
    now = timezone.now()
    with transaction.atomic():
        outcome = run.outcome or Outcome.ABANDONED
        taken = LabRun.objects.filter(
            pk=run.pk, status__in=[Status.WAITING, Status.LIVE, Status.TEARDOWN_FAILED, Status.KEPT],
        ).update(status=Status.QUEUED, pending_action=Action.TEARDOWN, pending_step="", outcome=outcome, updated_at=now)
        if taken:
            message = ("You finished: tearing down the app." if outcome == Outcome.PASSED
                       else "You asked to tear everything down.")
            RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, message=message)
            enqueue_run(run.pk)
        elif LabRun.objects.filter(pk=run.pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
                abandon_requested=True, updated_at=now):
            RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN,
                                    message="You asked to stop: tearing down after the current step.")
    run.refresh_from_db()


def lab_runs_teardown_all(*, user) -> int:
    """Tear down every run of ``user`` that still holds resources (one click on the labs page)."""
    from labs.selectors import runs_holding_resources

    runs = runs_holding_resources(user)
    for run in runs:
        lab_run_teardown(run=run)
    return len(runs)
