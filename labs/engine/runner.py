"""The lab engine: performs a run's pending action, writing every step, check, AWS action and
verify result as an event, and every resource to the ledger before it exists.

Called by the task worker (``labs.engine.tasks.execute_run``) and by ``manage.py lab run``; never
inside a web request. One action at a time per run: a run is claimed by moving it from
``queued`` to ``running`` in one UPDATE, and records which process holds it (host:pid) with
a heartbeat, so :func:`labs.engine.reaper.reap` can tell a run whose worker died from one that is working.

What happens after a failure depends on the mode. An automatic run tears everything down
when a step or the verify fails. A guided run leaves the learner in charge (fix it and check
again, or abandon), and is torn down when they finish, abandon, or leave it idle.
"""

import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from labs import aws
from labs.engine import restarts
from labs.engine.heartbeat import Heartbeat
from labs.engine.teardown import teardown
from labs.engine.endpoints import Deployment, execute_api_url
from labs.engine.lab import RUN_TAG, CheckResult, Context, Names, StepBlocked
from labs.models import LabRun, LedgerEntry, RunEvent

Status, Action, Outcome = LabRun.Status, LabRun.Action, LabRun.Outcome
READ_OPERATIONS = ("Get", "List", "Describe", "Head")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DbRecorder:
    """Writes a run's events and ledger to the database, and keeps its heartbeat fresh."""

    def __init__(self, run: LabRun, echo=None):
        self.run = run
        self.echo = echo  # e.g. the `lab run` command printing progress
        self.step = ""  # the step whose AWS actions are being recorded
        self.last_beat = 0.0

    def event(self, kind, message, *, status="info", step="", detail=None):
        event = RunEvent.objects.create(run_id=self.run.pk, kind=kind, status=status, step=step, message=message,
                                        detail=detail or {})
        if self.echo:
            self.echo(event)
        self.beat()
        return event

    def beat(self):
        now = time.monotonic()
        if now - self.last_beat >= 1.0:
            self.last_beat = now
            LabRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())

    def aws_call(self, service, operation, http_status, milliseconds, error):
        if operation.startswith(READ_OPERATIONS) and not (http_status is None or http_status >= 500):
            return  # reads are part of checks; the page shows actions
        ok = http_status is not None and http_status < 300
        if not ok and operation.startswith(("Delete", "Remove")) and error in aws.NOT_FOUND_CODES:
            message, status = f"{service} {operation}: already gone", RunEvent.Status.INFO
        else:
            message = f"{service} {operation}" + ("" if ok else f" failed: {error or http_status}")
            status = RunEvent.Status.OK if ok else RunEvent.Status.FAIL
        self.event(RunEvent.Kind.AWS, message, status=status,
                   step=self.step, detail={"http": http_status, "ms": milliseconds, "error": error})

    def ledger_creating(self, kind, name, region, physical_id=""):
        entry, created = LedgerEntry.objects.get_or_create(
            run_id=self.run.pk, kind=kind, name=name,
            defaults={"region": region, "physical_id": physical_id, "status": LedgerEntry.Status.CREATING},
        )
        if not created and not entry.is_present:
            entry.status = LedgerEntry.Status.CREATING
            entry.save(update_fields=["status"])
        return entry.pk

    def ledger_created(self, entry_id, *, physical_id="", arn=""):
        fields = {"status": LedgerEntry.Status.CREATED}
        if physical_id:
            fields["physical_id"] = physical_id
        if arn:
            fields["arn"] = arn
        LedgerEntry.objects.filter(pk=entry_id).update(**fields)

    def adopt(self, found, region):
        """Resources a check found under the lab's names (made by hand) join the ledger."""
        for item in found:
            entry, created = LedgerEntry.objects.get_or_create(
                run_id=self.run.pk, kind=item.kind, name=item.name,
                defaults={"region": region, "physical_id": item.physical_id or item.name, "arn": item.arn,
                          "status": LedgerEntry.Status.CREATED, "adopted": True},
            )
            if not created and (entry.status != LedgerEntry.Status.CREATED or (item.physical_id and not entry.physical_id)):
                entry.status = LedgerEntry.Status.CREATED
                entry.physical_id = entry.physical_id or item.physical_id
                entry.arn = entry.arn or item.arn
                entry.save(update_fields=["status", "physical_id", "arn"])


