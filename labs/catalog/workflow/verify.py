"""The workflow lab's verify: real executions of the state machine, read back from their history.

The four orders start together (the first check starts them all), so the verify takes as long as
the slowest: the payment that is retried twice (1 s, then 2 s of backoff)."""

import json
import time

from django.conf import settings

from labs.catalog.workflow import history
from labs.catalog.workflow.names import TASKS, definition, machine_arn
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit.calls import missing
from labs.toolkit.functions import log_tail

ITEMS = [{"sku": "BOOK-1", "quantity": 2, "price": 12.5}, {"sku": "MUG-7", "quantity": 1, "price": 8}]
SCENARIOS = {
    "happy": {"card": "ok"},
    "flaky": {"card": "flaky", "failures": 2},
    "unavailable": {"card": "unavailable"},
    "invalid": {"card": "ok"},
}


def order(ctx: Context, scenario: str, stamp: str) -> dict:
    items = [] if scenario == "invalid" else ITEMS
    return {"orderId": f"{scenario}-{stamp}", "customer": "verify@example.com", "items": items,
            "payment": dict(SCENARIOS[scenario])}


def _wait_seconds() -> float:
    return float(getattr(settings, "LABS_WORKFLOW_WAIT_SECONDS", 30))


def _started(ctx: Context) -> dict:
    """Start the four executions once per verify (names are unique: Standard keeps them 90 days)."""
    if "executions" not in ctx.scratch:
        sfn, arn = ctx.clients.stepfunctions, machine_arn(ctx.region, ctx.account_id, ctx.name)
        stamp = f"{int(time.time() * 1000) % 10**10:010d}"
        started = {}
        if missing(sfn.describe_state_machine, stateMachineArn=arn) is not None:
            for scenario in SCENARIOS:
                started[scenario] = sfn.start_execution(stateMachineArn=arn, name=f"verify-{scenario}-{stamp}",
                                                        input=json.dumps(order(ctx, scenario, stamp)))["executionArn"]
            ctx.outputs["last_execution"] = started["happy"]
        ctx.scratch["executions"] = started
    return ctx.scratch["executions"]


def finished(ctx: Context, scenario: str) -> tuple[dict | None, list[dict], str]:
    """(DescribeExecution once it is no longer RUNNING, its history, why not) for one scenario."""
    arn = _started(ctx).get(scenario)
    if arn is None:
        return None, [], "The state machine does not exist: build the steps first."
    sfn, deadline, delay = ctx.clients.stepfunctions, time.monotonic() + _wait_seconds(), 0.1
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            return None, [], f"The execution {arn.rsplit(':', 1)[-1]} is still RUNNING after {_wait_seconds():.0f} s."
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return described, events, ""


def _runs(ctx: Context, events: list[dict]) -> dict:
    return history.state_runs(definition(ctx.name, ctx.region, ctx.account_id), events)


def _why(ctx: Context, described: dict, events: list[dict]) -> str:
    """The execution's error, and the log of the task that failed last."""
    said = f"{described['status']} with {described.get('error') or 'no error'}: {(described.get('cause') or '')[:300]}"
    runs = _runs(ctx, events)
    failed = [run.name for run in runs.values() if run.type == "Task" and run.failed > run.retries]
    by_state = {state: what for what, _, state in TASKS}
    if failed and failed[-1] in by_state:
        said += " " + log_tail(ctx, ctx.name(by_state[failed[-1]]), lines=4)
    return said


def _output(described: dict) -> dict:
    try:
        return json.loads(described.get("output") or "{}")
    except ValueError:
        return {}


def verify_happy(ctx: Context) -> CheckResult:
    described, events, why = finished(ctx, "happy")
    if described is None:
        return CheckResult.failed(why)
    if described["status"] != "SUCCEEDED":
        return CheckResult.failed(f"A valid order with a good card should SUCCEED; it ended {_why(ctx, described, events)}")
    out = _output(described)
    processing, packages = out.get("processing") or {}, out.get("packages") or []
    order_id = out.get("orderId", "")
    wanted_total = f"{sum(item['price'] * item['quantity'] for item in ITEMS):.2f}"
    problems = []
    if out.get("total") != wanted_total:
        problems.append(f"total {out.get('total')!r}, expected {wanted_total!r} (ValidateOrder adds it)")
    if (processing.get("reservation") or {}).get("reservationId") != f"res-{order_id}":
        problems.append("no reservation under $.processing.reservation (the Parallel's first branch)")
    charge = processing.get("charge") or {}
    if charge.get("chargeId") != f"ch-{order_id}" or charge.get("amount") != wanted_total:
        problems.append(f"no charge of {wanted_total} under $.processing.charge (the second branch)")
    if sorted(p.get("sku", "") for p in packages) != sorted(item["sku"] for item in ITEMS):
        problems.append(f"$.packages holds {len(packages)} package(s), expected one per item ({len(ITEMS)}) from the Map")
    if problems:
        return CheckResult.failed("The order SUCCEEDED but its output is not what the workflow makes: " + "; ".join(problems) + ".")
    return CheckResult.passed(f"A 2-item order SUCCEEDED: total {wanted_total}, stock reserved and card charged in "
                              f"parallel, {len(packages)} items packed by the Map.")


