"""What an execution's history says about each state: pure functions, no AWS calls.

Step Functions records an execution as events (GetExecutionHistory). AWS writes ``<Type>StateEntered``
and ``<Type>StateExited`` for every state, inside Parallel branches and Map iterations too, and for
a Task whose Resource is a Lambda function ARN ``LambdaFunctionScheduled/Started/Succeeded/Failed``
(the failure events carry no resource: they point back with ``previousEventId``). MiniStack 1.5.33
writes Entered/Exited only for top-level states and ``TaskScheduled/TaskSucceeded/TaskFailed``
(each naming the function) for every task. Both are read here: a task event is tied to its state
through the function it names, or through the event it follows.
"""

import json
from dataclasses import dataclass, field

SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled")
STARTED = ("TaskStarted", "LambdaFunctionStarted")
SUCCEEDED = ("TaskSucceeded", "LambdaFunctionSucceeded")
FAILED = ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut",
          "LambdaFunctionStartFailed", "LambdaFunctionScheduleFailed", "TaskStartFailed", "TaskSubmitFailed")


@dataclass
class StateRun:
    """One state of the machine, as the execution went through it."""

    name: str
    type: str
    entered: int = 0
    exited: int = 0
    attempts: int = 0  # task invocations scheduled
    succeeded: int = 0
    failed: int = 0
    retries: int = 0  # failed attempts that were followed by another attempt
    error: str = ""
    children: list = field(default_factory=list)

    @property
    def visited(self) -> bool:
        return bool(self.entered or self.attempts)


def walk(states: dict, parent: str = ""):
    """(name, definition, parent) for every state, branches and Map processors included."""
    for name, state in states.items():
        yield name, state, parent
        for branch in state.get("Branches", []):
            yield from walk(branch.get("States", {}), name)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk(processor.get("States", {}), name)


def task_functions(definition: dict) -> dict[str, str]:
    """Function name -> the state that invokes it, for Tasks whose Resource is a function ARN (or the
    optimized integration with a FunctionName)."""
    found = {}
    for name, state, _ in walk(definition.get("States", {})):
        if state.get("Type") != "Task":
            continue
        resource = state.get("Resource", "")
        target = (state.get("Parameters") or {}).get("FunctionName", "") if ":states:::lambda:invoke" in resource else resource
        if ":function:" in target:
            target = target.split(":function:", 1)[1]
        if target:
            found[target.split(":", 1)[0]] = name
    return found


def _details(event: dict) -> dict:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _function_of(details: dict) -> str:
    resource = details.get("resource", "")
    if ":function:" in resource:
        return resource.split(":function:", 1)[1].split(":", 1)[0]
    parameters = details.get("parameters")
    if parameters:
        try:
            name = json.loads(parameters).get("FunctionName", "")
        except (ValueError, AttributeError):
            return ""
        return name.split(":function:", 1)[-1].split(":", 1)[0]
    return ""


def state_runs(definition: dict, events: list[dict]) -> dict[str, StateRun]:
    """Every state of ``definition`` with what ``events`` (oldest first) say happened to it."""
    runs = {name: StateRun(name, state.get("Type", "")) for name, state, _ in walk(definition.get("States", {}))}
    for name, _, parent in walk(definition.get("States", {})):
        if parent:
            runs[parent].children.append(name)
    by_function = task_functions(definition)
    of_event: dict[int, str] = {}  # event id -> the task state it belongs to
    pending_failure: dict[str, int] = {}  # state -> failures not yet followed by another attempt
    last_scheduled = ""
    for event in sorted(events, key=lambda e: e.get("id", 0)):
        kind, details = event.get("type", ""), _details(event)
        name = details.get("name", "")
        if kind.endswith("StateEntered") and name in runs:
            runs[name].entered += 1
            continue
        if kind.endswith("StateExited") and name in runs:
            runs[name].exited += 1
            continue
        if kind in SCHEDULED + STARTED + SUCCEEDED + FAILED:
            state = by_function.get(_function_of(details), "") or of_event.get(event.get("previousEventId", -1), "")
            if not state and kind not in SCHEDULED:
                state = last_scheduled
            if state not in runs:
                continue
            of_event[event.get("id", 0)] = state
            run = runs[state]
            if kind in SCHEDULED:
                last_scheduled = state
                run.attempts += 1
                if pending_failure.get(state):
                    run.retries += 1
                    pending_failure[state] -= 1
            elif kind in SUCCEEDED:
                run.succeeded += 1
            elif kind in FAILED:
                run.failed += 1
                run.error = details.get("error", "") or kind
                pending_failure[state] = pending_failure.get(state, 0) + 1
    return runs


def status_of(run: StateRun, runs: dict[str, StateRun], execution_status: str) -> str:
    """How the page shows a state: idle (not reached), running, succeeded, retried (succeeded after
    failed attempts), failed (its last attempt failed, or a Fail state reached), caught (a Parallel or
    Map whose branch failed and whose Catch took over)."""
    if run.type in ("Parallel", "Map"):
        kids = [status_of(runs[child], runs, execution_status) for child in run.children]
        if not run.visited and not any(kid != "idle" for kid in kids):
            return "idle"
        if "failed" in kids:
            return "caught" if run.exited or execution_status != "RUNNING" else "failed"
        if "running" in kids or (execution_status == "RUNNING" and not run.exited):
            return "running"
        return "succeeded"
    if not run.visited:
        return "idle"
    if run.type == "Fail":
        return "failed"
    if run.type == "Task":
        if run.failed > run.retries:  # a failure that no retry followed: the task failed
            return "failed"
        if run.succeeded + run.failed < run.attempts or (run.entered > run.exited and not run.succeeded):
            return "running" if execution_status == "RUNNING" else "failed"  # in flight, or stopped mid-way
        return "retried" if run.retries else "succeeded"
    if execution_status == "RUNNING" and run.entered > run.exited and run.type not in ("Succeed",):
        return "running"
    return "succeeded"


def retries_of(definition: dict, events: list[dict], state: str) -> int:
    return state_runs(definition, events)[state].retries
