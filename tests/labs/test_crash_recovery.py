"""A worker killed mid-deploy: its run is found by the periodic task and torn down.

Everything runs as separate processes on a database file of their own, as on a machine:
``db_worker`` is killed with SIGKILL while the API step is half done, then ``periodic
--once`` and a fresh ``db_worker`` recover the run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

from django.conf import settings

from labs import aws
from tests.labs.conftest import leftovers

CREATE_RUN = """
from django.contrib.auth import get_user_model
from labs import services
from labs.catalog import get_lab
user = get_user_model().objects.create(username="crash-victim")
run = services.lab_run_start(user=user, lab=get_lab("fullstack"), mode="auto", website_origin="http://testserver",
                             explore_seconds=0)
print(run.pk, run.prefix, run.sandbox.account_id)
"""


def manage(env, *args, timeout=60):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(database, query, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            row = connection.execute(query).fetchone()
        if row:
            return row
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {query}")


def test_a_worker_killed_mid_deploy_is_recovered_and_torn_down(ministack, tmp_path):
    database = tmp_path / "crash.sqlite3"
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{database}",
           "LABS_SANDBOX_URL": ministack.url, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    manage(env, "migrate", "-v", "0")
    run_id, prefix, account = manage(env, "shell", "-c", CREATE_RUN).split()[-3:]

    worker = subprocess.Popen([sys.executable, "tests/labs/crash_worker.py"], cwd=settings.BASE_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(database, f"SELECT id FROM labs_ledgerentry WHERE run_id = {run_id} AND kind = 'apigateway:rest-api' "
                           "AND status = 'created'")
        wait_for(database, f"SELECT id FROM labs_runevent WHERE run_id = {run_id} AND message LIKE 'apigateway PutIntegration%'")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)

    target = aws.local_target(account, "us-east-1", ministack.url)
    with sqlite3.connect(database) as connection:
        status, worker_id = connection.execute(f"SELECT status, worker FROM labs_labrun WHERE id = {run_id}").fetchone()
    assert status == "running" and worker_id.endswith(f":{worker.pid}")
    assert leftovers(target, prefix).keys() >= {"tables", "functions", "roles", "apis"}  # what the dead worker left

    manage(env, "periodic", "--once")  # what `make run` does at start and every minute: enqueue the reaper
    manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")

    with sqlite3.connect(database) as connection:
        status, outcome = connection.execute(f"SELECT status, outcome FROM labs_labrun WHERE id = {run_id}").fetchone()
        present = connection.execute(f"SELECT kind, name, status FROM labs_ledgerentry WHERE run_id = {run_id} "
                                     "AND status NOT IN ('deleted', 'gone')").fetchall()
        told = connection.execute(f"SELECT message FROM labs_runevent WHERE run_id = {run_id} AND kind = 'run' "
                                  "AND message LIKE '%lost its worker%'").fetchall()
    assert (status, outcome) == ("cleaned", "crashed")
    assert present == [] and len(told) == 1
    assert leftovers(target, prefix) == {}
