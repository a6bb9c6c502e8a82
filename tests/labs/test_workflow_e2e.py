"""The workflow lab end to end against a real MiniStack process, through the real task worker and
`manage.py lab run workflow` (as the CLI runs it): an automatic run deploys, runs four real executions
and reads their history, stays up for the learner, whose page draws the state machine from an
execution and starts one; then teardown leaves nothing in the sandbox."""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from labs import aws, services
from labs.catalog import get_lab
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.conftest import leftovers, run_worker

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("workflow")


def test_an_automatic_run_executes_the_workflow_shows_it_and_leaves_nothing(sandbox_url, client):
    learner = UserFactory()
    run = services.lab_run_start(user=learner, lab=LAB, mode=LabRun.Mode.AUTO, website_origin="http://testserver",
                                 explore_seconds=600)
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.LIVE), run.message
    verified = {event.step: event.message for event in run.events.filter(kind="verify", status="ok").exclude(step="")}
    assert set(verified) == {"happy", "retries", "compensation", "rejected"}
    assert "exactly 2 retries of ChargePayment" in verified["retries"]
    assert "ReleaseStock and RefundPayment" in verified["compensation"]
    actions = list(run.events.filter(kind="aws").values_list("message", flat=True))
    for action in ("iam CreateRole", "lambda CreateFunction", "CreateStateMachine", "StartExecution"):
        assert any(action in message for message in actions), action

    # The learner's page: the panel draws the latest execution, any other by name, and starts one.
    client.force_login(learner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="workflow-panel"' in page and "Start execution" in page
    url = reverse("labs:workflow_view", args=[run.pk])
    flaky = next(name for name in _executions(run) if name.startswith("verify-flaky-"))
    shown = client.get(url, {"execution": flaky}).content.decode()
    assert 'data-state="ChargePayment"' in shown and "wf-state--retried" in shown and "↻2" in shown
    assert "SUCCEEDED" in shown and "<script" not in shown and "style=" not in shown
    started = client.post(reverse("labs:workflow_start", args=[run.pk]), {"scenario": "declined"},
                          HTTP_HX_REQUEST="true").content.decode()
    assert "Started page-declined-" in started
    name = next(name for name in _executions(run) if name.startswith("page-declined-"))
    deadline = time.monotonic() + 20
    while "RUNNING" in (shown := client.get(url, {"execution": name}).content.decode()) and time.monotonic() < deadline:
        time.sleep(0.3)
    # Locally a decline is Runtime.HandlerError (MiniStack names every Python exception so), so the
    # catch-all retrier retries it twice; in AWS the PaymentDeclined retrier (MaxAttempts 0) would not.
    assert "OrderFailed" in shown and "wf-state--caught" in shown
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404

    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED, run.message
    assert {entry.kind for entry in run.ledger.all()} >= {"states:state-machine", "iam:role", "lambda:function"}
    assert {entry.status for entry in run.ledger.all()} == {"deleted"}
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
    client.force_login(learner)
    assert "torn down" in client.get(url).content.decode()


def _executions(run) -> list[str]:
    sfn = aws.clients_for(run.sandbox).stepfunctions
    arn = f"arn:aws:states:{run.sandbox.region}:{run.sandbox.account_id}:stateMachine:{run.prefix}-order-workflow"
    return [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]


def test_lab_run_workflow_from_the_command_line_exits_cleanly(sandbox_url):
    call_command("lab", "run", "workflow", "--user", "cli-workflow")
    run = LabRun.objects.get(user__username="cli-workflow")
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED), run.message
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
