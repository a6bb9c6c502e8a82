"""The workflow lab's pieces on their own: the task functions (they call no AWS service, so they run
directly, no emulator), the history reader on AWS-shaped and MiniStack-shaped histories, the steps and
their checks against moto's AWS APIs, the SAM template, and the cost figures."""

import json
from decimal import Decimal

import pytest
import yaml

from labs.catalog import get_lab
from labs.catalog.workflow import history, per_million, steps
from labs.catalog.workflow.functions.order_tasks import app
from labs.catalog.workflow.names import RETRIERS, TASKS, TRANSITIONS_HAPPY_PATH, USAGE, definition
from labs.engine.lab import Names
from own_account import aws_role
from own_account.pricing import PRICES, estimate
from tests.labs.conftest import make_context
from tests.labs.test_sam_and_catalog import CloudFormationLoader

LAB = get_lab("workflow")
ORDER = {"orderId": "o-1", "items": [{"sku": "A", "quantity": 2, "price": 3.5}, {"sku": "B", "quantity": 1, "price": 10}],
         "payment": {"card": "ok"}}


# The task functions ------------------------------------------------------------------------

def test_validate_adds_the_total_and_rejects_bad_orders_without_raising():
    assert app.validate_order(ORDER) == {**ORDER, "valid": True, "total": "17.00"}
    for bad, says in ((dict(ORDER, items=[]), "no items"), (dict(ORDER, orderId=""), "orderId"),
                      (dict(ORDER, items=[{"sku": "A", "quantity": 0, "price": 1}]), "quantity"),
                      (dict(ORDER, items=[{"sku": "A", "quantity": 1, "price": -1}]), "price"),
                      ({k: v for k, v in ORDER.items() if k != "payment"}, "payment"), ("nope", "JSON object")):
        result = app.validate_order(bad)
        assert result["valid"] is False and says in result["reason"]


def test_the_payment_simulator_fails_as_its_order_says_and_names_its_error():
    event = {"orderId": "o-1", "amount": "17.00", "payment": {"card": "flaky", "failures": 2}}
    for attempt in (0, 1):
        with pytest.raises(app.PaymentServiceUnavailable, match="^PaymentServiceUnavailable:"):
            app.charge_payment({**event, "attempt": attempt})
    assert app.charge_payment({**event, "attempt": 2}) == {"chargeId": "ch-o-1", "amount": "17.00", "attempts": 3}
    with pytest.raises(app.PaymentDeclined, match="^PaymentDeclined:"):
        app.charge_payment({**event, "payment": {"card": "declined"}})
    with pytest.raises(app.PaymentServiceUnavailable):
        app.charge_payment({**event, "payment": {"card": "unavailable"}, "attempt": 5})
    with pytest.raises(app.OutOfStock, match="^OutOfStock:"):
        app.reserve_stock({"orderId": "o-1", "items": [{"sku": "OUT-OF-STOCK", "quantity": 1}]})
    assert app.reserve_stock({"orderId": "o-1", "items": ORDER["items"]}) == {"reservationId": "res-o-1", "units": 3}


@pytest.mark.parametrize("error", [
    {"Error": "PaymentServiceUnavailable", "Cause": json.dumps({"errorMessage": "PaymentServiceUnavailable: x",
                                                                  "errorType": "PaymentServiceUnavailable"})},  # AWS
    {"Error": "Runtime.HandlerError", "Cause": json.dumps({"errorMessage": "PaymentServiceUnavailable: x",
                                                             "errorType": "Runtime.HandlerError"})},  # MiniStack
])
def test_the_compensation_refunds_only_what_may_have_been_charged(error):
    event = {**ORDER, "total": "17.00", "error": error}
    assert app.refund_payment(event)["refunded"] is False  # the payment failed: nothing was charged
    assert app.release_stock(event) == {"reservationId": "res-o-1", "released": True}
    stock = {**event, "error": {"Error": "OutOfStock", "Cause": "{}"}}
    assert app.refund_payment(stock) == {"chargeId": "ch-o-1", "refunded": True, "amount": "17.00"}
    assert app.release_stock(stock)["released"] is False  # a failed reservation holds nothing


