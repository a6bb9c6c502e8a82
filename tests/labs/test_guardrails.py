"""Guardrails for labs in a learner's own AWS account, on moto: allowed regions only, no production or
blocklisted accounts, a typed confirmation before the first deploy, a time-to-live on every run,
leftovers reported after teardown, and the labs themselves run from deploy to teardown there."""

from dataclasses import replace
from datetime import timedelta
from functools import partialmethod

import pytest
from django.urls import reverse
from django.utils import timezone

from labs import aws, services
from own_account import accounts
from own_account import guardrails
from labs.engine import runner, tasks
from labs.catalog import all_labs, get_lab
from labs.engine.lab import RUN_TAG, CheckResult
from labs.models import LabRun, LedgerEntry, Sandbox
from tests.factories import UserFactory
from tests.labs.aws_world import LEARNER_ACCOUNT, OTHER_ACCOUNT, QUIET_MOTO, aws_world  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, QUIET_MOTO]
FULLSTACK = get_lab("fullstack")
MOTO_SKIP = ("Skipped under moto: this check talks to the deployed app over live HTTP (its S3 website, its API), "
             "and moto neither serves S3 websites nor runs Lambda code.")


def start(user, sandbox, lab=FULLSTACK, mode=LabRun.Mode.GUIDED):
    return services.lab_run_start(user=user, lab=lab, mode=mode, website_origin="http://testserver", sandbox=sandbox,
                                  explore_seconds=0)


def act(run, action, step=""):
    services.lab_run_request(run=run, action=action, step=step)
    runner.execute(run.pk)
    run.refresh_from_db()
    return run


def tear_down(run):
    services.lab_run_teardown(run=run)
    runner.execute(run.pk)
    run.refresh_from_db()
    return run


# Regions, accounts, confirmation --------------------------------------------------------------

def test_a_region_outside_the_allowlist_is_refused(aws_world, learner, settings):
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.deploy_template(sandbox.external_id)
    with pytest.raises(accounts.ConnectionRefused, match="Region eu-west-1 is not one this site deploys labs to"):
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="eu-west-1")
    # A connected account whose region is later taken off the list: nothing new deploys there.
    sandbox = aws_world.connect(UserFactory(), account=OTHER_ACCOUNT)
    settings.LABS_AWS_REGIONS = ["eu-west-1"]
    with pytest.raises(aws.SandboxUnavailable, match="Region us-east-1 is not one"):
        start(sandbox.user, sandbox)


def test_an_account_whose_alias_says_prod_is_refused(aws_world, learner):
    aws_world.set_alias("acme-Production-main")
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.deploy_template(sandbox.external_id)
    with pytest.raises(accounts.ConnectionRefused, match="looks like production"):
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="us-east-1")
    assert not Sandbox.aws_for(learner).is_connected


def test_an_account_renamed_to_prod_after_connecting_cannot_be_confirmed(aws_world, learner):
    sandbox = aws_world.connect(learner, confirm=False)
    aws_world.set_alias("team-prod")
    with pytest.raises(accounts.ConnectionRefused, match="looks like production"):
        accounts.sandbox_confirm(sandbox=sandbox, typed=LEARNER_ACCOUNT)
    sandbox.refresh_from_db()
    assert sandbox.confirmed_at is None


def test_a_blocklisted_account_is_refused(aws_world, learner, settings):
    settings.LABS_AWS_ACCOUNT_BLOCKLIST = [LEARNER_ACCOUNT]
    key_id, secret = aws_world.user_keys()
    with pytest.raises(accounts.ConnectionRefused, match="blocklist"):
        accounts.sandbox_connect_keys(sandbox=Sandbox.aws_pending_for(learner), access_key_id=key_id,
                                      secret_access_key=secret, region="us-east-1")


def test_nothing_deploys_until_the_learner_types_the_account_id(aws_world, learner_client, learner,
                                                                 django_capture_on_commit_callbacks):
    sandbox = aws_world.connect(learner, confirm=False)
    with pytest.raises(aws.SandboxUnavailable, match="Confirm your AWS account"):
        start(learner, sandbox)

    # Starting from the lab page goes through the confirmation, which shows the cost first.
    response = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "auto", "sandbox": "aws"})
    assert response.status_code == 302 and response["Location"] == reverse("labs:account_confirm") + "?lab=fullstack&mode=auto"
    html = learner_client.get(response["Location"]).content.decode()
    assert "Type the account id" in html and "2109-8765-4321" in html
    assert "under US$0.01" in html and "Prices checked" in html and "Free tier" in html
    assert "https://aws.amazon.com/lambda/pricing/" in html and "https://aws.amazon.com/dynamodb/pricing/on-demand/" in html

    wrong = learner_client.post(reverse("labs:account_confirm"), {"account_id": "123456789012", "lab": "fullstack",
                                                                  "mode": "auto"})
    assert wrong.status_code == 400 and "That is not the account id" in wrong.content.decode()
    assert not LabRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=False):
        right = learner_client.post(reverse("labs:account_confirm"), {"account_id": "2109-8765-4321",
                                                                      "lab": "fullstack", "mode": "auto"})
    run = LabRun.objects.get()
    assert right.status_code == 302 and right["Location"] == run.get_absolute_url()
    assert run.sandbox == sandbox and run.mode == "auto" and run.status == LabRun.Status.QUEUED
    assert run.website_origin == f"http://sa-{run.token}-web-{LEARNER_ACCOUNT}.s3-website-us-east-1.amazonaws.com"
    sandbox.refresh_from_db()
    assert sandbox.confirmed_at is not None


