"""The SAM lab: its packaged template translates and lints offline (and a broken one does not), the
stack helpers read events the way CloudFormation writes them, moto's untransformed change set is
refused, and the lab runs end to end on the real local sandbox (MiniStack), leaving nothing."""

import pytest
from django.core.management import call_command

from labs import aws
from labs.catalog import get_lab
from labs.catalog.sam import steps, template
from labs.catalog.sam.names import BROKEN_KEY, EXPECTED_ADDS
from labs.engine import resources
from labs.models import LabRun, LedgerEntry
from labs.toolkit import stacks
from tests.labs.conftest import leftovers

LAB = get_lab("sam")
ORIGIN = "http://127.0.0.1:8000"


def test_the_packaged_template_translates_with_its_code_in_s3():
    packaged = template.packaged("sa-x-artifacts-1", "items_api/abc.zip")
    translated, problem = template.translate(packaged, ORIGIN, "us-east-1")
    assert problem == ""
    function = translated["Resources"]["ItemsFunction"]["Properties"]
    assert function["Code"] == {"S3Bucket": "sa-x-artifacts-1", "S3Key": "items_api/abc.zip"}
    assert function["Handler"] == "app.handler" and function["Runtime"] == LAB.runtime
    assert set(EXPECTED_ADDS) <= set(translated["Resources"])
    broken = template.packaged("sa-x-artifacts-1", "items_api/abc.zip", broken=True)
    assert broken["Resources"]["ItemsFunction"]["Properties"]["CodeUri"].endswith(BROKEN_KEY)
    # The template is the full-stack lab's, read from its file, not a copy.
    assert LAB.sam_template == get_lab("fullstack").sam_template
    assert LAB.function_folder("items_api") == get_lab("fullstack").function_folder("items_api")


def test_a_function_without_a_handler_is_refused_by_the_transform():
    packaged = template.packaged("b", "k.zip")
    del packaged["Resources"]["ItemsFunction"]["Properties"]["Handler"]
    translated, problem = template.translate(packaged, ORIGIN, "us-east-1")
    assert translated is None and "Handler" in problem


def test_cfn_lint_passes_the_packaged_template_and_catches_a_deprecated_runtime():
    packaged = template.packaged("b", "k.zip")
    assert template.lint_errors(template.body(packaged), "us-east-1") == []
    packaged["Resources"]["ItemsFunction"]["Properties"]["Runtime"] = "python2.7"
    errors = template.lint_errors(template.body(packaged), "us-east-1")
    assert errors and "python2.7" in errors[0]


def _event(logical, status, reason="", rtype="AWS::Lambda::Function"):
    return {"LogicalResourceId": logical, "ResourceStatus": status, "ResourceStatusReason": reason, "ResourceType": rtype}


def test_the_events_of_the_last_operation_and_its_first_failure():
    stack = ("sa-x-stack", "AWS::CloudFormation::Stack")
    newest_first = [
        _event(stack[0], "UPDATE_ROLLBACK_COMPLETE", rtype=stack[1]),
        _event("ItemsFunction", "UPDATE_COMPLETE"),
        _event(stack[0], "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update", rtype=stack[1]),
        _event("ItemsFunction", "UPDATE_FAILED", "NoSuchKey"),
        _event("ItemsTable", "UPDATE_FAILED", "a later one", rtype="AWS::DynamoDB::Table"),
        _event(stack[0], "UPDATE_IN_PROGRESS", rtype=stack[1]),
        _event("ItemsFunction", "CREATE_FAILED", "an older operation"),
        _event(stack[0], "CREATE_IN_PROGRESS", rtype=stack[1]),
    ]
    operation = stacks.last_operation(newest_first, stack[0])
    assert len(operation) == 6
    assert [e["ResourceStatusReason"] for e in stacks.failures(operation)] == ["a later one", "NoSuchKey"]


def test_moto_does_not_run_the_sam_transform_and_the_change_set_check_says_so(ctx):
    """moto lists AWS::Serverless::Function as is: a change set the lab must not accept."""
    steps.apply_package(ctx)
    assert steps.check_package(ctx).ok
    steps.apply_change_set(ctx)
    result = steps.check_change_set(ctx)
    assert not result.ok and "does not add ItemsFunctionRole" in result.message


@pytest.mark.django_db(transaction=True)
def test_the_cli_runs_the_sam_lab_on_the_local_sandbox_and_leaves_nothing(sandbox_url, capsys):
    call_command("lab", "run", "sam", "--user", "sam-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out and "Ledger: 3 resource(s) recorded, 0 left." in out
    assert "ItemsFunction UPDATE_FAILED" in out and "UPDATE_ROLLBACK_COMPLETE" in out
    run = LabRun.objects.get(user__username="sam-learner")
    assert {entry.kind for entry in run.ledger.all()} == {"s3:bucket", "cloudformation:stack", "logs:log-group"}
    assert {entry.status for entry in run.ledger.all()} <= {LedgerEntry.Status.DELETED, LedgerEntry.Status.GONE}
    target = aws.target_for(run.sandbox)
    assert leftovers(target, run.prefix) == {}
    clients = aws.Clients(target)
    assert stacks.stack(clients.cloudformation, f"{run.prefix}-stack") is None
    # The stack deleter: a stack that is gone is "gone", not an error.
    assert resources.delete(clients, "cloudformation:stack", "", f"{run.prefix}-stack") == resources.GONE


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tab", ["AWS CLI", "Python (boto3)"])
def test_the_sam_lab_built_by_hand_from_a_tab_passes_its_checks_and_verify(sandbox_url, tab, tmp_path):
    """Each step's tab run as written in `manage.py lab shell` (the run's sam-app.zip, its variables), then
    "Check my progress" per step, the verify, and a teardown that leaves nothing."""
    from labs import services
    from labs.engine import runner
    from tests.factories import UserFactory
    from tests.labs.test_by_hand import as_shell, tab_code

    run = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.GUIDED,
                                 website_origin="http://testserver", explore_seconds=0)
    for step in LAB.steps:
        call_command("lab", "shell", str(run.pk), "-c", as_shell(tab, tab_code(step.instructions, tab)),
                     "--dir", str(tmp_path / step.slug))
        services.lab_run_request(run=run, action=LabRun.Action.CHECK, step=step.slug)
        runner.execute(run.pk)
        run.refresh_from_db()
        assert run.step_states[step.slug] == "passed", (
            f"{tab}, step {step.slug}: " + run.events.filter(step=step.slug).order_by("-id").first().message)
    services.lab_run_request(run=run, action=LabRun.Action.VERIFY)
    runner.execute(run.pk)
    run.refresh_from_db()
    assert run.verify_state == "passed", run.message
    call_command("lab", "teardown", str(run.pk))
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
