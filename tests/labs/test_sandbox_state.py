"""The engine says truthfully what state the local sandbox is in (issue 16, item 6): down ("the
local sandbox is not running: start it with ..."), not an AWS region or permission problem; and
after it forgot a run's resources (a restart keeps nothing), teardown says so and reports nothing
as left behind."""

import pytest

from labs import services
from labs.catalog import get_lab
from labs.engine import resources, runner
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