def test_the_engine_refuses_an_account_that_is_no_longer_confirmed(aws_world, learner):
    sandbox = aws_world.connect(learner)
    run = start(learner, sandbox)
    Sandbox.objects.filter(pk=sandbox.pk).update(confirmed_at=None)
    run = act(run, "apply", "table")
    assert run.step_states["table"] == "pending" and "Confirm your AWS account" in run.message
    assert not run.ledger.exists()


# The labs, for real in a (mocked) account ---------------------------------------------------

def skipped_under_moto(lab):
    return replace(lab, verify=tuple(
        replace(check, run=lambda ctx, title=check.title: CheckResult.passed(f"{title}: {MOTO_SKIP}"))
        for check in lab.verify))


# moto's CloudFormation does not run the AWS::Serverless transform, deploy a REST API from an OpenAPI 2.0 body,
# know AWS::ApiGateway::Stage, or roll back a failed update ("TODO: ... implement rollback" in its source): the
# SAM lab's checks refuse what it fakes (tests/labs/test_sam_lab.py), so its automatic run is not tried here.
NOT_UNDER_MOTO = {"sam"}


@pytest.mark.parametrize("lab", [lab for lab in all_labs() if lab.slug not in NOT_UNDER_MOTO], ids=lambda lab: lab.slug)
def test_the_lab_runs_automatically_in_an_aws_account_from_deploy_to_teardown(aws_world, learner, lab, monkeypatch):
    """Every step is applied and checked against moto's AWS APIs; the verify checks that need the
    deployed app over live HTTP are skipped with the reason in their event; teardown follows the
    ledger, then the account is searched for anything left."""
    monkeypatch.setattr(LabRun, "lab", property(lambda run: skipped_under_moto(get_lab(run.lab_slug))))
    # A big upload (the video lab's ffmpeg layer) is multipart, from s3transfer's worker threads, and each
    # part is an AWS action the run records: the test's in-memory SQLite serves one thread at a time.
    from boto3.s3.transfer import TransferConfig

    monkeypatch.setattr(TransferConfig, "__init__", partialmethod(TransferConfig.__init__, use_threads=False))
    sandbox = aws_world.connect(learner)
    run = start(learner, sandbox, lab=lab, mode=LabRun.Mode.AUTO)
    runner.execute(run.pk)
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED), run.message
    assert run.step_states == {step.slug: "passed" for step in lab.steps}
    skipped = list(run.events.filter(kind="verify", status="ok").exclude(step="").values_list("message", flat=True))
    assert len(skipped) == len(lab.verify) and all(MOTO_SKIP in message for message in skipped)
    # Everything deleted (the function's log group was never made: moto runs no code, so it is "already gone").
    assert run.ledger.filter(status=LedgerEntry.Status.DELETED).exists()
    assert not run.ledger.filter(status__in=LedgerEntry.PRESENT).exists()
    assert run.events.filter(kind="teardown", status="ok", message__startswith="Checked the account after teardown: "
                                                                              "nothing named").exists()
    assert guardrails.find_leftovers(aws.clients_for(sandbox), run.prefix) == ([], [])
    assert run.events.filter(kind="aws", message="iam CreateRole").exists() or "iam:role" not in {
        entry.kind for entry in run.ledger.all()}


