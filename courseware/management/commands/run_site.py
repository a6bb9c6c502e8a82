"""Start the whole site as `make run` does: web server, task worker, periodic scheduler and
whatever else settings.SITE_PROCESSES lists, as child processes stopped together."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the site with its task worker and helpers (settings.SITE_PROCESSES) until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        children = {}
        for name, argv in settings.SITE_PROCESSES.items():
            command = [sys.executable, "manage.py", *(part.format(host=host, port=port) for part in argv)]
            children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR)
            self.stdout.write(f"started {name} (pid {children[name].pid}): {' '.join(command[2:])}")

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    code = child.poll()
                    if code is not None:
                        self.stderr.write(f"{name} exited with code {code}; stopping the site")
                        exit_code = code or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        sys.exit(exit_code)