def test_pack_item_packs_one_item():
    assert app.pack_item({"orderId": "o-1", "item": {"sku": "A", "quantity": 2, "price": 3.5}}) == \
        {"sku": "A", "quantity": 2, "packageId": "pkg-o-1-A"}


# The history reader ------------------------------------------------------------------------

MACHINE = definition(Names("sa-t"), "us-east-1", "123456789012")


def fn(what):
    return f"arn:aws:lambda:us-east-1:123456789012:function:sa-t-{what}"


def ministack_history():
    """What MiniStack 1.5.33 writes for a payment that fails twice, then succeeds (trimmed)."""
    kinds = [("ExecutionStarted", {}), ("TaskStateEntered", {"stateEnteredEventDetails": {"name": "ValidateOrder"}}),
             ("TaskScheduled", {"taskScheduledEventDetails": {"resource": fn("validate-order")}}),
             ("TaskSucceeded", {"taskSucceededEventDetails": {"resource": fn("validate-order")}}),
             ("TaskStateExited", {"stateExitedEventDetails": {"name": "ValidateOrder"}}),
             ("ChoiceStateEntered", {"stateEnteredEventDetails": {"name": "CheckOrder"}}),
             ("ChoiceStateExited", {"stateExitedEventDetails": {"name": "CheckOrder"}}),
             ("ParallelStateEntered", {"stateEnteredEventDetails": {"name": "ProcessOrder"}}),
             ("TaskScheduled", {"taskScheduledEventDetails": {"resource": fn("reserve-stock")}}),
             ("TaskScheduled", {"taskScheduledEventDetails": {"resource": fn("charge-payment")}}),
             ("TaskFailed", {"taskFailedEventDetails": {"resource": fn("charge-payment"), "error": "Runtime.HandlerError"}}),
             ("TaskSucceeded", {"taskSucceededEventDetails": {"resource": fn("reserve-stock")}}),
             ("TaskScheduled", {"taskScheduledEventDetails": {"resource": fn("charge-payment")}}),
             ("TaskFailed", {"taskFailedEventDetails": {"resource": fn("charge-payment"), "error": "Runtime.HandlerError"}}),
             ("TaskScheduled", {"taskScheduledEventDetails": {"resource": fn("charge-payment")}}),
             ("TaskSucceeded", {"taskSucceededEventDetails": {"resource": fn("charge-payment")}}),
             ("ParallelStateExited", {"stateExitedEventDetails": {"name": "ProcessOrder"}})]
    return [{"id": index + 1, "type": kind, **details} for index, (kind, details) in enumerate(kinds)]


def aws_history():
    """What AWS writes for the same attempts: LambdaFunction* events, failures pointing back by id."""
    events, previous = [], 0

    def add(kind, **details):
        nonlocal previous
        events.append({"id": len(events) + 1, "type": kind, "previousEventId": previous, **details})
        previous = len(events)
        return previous

    add("ParallelStateEntered", stateEnteredEventDetails={"name": "ProcessOrder"})
    add("TaskStateEntered", stateEnteredEventDetails={"name": "ChargePayment"})
    for attempt in range(3):
        add("LambdaFunctionScheduled", lambdaFunctionScheduledEventDetails={"resource": fn("charge-payment")})
        add("LambdaFunctionStarted")
        if attempt < 2:
            add("LambdaFunctionFailed", lambdaFunctionFailedEventDetails={"error": "PaymentServiceUnavailable"})
        else:
            add("LambdaFunctionSucceeded", lambdaFunctionSucceededEventDetails={"output": "{}"})
    add("TaskStateExited", stateExitedEventDetails={"name": "ChargePayment"})
    add("ParallelStateExited", stateExitedEventDetails={"name": "ProcessOrder"})
    return events


