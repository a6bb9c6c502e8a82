"""Labs from a terminal: the same engine the site uses.

    manage.py lab list
    manage.py lab run fullstack [--sandbox local] [--keep]   exit 0 only when verify passed and teardown cleaned
    manage.py lab teardown RUN_ID                             tear down a kept (or failed) run
    manage.py lab reap                                        what the periodic task does, once
    manage.py lab bench [--rounds 5]                          bare boto3 against the engine, alternating
    manage.py lab bench --lab video [--rounds 5]              ffmpeg run directly against the video lab's engine run
    manage.py lab bench --lab clickstream [--rounds 3]        bare boto3 against the clickstream lab's engine run
    manage.py lab bench --lab workflow [--rounds 5]           bare boto3 against the workflow lab's engine run
    manage.py lab bench --lab securedapi [--rounds 3]         bare boto3 against the secured-API lab's engine run
    manage.py lab bench --lab edge [--rounds 5]               bare boto3 against the edge lab's engine run
    manage.py lab bench --lab fanout [--rounds 3]             bare boto3 against the fan-out lab's engine run
    manage.py lab bench --lab relational [--rounds 3]         bare boto3 against the relational lab's engine run
    manage.py lab bench --lab containers [--rounds 5]         bare boto3 against the containers lab's engine run
    manage.py lab shell RUN_ID [-c COMMAND]                   a shell set up for a run's steps by hand (local sandbox)
"""

import os
import signal
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from labs import sandbox, services
from labs.engine import reaper, runner, tasks
from labs.catalog import all_labs, get_lab
from labs.models import LabRun, RunEvent, Sandbox

MARKS = {"start": "..", "ok": "ok", "fail": "!!", "info": "--"}


