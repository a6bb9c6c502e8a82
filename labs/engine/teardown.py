"""Teardown: stop what invokes the run's functions and wait (bounded) for invocations in flight,
delete every resource in the ledger, newest first, with a second pass for what depends on others
(a role after its policies), then take an inventory of the account by the run's names and tags
(local sandbox and AWS alike), and again after a grace period when something could still invoke a
function asynchronously, since a late write (a log line of a retried invocation) can bring something back. Ends the run ``cleaned`` only when the last
inventory is empty, else ``teardown_failed`` with the complete command that deletes each leftover."""

import time

from django.conf import settings
from django.utils import timezone

from labs import aws
from labs.engine import quiesce, resources
from labs.engine.lab import Names
from labs.models import LabRun, LedgerEntry, RunEvent

Status, Outcome = LabRun.Status, LabRun.Outcome
PENDING = "Pending deletion:"


def teardown(run: LabRun, recorder) -> bool:
    """Delete every resource in the ledger, newest first; True when nothing is left."""
    run.touch(status=Status.TEARING_DOWN)
    entries = list(run.ledger.filter(status__in=LedgerEntry.PRESENT).order_by("-id"))
    created = [entry.pk for entry in entries if entry.status == LedgerEntry.Status.CREATED]
    recorder.event(RunEvent.Kind.TEARDOWN, f"Tearing down {len(entries)} resource(s), newest first",
                   status=RunEvent.Status.START)
    try:
        target = aws.target_for(run.sandbox)
        clients = aws.Clients(target, on_call=recorder.aws_call)
    except aws.SandboxUnavailable as error:
        target, clients, entries_error = None, None, str(error)
    else:
        entries_error = ""
    if target is not None and target.is_local:
        from labs.sandbox import health

        status = health(target.endpoint_url)
        if not status.up:
            entries_error = (f"The local sandbox is not running ({status.detail}). Its state lives in memory, so a "
                             "sandbox that stopped has forgotten these resources: start it with `python manage.py "
                             "sandbox` (or `make run`) and retry the teardown to confirm nothing is left.")
    asynchronous = True  # unless the quiescing below shows that nothing could invoke a function late
    if entries and not entries_error:
        asynchronous = quiesce.stop_event_sources(clients, entries, recorder)
        since_ms = int(run.created_at.timestamp() * 1000) - 60_000
        lab = run.lab
        lab_work = None
        if lab is not None and lab.in_flight is not None:
            lab_work = lambda: lab.in_flight(clients, Names(run.prefix), run.sandbox.account_id, since_ms)  # noqa: E731
        quiesce.wait_for_invocations(clients, entries, recorder, since_ms, lab_work)
        if asynchronous and lab is not None and lab.settled is not None:
            asynchronous = not _settled(lab, clients, run, target, recorder)
    failed = _delete_all(entries, clients, recorder, entries_error)
    if failed:
        # Some deletions depend on others settling first (a role after its policies): one more pass.
        time.sleep(0 if entries_error else 1)
        failed = _delete_all(failed, clients, recorder, entries_error) if not entries_error else failed
    unlisted = []
    if target is not None and not entries_error:
        # A late write comes only from an invocation the engine did not wait for: one an event source,
        # a notification or a retry started. Runs whose functions were only invoked synchronously skip it.
        late = asynchronous and any(e.kind == "lambda:function" for e in entries)
        grace = settings.LABS_TEARDOWN_GRACE_SECONDS if late else 0
        found, unlisted = _inventory(run, clients, recorder, grace)
        failed = [entry for entry in failed if entry.pk not in {f.pk for f in found}] + found
    now = timezone.now()
    if failed or unlisted:
        local = target is not None and target.is_local
        endpoint, account = (target.endpoint_url, run.sandbox.account_id) if local else (None, "")
        where = "" if local else f" (in account {run.sandbox.account_id})"
        lines = [f"- {entry.kind_label} {entry.name}: {entry.manual_command(endpoint, account=account)}{where}"
                 + (f" ({entry.error})" if entry.error.startswith(PENDING) else "") for entry in failed] + unlisted
        waiting = not unlisted and all(entry.error.startswith(PENDING) for entry in failed)
        from own_account.guardrails import NOT_CHECKED

        unsure = not failed and all(line.startswith(NOT_CHECKED) for line in unlisted)
        message = ("Teardown is waiting on AWS, nothing failed: what is left cannot be deleted yet (a Lambda@Edge "
                   "function's replicas go hours after its distribution). Retry the teardown later, or delete it by "
                   "hand then:\n" if waiting else
                   "Teardown deleted everything the run recorded, but could not check the whole account afterwards, "
                   "so it cannot say that nothing is left:\n" if unsure else
                   "Teardown could not delete everything. Left behind, and how to delete each by hand:\n") + "\n".join(lines)
        run.touch(status=Status.TEARDOWN_FAILED, message=message, finished_at=now, teardown_after=None,
                  pending_action="", pending_step="")
        recorder.event(RunEvent.Kind.TEARDOWN, f"Teardown left {len(failed)} resource(s): see the list to delete by hand.",
                       status=RunEvent.Status.FAIL, detail={"left": [entry.pk for entry in failed]})
        return False
    forgotten = (target is not None and target.is_local and created
                 and not run.ledger.filter(pk__in=[e.pk for e in entries], status=LedgerEntry.Status.DELETED).exists())
    said = ("Cleaned: the local sandbox no longer had any of this run's resources (it restarted since the run "
            "began and forgot them, or they were deleted by hand); nothing was left to delete." if forgotten
            else "Cleaned: everything this run created is deleted.")
    run.touch(status=Status.CLEANED, finished_at=now, teardown_after=None, pending_action="", pending_step="",
              message=said if forgotten else "" if run.outcome in (Outcome.PASSED, Outcome.ABANDONED) else run.message)
    recorder.event(RunEvent.Kind.TEARDOWN, said, status=RunEvent.Status.OK)
    return True


