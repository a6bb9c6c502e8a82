"""Run the local lab sandbox alone: MiniStack on 127.0.0.1 (``make run`` starts it with the site)."""

import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs import sandbox


class Command(BaseCommand):
    help = "Run the local lab sandbox (MiniStack, bound to 127.0.0.1) until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=sandbox.port_of(settings.LABS_SANDBOX_URL),
                            help="Port to serve on (default: the port of LABS_SANDBOX_URL).")

    def handle(self, *args, port, **options):
        if not sandbox.enabled():
            raise CommandError("The local sandbox is switched off on this site (LABS_LOCAL_SANDBOX=off).")
        url = f"http://127.0.0.1:{port}"
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        if sandbox.health(url).up:
            # Keep running so a supervisor (run_site) does not take this for a crash.
            self.stdout.write(f"A sandbox already answers at {url}: labs will use it. Nothing to start.")
            while not stopping:
                time.sleep(0.5)
            return
        if sandbox.port_in_use(port):
            raise CommandError(f"127.0.0.1:{port} is taken by something that is not MiniStack: free it, or set "
                               "LABS_SANDBOX_PORT to another port.")
        local = sandbox.LocalSandbox(port, log=sys.stdout)
        try:
            local.start()
        except sandbox.SandboxError as error:
            raise CommandError(f"The sandbox did not start: {error}") from error
        self.stdout.write(f"Lab sandbox (MiniStack) ready at {url} (pid {local.process.pid}), bound to 127.0.0.1.")
        try:
            while not stopping:
                code = local.process.poll()
                if code is not None:
                    raise CommandError(f"MiniStack exited with code {code}.")
                time.sleep(0.5)
        finally:
            local.stop()
            self.stdout.write("Lab sandbox stopped: its resources are gone (state lives in memory).")