@pytest.mark.parametrize("events", [ministack_history(), aws_history()], ids=["ministack", "aws"])
def test_two_retries_are_read_from_either_history(events):
    runs = history.state_runs(MACHINE, events)
    charge = runs["ChargePayment"]
    assert (charge.attempts, charge.failed, charge.succeeded, charge.retries) == (3, 2, 1, 2)
    assert history.status_of(charge, runs, "SUCCEEDED") == "retried"
    assert history.status_of(runs["ProcessOrder"], runs, "SUCCEEDED") == "succeeded"
    assert history.status_of(runs["ReleaseStock"], runs, "SUCCEEDED") == "idle"


def test_a_failure_no_retry_follows_is_a_failed_task_and_its_parallel_is_caught():
    events = ministack_history()[:-3] + [
        {"id": 90, "type": "TaskFailed", "taskFailedEventDetails": {"resource": fn("charge-payment"), "error": "X"}},
        {"id": 91, "type": "ParallelStateExited", "stateExitedEventDetails": {"name": "ProcessOrder"}},
        {"id": 92, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "ReleaseStock"}},
    ]
    runs = history.state_runs(MACHINE, events)
    assert runs["ChargePayment"].retries == 1 and runs["ChargePayment"].error == "X"
    assert history.status_of(runs["ChargePayment"], runs, "RUNNING") == "failed"
    assert history.status_of(runs["ProcessOrder"], runs, "RUNNING") == "caught"
    assert history.status_of(runs["ReleaseStock"], runs, "RUNNING") == "running"


# The steps and their checks, against moto ---------------------------------------------------

def test_the_steps_build_what_their_checks_accept_and_nothing_more(moto_aws):
    ctx = make_context()
    assert [step.check(ctx).ok for step in LAB.steps] == [False, False, False]
    for step in LAB.steps:
        step.apply(ctx)
        assert step.check(ctx).ok, step.check(ctx).message
    kinds = [entry.kind for entry in ctx.recorder.ledger]
    assert kinds.count("lambda:function") == 6 and kinds.count("iam:role") == 2 and "states:state-machine" in kinds
    machine = ctx.clients.stepfunctions.describe_state_machine(stateMachineArn=ctx.outputs["state_machine_arn"])
    assert machine["type"] == "STANDARD" and json.loads(machine["definition"]) == definition(ctx.name, ctx.region,
                                                                                            ctx.account_id)
    ledger = list(ctx.recorder.ledger)
    for step in LAB.steps:
        step.apply(ctx)
    assert ctx.recorder.ledger == ledger

    # The state machine's role: exactly the six functions, no more, no fewer.
    policy = steps.machine_policy(ctx)
    for resource, says in (("*", "beyond the lab's six"), (policy["Statement"][0]["Resource"][:5], "does not allow")):
        changed = {**policy, "Statement": [{**policy["Statement"][0], "Resource": resource}]}
        ctx.clients.iam.put_role_policy(RoleName=f"{ctx.name.prefix}-order-workflow-role",
                                        PolicyName="invoke-order-tasks", PolicyDocument=json.dumps(changed))
        assert says in LAB.step("role").check(ctx).message


@pytest.mark.parametrize(("change", "says"), [
    (lambda s: s["ProcessOrder"]["Branches"][1]["States"]["ChargePayment"].pop("Retry"), "has no Retry"),
    (lambda s: s["ProcessOrder"]["Branches"][1]["States"]["ChargePayment"]["Retry"][1].update(BackoffRate=1.0),
     "no exponential backoff"),
    (lambda s: s["ProcessOrder"]["Branches"][1]["States"]["ChargePayment"]["Retry"][1].update(IntervalSeconds=30),
     "more than 5 s"),
    (lambda s: s["ProcessOrder"]["Branches"][1]["States"]["ChargePayment"]["Retry"][1].update(MaxAttempts=1),
     "MaxAttempts to 2"),
    (lambda s: s["ProcessOrder"].pop("Catch"), "no Catch"),
    (lambda s: s["PackItems"].update(ItemsPath="$.lines"), "ItemsPath"),
    (lambda s: s["ValidateOrder"].update(Resource="arn:aws:lambda:us-east-1:1:function:other"), "must invoke"),
    (lambda s: s.pop("RefundPayment"), "no state named RefundPayment"),
    (lambda s: s["CheckOrder"].update(Type="Pass"), "must be a Choice state"),
])
def test_the_machine_check_names_what_differs(change, says):
    changed = definition(Names("sa-t"), "us-east-1", "123456789012")
    change(changed["States"])
    assert says in steps.definition_problem(changed, MACHINE)
    assert steps.definition_problem(MACHINE, MACHINE) == ""