class Command(BaseCommand):
    help = "List labs, run one end to end, tear a run down, reap stalled runs, or benchmark the engine."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("list", help="The labs, their steps and services.")
        run = commands.add_parser("run", help="Run a lab automatically: deploy, check, verify, tear down.")
        run.add_argument("slug")
        run.add_argument("--sandbox", choices=[kind for kind, _ in Sandbox.Kind.choices], default="local")
        run.add_argument("--keep", action="store_true", help="Leave everything deployed (tear down later).")
        run.add_argument("--user", default="lab-cli", help="Whose run it is (created, unable to log in, if new).")
        run.add_argument("--origin", default=None, help="The website origin the API allows (LABS_SITE_ORIGIN).")
        teardown = commands.add_parser("teardown", help="Delete what a run left deployed.")
        teardown.add_argument("run_id", type=int)
        commands.add_parser("reap", help="Tear down runs whose worker died or that sat idle too long.")
        chaos = commands.add_parser("chaos", help="Run a lab with one AWS call failing at every position, and the "
                                                  "worker killed after every event; count what leaks.")
        chaos.add_argument("slug")
        chaos.add_argument("--positions", default="", help="Comma-separated N or ranges A-B to try; 'A-' resumes a sweep "
                                                           "at A; 'none' runs no failing call (default: every call).")
        chaos.add_argument("--kills", default="", help="Event numbers K or ranges A-B separated by commas; 'A-' resumes "
                                                       "at A; 'all' (default: none).")
        shell = commands.add_parser("shell", help="Open a shell for doing a run's steps by hand: the AWS CLI, boto3, "
                                                  "the run's variables and the lab's files (local sandbox runs).")
        shell.add_argument("run_id", type=int)
        shell.add_argument("-c", "--command", dest="shell_command", default=None,
                           help="Run this with bash instead of opening an interactive shell; exit with its status.")
        shell.add_argument("--dir", default=None, help="Where to put the lab's files (default var/labs/shell/RUN_ID).")
        bench = commands.add_parser("bench", help="Time a bare boto3 script against the engine's automatic run.")
        bench.add_argument("--rounds", type=int, default=5)
        bench.add_argument("--lab", choices=["fullstack", "video", "clickstream", "workflow", "securedapi", "edge", "fanout", "sam", "relational", "containers"], default="fullstack",
                           help="video: the ffmpeg work run directly against the video lab's automatic run.")

    def handle(self, *args, command, **options):
        return getattr(self, f"do_{command}")(**options)

    def do_list(self, **options):
        for lab in all_labs():
            self.stdout.write(f"{lab.slug:12} {lab.title}  (~{lab.minutes} min)")
            self.stdout.write(f"{'':12} {', '.join(lab.services)}")
            for number, step in enumerate(lab.steps, start=1):
                self.stdout.write(f"{'':12} {number}. {step.title}")
            self.stdout.write(f"{'':12} then verify: {len(lab.verify)} end-to-end checks")

    def do_run(self, *, slug, sandbox: str, keep: bool, user: str, origin: str | None, **options):
        lab = get_lab(slug)
        if lab is None:
            raise CommandError(f"No lab {slug!r}. Labs: {', '.join(lab.slug for lab in all_labs())}")
        if sandbox != Sandbox.Kind.LOCAL:
            raise CommandError("Only the local sandbox is available: your own AWS account comes later.")
        status = self._sandbox_up()
        learner, _ = get_user_model().objects.get_or_create(username=user, defaults={"is_active": False})
        run = services.lab_run_start(user=learner, lab=lab, mode=LabRun.Mode.AUTO, keep=keep, explore_seconds=0,
                                     website_origin=origin or settings.LABS_SITE_ORIGIN, enqueue=False)
        self.stdout.write(f"{lab.title}: run {run.pk} ({run.prefix}) in the local sandbox, account "
                          f"{run.sandbox.account_id}, {status.url}")
        started = time.perf_counter()
        echo = lambda event: self._print(event, started)  # noqa: E731
        if os.environ.get("LABS_CHAOS_KILL_AT_EVENT", "").isdigit():  # `lab chaos`: die after event K
            from labs.chaos import kill_self_after

            die, show = kill_self_after(int(os.environ["LABS_CHAOS_KILL_AT_EVENT"])), echo
            echo = lambda event: (show(event), die(event))  # noqa: E731
        with stopped_by_signals() as received:
            try:
                run = runner.execute(run.pk, echo=echo)
            except KeyboardInterrupt:
                if not received:
                    raise
                run = LabRun.objects.get(pk=run.pk)
                self._print_ledger(run)
                raise CommandError(f"Stopped by {received[0].name}: run {run.pk} is {run.get_status_display().lower()}.",
                                   returncode=128 + received[0].value) from None
        elapsed = time.perf_counter() - started
        self._print_ledger(run)
        summary = f"{run.get_outcome_display() or 'Unfinished'}, {run.get_status_display().lower()}, in {elapsed:.2f} s"
        if run.message:
            self.stdout.write(run.message)
        good = run.outcome == LabRun.Outcome.PASSED and run.status in (
            (LabRun.Status.KEPT,) if keep else (LabRun.Status.CLEANED,))
        if not good:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def do_teardown(self, *, run_id: int, **options):
        run = LabRun.objects.filter(pk=run_id).select_related("sandbox").first()
        if run is None:
            raise CommandError(f"No run {run_id}.")
        if run.is_busy and reaper.take_over(run):
            self.stdout.write(f"Run {run.pk} had no live worker: taking it over.")
        services.lab_run_teardown(run=run)
        run.refresh_from_db()
        if run.status == LabRun.Status.QUEUED:
            started = time.perf_counter()
            run = runner.execute(run.pk, echo=lambda event: self._print(event, started)) or run
        self._print_ledger(run)
        if run.status != LabRun.Status.CLEANED:
            raise CommandError(run.message or f"Run {run.pk} is {run.get_status_display().lower()}.")
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk}: cleaned."))

    def do_shell(self, *, run_id: int, shell_command: str | None, dir: str | None, **options):
        import subprocess
        from pathlib import Path

        from labs import workspace

        run = LabRun.objects.filter(pk=run_id).select_related("sandbox").first()
        if run is None:
            raise CommandError(f"No run {run_id}.")
        if not run.sandbox.is_local:
            raise CommandError(f"Run {run.pk} is in an AWS account: use that account's own credentials "
                               "(the site never hands them out). `lab shell` is for local sandbox runs.")
        if run.is_finished:
            raise CommandError(f"Run {run.pk} is {run.get_status_display().lower()}: start a new run on the lab's page.")
        folder = Path(dir) if dir else Path(settings.VAR_DIR) / "labs" / "shell" / str(run.pk)
        files = workspace.write_files(run, folder)
        env = workspace.shell_environment(run)
        if shell_command is not None:
            result = subprocess.run(["bash", "-c", shell_command], cwd=folder, env=env)
            if result.returncode:
                raise CommandError(f"The command exited with status {result.returncode}.", returncode=result.returncode)
            return
        self.stdout.write(f"Run {run.pk} ({run.lab.title if run.lab else run.lab_slug}), account {run.sandbox.account_id} "
                          f"in the local sandbox at {env['AWS_ENDPOINT_URL']}.")
        self.stdout.write(f"In {folder}: {', '.join(path.name for path in files) or 'no files'}. "
                          "`aws` and `python` (with boto3) talk to the sandbox. Type `exit` to leave.")
        self.stdout.write("Variables: " + " ".join(f"${name}" for name in workspace.environment(run)))
        subprocess.run(["bash", "--norc", "-i"], cwd=folder, env=env)

    def do_reap(self, **options):
        queued = reaper.reap(enqueue=tasks.enqueue_run)
        self.stdout.write(f"Queued a teardown for {len(queued)} run(s): {', '.join(map(str, queued)) or 'none'}.")

    def do_chaos(self, *, slug: str, positions: str, kills: str, **options):
        from labs.chaos import parse_positions, sweep

        lab = get_lab(slug)
        if lab is None:
            raise CommandError(f"No lab {slug!r}.")
        self._sandbox_up()
        user, _ = get_user_model().objects.get_or_create(username=f"lab-chaos-{slug}", defaults={"is_active": False})
        try:
            killing = parse_positions("1-" if kills == "all" else kills)
        except ValueError:
            raise CommandError(f"--kills {kills!r}: give 'all', or K, A-B or A- separated by commas.")
        try:
            wanted = parse_positions(positions)
        except ValueError:
            raise CommandError(f"--positions {positions!r}: give N, A-B or A- separated by commas, or 'none'.")
        trials, calls = sweep(lab, user, positions=wanted,
                              kills=killing, out=lambda t: self.stdout.write(
                                  f"{t.mode} {t.n:3}  {t.what[:50]:50}  {t.status:16} "
                                  f"{'LEAKED ' + '; '.join(t.leaked) if t.leaked else 'clean'}"))
        for mode in ("fail", "kill"):
            done = [t for t in trials if t.mode == mode and (t.n or mode == "kill")]
            if not done:
                continue
            leaked = [t for t in done if t.leaked]
            untrue = [t for t in done if t.untrue]
            self.stdout.write(f"{slug} {mode}: runs {len(done)}, clean {len(done) - len(leaked)}, leaked {len(leaked)}"
                              + (f" (N = {', '.join(str(t.n) for t in leaked)})" if leaked else "")
                              + (f", said cleaned while leaking: {len(untrue)}" if untrue else "")
                              + (f"; a fault-free run makes {calls} AWS calls" if mode == "fail" else ""))
        if any(t.leaked for t in trials):
            raise CommandError("Something leaked: see the list above.")

    def do_bench(self, *, rounds: int, lab: str = "fullstack", **options):
        from labs.bench.fullstack import run_bench

        if rounds < 1:
            raise CommandError("--rounds must be at least 1.")
        if lab == "clickstream":
            from labs.bench.clickstream import run_clickstream_bench

            run_clickstream_bench(rounds=rounds, out=self.stdout)
            return
        if lab == "securedapi":
            from labs.bench.securedapi import run_securedapi_bench

            run_securedapi_bench(rounds=rounds, out=self.stdout)
            return
        if lab == "fanout":
            from labs.bench.fanout import run_fanout_bench

            run_fanout_bench(rounds=rounds, out=self.stdout)
            return
        if lab == "video":
            from labs.bench.video import run_video_bench

            run_video_bench(rounds=rounds, out=self.stdout)
            return
        if lab == "workflow":
            from labs.bench.workflow import baseline_workflow

            # Its verify waits out real retries (1 s, then 2 s of backoff): the budget is the ratio alone.
            run_bench(rounds=rounds, out=self.stdout, slug="workflow", baseline_fn=baseline_workflow, limit_seconds=None)
            return
        if lab == "relational":
            from labs.bench.relational import baseline_relational

            # Its engine run waits out the teardown's second look (2 s): the budget is the ratio alone.
            run_bench(rounds=rounds, out=self.stdout, slug="relational", baseline_fn=baseline_relational,
                      limit_seconds=None)
            return
        if lab == "containers":
            from labs.bench.containers import baseline_containers

            run_bench(rounds=rounds, out=self.stdout, slug="containers", baseline_fn=baseline_containers,
                      limit_seconds=None)
            return
        if lab == "edge":
            from labs.bench.edge import run_edge_bench

            run_edge_bench(rounds=rounds, out=self.stdout)
            return
        if lab == "sam":
            from labs.bench.sam import baseline_sam

            run_bench(rounds=rounds, out=self.stdout, slug="sam", baseline_fn=baseline_sam)
            return
        run_bench(rounds=rounds, out=self.stdout)

    def _sandbox_up(self):
        status = sandbox.health()
        if not status.up:
            raise CommandError(f"The local sandbox is not running: {status.detail}. Start it with "
                               "`python manage.py sandbox` (or `make run`).", returncode=2)
        return status

    def _print(self, event: RunEvent, started: float):
        mark = MARKS.get(event.status, "--")
        where = f" [{event.step}]" if event.step else ""
        line = f"{time.perf_counter() - started:6.2f}s {mark} {event.kind:8}{where} {event.message}"
        style = {"fail": self.style.ERROR, "ok": self.style.SUCCESS}.get(event.status)
        self.stdout.write(style(line) if style and event.kind != "aws" else line)

    def _print_ledger(self, run: LabRun):
        entries = list(run.ledger.all())
        left = [entry for entry in entries if entry.is_present]
        self.stdout.write(f"Ledger: {len(entries)} resource(s) recorded, {len(left)} left.")
        endpoint = run.sandbox.is_local and settings.LABS_SANDBOX_URL or None
        for entry in left:
            self.stdout.write(f"  {entry.kind_label} {entry.name}: "
                              f"{entry.manual_command(endpoint, account=run.sandbox.account_id if endpoint else '')}")


@contextmanager
def stopped_by_signals():
    """SIGTERM and SIGHUP (`timeout`, a closed terminal) stop a run as Ctrl-C does: the engine tears
    down what it made, then the command exits. A second signal during that teardown is ignored."""
    received = []

    def stop(signum, frame):
        if received:
            return  # already tearing down: let it finish
        received.append(signal.Signals(signum))
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