def test_leftovers_are_reported_after_teardown_and_a_retry_deletes_them(aws_world, learner):
    sandbox = aws_world.connect(learner)
    run = act(start(learner, sandbox), "apply", "table")
    assert run.step_states["table"] == "passed"
    # Made outside the ledger: a table named like the run, and a queue tagged with it.
    admin = aws_world.admin_clients()
    admin.dynamodb.create_table(TableName=f"{run.prefix}-stray", BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    queue_url = admin.sqs.create_queue(QueueName="made-by-hand", tags={RUN_TAG: run.prefix})["QueueUrl"]

    run = tear_down(run)
    assert run.status == LabRun.Status.TEARDOWN_FAILED
    # Named like the run: the inventory after the ledger finds it, and the teardown deletes it itself.
    stray = run.ledger.get(name=f"{run.prefix}-stray")
    assert stray.leftover and stray.status == LedgerEntry.Status.DELETED
    assert f"{run.prefix}-stray" not in admin.dynamodb.list_tables()["TableNames"] and f"{run.prefix}-stray" not in run.message
    # Tagged with the run, of a kind the labs do not delete: reported, so the run is not "cleaned".
    assert f"arn:aws:sqs:us-east-1:{LEARNER_ACCOUNT}:made-by-hand: tagged with this run" in run.message
    assert run.ledger.get(name=f"{run.prefix}-items").status == LedgerEntry.Status.DELETED

    admin.sqs.delete_queue(QueueUrl=queue_url)
    run = tear_down(run)
    assert run.status == LabRun.Status.CLEANED, run.message
    assert f"{run.prefix}-stray" not in admin.dynamodb.list_tables()["TableNames"]


# Time-to-live -------------------------------------------------------------------------------

def test_every_run_gets_a_time_to_live(settings):
    settings.LABS_RUN_TTL_SECONDS = 600
    from tests.factories import LabRunFactory

    run = LabRunFactory()
    assert timedelta(seconds=590) < run.expires_at - timezone.now() <= timedelta(seconds=600)


def test_a_run_past_its_time_to_live_is_torn_down_and_the_learner_sees_why(aws_world, learner, learner_client):
    sandbox = aws_world.connect(learner)
    run = act(start(learner, sandbox), "apply", "table")
    other = UserFactory()
    busy = start(other, aws_world.connect(other, account=OTHER_ACCOUNT), mode=LabRun.Mode.AUTO)
    LabRun.objects.filter(pk__in=[run.pk, busy.pk]).update(expires_at=timezone.now() - timedelta(seconds=1))
    LabRun.objects.filter(pk=busy.pk).update(status=LabRun.Status.RUNNING)

    assert sorted(guardrails.expire_runs(enqueue=tasks.enqueue_run)) == sorted([run.pk, busy.pk])
    run.refresh_from_db()
    assert (run.status, run.pending_action, run.outcome) == ("queued", "teardown", "expired")
    busy.refresh_from_db()
    assert busy.abandon_requested and busy.outcome == "expired"  # it stops after its current step
    assert guardrails.expire_runs(enqueue=tasks.enqueue_run) == []  # once

    runner.execute(run.pk)
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and run.message.startswith("Time is up: this run reached its "
                                                                          "time-to-live of 2 hours")
    assert aws.clients_for(sandbox).dynamodb.list_tables()["TableNames"] == []
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert "Time is up: this run reached its time-to-live of 2 hours" in html


# Runs still holding resources ---------------------------------------------------------------

def test_the_learner_sees_every_run_holding_resources_and_tears_them_all_down(aws_world, learner, learner_client,
                                                                             django_capture_on_commit_callbacks):
    from tests.factories import LabRunFactory, LedgerEntryFactory

    aws_run = act(start(learner, aws_world.connect(learner)), "apply", "table")
    local_run = LabRunFactory(user=learner, status=LabRun.Status.TEARDOWN_FAILED)
    LedgerEntryFactory(run=local_run, status=LedgerEntry.Status.DELETE_FAILED)
    LabRunFactory(user=learner, status=LabRun.Status.CLEANED)
    html = learner_client.get(reverse("labs:holding")).content.decode()
    assert aws_run.prefix in html and local_run.prefix in html and "2109-8765-4321" in html
    assert "Tear all of them down" in html
    assert "Runs still holding resources (2)" in learner_client.get(reverse("labs:index")).content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = learner_client.post(reverse("labs:holding_teardown"), follow=True)
    assert "Tearing down 2 runs" in response.content.decode()
    for run in (aws_run, local_run):
        run.refresh_from_db()
        assert (run.status, run.pending_action) == ("queued", "teardown")


def test_a_local_run_past_its_time_waits_for_the_sandbox_to_answer(monkeypatch, django_capture_on_commit_callbacks):
    from types import SimpleNamespace

    from labs import sandbox as local
    from tests.factories import LabRunFactory

    run = LabRunFactory(expires_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(local, "health", lambda *args: SimpleNamespace(up=False))
    assert guardrails.expire_runs(enqueue=tasks.enqueue_run) == []
    monkeypatch.setattr(local, "health", lambda *args: SimpleNamespace(up=True))
    with django_capture_on_commit_callbacks(execute=False):
        assert guardrails.expire_runs(enqueue=tasks.enqueue_run) == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.outcome) == (LabRun.Status.QUEUED, LabRun.Outcome.EXPIRED)
    assert run.events.last().message.startswith("Time is up")