def verify_retries(ctx: Context) -> CheckResult:
    described, events, why = finished(ctx, "flaky")
    if described is None:
        return CheckResult.failed(why)
    charge = _runs(ctx, events)["ChargePayment"]
    if described["status"] != "SUCCEEDED":
        return CheckResult.failed(f"A payment that fails twice and then succeeds should be retried and SUCCEED; the "
                                  f"execution ended {_why(ctx, described, events)} (ChargePayment: {charge.attempts} "
                                  f"attempt(s), {charge.retries} retry(ies)). Check ChargePayment's Retry.")
    if charge.retries != 2 or charge.attempts != 3:
        return CheckResult.failed(f"The execution history shows {charge.retries} retry(ies) of ChargePayment in "
                                  f"{charge.attempts} attempt(s); a payment that fails twice should show exactly 2 "
                                  "retries in 3 attempts.")
    attempts = ((_output(described).get("processing") or {}).get("charge") or {}).get("attempts")
    return CheckResult.passed(f"The payment failed twice and succeeded at attempt {attempts}: the history "
                              "(GetExecutionHistory) shows exactly 2 retries of ChargePayment, with backoff.")


def verify_compensation(ctx: Context) -> CheckResult:
    described, events, why = finished(ctx, "unavailable")
    if described is None:
        return CheckResult.failed(why)
    runs = _runs(ctx, events)
    if described["status"] != "FAILED" or described.get("error") != "OrderFailed":
        return CheckResult.failed(f"A payment that always fails should be compensated and end FAILED with the error "
                                  f"OrderFailed (the Fail state after the compensation); it ended "
                                  f"{_why(ctx, described, events)}. Check the Parallel state's Catch.")
    missing_steps = [name for name in ("ReleaseStock", "RefundPayment") if runs[name].succeeded < 1]
    if missing_steps:
        return CheckResult.failed(f"The execution ended OrderFailed without running {', '.join(missing_steps)}: the "
                                  "compensation must release the stock and refund before failing.")
    if runs["PackItems"].visited or runs["PackItem"].attempts:
        return CheckResult.failed("Items of an order whose payment failed were packed: the Catch must leave the "
                                  "Parallel state for the compensation, not continue to PackItems.")
    charge = runs["ChargePayment"]
    return CheckResult.passed(f"The payment failed {charge.attempts} times ({charge.retries} retries), the Catch ran "
                              "ReleaseStock and RefundPayment, and the execution ended FAILED with OrderFailed.")


def verify_rejected(ctx: Context) -> CheckResult:
    described, events, why = finished(ctx, "invalid")
    if described is None:
        return CheckResult.failed(why)
    runs = _runs(ctx, events)
    if described["status"] != "FAILED" or described.get("error") != "OrderInvalid":
        return CheckResult.failed(f"An order with no items should be rejected by the Choice state (FAILED, "
                                  f"OrderInvalid); it ended {_why(ctx, described, events)}.")
    if runs["ProcessOrder"].visited or runs["ChargePayment"].attempts:
        return CheckResult.failed("An invalid order reached ProcessOrder: the Choice must send it to RejectOrder.")
    return CheckResult.passed("An order with no items was sent by the Choice state to RejectOrder: FAILED with "
                              "OrderInvalid, nothing reserved or charged.")


CHECKS = (
    VerifyCheck("happy", "A valid order SUCCEEDS with the expected output", verify_happy),
    VerifyCheck("retries", "A payment that fails twice is retried twice, then succeeds", verify_retries),
    VerifyCheck("compensation", "A payment that always fails is compensated", verify_compensation),
    VerifyCheck("rejected", "An invalid order is rejected by the Choice", verify_rejected),
)