def public_api_base(run: LabRun, target: aws.Target):
    """Where the deployed website's JavaScript sends its API calls."""
    if target.is_local:
        from django.urls import reverse

        # Through the site's front door, which forwards to the emulator in the learner's account.
        return lambda api_id, stage: reverse("labs:run_api_root", kwargs={"pk": run.pk}).rstrip("/")
    return lambda api_id, stage: execute_api_url(target, api_id, stage, "").rstrip("/")


def context_for(run: LabRun, recorder) -> Context:
    from own_account.guardrails import deploy_refusal

    refusal = deploy_refusal(run.sandbox)  # an unconfirmed or blocklisted account, a region not allowed
    if refusal:
        raise aws.SandboxUnavailable(refusal)
    target = aws.target_for(run.sandbox)
    if target.is_local:
        from labs.sandbox import down_message

        down = down_message(target.endpoint_url)
        if down:
            raise aws.SandboxUnavailable(down)
    clients = aws.Clients(target, on_call=recorder.aws_call)
    outputs = dict(run.outputs)
    return Context(
        clients=clients, names=Names(run.prefix), region=target.region, account_id=run.sandbox.account_id,
        recorder=recorder, website_origin=run.website_origin, public_api_base=public_api_base(run, target),
        outputs=outputs, deployment=Deployment(target, clients, outputs),
        tags={RUN_TAG: run.prefix, f"{RUN_TAG}-id": str(run.pk)},
    )


def claim(run_id: int) -> LabRun | None:
    """Take a queued run for this process, or None if it is not queued (someone else has it)."""
    now = timezone.now()
    claimed = LabRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, worker=worker_id(), heartbeat_at=now, updated_at=now)
    if not claimed:
        return None
    return LabRun.objects.select_related("sandbox", "user").get(pk=run_id)


def execute(run_id: int, *, echo=None) -> LabRun | None:
    """Perform the pending action of a queued run. Returns the run as it ends, or None."""
    run = claim(run_id)
    if run is None:
        return None
    recorder = DbRecorder(run, echo)
    with Heartbeat(run.pk, run.worker, last_beat=lambda: recorder.last_beat):
        return _perform(run, recorder)


def _perform(run: LabRun, recorder: "DbRecorder") -> LabRun:
    lab = run.lab
    action = run.pending_action
    try:
        if lab is None:
            raise StepBlocked(f"This site has no lab {run.lab_slug!r} any more.")
        if run.abandon_requested:
            abandon(run, recorder)
            return run
        if action == Action.TEARDOWN:
            teardown(run, recorder)
            return run
        ctx = context_for(run, recorder)
        if restarts.check_before(run, ctx.clients.target, recorder) and action in (Action.CHECK, Action.VERIFY):
            settle(run, recorder)  # nothing to check: the learner builds again first
            return run
        if action in (Action.APPLY, Action.CHECK):
            run_step(run, ctx, lab.step(run.pending_step), apply=action == Action.APPLY)
            settle(run, recorder)
        elif action == Action.VERIFY:
            finish_verify(run, recorder, verify(run, ctx))
        elif action == Action.AUTO:
            ok = run_remaining(run, ctx)
            if _abandoning(run):
                abandon(run, recorder)
            elif ok:
                finish_verify(run, recorder, verify(run, ctx))
            else:
                after_failure(run, recorder)
        else:
            raise StepBlocked(f"Unknown action {action!r}.")
    except (aws.SandboxUnavailable, StepBlocked) as error:
        recorder.event(RunEvent.Kind.RUN, str(error), status=RunEvent.Status.FAIL)
        run.touch(message=str(error))
        after_failure(run, recorder)
    except BaseException as error:
        recorder.event(RunEvent.Kind.RUN, f"The lab engine stopped on an unexpected error: {aws.error_message(error)}",
                       status=RunEvent.Status.FAIL)
        run.touch(message=aws.error_message(error))
        after_failure(run, recorder)
        if not isinstance(error, Exception):
            raise  # KeyboardInterrupt, SystemExit: after cleaning up, let them through
    finally:
        run.refresh_from_db()
        if run.status == Status.RUNNING:
            run.touch(status=Status.WAITING, pending_action="", pending_step="")
    return run