def _settled(lab, clients, run, target, recorder) -> bool:
    """The lab's own proof that nothing is left to process (its ``settled`` hook): any doubt is a no."""
    try:
        proven = bool(lab.settled(clients, Names(run.prefix), run.sandbox.account_id, target.is_local))
    except Exception as error:  # noqa: BLE001 - cannot tell: keep the second look
        recorder.event(RunEvent.Kind.TEARDOWN, f"Could not tell whether every record was handled ({error}): "
                       "looking again after the deletions.", status=RunEvent.Status.INFO)
        return False
    if proven:
        recorder.event(RunEvent.Kind.TEARDOWN, "Every record the event sources took has been handled, so nothing can "
                       "invoke a function late: no second look needed after the deletions.", status=RunEvent.Status.OK)
    return proven


def _inventory(run, clients, recorder, grace: float):
    """Look for anything still named or tagged like the run and delete it; then (after ``grace``
    seconds when a function could still write late) look again: that last look decides.
    Returns (ledger entries of what is still there, report lines for what no deleter knows)."""
    from own_account.guardrails import leftovers_after_teardown

    found, unlisted = leftovers_after_teardown(run, clients, recorder)
    if not found and not grace:
        return [], unlisted
    still = _delete_all(found, clients, recorder, "")
    if grace:
        recorder.event(RunEvent.Kind.TEARDOWN, f"Looking again in {grace:g} s, in case a late write (a retried "
                       "invocation's log lines) brings something back.")
        time.sleep(grace)
    found, unlisted = leftovers_after_teardown(run, clients, recorder)
    return still + [entry for entry in found if entry.pk not in {e.pk for e in still}], unlisted


def _delete_all(entries, clients, recorder, unavailable: str) -> list:
    failed = []
    for entry in entries:
        if unavailable:
            outcome, error = None, unavailable
        else:
            try:
                outcome, error = resources.delete(clients, entry.kind, entry.physical_id, entry.name), ""
            except resources.Pending as exc:  # AWS must finish something first: not a failure
                outcome, error = None, f"{PENDING} {exc}"
            except Exception as exc:  # noqa: BLE001 - recorded with how to do it by hand
                outcome, error = None, aws.error_message(exc)
        if outcome is None:
            entry.status, entry.error = LedgerEntry.Status.DELETE_FAILED, error
            entry.save(update_fields=["status", "error"])
            failed.append(entry)
            pending = error.startswith(PENDING)
            recorder.event(RunEvent.Kind.TEARDOWN, f"{'Deletion pending' if pending else 'Could not delete'}: "
                           f"{entry.kind_label} {entry.name}: {error}",
                           status=RunEvent.Status.INFO if pending else RunEvent.Status.FAIL)
            continue
        entry.status = LedgerEntry.Status.DELETED if outcome == resources.DELETED else LedgerEntry.Status.GONE
        entry.deleted_at, entry.error = timezone.now(), ""
        entry.save(update_fields=["status", "deleted_at", "error"])
        said = "Deleted" if outcome == resources.DELETED else "Already gone:"
        recorder.event(RunEvent.Kind.TEARDOWN, f"{said} {entry.kind_label} {entry.name}", status=RunEvent.Status.OK)
    return failed
