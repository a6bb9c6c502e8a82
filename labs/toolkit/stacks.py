"""CloudFormation stacks and change sets: describe without raising for "does not exist", wait for a
change set or a stack operation to settle, the changes a change set would make, and the events
that say why an operation failed."""

import time

from labs.aws import error_code
from labs.engine.lab import Context, StepBlocked
from labs.toolkit.calls import wait_until

IN_PROGRESS = "_IN_PROGRESS"
FAILED_STATES = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")


def _absent(error: Exception) -> bool:
    # CloudFormation answers ValidationError "Stack with id X does not exist" (and ChangeSetNotFound).
    return error_code(error) == "ChangeSetNotFound" or (
        error_code(error) == "ValidationError" and "does not exist" in str(error))


def stack(cfn, name: str) -> dict | None:
    """The stack named (or with the id) ``name``, or None; a deleted stack (DELETE_COMPLETE) is None."""
    try:
        found = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except Exception as error:  # noqa: BLE001
        if _absent(error):
            return None
        raise
    return None if found["StackStatus"] == "DELETE_COMPLETE" else found


def change_set(cfn, stack_name: str, name: str) -> dict | None:
    try:
        return cfn.describe_change_set(StackName=stack_name, ChangeSetName=name)
    except Exception as error:  # noqa: BLE001
        if _absent(error):
            return None
        raise


def wait_change_set(ctx: Context, stack_name: str, name: str, timeout: float = 300) -> dict:
    """Wait until the change set is computed: CREATE_COMPLETE, or FAILED (returned as is)."""
    cfn, found = ctx.clients.cloudformation, {}

    def settled():
        found["set"] = change_set(cfn, stack_name, name)
        return found["set"] is not None and found["set"]["Status"] in ("CREATE_COMPLETE", "FAILED")

    wait_until(settled, f"change set {name} to be computed", timeout, note=ctx.note)
    return found["set"]


def wait_stack(ctx: Context, name: str, timeout: float = 900) -> dict | None:
    """Wait until no operation is in progress on the stack; its description (None once deleted)."""
    cfn, found, last = ctx.clients.cloudformation, {}, {"status": "", "at": 0.0}

    def settled():
        found["stack"] = stack(cfn, name)
        status = found["stack"]["StackStatus"] if found["stack"] else "DELETE_COMPLETE"
        if status != last["status"] or time.monotonic() - last["at"] > 10:
            if IN_PROGRESS in status:
                ctx.note(f"Stack {name}: {status}")
            last.update(status=status, at=time.monotonic())
        return IN_PROGRESS not in status

    wait_until(settled, f"stack {name} to finish its operation", timeout, note=ctx.note)
    return found["stack"]


def changes(described: dict) -> list[tuple[str, str, str, str]]:
    """(action, logical id, resource type, replacement) for each change a change set would make."""
    return [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"],
             c["ResourceChange"]["ResourceType"], c["ResourceChange"].get("Replacement", ""))
            for c in described.get("Changes", []) if c.get("Type", "Resource") == "Resource"]


def changes_text(listed: list[tuple[str, str, str, str]]) -> str:
    return "; ".join(f"{action} {logical} ({rtype}{', replacement ' + replacement if replacement else ''})"
                     for action, logical, rtype, replacement in listed)


def events(cfn, name: str, limit: int = 200) -> list[dict]:
    """The stack's events, newest first (at most ``limit``)."""
    found = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=name):
        found += page.get("StackEvents", [])
        if len(found) >= limit:
            break
    return found[:limit]


def last_operation(found: list[dict], stack_name: str) -> list[dict]:
    """The events of the stack's latest operation, newest first: back to the stack-level event that began
    it (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS or DELETE_IN_PROGRESS)."""
    operation = []
    for event in found:
        operation.append(event)
        if (event["LogicalResourceId"] == stack_name and event["ResourceType"] == "AWS::CloudFormation::Stack"
                and event["ResourceStatus"] in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
                and "ROLLBACK" not in event["ResourceStatus"]):
            break
    return operation


def failures(operation: list[dict]) -> list[dict]:
    """The resource events of an operation that failed, oldest first: the first is the cause."""
    return [event for event in reversed(operation) if event["ResourceStatus"] in FAILED_STATES
            and event["ResourceType"] != "AWS::CloudFormation::Stack" and event.get("ResourceStatusReason")]


def why_failed(cfn, name: str) -> str:
    """The first failure of the stack's latest operation, as a sentence ("" when none is recorded)."""
    failed = failures(last_operation(events(cfn, name), name))
    if not failed:
        return ""
    first = failed[0]
    return (f"{first['LogicalResourceId']} ({first['ResourceType']}) {first['ResourceStatus']}: "
            f"{first['ResourceStatusReason']}")


def resources(cfn, name: str) -> dict[str, dict]:
    """The stack's resources by logical id."""
    return {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}


def outputs(found_stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in found_stack.get("Outputs", [])}


def blocked_unless(found_stack: dict | None, name: str, step_hint: str) -> dict:
    if found_stack is None:
        raise StepBlocked(f"There is no stack named {name} yet: {step_hint}")
    return found_stack


def delete_and_wait(cfn, name: str, timeout: float = 900) -> bool:
    """Delete the stack (by name or id) and wait for DELETE_COMPLETE: False when it was already gone.
    Its id is used throughout: once deleted, DescribeStacks by id answers DELETE_COMPLETE, by name
    "does not exist". DELETE_FAILED raises with the reason from the stack's events."""
    found = stack(cfn, name)
    if found is None:
        return False
    if found["StackStatus"] != "DELETE_IN_PROGRESS":
        cfn.delete_stack(StackName=found["StackId"])
    delay, deadline = 0.05, time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = stack(cfn, found["StackId"])
        if current is None:
            return True
        if current["StackStatus"] == "DELETE_FAILED":
            raise RuntimeError(f"DELETE_FAILED: {why_failed(cfn, found['StackId']) or current.get('StackStatusReason')}")
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
    raise RuntimeError(f"the stack was still {current['StackStatus']} after {timeout:.0f} s")
