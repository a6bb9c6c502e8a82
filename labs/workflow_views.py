"""The workflow lab's part of a run page: the state machine drawn as a diagram whose states light up
from an execution's history (the latest one, or one the learner picks), and a form to start one.

Everything is rendered on the server (an SVG with a class per state's status, and a table that says
the same in words); htmx swaps it in and polls it while the execution runs. The history is read with
GetExecutionHistory and interpreted by ``labs.catalog.workflow.history``, which reads both what AWS
writes and what MiniStack writes.
"""

import json
import time
from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from labs import aws, sandbox, selectors
from labs.catalog import workflow
from labs.catalog.workflow import history
from labs.catalog.workflow.names import SCENARIOS, definition, machine_arn
from labs.engine.lab import Names
from labs.models import LabRun

LIST_LIMIT = 8
# The states' boxes: (x, y, width, height) in the SVG's 640 x 500 viewBox. Containers first: they are drawn below.
LAYOUT = {
    "ProcessOrder": (24, 150, 336, 116), "PackItems": (60, 306, 264, 104),
    "ValidateOrder": (112, 14, 160, 42), "CheckOrder": (112, 80, 160, 42), "RejectOrder": (424, 80, 192, 42),
    "ReserveStock": (40, 194, 144, 48), "ChargePayment": (200, 194, 144, 48),
    "ReleaseStock": (424, 186, 192, 42), "RefundPayment": (424, 262, 192, 42), "OrderFailed": (424, 338, 192, 42),
    "PackItem": (120, 346, 144, 48), "OrderCompleted": (112, 440, 160, 42),
}
# (from, to, label, path): the arrows between them.
EDGES = (
    ("ValidateOrder", "CheckOrder", "", "M192 56 L192 78"),
    ("CheckOrder", "ProcessOrder", "valid", "M192 122 L192 148"),
    ("CheckOrder", "RejectOrder", "default", "M272 101 L422 101"),
    ("ProcessOrder", "PackItems", "", "M192 266 L192 304"),
    ("ProcessOrder", "ReleaseStock", "Catch", "M360 207 L422 207"),
    ("ReleaseStock", "RefundPayment", "", "M520 228 L520 260"),
    ("RefundPayment", "OrderFailed", "", "M520 304 L520 336"),
    ("PackItems", "OrderCompleted", "", "M192 410 L192 438"),
)
WORDS = {"idle": "not reached", "running": "running", "succeeded": "succeeded", "retried": "succeeded after retries",
         "failed": "failed", "caught": "failed, caught by its Catch"}


