"""Production serving (issue 17): gunicorn with DEBUG off serves pages and collected static
files; the health endpoint; JSON logs; two schedulers on one database enqueue once."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.urls import reverse

from tests.labs.test_crash_recovery import manage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 10):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        return response.status, dict(response.headers), response.read()


def test_gunicorn_with_debug_off_serves_pages_static_files_and_health(tmp_path):
    port = _free_port()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test-" + "x" * 60, "ALLOWED_HOSTS": "127.0.0.1",
           "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
           "STATIC_ROOT": str(tmp_path / "static"), "PORT": str(port), "WEB_CONCURRENCY": "2", "ACCESS_LOG": "",
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    env.pop("CACHE_URL", None)
    manage(env, "migrate", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "sync_content", timeout=180)
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c",
                               "courseware/gunicorn.conf.py", "courseware.wsgi"], cwd=settings.BASE_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = _get(base + "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read().decode()[-2000:]
                time.sleep(0.2)
        status, headers, body = _get(base + "/cheatsheets/lambda/")
        page = body.decode()
        assert status == 200 and "AWS Lambda" in page and "Content-Security-Policy" in headers
        css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert css.startswith("/static/courseware/css/site.") and css.endswith(".css")  # the hashed, collected name
        status, headers, body = _get(base + css)
        assert status == 200 and "max-age=315360000" in headers.get("Cache-Control", "") and b".sheet-grid" in body
        status, _, body = _get(base + "/healthz")
        health = json.loads(body)
        assert status == 200 and health["checks"]["database"]["ok"] and health["checks"]["cache"]["ok"]
        try:
            _get(base + "/no/such/page/")
        except urllib.error.HTTPError as error:
            assert error.code == 404 and b"Traceback" not in error.read()  # DEBUG is off
        else:
            raise AssertionError("a missing page answered 200")
    finally:
        server.terminate()
        server.wait(20)


@pytest.mark.django_db
def test_health_reports_database_cache_worker_and_sandbox(client):
    from labs import sandbox

    sandbox.forget_status()
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert body["checks"]["worker"] == {"ok": False, "last_task_started_seconds_ago": None}  # no task has run yet
    assert "sandbox" in body["checks"] and response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_health_is_503_when_the_cache_does_not_answer(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{_free_port()}/0"}}
    from django.core.cache import caches

    caches._settings = None  # re-read the settings above
    try:
        response = client.get(reverse("health"))
        assert response.status_code == 503 and response.json()["checks"]["cache"]["ok"] is False
    finally:
        caches._settings = None


def test_json_log_lines():
    from courseware.logs import JsonFormatter

    record = logging.LogRecord("labs.runner", logging.WARNING, __file__, 1, "run %s stalled", (42,), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "labs.runner" and line["message"] == "run 42 stalled"


@pytest.fixture
def scheduler_database(tmp_path):
    """A database of its own for separate processes: on PostgreSQL when the suite runs there
    (the advisory lock), else a SQLite file (IMMEDIATE transactions)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'two.sqlite3'}"
        return
    import psycopg

    name = f"sa_schedulers_{os.getpid()}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_two_schedulers_on_one_database_enqueue_each_task_once(tmp_path, scheduler_database):
    """Issue 17: the scheduler is safe when two hosts run it: each periodic task is enqueued
    once per interval, not once per scheduler."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": scheduler_database, "DEBUG": "0",
           "LOG_LEVEL": "WARNING"}
    manage(env, "migrate", "-v", "0")
    schedulers = [subprocess.Popen([sys.executable, "manage.py", "periodic", "--seconds", "3"], cwd=settings.BASE_DIR,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for scheduler in schedulers:
        assert scheduler.wait(60) == 0, scheduler.stderr.read().decode()
    counts = manage(env, "shell", "-c", "from django.db.models import Count\n"
                    "from django_tasks_db.models import DBTaskResult\n"
                    "for row in DBTaskResult.objects.values('task_path').annotate(n=Count('id')): "
                    "print('ROW', row['task_path'], row['n'])")
    rows = [line.split()[1:] for line in counts.strip().splitlines() if line.startswith("ROW ")]
    assert rows and all(count == "1" for _, count in rows), rows
    assert {path for path, _ in rows} == {path for path, _ in settings.PERIODIC_TASKS}


ENQUEUE = """
from tests.courseware.tasks_for_tests import record_run
for number in range(40):
    record_run.enqueue({path!r}, number)
"""


def test_two_task_workers_never_run_the_same_task(tmp_path, scheduler_database):
    """Issue 17: several workers on one database; each task runs exactly once."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": scheduler_database, "DEBUG": "0",
           "LOG_LEVEL": "WARNING"}
    manage(env, "migrate", "-v", "0")
    log = tmp_path / "runs.log"
    manage(env, "shell", "-c", ENQUEUE.format(path=str(log)))
    workers = [subprocess.Popen([sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval",
                                 "0.05", "--no-reload", "--worker-id", f"w{i}"], cwd=settings.BASE_DIR, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(2)]
    for worker in workers:
        assert worker.wait(120) == 0, worker.stderr.read().decode()[-2000:]
    runs = log.read_text().split()
    assert sorted(map(int, runs)) == list(range(40))  # every task once: none lost, none twice
    ids = manage(env, "shell", "-c", "from django_tasks_db.models import DBTaskResult\n"
                 "print('IDS', sorted({w for r in DBTaskResult.objects.all() for w in r.worker_ids}))")
    assert "IDS ['w0', 'w1']" in ids  # both workers took tasks


def test_the_warm_up_compiles_every_template_and_touches_no_database():
    """gunicorn's master warms up before it forks (courseware/warmup.py): the workers inherit the
    compiled templates, and no database connection, which forked workers would share."""
    from contextlib import ExitStack

    from django.db import connections
    from django.template import engines

    from courseware.warmup import warm_up

    def refuse(*args, **kwargs):
        raise AssertionError("the warm-up queried the database")

    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(refuse))
        done = warm_up()
    assert done["templates"] >= 40 and done["labs"] >= 10
    loader = engines["django"].engine.template_loaders[0]
    assert {"base.html", "quizzes/exam.html", "cheatsheets/detail.html"} <= set(loader.get_template_cache)
