"""The engine says truthfully what state the local sandbox is in (issue 16, item 6): down ("the
local sandbox is not running: start it with ..."), not an AWS region or permission problem; and
after it forgot a run's resources (a restart keeps nothing), teardown says so and reports nothing
as left behind."""

import dataclasses

import pytest

from labs import services
from labs.catalog import get_lab
from labs.engine import resources, restarts, runner
from labs.models import LabRun, LedgerEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("fullstack")


def guided():
    return services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.GUIDED, website_origin="http://testserver")


def test_with_the_local_sandbox_down_a_step_says_to_start_it(sandbox_down):
    run = guided()
    services.lab_run_request(run=run, action=LabRun.Action.APPLY, step=LAB.steps[0].slug)
    run = runner.execute(run.pk)
    assert "The local sandbox is not running" in run.message and "python manage.py sandbox" in run.message
    assert "region" not in run.message.lower()


def test_after_the_sandbox_forgot_a_run_teardown_says_so_and_lists_nothing(sandbox_url):
    run = guided()
    ctx = runner.context_for(run, runner.DbRecorder(run))
    for step in LAB.steps[:2]:
        assert runner.run_step(run, ctx, step, apply=True)
    for entry in run.ledger.order_by("-id"):  # what a restart does: everything forgotten
        resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name)
    services.lab_run_teardown(run=run)
    run = runner.execute(run.pk)
    assert run.status == LabRun.Status.CLEANED
    assert "no longer had any of this run's resources" in run.message
    assert not run.ledger.filter(status__in=LedgerEntry.PRESENT).exists()


def forget_everything(run, ctx):
    """What a sandbox restart does to the run's account: every resource, and the engine's marker, gone."""
    for entry in run.ledger.order_by("-id"):
        resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name)
    ctx.clients.ssm.delete_parameter(Name=restarts.MARKER)


def test_a_sandbox_restart_between_steps_is_named_and_the_steps_go_back_to_be_built(sandbox_url):
    run = guided()
    services.lab_run_request(run=run, action=LabRun.Action.APPLY, step=LAB.steps[0].slug)
    run = runner.execute(run.pk)
    ctx = runner.context_for(run, runner.DbRecorder(run))
    assert run.step_states.get(LAB.steps[0].slug) == "passed" and ctx.clients.ssm.get_parameter(Name=restarts.MARKER)
    forget_everything(run, ctx)
    services.lab_run_request(run=run, action=LabRun.Action.CHECK, step=LAB.steps[0].slug)
    run = runner.execute(run.pk)
    said = list(run.events.values_list("message", flat=True))
    assert restarts.RESTARTED in said, said
    assert run.message == restarts.RESTARTED and run.status == LabRun.Status.WAITING
    assert not run.ledger.filter(status=LedgerEntry.Status.CREATED).exists()  # nothing reported as left
    assert run.step_states == {}  # back to "not built"
    services.lab_run_request(run=run, action=LabRun.Action.APPLY, step=LAB.steps[0].slug)
    run = runner.execute(run.pk)  # built again in the new sandbox
    assert run.step_states.get(LAB.steps[0].slug) == "passed", run.message
    services.lab_run_teardown(run=run)
    run = runner.execute(run.pk)
    assert run.status == LabRun.Status.CLEANED


def test_a_sandbox_restart_during_a_step_is_named_as_the_cause_of_its_failure(sandbox_url):
    run = guided()
    ctx = runner.context_for(run, runner.DbRecorder(run))
    assert runner.run_step(run, ctx, LAB.steps[0], apply=True)
    restarts.leave_marker(ctx.clients.target)
    real_apply = LAB.steps[1].apply

    def restart_then_apply(step_ctx):
        forget_everything(run, ctx)
        real_apply(step_ctx)

    assert not runner.run_step(run, ctx, dataclasses.replace(LAB.steps[1], apply=restart_then_apply), apply=True)
    run.refresh_from_db()
    assert run.message == restarts.RESTARTED_DURING, run.message


def test_a_missing_marker_alone_is_not_called_a_restart(sandbox_url):
    """A site upgraded from before the marker: its runs' resources still exist, so nothing is said."""
    run = guided()
    ctx = runner.context_for(run, runner.DbRecorder(run))
    assert runner.run_step(run, ctx, LAB.steps[0], apply=True)
    try:
        ctx.clients.ssm.delete_parameter(Name=restarts.MARKER)
    except Exception:  # noqa: BLE001 - never left: the steps above ran outside an action
        pass
    services.lab_run_request(run=run, action=LabRun.Action.CHECK, step=LAB.steps[0].slug)
    run = runner.execute(run.pk)
    assert restarts.RESTARTED not in list(run.events.values_list("message", flat=True))
    assert run.step_states.get(LAB.steps[0].slug) == "passed"
    services.lab_run_teardown(run=run)
    assert runner.execute(run.pk).status == LabRun.Status.CLEANED
