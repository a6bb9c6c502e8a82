"""Benchmarks of the site as it is hosted: through gunicorn, DEBUG off, on 127.0.0.1 only.

    manage.py bench pages [--rounds 5] [--seconds 5] [--connections 8] [--workers 2]
    manage.py bench load [--users 200] [--seconds 300]      # Locust, PostgreSQL, gunicorn, 2 task workers

Serves a copy of the site (its own database under a temporary VAR_DIR, content synced, static
files collected) and measures, alternating in every round, a cheat-sheet page for an anonymous
reader, the same page signed in, and a static file of exactly the page's size. Load comes from
wrk (Debian's `wrk` package) when it is installed, else from a small Python client (which can
saturate before the server does: the command says which it used). Bounded: rounds x kinds x
seconds of traffic to 127.0.0.1.
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SHEET = "/cheatsheets/lambda/"
GOALS = {"anonymous": 0.8, "signed in": 0.5}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A copy of the site under gunicorn, started and stopped by the benchmark."""

    def __init__(self, var_dir: Path, workers: int):
        self.port = _free_port()
        self.env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-" + "k" * 60, "ALLOWED_HOSTS": "127.0.0.1",
                    "VAR_DIR": str(var_dir), "STATIC_ROOT": str(var_dir / "static"), "PORT": str(self.port),
                    "WEB_CONCURRENCY": str(workers), "ACCESS_LOG": "", "LOG_LEVEL": "WARNING"}
        if not os.environ.get("DATABASE_URL"):
            self.env["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
        self.process = None

    def manage(self, *args) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=self.env,
                                capture_output=True, text=True, timeout=600)
        if result.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> None:
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.process = subprocess.Popen([gunicorn, "-c", "courseware/gunicorn.conf.py", "courseware.wsgi"],
                                        cwd=settings.BASE_DIR, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).read()  # noqa: S310 - loopback
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SESSION = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from courseware.readers import BACKEND  # what signing in stores
user, _ = get_user_model().objects.get_or_create(username="bench-learner")
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), BACKEND
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.save()
print("SESSION", settings.SESSION_COOKIE_NAME, store.session_key)
"""


def wrk(url: str, seconds: float, connections: int, cookie: str = "") -> float:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise CommandError(f"{url}: {errors.group(1)} error responses under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def python_client(url: str, seconds: float, connections: int, cookie: str = "") -> float:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    counts, stop = [0] * connections, time.monotonic() + seconds

    def run(index):
        while time.monotonic() < stop:
            connection = HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: HTTP {response.status}")
            counts[index] += 1
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


LOAD_SETUP = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from courseware.readers import BACKEND  # what signing in stores
from cheatsheets.models import CheatSheet
from labs.models import LabRun, Sandbox
users = []
sheets = list(CheatSheet.objects.values_list("slug", flat=True))
for n in range({users}):
    user, _ = get_user_model().objects.get_or_create(username=f"load-{{n}}")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    sandbox = Sandbox.objects.create(user=user, kind="local", account_id=str(300000000000 + n), region="us-east-1")
    run = LabRun.objects.create(user=user, sandbox=sandbox, lab_slug="fullstack", mode="guided", status="waiting",
                                website_origin="http://127.0.0.1",
                                step_states={{"table": "passed", "function": "pending", "api": "pending", "website": "pending"}})
    users.append({{"cookie_name": settings.SESSION_COOKIE_NAME, "session": store.session_key, "run": run.pk,
                  "sheets": sheets, "exam": "serverless-mock-exam"}})
open({path!r}, "w").write(json.dumps(users))
"""

LOAD_CHECK = """
from quizzes.models import Answer, Attempt
saved = {{}}
for line in open({path!r}):
    attempt, position, options = line.split(" ")
    saved[(int(attempt), int(position))] = sorted(int(o) for o in options.strip().split(",") if o)
answers = {{(a.attempt_id, a.position): a for a in Answer.objects.filter(attempt_id__in={{k[0] for k in saved}})}}
submitted = set(Attempt.objects.filter(status="submitted").values_list("id", flat=True))
missing = [k for k, v in saved.items() if k not in answers or sorted(answers[k].selected) != v]
ungraded = [k for k in saved if k[0] in submitted and answers.get(k) is not None and answers[k].credit is None]
print("CHECK", len(saved), sum(1 for k in saved if k[0] in submitted), len(missing), len(ungraded), len(submitted))
"""