def abandon(run: LabRun, recorder: DbRecorder) -> bool:
    if not run.outcome:
        run.touch(outcome=Outcome.ABANDONED)
    return teardown(run, recorder)


def _abandoning(run: LabRun) -> bool:
    return LabRun.objects.filter(pk=run.pk, abandon_requested=True).exists()


def _set_step_state(run: LabRun, slug: str, state: str, **fields) -> None:
    states = dict(LabRun.objects.values_list("step_states", flat=True).get(pk=run.pk) or {})
    states[slug] = state
    run.touch(step_states=states, **fields)


def run_step(run: LabRun, ctx: Context, step, *, apply: bool) -> bool:
    """Apply (optionally) then check one step; True when its check passes."""
    recorder = ctx.recorder
    number = [s.slug for s in run.lab.steps].index(step.slug) + 1
    ctx.step = recorder.step = step.slug
    _set_step_state(run, step.slug, "running")
    recorder.event(RunEvent.Kind.STEP, f"{'Building' if apply else 'Checking'} step {number}: {step.title}",
                   status=RunEvent.Status.START, step=step.slug)
    try:
        if apply:
            try:
                step.apply(ctx)
            except StepBlocked as error:
                return _step_failed(run, ctx, step, str(error))
            except Exception as error:  # noqa: BLE001 - AWS said no: tell the learner what it said
                return _step_failed(run, ctx, step, f"Building this step failed: {aws.error_message(error)}")
            recorder.event(RunEvent.Kind.STEP, f"Built step {number}: {step.title}", status=RunEvent.Status.OK,
                           step=step.slug)
        result = _check(ctx, step)
        if result.ok:
            recorder.adopt(result.found, ctx.region)
        recorder.event(RunEvent.Kind.CHECK, result.message,
                       status=RunEvent.Status.OK if result.ok else RunEvent.Status.FAIL, step=step.slug)
        _set_step_state(run, step.slug, "passed" if result.ok else "failed", outputs=ctx.outputs,
                        message="" if result.ok else _restart_said(run, ctx) or result.message)
        return result.ok
    finally:
        ctx.step = recorder.step = ""


CHECK_ATTEMPTS = 3  # a check reads only: running it again after a transient error is safe


def _check(ctx: Context, step) -> CheckResult:
    """Run a step's check; a transient AWS error (a 5xx, throttling, a dropped connection) is shown
    and the check runs again, up to CHECK_ATTEMPTS times: only the last attempt decides."""
    for attempt in range(1, CHECK_ATTEMPTS + 1):
        try:
            return step.check(ctx)
        except Exception as error:  # noqa: BLE001
            if attempt == CHECK_ATTEMPTS or not aws.is_transient(error):
                return CheckResult.failed(f"The check could not inspect the sandbox: {aws.error_message(error)}")
            ctx.note(f"Checking {step.title}: attempt {attempt} of {CHECK_ATTEMPTS} failed "
                     f"({aws.error_message(error)}); trying again.")
            time.sleep(0.2 * attempt)


def _step_failed(run: LabRun, ctx: Context, step, message: str) -> bool:
    ctx.recorder.event(RunEvent.Kind.STEP, message, status=RunEvent.Status.FAIL, step=step.slug)
    _set_step_state(run, step.slug, "failed", outputs=ctx.outputs, message=_restart_said(run, ctx) or message)
    return False


def _restart_said(run: LabRun, ctx: Context) -> str:
    """After a failure: when the local sandbox restarted meanwhile, say that (it is the cause), not only the error."""
    if not restarts.restarted_during(run, ctx.clients.target):
        return ""
    ctx.recorder.event(RunEvent.Kind.RUN, restarts.RESTARTED_DURING, status=RunEvent.Status.FAIL)
    return restarts.RESTARTED_DURING


