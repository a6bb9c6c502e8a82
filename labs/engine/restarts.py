"""Knowing that the local sandbox restarted under a run (issue 16, item 6).

MiniStack keeps its state in memory: a restart forgets every resource, and a run that built steps
before it would then fail with "Function not found" right after its ledger says it was created, or
poll a bucket that is gone. The first action in an emulated account leaves a marker there (an SSM
parameter, named without any run's prefix, so no inventory counts it); the marker lives as long as
the emulator does. When a later action finds it missing while the run's ledger holds resources that
are really gone (an IAM role or a function of the run no longer exists), the sandbox restarted: the
run says so, marks what it had as gone, and sends its steps back to be built again."""

from django.utils import timezone

from labs import aws
from labs.models import LabRun, LedgerEntry, RunEvent

MARKER = "/serverless-academy/sandbox-marker"
PROBED = ("iam:role", "lambda:function", "dynamodb:table")
RESTARTED = ("The local sandbox restarted since this run built its steps, and a restart forgets everything it "
             "held: none of this run's resources exist any more, so nothing is left to delete. The steps are "
             "back to \"not built\": build them again (or start the automatic run again).")
RESTARTED_DURING = ("The local sandbox restarted while this step ran, and a restart forgets everything it held: the "
                    "error above comes from that, not from your work. Nothing is left to delete; build the steps "
                    "again.")


def _quiet(target):
    return aws.Clients(target)  # no on_call: the marker is the engine's, not a step's AWS action


def marker_present(target) -> bool:
    try:
        _quiet(target).ssm.get_parameter(Name=MARKER)
    except Exception as error:  # noqa: BLE001
        if aws.is_not_found(error) or aws.error_code(error) == "ParameterNotFound":
            return False
        raise
    return True


def leave_marker(target) -> None:
    _quiet(target).ssm.put_parameter(Name=MARKER, Value=timezone.now().isoformat(), Type="String", Overwrite=True,
                                     Description="Serverless Academy: tells the labs that this sandbox has not restarted")


def _really_gone(target, entries) -> bool:
    """The ledger's resources are gone (not merely the marker: a site upgraded from before it)."""
    clients = _quiet(target)
    probe = next((entry for entry in entries if entry.kind in PROBED), None)
    if probe is None:
        return True
    name = probe.physical_id or probe.name
    try:
        if probe.kind == "iam:role":
            clients.iam.get_role(RoleName=name)
        elif probe.kind == "lambda:function":
            clients.lambda_.get_function(FunctionName=name)
        else:
            clients.dynamodb.describe_table(TableName=name)
    except Exception as error:  # noqa: BLE001
        return aws.is_not_found(error)
    return False


def check_before(run: LabRun, target, recorder) -> bool:
    """Before an action in the local sandbox: leave the marker if it is missing, and when it was missing
    because the sandbox restarted since the run built something, say so and forget what the run had.
    True when that happened."""
    if not target.is_local:
        return False
    try:
        if marker_present(target):
            return False
        leave_marker(target)
    except Exception:  # noqa: BLE001 - cannot tell: the action goes on and says what it meets
        return False
    held = list(run.ledger.filter(status=LedgerEntry.Status.CREATED))
    if not held or not _really_gone(target, held):
        return False
    run.ledger.filter(pk__in=[entry.pk for entry in held]).update(status=LedgerEntry.Status.GONE,
                                                                   deleted_at=timezone.now())
    run.touch(step_states={}, outputs={}, message=RESTARTED)
    recorder.event(RunEvent.Kind.RUN, RESTARTED, status=RunEvent.Status.FAIL)
    return True


def restarted_during(run: LabRun, target) -> bool:
    """After a failure in the local sandbox: was it because the sandbox restarted meanwhile?"""
    if not target.is_local:
        return False
    try:
        return not marker_present(target) and _really_gone(
            target, list(run.ledger.filter(status=LedgerEntry.Status.CREATED)))
    except Exception:  # noqa: BLE001 - down, or cannot tell
        return False
