"""Benchmarks of the site as it is hosted: through gunicorn, DEBUG off, on 127.0.0.1 only.

    manage.py bench pages [--rounds 5] [--seconds 5] [--connections 8] [--workers 2]

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
user, _ = get_user_model().objects.get_or_create(username="bench-learner")
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
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


class Command(BaseCommand):
    help = "Benchmark pages through the production server against a static file of the same size."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["pages"])
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--seconds", type=float, default=5)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")

    def handle(self, *args, rounds, seconds, connections, workers, **options):
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