def run_remaining(run: LabRun, ctx: Context) -> bool:
    """Apply and check every step that has not passed yet, in order; stop at the first failure."""
    for step in run.lab.steps:
        if _abandoning(run):
            return False
        run.refresh_from_db(fields=["step_states"])
        if run.step_states.get(step.slug) == "passed":
            continue
        if not run_step(run, ctx, step, apply=True):
            return False
    return True


def verify(run: LabRun, ctx: Context) -> bool:
    """Every verify check against the deployed system; True when all pass."""
    recorder = ctx.recorder
    run.refresh_from_db(fields=["step_states"])
    missing = [step.title for step in run.lab.steps if run.step_states.get(step.slug) != "passed"]
    if missing:
        message = "Verify needs every step to pass first. Still to do: " + "; ".join(missing) + "."
        recorder.event(RunEvent.Kind.VERIFY, message, status=RunEvent.Status.FAIL)
        run.touch(verify_state="failed", message=message)
        return False
    run.touch(verify_state="running")
    recorder.event(RunEvent.Kind.VERIFY, getattr(run.lab, "verify_intro", "Verifying the deployed system end to end, over HTTP"),
                   status=RunEvent.Status.START)
    passed = True
    for check in run.lab.verify:
        try:
            result = check.run(ctx)
        except Exception as error:  # noqa: BLE001
            result = CheckResult.failed(f"{check.title}: could not run ({aws.error_message(error)}).")
        recorder.event(RunEvent.Kind.VERIFY, result.message, step=check.slug, detail={"title": check.title},
                       status=RunEvent.Status.OK if result.ok else RunEvent.Status.FAIL)
        passed = passed and result.ok
    run.touch(verify_state="passed" if passed else "failed",
              message="" if passed else _restart_said(run, ctx) or
              "The deployed system failed the end-to-end verify: see the failed checks.")
    return passed


def finish_verify(run: LabRun, recorder: DbRecorder, passed: bool) -> None:
    if not passed:
        after_failure(run, recorder)
        return
    run.touch(outcome=Outcome.PASSED)
    recorder.event(RunEvent.Kind.RUN, getattr(run.lab, "verified_message", "Verified: the lab works end to end."),
                   status=RunEvent.Status.OK)
    if run.keep_after_verify:
        keep(run, recorder)
    elif run.explore_seconds:
        until = timezone.now() + timedelta(seconds=run.explore_seconds)
        run.touch(status=Status.LIVE, pending_action="", pending_step="", teardown_after=until)
        recorder.event(RunEvent.Kind.RUN, f"Your app stays up until {until:%H:%M} UTC for you to try; then it is "
                                          "torn down (or press Tear down).")
    else:
        teardown(run, recorder)


def settle(run: LabRun, recorder: DbRecorder) -> None:
    """After a guided action: back to the learner (the app stays live if it was verified)."""
    run.refresh_from_db()
    if run.abandon_requested:
        abandon(run, recorder)
        return
    idle = timezone.now() + timedelta(seconds=settings.LABS_IDLE_SECONDS)
    status = Status.LIVE if run.outcome == Outcome.PASSED else Status.WAITING
    run.touch(status=status, pending_action="", pending_step="", teardown_after=max(idle, run.teardown_after or idle))


def after_failure(run: LabRun, recorder: DbRecorder) -> None:
    run.refresh_from_db()
    if run.keep_after_verify:
        run.touch(outcome=run.outcome or Outcome.FAILED)
        keep(run, recorder)
    elif run.mode == LabRun.Mode.AUTO or run.abandon_requested:
        if not run.outcome:
            run.touch(outcome=Outcome.ABANDONED if run.abandon_requested else Outcome.FAILED)
        teardown(run, recorder)
    else:
        settle(run, recorder)


def keep(run: LabRun, recorder: DbRecorder) -> None:
    left = run.ledger.filter(status__in=LedgerEntry.PRESENT).count()
    run.touch(status=Status.KEPT, pending_action="", pending_step="", finished_at=timezone.now(), teardown_after=None)
    recorder.event(RunEvent.Kind.RUN, f"Kept as asked: {left} resource(s) left deployed. Tear them down with "
                                      f"`manage.py lab teardown {run.pk}`.")
