"""Start the whole site as `make run` does: web server, task worker, periodic scheduler and
whatever else settings.SITE_PROCESSES lists, as child processes stopped together.

A child that exits is started again (the task worker once died on "database is locked" while a
big import held SQLite's write lock, and took the whole site down with it). Only a child that
keeps dying, RESTART_LIMIT times within RESTART_WINDOW seconds, stops the site."""

import signal
import subprocess
import sys
import time
from collections import deque

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

RESTART_LIMIT = 5
RESTART_WINDOW = 60.0


class Supervisor:
    """Children by name; ``check()`` restarts the ones that exited and says what it did."""

    def __init__(self, commands: dict[str, list[str]], *, cwd=None, limit: int = RESTART_LIMIT,
                 window: float = RESTART_WINDOW, say=print):
        self.commands, self.cwd, self.limit, self.window, self.say = commands, cwd, limit, window, say
        self.children: dict[str, subprocess.Popen] = {}
        self.exits: dict[str, deque] = {name: deque() for name in commands}

    def start(self, name: str) -> None:
        self.children[name] = subprocess.Popen(self.commands[name], cwd=self.cwd)
        self.say(f"started {name} (pid {self.children[name].pid}): {' '.join(self.commands[name][2:])}")

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)

    def check(self) -> int | None:
        """Restart exited children; an exit code for the site when one keeps dying, else None."""
        now = time.monotonic()
        for name, child in list(self.children.items()):
            code = child.poll()
            if code is None:
                continue
            exits = self.exits[name]
            exits.append(now)
            while exits and now - exits[0] > self.window:
                exits.popleft()
            if len(exits) >= self.limit:
                self.say(f"{name} exited with code {code}, {len(exits)} times in {self.window:.0f} s; stopping the site")
                return code or 1
            self.say(f"{name} exited with code {code}; starting it again ({len(exits)} of {self.limit} "
                     f"allowed in {self.window:.0f} s)")
            self.start(name)
        return None

    def stop_all(self, grace: float = 10) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + grace
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


class Command(BaseCommand):
    help = "Run the site with its task worker and helpers (settings.SITE_PROCESSES) until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        if getattr(settings, "HTTPS", False) and any(argv and argv[0] == "runserver" for argv in settings.SITE_PROCESSES.values()):
            # runserver speaks plain HTTP: with HTTPS=1 it would mark cookies secure-only and
            # redirect to an https:// that nothing serves, or, behind BEHIND_PROXY, believe any
            # client that sends X-Forwarded-Proto: https.
            raise CommandError("HTTPS=1 is for the production server behind a TLS proxy (README, \"Production\"). "
                               "The development server that `make run` starts serves plain HTTP only: unset HTTPS.")
        commands = {name: [sys.executable, "manage.py", *(part.format(host=host, port=port) for part in argv)]
                    for name, argv in settings.SITE_PROCESSES.items()}
        supervisor = Supervisor(commands, cwd=settings.BASE_DIR, say=self.stdout.write)
        supervisor.start_all()

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        try:
            while not stopping:
                code = supervisor.check()
                if code is not None:
                    exit_code = code
                    break
                time.sleep(0.5)
        finally:
            supervisor.stop_all()
        sys.exit(exit_code)