@dataclass
class Box:
    name: str
    type: str
    status: str
    x: int
    y: int
    width: int
    height: int
    run: history.StateRun

    @property
    def words(self) -> str:
        return WORDS.get(self.status, self.status)

    @property
    def container(self) -> bool:
        return self.type in ("Parallel", "Map")

    @property
    def text_x(self) -> int:
        return self.x + self.width // 2

    @property
    def text_y(self) -> int:
        return self.y + (18 if self.container else self.height // 2 + 5)

    @property
    def points(self) -> str:
        """A Choice state is drawn as a diamond-ended box."""
        x, y, w, h, tip = self.x, self.y, self.width, self.height, 14
        return f"{x + tip},{y} {x + w - tip},{y} {x + w},{y + h // 2} {x + w - tip},{y + h} {x + tip},{y + h} {x},{y + h // 2}"

    @property
    def badge_x(self) -> int:
        return self.x + self.width - 14

    @property
    def badge(self) -> str:
        """What the box's corner says: retries, or how many items a Map task ran for."""
        if self.run.retries:
            return f"↻{self.run.retries}"
        if self.run.attempts > 1:
            return f"×{self.run.attempts}"
        return ""


@dataclass
class Edge:
    label: str
    path: str
    taken: bool


def _run_workflow(request, pk) -> LabRun:
    run = selectors.run_for(request.user, pk)
    if run.lab_slug != workflow.LAB.slug:
        raise Http404("This run has no state machine.")
    return run


def _definition(run: LabRun) -> dict:
    return definition(Names(run.prefix), run.sandbox.region, run.sandbox.account_id)


def diagram(machine: dict, events: list[dict], status: str) -> tuple[list[Box], list[Edge], list[history.StateRun]]:
    """The boxes and arrows to draw (containers first, so they are drawn below their states), and the
    states the layout does not know (a learner's own)."""
    runs = history.state_runs(machine, events)
    boxes = [Box(name, runs[name].type, history.status_of(runs[name], runs, status), *LAYOUT[name], runs[name])
             for name in LAYOUT if name in runs]
    visited = {box.name for box in boxes if box.status != "idle"}
    edges = [Edge(label, path, source in visited and target in visited) for source, target, label, path in EDGES]
    return boxes, edges, [run for name, run in runs.items() if name not in LAYOUT]


def _history(sfn, arn: str) -> list[dict]:
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def view_context(run: LabRun, wanted: str = "") -> dict:
    context = {"run": run, "problem": "", "executions": [], "execution": None, "boxes": [], "edges": [],
               "others": [], "output": "", "polling": False}
    if run.status == LabRun.Status.CLEANED:
        context["problem"] = "This run is torn down: its state machine and executions are deleted."
        return context
    if run.sandbox.is_local and not sandbox.status().up:
        context["problem"] = "The local sandbox is not running, so the executions cannot be read."
        return context
    arn = machine_arn(run.sandbox.region, run.sandbox.account_id, Names(run.prefix))
    try:
        sfn = aws.clients_for(run.sandbox).stepfunctions
        # The machine as it is (a learner may have built it by hand); AWS would also refuse to list the
        # executions of a machine that does not exist, MiniStack lists none.
        machine = _parsed(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) or _definition(run)
        listed = sfn.list_executions(stateMachineArn=arn, maxResults=LIST_LIMIT)["executions"]
        listed.sort(key=lambda e: e["startDate"], reverse=True)
        context["executions"] = listed
        chosen = next((e for e in listed if e["name"] == wanted), listed[0] if listed else None)
        if chosen is not None:
            described = sfn.describe_execution(executionArn=chosen["executionArn"])
            events = _history(sfn, chosen["executionArn"])
            context["execution"] = described
            context["event_count"] = len(events)
            context["polling"] = described["status"] == "RUNNING"
            context["output"] = _pretty(described.get("output") or "")
        else:
            events = []
        context["boxes"], context["edges"], context["others"] = diagram(
            machine, events, context["execution"]["status"] if context["execution"] else "")
        order = [name for name, _, _ in history.walk(machine.get("States", {}))]
        context["rows"] = sorted(context["boxes"], key=lambda box: order.index(box.name) if box.name in order else 99)
    except aws.SandboxUnavailable as error:
        context["problem"] = str(error)
    except Exception as error:  # noqa: BLE001
        if aws.is_not_found(error):
            context["problem"] = "No state machine yet: build step 3, then its executions light it up here."
        else:
            context["problem"] = f"The executions could not be read: {aws.error_message(error)}"
    return context


def _parsed(text: str) -> dict:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) and isinstance(found.get("States"), dict) else {}


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)[:4000]
    except ValueError:
        return text[:4000]


@require_GET
def run_workflow(request, pk):
    """The panel's diagram (htmx loads it after the page, polls it while an execution runs)."""
    run = _run_workflow(request, pk)
    return render(request, "labs/workflow/_view.html", view_context(run, request.GET.get("execution", "")))


def order_for(scenario: str, stamp: str) -> dict:
    payment = next(payment for slug, _, payment in SCENARIOS if slug == scenario)
    items = [] if scenario == "invalid" else [{"sku": "BOOK-1", "quantity": 2, "price": 12.5},
                                              {"sku": "MUG-7", "quantity": 1, "price": 8}]
    return {"orderId": f"{scenario}-{stamp}", "customer": "you@example.com", "items": items, "payment": dict(payment)}


@require_POST
def run_workflow_start(request, pk):
    """Start an execution with one of the sample orders, then show it."""
    run = _run_workflow(request, pk)
    scenario = request.POST.get("scenario", "")
    notice, name = "", ""
    if scenario not in {slug for slug, _, _ in SCENARIOS}:
        notice = "Choose one of the sample orders."
    elif run.is_finished:
        notice = "This run is over: start a new one to run the workflow."
    elif run.sandbox.is_local and not sandbox.status().up:
        notice = "The local sandbox is not running."
    else:
        stamp = f"{int(time.time() * 1000) % 10**10:010d}"
        name = f"page-{scenario}-{stamp}"
        try:
            aws.clients_for(run.sandbox).stepfunctions.start_execution(
                stateMachineArn=machine_arn(run.sandbox.region, run.sandbox.account_id, Names(run.prefix)), name=name,
                input=json.dumps(order_for(scenario, stamp)))
        except Exception as error:  # noqa: BLE001
            notice, name = f"The execution could not start: {aws.error_message(error)}", ""
    if not request.htmx:
        return redirect(run.get_absolute_url() + "#workflow-panel")
    context = view_context(run, name)
    context["notice"], context["notice_bad"] = notice or f"Started {name}.", bool(notice)
    return render(request, "labs/workflow/_view.html", context)
