"""Reads on labs and runs that are more than a filter: what the pages show."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.http import Http404

from labs.catalog import all_labs, get_lab
from labs.engine.lab import Names
from labs.models import LabRun, LedgerEntry, RunEvent

EVENT_PAGE = 400  # the live log shows the latest this many events


def run_for(user, pk: int) -> LabRun:
    """The learner's own run; anyone else's is a 404, exactly like one that does not exist."""
    run = LabRun.objects.of(user).select_related("sandbox").filter(pk=pk).first() if user.is_authenticated else None
    if run is None:
        raise Http404("No lab run with this address.")
    return run


@dataclass
class StepView:
    number: int
    step: object
    state: str  # pending / running / passed / failed
    last_message: str = ""
    last_ok: bool | None = None

    @property
    def slug(self):
        return self.step.slug


@dataclass
class RunView:
    run: LabRun
    lab: object
    steps: list[StepView]
    parts: dict  # diagram part -> state class
    progress: int
    events: list
    last_event_id: int
    ledger: list
    verify_checks: list = field(default_factory=list)
    variables: dict = field(default_factory=dict)

    @property
    def steps_passed(self) -> int:
        return sum(1 for view in self.steps if view.state == "passed")

    @property
    def current(self):
        return next((view for view in self.steps if view.state != "passed"), None)

    @property
    def resources_left(self):
        return [entry for entry in self.ledger if entry.is_present]


def _part_states(lab, run, states: dict) -> dict:
    parts = {part: "pending" for part in lab.parts}
    for step in lab.steps:
        state = states.get(step.slug, "pending")
        for part in step.parts:
            parts[part] = {"passed": "built", "failed": "failed", "running": "active"}.get(state, "pending")
    if run.verify_state == "passed":
        parts = {part: "verified" for part in parts}
    elif run.verify_state == "running":
        parts["browser"] = "active"
    if run.status == LabRun.Status.CLEANED:
        parts = {part: "gone" for part in parts}
    return parts


def run_view(run: LabRun) -> RunView:
    """Everything the run page shows: steps with their state and last check, progress, the
    diagram's lit parts, the event log, the ledger (four queries)."""
    lab = run.lab
    events = list(run.events.order_by("-id")[:EVENT_PAGE])[::-1]
    states = run.step_states or {}
    last = {}
    for event in events:
        if event.step and event.kind in (RunEvent.Kind.CHECK, RunEvent.Kind.STEP) and event.status in ("ok", "fail"):
            last[event.step] = event
    steps = []
    for number, step in enumerate(lab.steps, start=1):
        event = last.get(step.slug)
        steps.append(StepView(number, step, states.get(step.slug, "pending"),
                              event.message if event else "", (event.status == "ok") if event else None))
    verify_events = {event.step: event for event in events if event.kind == RunEvent.Kind.VERIFY and event.step}
    checks = [(check, verify_events.get(check.slug)) for check in lab.verify]
    done = sum(1 for view in steps if view.state == "passed") + (run.verify_state == "passed")
    progress = round(100 * done / (len(steps) + 1))
    variables = lab.variables(Names(run.prefix), run.sandbox.account_id, run.sandbox.region, run.website_origin)
    ledger = list(run.ledger.all())
    endpoint = settings.LABS_SANDBOX_URL if run.sandbox.is_local else None
    for entry in ledger:
        entry.manual = entry.manual_command(endpoint, account=run.sandbox.account_id if endpoint else "")
    return RunView(
        run=run, lab=lab, steps=steps, parts=_part_states(lab, run, states), progress=progress, events=events,
        last_event_id=events[-1].id if events else 0, ledger=ledger, verify_checks=checks,
        variables=variables,
    )


def latest_event_id(run: LabRun) -> int:
    return run.events.order_by("-id").values_list("id", flat=True).first() or 0


@dataclass
class LabCard:
    lab: object
    runs: int
    passed: bool
    active: LabRun | None


def lab_cards(user) -> list[LabCard]:
    runs = list(LabRun.objects.of(user).only("id", "lab_slug", "status", "outcome", "created_at")) if user.is_authenticated else []
    cards = []
    for lab in all_labs():
        mine = [run for run in runs if run.lab_slug == lab.slug]
        active = next((run for run in mine if not run.is_finished), None)
        cards.append(LabCard(lab, len(mine), any(run.outcome == LabRun.Outcome.PASSED for run in mine), active))
    return cards


def recent_runs(user, limit: int = 10) -> list[LabRun]:
    if not user.is_authenticated:
        return []
    return list(LabRun.objects.of(user).select_related("sandbox")[:limit])


def lab_summary(user) -> dict:
    """The dashboard card: recent runs, and the runs that still hold resources in a sandbox."""
    runs = recent_runs(user, limit=5)
    holding = list(
        LabRun.objects.of(user).holding_resources().exclude(status__in=[LabRun.Status.CLEANED]).order_by("-created_at")
    )
    left = {
        row["run_id"]: row["count"]
        for row in LedgerEntry.objects.filter(run__in=holding, status__in=LedgerEntry.PRESENT)
        .values("run_id").annotate(count=Count("id"))
    }
    for run in holding:
        run.resources_left = left.get(run.pk, 0)
    passed = LabRun.objects.of(user).filter(outcome=LabRun.Outcome.PASSED).values("lab_slug").distinct().count()
    for run in runs:
        lab = get_lab(run.lab_slug)
        run.lab_title = lab.title if lab else run.lab_slug
    return {"runs": runs, "holding": holding, "labs_passed": passed, "labs_total": len(all_labs())}


def runs_holding_resources(user) -> list[LabRun]:
    """The learner's runs that are going on or still hold resources in a sandbox, newest first, each
    with ``resources_left`` (how many ledger entries are not deleted)."""
    if not user.is_authenticated:
        return []
    from django.db.models import Q

    runs = list(
        LabRun.objects.of(user).filter(Q(ledger__status__in=LedgerEntry.PRESENT) | ~Q(status__in=LabRun.FINISHED))
        .distinct().select_related("sandbox").order_by("-created_at", "-id")
    )
    left = {
        row["run_id"]: row["count"]
        for row in LedgerEntry.objects.filter(run__in=runs, status__in=LedgerEntry.PRESENT)
        .values("run_id").annotate(count=Count("id"))
    }
    for run in runs:
        run.resources_left = left.get(run.pk, 0)
    return runs