def test_retry_intervals_stay_small_and_grow_exponentially():
    backoff = RETRIERS[1]
    assert (backoff["IntervalSeconds"], backoff["BackoffRate"], backoff["MaxAttempts"]) == (1, 2.0, 2)
    assert RETRIERS[0] == {"ErrorEquals": ["PaymentDeclined"], "MaxAttempts": 0}
    assert backoff["ErrorEquals"] == ["States.ALL"]  # alone, and in the last retrier, as ASL requires


# The SAM template, the cost, the own-account role -----------------------------------------------

def test_the_sam_template_translates_to_the_labs_state_machine(monkeypatch):
    from tests.labs.test_sam_and_catalog import NoManagedPolicies
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(LAB.sam_source, Loader=CloudFormationLoader)
    for resource in template["Resources"].values():  # what `sam package` does to a local CodeUri
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://lab-artifacts/order_tasks.zip"
    resources = transform(template, {}, NoManagedPolicies())["Resources"]
    functions = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert sorted(p["Handler"] for p in functions.values()) == sorted(handler for _, handler, _ in TASKS)
    assert all(p["Runtime"] == LAB.runtime for p in functions.values())
    machine = next(r["Properties"] for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    assert machine["StateMachineType"] == "STANDARD"
    substitutions = machine["DefinitionSubstitutions"]
    assert set(substitutions) == {f"{state}Arn" for _, _, state in TASKS}
    shown = "\n".join(machine["DefinitionString"]["Fn::Join"][1])
    for _, _, state in TASKS:
        shown = shown.replace("${" + state + "Arn}", fn(next(w for w, _, s in TASKS if s == state)))
    assert json.loads(shown) == MACHINE  # the template deploys the same workflow as the steps
    role = next(r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Role"
                and "states.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"]))
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert len(statements) == 6 and all(s["Action"] == ["lambda:InvokeFunction"] for s in statements)


def test_the_cost_comparison_comes_from_the_price_table():
    figures = per_million()
    assert figures["standard"] == PRICES["sfn_standard_transitions"].usd * TRANSITIONS_HAPPY_PATH * 1000
    assert figures["express"] == Decimal("1.00") + figures["express_duration"]
    assert figures["express"] < figures["standard"] / 100
    assert f"US${figures['standard']:,.2f}" in LAB.use_case and f"US${figures['express']:,.2f}" in LAB.use_case
    assert "https://aws.amazon.com/step-functions/pricing/" in LAB.use_case
    assert set(USAGE) <= set(PRICES) and estimate("workflow").exact_usage


def test_the_own_account_role_lets_the_lab_run_and_its_state_machine_invoke_only_lab_functions():
    access = {s["Sid"]: s for s in aws_role.access_policy()["Statement"]}
    assert "states:CreateStateMachine" in access["LabStateMachines"]["Action"]
    assert all(":states:*:" in r["Fn::Sub"] and "sa-*" in r["Fn::Sub"] for r in access["LabStateMachines"]["Resource"])
    assert access["PassLabRolesToStepFunctions"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "states.amazonaws.com"}}
    boundary = {s["Sid"]: s for s in aws_role.boundary_policy()["Statement"]}
    assert boundary["InvokeLabFunctions"]["Resource"]["Fn::Sub"].endswith(":function:sa-*")
