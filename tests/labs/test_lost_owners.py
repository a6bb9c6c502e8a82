"""Every run that holds resources and has no live owner is recovered (issue 16, items 2 and 3):
a queued run whose task is gone, a running run whose process is dead (by its host:pid), and a
`lab run` stopped by SIGTERM or SIGHUP, which tears down as on Ctrl-C."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from labs import aws, services
from labs.catalog import get_lab
from labs.engine import reaper, runner, tasks
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.conftest import leftovers, run_worker
from tests.labs.test_crash_recovery import manage, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("fullstack")


def half_deployed(user, *, enqueue=True) -> LabRun:
    """An automatic run whose first two steps were built (a table, a role and a function exist)."""
    run = services.lab_run_start(user=user, lab=LAB, mode=LabRun.Mode.AUTO, website_origin="http://testserver",
                                 explore_seconds=0, enqueue=enqueue)
    run.refresh_from_db()
    ctx = runner.context_for(run, runner.DbRecorder(run))
    for step in LAB.steps[:2]:
        assert runner.run_step(run, ctx, step, apply=True)
    return run


def aged(run: LabRun, **fields) -> LabRun:
    LabRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(minutes=10), **fields)
    return LabRun.objects.get(pk=run.pk)


def test_a_queued_run_whose_worker_died_after_taking_its_task_is_torn_down(sandbox_url):
    run = half_deployed(UserFactory())
    assert run.task_id
    # The worker took the task (RUNNING) and died before moving the run on: the run stays queued.
    DBTaskResult.objects.filter(id=run.task_id).update(status="RUNNING", worker_ids=["dead-worker"])
    run = aged(run)
    assert leftovers(aws.target_for(run.sandbox), run.prefix)

    assert reaper.reap(enqueue=tasks.enqueue_run) == [run.pk]
    run_worker()
    run.refresh_from_db()
    assert (run.status, run.outcome) == (LabRun.Status.CLEANED, LabRun.Outcome.CRASHED), run.message
    assert run.events.filter(message__contains="a worker took its task and stopped before starting it").exists()
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}


def test_a_queued_run_with_no_task_at_all_is_torn_down(sandbox_url):
    run = aged(half_deployed(UserFactory(), enqueue=False))  # e.g. `lab run` killed before it claimed the run
    assert reaper.reap(enqueue=tasks.enqueue_run) == [run.pk]
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and leftovers(aws.target_for(run.sandbox), run.prefix) == {}


def test_queued_runs_waiting_their_turn_are_left_alone(sandbox_url):
    waiting = aged(services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.AUTO,
                                          website_origin="http://testserver", explore_seconds=0))
    fresh = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.AUTO,
                                   website_origin="http://testserver", explore_seconds=0, enqueue=False)
    assert DBTaskResult.objects.get(id=waiting.task_id).status == "READY"
    assert reaper.stalled() == [] and fresh.status == LabRun.Status.QUEUED


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_lab_teardown_takes_over_a_running_run_whose_process_is_dead(sandbox_url):
    run = half_deployed(UserFactory(), enqueue=False)
    worker = f"{runner.worker_id().rsplit(':', 1)[0]}:{dead_pid()}"
    LabRun.objects.filter(pk=run.pk).update(status=LabRun.Status.RUNNING, worker=worker, heartbeat_at=timezone.now())
    call_command("lab", "teardown", str(run.pk))  # before: "Run N is working"
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and leftovers(aws.target_for(run.sandbox), run.prefix) == {}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signals")
    database = folder / "template.sqlite3"
    env = {**os.environ, "VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "0",
           "LOG_LEVEL": "WARNING"}
    manage(env, "migrate", "-v", "0")
    return database


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_lab_run_stopped_by_sigterm_or_sighup_tears_down(ministack, migrated, tmp_path, signum):
    database = tmp_path / "run.sqlite3"
    database.write_bytes(migrated.read_bytes())
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{database}",
           "LABS_SANDBOX_URL": ministack.url, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    cli = subprocess.Popen([sys.executable, "manage.py", "lab", "run", "fullstack"], cwd=settings.BASE_DIR, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(database, "SELECT id FROM labs_ledgerentry WHERE kind = 'lambda:function' AND status = 'created'")
        cli.send_signal(signum)
        out, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 128 + signum, out
    assert f"Stopped by {signum.name}" in out
    with sqlite3.connect(database) as connection:
        status, prefix, account = connection.execute(
            "SELECT r.status, 'sa-' || r.token, s.account_id FROM labs_labrun r JOIN labs_sandbox s "
            "ON s.id = r.sandbox_id").fetchone()
        present = connection.execute("SELECT kind, name FROM labs_ledgerentry "
                                     "WHERE status NOT IN ('deleted', 'gone')").fetchall()
    assert status == "cleaned" and present == [], out
    assert leftovers(aws.local_target(account, "us-east-1", ministack.url), prefix) == {}