def _percentile_rows(csv_path: Path) -> list[dict]:
    import csv

    with open(csv_path, newline="") as handle:
        return list(csv.DictReader(handle))


class Command(BaseCommand):
    help = "Benchmark pages through the production server against a static file of the same size; load-test it."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["pages", "load"])
        parser.add_argument("--users", type=int, default=200, help="load: simulated learners")
        parser.add_argument("--spawn-rate", type=float, default=10, help="load: learners started per second")
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--seconds", type=float, default=None, help="per round (pages, default 5) or in all (load, default 300)")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--csv", metavar="PREFIX", default="",
                            help="load: keep Locust's CSV files (PREFIX_stats.csv, PREFIX_stats_history.csv: the "
                                 "percentiles second by second, ...)")
        parser.add_argument("--workers", type=int, default=None,
                            help="gunicorn worker processes (pages: 2; load: gunicorn.conf.py's default, 2 x cores + 1)")

    def handle(self, *args, what, seconds, workers, **options):
        if what == "load":
            import multiprocessing

            return self.load(seconds=seconds or 300, workers=workers or multiprocessing.cpu_count() * 2 + 1, **options)
        return self.pages(seconds=seconds or 5, workers=workers or 2, **options)

    def load(self, *, users, spawn_rate, seconds, workers, csv, **options):
        import psycopg

        admin = os.environ.get("LOAD_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        name = f"sa_load_{os.getpid()}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        var_dir = Path(tempfile.mkdtemp(prefix="sa-load-"))
        server = Server(var_dir, workers)
        server.env["DATABASE_URL"] = admin.rsplit("/", 1)[0] + "/" + name
        server.env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        server.env["CACHE_PREFIX"] = name
        helpers = []
        try:
            server.manage("migrate", "-v", "0")
            server.manage("sync_content")
            server.manage("collectstatic", "--noinput", "-v", "0")
            users_file, saved_file = var_dir / "users.json", var_dir / "saved.txt"
            server.manage("shell", "-c", LOAD_SETUP.format(users=users, path=str(users_file)))
            saved_file.write_text("")
            server.start()
            for argv in (["db_worker", "--no-reload", "--interval", "0.2"], ["db_worker", "--no-reload", "--interval", "0.2"],
                         ["periodic"]):
                helpers.append(subprocess.Popen([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR,
                                                env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.stdout.write(f"{users} learners for {seconds:.0f} s on PostgreSQL + Redis through gunicorn "
                              f"({server.env['WEB_CONCURRENCY']} workers) with 2 task workers, 127.0.0.1 only")
            locust = os.path.join(os.path.dirname(sys.executable), "locust")
            prefix = var_dir / "locust"
            result = subprocess.run(
                [locust, "-f", "courseware/loadtest/locustfile.py", "--headless", "-u", str(users), "-r", str(spawn_rate),
                 "-t", f"{int(seconds)}s", "--host", server.url, "--csv", str(prefix), "--only-summary",
                 "--stop-timeout", "10", "--loglevel", "WARNING"],
                cwd=settings.BASE_DIR, env={**os.environ, "LOADTEST_USERS": str(users_file),
                                            "LOADTEST_SAVED": str(saved_file)},
                capture_output=True, text=True, timeout=seconds + 300)
            if csv:
                for produced in var_dir.glob("locust_*.csv"):
                    shutil.copy(produced, f"{csv}{produced.name.removeprefix('locust')}")
            rows = _percentile_rows(Path(f"{prefix}_stats.csv"))
            self.stdout.write(f"\n{'endpoint':<16} {'requests':>9} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
            for row in rows:
                self.stdout.write(f"{row['Name']:<16} {row['Request Count']:>9} {row['Failure Count']:>7} "
                                  f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}")
            failures = Path(f"{prefix}_failures.csv")
            if failures.exists() and failures.read_text().count("\n") > 1:
                self.stdout.write("\nErrors:\n" + failures.read_text()[:3000])
            check = server.manage("shell", "-c", LOAD_CHECK.format(path=str(saved_file)))
            total, in_submitted, missing, ungraded, attempts = map(int, check.split("CHECK", 1)[1].split())
            self.stdout.write(f"\nAnswers saved by the simulated learners: {total:,} ({in_submitted:,} in {attempts} "
                              f"submitted exams); missing or different in the database: {missing}; "
                              f"in submitted exams but ungraded: {ungraded}")
            if result.returncode not in (0, 1):
                self.stdout.write(result.stderr[-3000:])
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(20)
            server.stop()
            shutil.rmtree(var_dir, ignore_errors=True)
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def signed_in_jar(self, server, cookie: str) -> str:
        """The signed-in reader's cookies as a browser holds them after signing in: the session and
        the CSRF cookie the first page set. Refuses to measure a page that is not signed in."""
        request = urllib.request.Request(server.url + SHEET, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            body, set_cookies = response.read(), response.headers.get_all("Set-Cookie") or []
        if b"bench-learner" not in body:
            raise CommandError(f"{SHEET} with the bench session is not the signed-in page: nothing to measure.")
        csrf = [line.split(";", 1)[0] for line in set_cookies if line.startswith(settings.CSRF_COOKIE_NAME + "=")]
        return "; ".join([cookie, *csrf])

    def pages(self, *, rounds, seconds, connections, workers, **options):
        load = wrk if shutil.which("wrk") else python_client
        var_dir = Path(tempfile.mkdtemp(prefix="sa-bench-"))
        server = Server(var_dir, workers)
        try:
            server.manage("migrate", "-v", "0")
            server.manage("sync_content")
            name, key = server.manage("shell", "-c", SESSION).split("SESSION", 1)[1].split()
            cookie = f"{name}={key}"
            server.manage("collectstatic", "--noinput", "-v", "0")
            server.start()
            size = len(urllib.request.urlopen(server.url + SHEET, timeout=10).read())  # noqa: S310 - loopback
            server.stop()
            # A static file of exactly the page's size, collected before the server starts
            # (WhiteNoise indexes the static root at start).
            static_file = var_dir / "static" / "bench-same-size.html"
            static_file.write_bytes(b"x" * size)
            server.start()
            cookie = self.signed_in_jar(server, cookie)
            kinds = {"static file": (server.url + "/static/bench-same-size.html", ""),
                     "anonymous": (server.url + SHEET, ""), "signed in": (server.url + SHEET, cookie)}
            for url, jar in kinds.values():  # warm-up: caches filled, workers imported everything
                load(url, 1, connections, jar)
            results = {kind: [] for kind in kinds}
            self.stdout.write(f"{SHEET} ({size:,} bytes) vs a static file of the same size; gunicorn {workers} "
                              f"workers, DEBUG off, {connections} connections, load from "
                              f"{'wrk' if load is wrk else 'a Python client (install wrk for a stronger one)'}")
            for number in range(1, rounds + 1):
                order = list(kinds) if number % 2 else list(reversed(kinds))  # alternate which goes first
                line = []
                for kind in order:
                    url, jar = kinds[kind]
                    rate = load(url, seconds, connections, jar)
                    results[kind].append(rate)
                    line.append(f"{kind} {rate:,.0f}/s")
                self.stdout.write(f"  round {number}: " + ", ".join(line))
            static = statistics.median(results["static file"])
            self.stdout.write(f"\nmedian requests/s: static file {static:,.0f}")
            for kind, goal in GOALS.items():
                rate = statistics.median(results[kind])
                verdict = "meets" if rate / static >= goal else "misses"
                self.stdout.write(f"  {kind:<10} {rate:,.0f}/s = {rate / static:.2f} of the static file "
                                  f"({verdict} the goal of {goal})")
        finally:
            server.stop()
            shutil.rmtree(var_dir, ignore_errors=True)
