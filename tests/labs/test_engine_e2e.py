"""The lab engine end to end against a real MiniStack process, through the real task worker
(``manage.py db_worker``): automatic runs, guided runs, faults, isolation, the CLI."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from labs import aws, services
from labs.engine import reaper, runner, tasks
from labs.catalog import get_lab

from labs.engine.lab import CheckResult
from labs.toolkit import rest_api
from labs.models import LabRun, LedgerEntry, RunEvent, Sandbox
from tests.factories import UserFactory
from tests.labs.conftest import leftovers, run_worker

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("fullstack")


def start(user, mode=LabRun.Mode.AUTO, **options):
    return services.lab_run_start(user=user, lab=LAB, mode=mode, website_origin="http://testserver",
                                  explore_seconds=options.pop("explore_seconds", 0), **options)


def target_of(run):
    return aws.target_for(run.sandbox)


def messages(run, kind=None, status=None):
    events = run.events.all()
    if kind:
        events = events.filter(kind=kind)
    if status:
        events = events.filter(status=status)
    return list(events.values_list("message", flat=True))


def test_an_automatic_run_deploys_verifies_and_leaves_nothing(sandbox_url):
    run = start(UserFactory())
    assert run.status == LabRun.Status.QUEUED and run.pending_action == LabRun.Action.AUTO
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED), run.message
    assert run.step_states == {step.slug: "passed" for step in LAB.steps} and run.verify_state == "passed"
    assert run.finished_at is not None and run.task_id

    # Every step, check, AWS action, verify check and deletion is an event on the run.
    for step in LAB.steps:
        assert run.events.filter(kind="step", step=step.slug, status="start").exists()
        assert run.events.filter(kind="check", step=step.slug, status="ok").exists()
    actions = messages(run, kind="aws")
    for action in ("dynamodb CreateTable", "iam CreateRole", "lambda CreateFunction", "apigateway CreateRestApi",
                   "lambda AddPermission", "apigateway CreateDeployment", "s3 CreateBucket", "s3 PutBucketWebsite",
                   "apigateway DeleteRestApi", "dynamodb DeleteTable"):
        assert action in actions
    assert set(run.events.filter(kind="verify", status="ok").exclude(step="").values_list("step", flat=True)) == {
        check.slug for check in LAB.verify}
    assert not run.events.filter(status="fail").exists()
    assert messages(run)[-1] == "Cleaned: everything this run created is deleted."

    # The ledger held all of it, and all of it is deleted; the sandbox has nothing of the run.
    ledger = list(run.ledger.all())
    assert len(ledger) == 8 and {entry.status for entry in ledger} == {LedgerEntry.Status.DELETED}
    assert leftovers(target_of(run), run.prefix) == {}


def test_a_step_that_raises_halfway_still_ends_cleaned(sandbox_url, monkeypatch):
    """The API step dies after creating the REST API and its methods, before CORS and the stage."""

    def broken(*args, **kwargs):
        raise RuntimeError("injected fault: the network went away")

    monkeypatch.setattr(rest_api, "ensure_cors", broken)
    run = start(UserFactory())
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.FAILED, LabRun.Status.CLEANED)
    assert run.step_states["api"] == "failed" and run.step_states["website"] == "pending"
    assert "injected fault" in run.message
    assert any("injected fault" in message for message in messages(run, kind="step", status="fail"))
    api = run.ledger.get(kind="apigateway:rest-api")
    assert api.status == LedgerEntry.Status.DELETED and api.physical_id
    assert not run.ledger.filter(status__in=LedgerEntry.PRESENT).exists()
    assert leftovers(target_of(run), run.prefix) == {}


def test_guided_do_it_for_me_check_my_progress_then_the_rest(sandbox_url):
    learner = UserFactory()
    run = start(learner, mode=LabRun.Mode.GUIDED, explore_seconds=600)
    assert run.status == LabRun.Status.WAITING and run.teardown_after is not None

    services.lab_run_request(run=run, action="apply", step="table")
    with pytest.raises(services.RunBusy, match="busy"):
        services.lab_run_request(run=run, action="check", step="table")
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.WAITING and run.step_states["table"] == "passed"

    # Check my progress on a step nobody built: it fails and says what is missing.
    services.lab_run_request(run=run, action="check", step="function")
    run_worker()
    run.refresh_from_db()
    assert run.step_states["function"] == "failed" and run.status == LabRun.Status.WAITING
    assert "no IAM role named" in run.message

    # Verify refuses while steps are missing.
    services.lab_run_request(run=run, action="verify")
    run_worker()
    run.refresh_from_db()
    assert run.verify_state == "failed" and "Still to do" in run.message and run.status == LabRun.Status.WAITING

    services.lab_run_request(run=run, action="auto")
    run_worker()
    run.refresh_from_db()
    assert run.outcome == LabRun.Outcome.PASSED and run.status == LabRun.Status.LIVE, run.message
    assert run.teardown_after is not None and run.outputs["api_url"] == f"/labs/runs/{run.pk}/api"

    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    assert leftovers(target_of(run), run.prefix) == {}


def test_do_it_for_me_twice_creates_nothing_twice(sandbox_url):
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    for step in ("table", "function", "api", "api", "function", "api"):
        services.lab_run_request(run=run, action="apply", step=step)
        run_worker()
        run.refresh_from_db()
        assert run.step_states[step] == "passed", run.message
    clients = aws.Clients(target_of(run))
    apis = [api for api in clients.apigateway.get_rest_apis()["items"] if api["name"].startswith(run.prefix)]
    assert len(apis) == 1
    assert len(clients.apigateway.get_deployments(restApiId=apis[0]["id"])["items"]) == 1
    assert len([f for f in clients.lambda_.list_functions()["Functions"] if f["FunctionName"].startswith(run.prefix)]) == 1
    kinds = list(run.ledger.values_list("kind", flat=True))
    assert len(kinds) == len(set(kinds)) == 7
    services.lab_run_teardown(run=run)
    run_worker()
    assert leftovers(target_of(run), run.prefix) == {}


def test_learner_b_sees_none_of_learner_as_resources(sandbox_url):
    alice, bob = UserFactory(), UserFactory()
    run = start(alice, mode=LabRun.Mode.GUIDED)
    for step in ("table", "function"):
        services.lab_run_request(run=run, action="apply", step=step)
        run_worker()
    a_target = target_of(run)
    b_target = aws.target_for(Sandbox.local_for(bob))
    assert a_target.access_key_id != b_target.access_key_id
    assert leftovers(a_target, run.prefix).keys() >= {"tables", "functions", "roles"}
    assert leftovers(b_target, run.prefix) == {}
    b = aws.Clients(b_target)
    assert b.dynamodb.list_tables()["TableNames"] == []
    assert b.lambda_.list_functions()["Functions"] == []
    services.lab_run_teardown(run=run)
    run_worker()
    assert leftovers(a_target, run.prefix) == {}


def test_resources_made_by_hand_are_adopted_and_torn_down(sandbox_url):
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    clients = aws.Clients(target_of(run))
    clients.dynamodb.create_table(TableName=f"{run.prefix}-items", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST")
    services.lab_run_request(run=run, action="check", step="table")
    run_worker()
    entry = run.ledger.get()
    assert entry.adopted and entry.kind == "dynamodb:table" and entry.status == LedgerEntry.Status.CREATED
    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and run.outcome == LabRun.Outcome.ABANDONED
    assert leftovers(target_of(run), run.prefix) == {}


def test_abandoning_a_queued_run_tears_down_instead(sandbox_url):
    run = start(UserFactory())
    services.lab_run_teardown(run=run)
    assert run.abandon_requested
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.ABANDONED, LabRun.Status.CLEANED)
    assert not run.events.filter(kind="step").exists()


def test_teardown_tolerates_resources_the_sandbox_already_lost(sandbox_url):
    """A restarted emulator forgets everything: the ledger then names resources that are gone."""
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    services.lab_run_request(run=run, action="apply", step="table")
    run_worker()
    aws.Clients(target_of(run)).dynamodb.delete_table(TableName=f"{run.prefix}-items")
    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED
    assert run.ledger.get().status == LedgerEntry.Status.GONE
    assert "Already gone: DynamoDB table" in " ".join(messages(run, kind="teardown"))


def test_teardown_with_the_sandbox_down_ends_failed_with_what_to_do(sandbox_url, settings):
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    services.lab_run_request(run=run, action="apply", step="table")
    run_worker()
    settings.LABS_SANDBOX_URL = "http://127.0.0.1:9"
    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.TEARDOWN_FAILED
    assert "delete each by hand" in run.message and f"aws dynamodb delete-table --table-name {run.prefix}-items" in run.message
    assert run.ledger.get().status == LedgerEntry.Status.DELETE_FAILED
    # Once the sandbox answers again, "Retry teardown" cleans it.
    settings.LABS_SANDBOX_URL = sandbox_url
    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and leftovers(target_of(run), run.prefix) == {}


def test_idle_and_expired_runs_are_torn_down_by_the_periodic_task(sandbox_url):
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    services.lab_run_request(run=run, action="apply", step="table")
    run_worker()
    LabRun.objects.filter(pk=run.pk).update(teardown_after=timezone.now() - timedelta(seconds=1))
    call_command("periodic", "--once")
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.EXPIRED, LabRun.Status.CLEANED)
    assert leftovers(target_of(run), run.prefix) == {}


def test_the_cli_runs_a_lab_to_a_clean_pass(sandbox_url, capsys):
    call_command("lab", "run", "fullstack", "--user", "cli-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out and "Ledger: 8 resource(s) recorded, 0 left." in out
    assert "[verify]" not in out or "ok verify" in out
    run = LabRun.objects.get(user__username="cli-learner")
    assert leftovers(target_of(run), run.prefix) == {}


def test_the_cli_keeps_when_asked_and_tears_down_later(sandbox_url, capsys):
    call_command("lab", "run", "fullstack", "--user", "keeper", "--keep")
    run = LabRun.objects.get(user__username="keeper")
    assert run.status == LabRun.Status.KEPT and run.outcome == LabRun.Outcome.PASSED
    assert leftovers(target_of(run), run.prefix)
    assert "Ledger: 8 resource(s) recorded, 8 left." in capsys.readouterr().out
    call_command("lab", "teardown", str(run.pk))
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and leftovers(target_of(run), run.prefix) == {}


def test_the_cli_fails_with_a_nonzero_exit_when_verify_fails(sandbox_url):
    original = LAB.verify
    failing = tuple(replace(check, run=lambda ctx: CheckResult.failed("injected: no preflight"))
                    if check.slug == "cors" else check for check in original)
    object.__setattr__(LAB, "verify", failing)  # a frozen dataclass: put it back below
    try:
        with pytest.raises(CommandError, match="Failed, cleaned up"):
            call_command("lab", "run", "fullstack", "--user", "unlucky")
    finally:
        object.__setattr__(LAB, "verify", original)
    run = LabRun.objects.get(user__username="unlucky")
    assert run.outcome == LabRun.Outcome.FAILED and run.status == LabRun.Status.CLEANED
    assert "injected: no preflight" in messages(run, kind="verify", status="fail")
    assert leftovers(target_of(run), run.prefix) == {}


def test_the_cli_refuses_when_the_sandbox_is_down(sandbox_down):
    with pytest.raises(CommandError, match="sandbox is not running") as raised:
        call_command("lab", "run", "fullstack")
    assert raised.value.returncode == 2
    assert not LabRun.objects.exists()


def test_lab_list(capsys):
    call_command("lab", "list")
    out = capsys.readouterr().out
    assert "fullstack" in out and "1. Create the DynamoDB table" in out and "7 end-to-end checks" in out


def test_the_reaper_leaves_working_runs_alone(sandbox_url):
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    LabRun.objects.filter(pk=run.pk).update(status=LabRun.Status.RUNNING, worker=runner.worker_id().rsplit(":", 1)[0] + ":1",
                                            heartbeat_at=timezone.now())
    assert reaper.stalled() == []  # pid 1 is alive and the heartbeat is fresh
    assert RunEvent.objects.filter(run=run).count() == 1


def test_the_reaper_waits_for_a_local_sandbox_that_is_not_up_yet(sandbox_down):
    """`make run` starts the periodic task with the sandbox: a stalled run waits for the next tick."""
    run = start(UserFactory(), mode=LabRun.Mode.GUIDED)
    LabRun.objects.filter(pk=run.pk).update(status=LabRun.Status.RUNNING, worker="elsewhere:1", heartbeat_at=None)
    assert [r.pk for r in reaper.stalled()] == [run.pk]
    assert reaper.reap(enqueue=tasks.enqueue_run) == []
    run.refresh_from_db()
    assert run.status == LabRun.Status.RUNNING
