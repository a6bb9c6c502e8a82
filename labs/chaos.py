"""``manage.py lab chaos <slug>``: run a lab with faults and count what leaks.

Two sweeps: one AWS call failing (an injected HTTP 500 ``InternalError``, past botocore's retries)
at every position N of an automatic run, and the worker killed with SIGKILL after every event K of
a ``lab run`` (then recovered as the periodic reaper would). After each run the account is
inventoried by the run's names and tags; a run is *clean* when nothing is left, *leaked* otherwise,
and *untrue* when it says "cleaned" while something is left."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse
from django.conf import settings

from labs import aws, services
from labs.engine import reaper, runner
from labs.models import LabRun


@dataclass
class Trial:
    mode: str  # "fail" or "kill"
    n: int
    what: str  # the call that failed, or the event after which the worker died
    status: str
    leaked: list[str] = field(default_factory=list)

    @property
    def untrue(self) -> bool:
        return self.status == LabRun.Status.CLEANED and bool(self.leaked)


class FailNth:
    """A fault hook for :data:`labs.aws.FAULT_HOOKS`: the Nth AWS call answers 500 InternalError."""

    def __init__(self, n: int):
        self.n, self.count, self.fired = n, 0, ""

    def __call__(self, service: str, operation: str):
        self.count += 1
        if self.count != self.n:
            return None
        self.fired = f"{service} {operation}"
        return (AWSResponse("https://chaos.invalid/", 500, {}, None),
                {"Error": {"Code": "InternalError", "Message": f"chaos: AWS call {self.n} fails"},
                 "ResponseMetadata": {"HTTPStatusCode": 500}})


def inventory(run: LabRun) -> list[str]:
    """What the account still holds under the run's names or tag (read with no fault injected)."""
    from own_account.guardrails import find_leftovers

    found, unchecked = find_leftovers(aws.clients_for(run.sandbox), run.prefix)
    return [f"{item.kind or 'tagged'} {item.name}" for item in found] + [f"unchecked: {line}" for line in unchecked
                                                                           if "tag" not in line]


def _start(lab, user) -> LabRun:
    return services.lab_run_start(user=user, lab=lab, mode=LabRun.Mode.AUTO, website_origin=settings.LABS_SITE_ORIGIN,
                                  explore_seconds=0, enqueue=False)


def fail_at(lab, user, n: int) -> tuple[Trial, int]:
    """One automatic run with AWS call ``n`` failing (0: none). Returns the trial and how many calls it made."""
    hook = FailNth(n)
    aws.FAULT_HOOKS.append(hook)
    try:
        run = runner.execute(_start(lab, user).pk)
    finally:
        aws.FAULT_HOOKS.remove(hook)
    run.refresh_from_db()
    return Trial("fail", n, hook.fired, run.status, inventory(run)), hook.count


def kill_at(lab, user, k: int, env: dict | None = None) -> Trial:
    """``lab run`` in a child process killed with SIGKILL after its K-th event; then recovered here
    as the periodic reaper does (the dead host:pid), torn down, and inventoried."""
    child_env = {**os.environ, **(env or {}), "LABS_CHAOS_KILL_AT_EVENT": str(k)}
    before = set(LabRun.objects.filter(user=user).values_list("pk", flat=True))
    subprocess.run([sys.executable, "manage.py", "lab", "run", lab.slug, "--user", user.username],
                   cwd=settings.BASE_DIR, env=child_env, capture_output=True, timeout=600)
    run = LabRun.objects.filter(user=user).exclude(pk__in=before).select_related("sandbox").first()
    if run is None:
        return Trial("kill", k, "no run started", "", [])
    # The first event ("Started …") is written before the engine runs; the K counted are the engine's.
    what = run.events.order_by("id")[k].message[:60] if run.events.count() > k else "(ended before)"
    if run.status in LabRun.BUSY:
        reaper.take_over(run)
        runner.execute(run.pk)
    run.refresh_from_db()
    return Trial("kill", k, what, run.status, inventory(run))


def kill_self_after(k: int):
    """For ``lab run`` under chaos: an echo that kills this process after the K-th event."""
    seen = [0]

    def echo(event):
        seen[0] += 1
        if seen[0] >= k:
            os.kill(os.getpid(), signal.SIGKILL)
    return echo


def parse_positions(spec: str):
    """``--positions``: "" (every call), "none", or N, A-B and A- (A to the last call) separated by commas.
    Returns None for every call, else a function of the fault-free run's call count giving the list."""
    spec = spec.strip()
    if not spec:
        return None
    if spec == "none":
        return lambda calls: []
    parts = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        first, dash, last = item.partition("-")
        if not first.isdigit() or (last and not last.isdigit()) or int(first) < 1:
            raise ValueError(item)
        parts.append((int(first), int(last) if last else None if dash else int(first)))
    return lambda calls: [n for first, last in parts for n in range(first, (calls if last is None else last) + 1)]


def sweep(lab, user, *, positions=None, kills=None, out=None) -> list[Trial]:
    """Every position (or ``positions``) with one failing call, and every event (or ``kills``) with a
    kill. Either may be a function from :func:`parse_positions`, given the fault-free first run's
    count (of AWS calls for ``positions``, of events for ``kills``)."""
    trials = []
    first, calls = fail_at(lab, user, 0)
    trials.append(first)
    if callable(positions):
        positions = positions(calls)
    if callable(kills):
        last = LabRun.objects.filter(user=user).first()
        kills = kills(last.events.count() if last else 0)
    for n in positions if positions is not None else range(1, calls + 1):
        trial, _ = fail_at(lab, user, n)
        trials.append(trial)
        if out:
            out(trial)
    if kills:
        for k in kills:
            trial = kill_at(lab, user, k)
            trials.append(trial)
            if out:
                out(trial)
    return trials, calls
