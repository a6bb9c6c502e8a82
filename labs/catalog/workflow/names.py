"""What the order workflow lab builds, by name, its settings, and the state machine's definition."""

import json

from labs.engine.lab import Names

RUNTIME = "python3.12"
FUNCTION_SOURCE = "order_tasks"
# (what, handler, state that calls it): six functions from one package.
TASKS = (
    ("validate-order", "app.validate_order", "ValidateOrder"),
    ("reserve-stock", "app.reserve_stock", "ReserveStock"),
    ("charge-payment", "app.charge_payment", "ChargePayment"),
    ("release-stock", "app.release_stock", "ReleaseStock"),
    ("refund-payment", "app.refund_payment", "RefundPayment"),
    ("pack-item", "app.pack_item", "PackItem"),
)
FUNCTION_TIMEOUT = 10
FUNCTION_MEMORY = 128
TASKS_POLICY = "own-logs"
MACHINE_POLICY = "invoke-order-tasks"
# The payment's retriers, the first that matches an error decides: a declined card is never retried
# (MaxAttempts 0); anything else (the provider timing out, Lambda's own transient errors) is retried twice,
# waiting IntervalSeconds x BackoffRate^n: 1 s, then 2 s. Small, so the lab runs fast; MiniStack sleeps
# exactly these (ministack/services/stepfunctions.py: _execute_task, scaled by SFN_WAIT_SCALE, 1 by default).
RETRY_INTERVAL, RETRY_BACKOFF, RETRY_ATTEMPTS = 1, 2.0, 2
RETRIERS = (
    {"ErrorEquals": ["PaymentDeclined"], "MaxAttempts": 0},
    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": RETRY_INTERVAL, "BackoffRate": RETRY_BACKOFF,
     "MaxAttempts": RETRY_ATTEMPTS},
)
# State transitions of a 2-item order that succeeds: ValidateOrder, CheckOrder, ProcessOrder, ReserveStock,
# ChargePayment, PackItems, PackItem x 2, OrderCompleted (each retry adds one). For the cost comparison.
TRANSITIONS_HAPPY_PATH = 9
EXPRESS_SECONDS, EXPRESS_MEMORY_MB = 0.5, 64  # a sync Express run of the same flow: ~0.5 s, in the smallest chunk

# The sample orders the run page offers: (slug, label, payment block).
SCENARIOS = (
    ("happy", "A good card", {"card": "ok"}),
    ("flaky", "A payment that fails twice, then succeeds", {"card": "flaky", "failures": 2}),
    ("unavailable", "A payment provider that never answers", {"card": "unavailable"}),
    ("declined", "A declined card", {"card": "declined"}),
    ("invalid", "An order with no items", {"card": "ok"}),
)

STATES_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# What one run uses in AWS (own_account.pricing.PRICES keys), generous: the verify's 4 executions and a
# dozen of the learner's own, each about 11 state transitions and 7 short invocations of 128 MB.
USAGE = {
    "sfn_standard_transitions": 16 * (TRANSITIONS_HAPPY_PATH + 2),
    "lambda_requests": 16 * 8, "lambda_gb_seconds": 16 * 8 * 0.125 * 0.1,
    "logs_ingest": 0.001,
}


def function_name(names: Names, what: str) -> str:
    return names(what)


def function_names(names: Names) -> list[str]:
    return [names(what) for what, _, _ in TASKS]


def tasks_role_name(names: Names) -> str:
    return names("order-tasks-role")


def machine_role_name(names: Names) -> str:
    return names("order-workflow-role")


def machine_name(names: Names) -> str:
    return names("order-workflow")


def function_arn(region: str, account_id: str, function: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function}"


def machine_arn(region: str, account_id: str, names: Names) -> str:
    return f"arn:aws:states:{region}:{account_id}:stateMachine:{machine_name(names)}"


def definition(names: Names, region: str, account_id: str) -> dict:
    """The state machine, in Amazon States Language (JSONPath)."""
    arn = {state: function_arn(region, account_id, names(what)) for what, _, state in TASKS}
    return {
        "Comment": "Order workflow: validate, then reserve stock and charge payment in parallel (payment retried "
                   "with exponential backoff), compensate on failure, then pack each item.",
        "StartAt": "ValidateOrder",
        "States": {
            "ValidateOrder": {"Type": "Task", "Resource": arn["ValidateOrder"], "Next": "CheckOrder"},
            "CheckOrder": {"Type": "Choice", "Choices": [
                {"Variable": "$.valid", "BooleanEquals": True, "Next": "ProcessOrder"}], "Default": "RejectOrder"},
            "RejectOrder": {"Type": "Fail", "Error": "OrderInvalid", "Cause": "The order failed validation."},
            "ProcessOrder": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "ReserveStock", "States": {
                        "ReserveStock": {"Type": "Task", "Resource": arn["ReserveStock"], "End": True,
                                         "Parameters": {"orderId.$": "$.orderId", "items.$": "$.items"}}}},
                    {"StartAt": "ChargePayment", "States": {
                        "ChargePayment": {"Type": "Task", "Resource": arn["ChargePayment"], "End": True,
                                          "Parameters": {"orderId.$": "$.orderId", "amount.$": "$.total",
                                                         "payment.$": "$.payment",
                                                         "attempt.$": "$$.State.RetryCount"},
                                          "Retry": [dict(retrier) for retrier in RETRIERS]}}},
                ],
                "ResultSelector": {"reservation.$": "$[0]", "charge.$": "$[1]"},
                "ResultPath": "$.processing",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ReleaseStock"}],
                "Next": "PackItems",
            },
            "ReleaseStock": {"Type": "Task", "Resource": arn["ReleaseStock"], "ResultPath": "$.compensation.stock",
                             "Next": "RefundPayment"},
            "RefundPayment": {"Type": "Task", "Resource": arn["RefundPayment"], "ResultPath": "$.compensation.payment",
                              "Next": "OrderFailed"},
            "OrderFailed": {"Type": "Fail", "Error": "OrderFailed",
                            "Cause": "Processing failed: the stock was released and any charge refunded."},
            "PackItems": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 5,
                "ItemSelector": {"orderId.$": "$.orderId", "item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "PackItem", "States": {
                    "PackItem": {"Type": "Task", "Resource": arn["PackItem"], "End": True}}},
                "ResultPath": "$.packages",
                "Next": "OrderCompleted",
            },
            "OrderCompleted": {"Type": "Succeed"},
        },
    }


def definition_json(names: Names, region: str, account_id: str) -> str:
    return json.dumps(definition(names, region, account_id), indent=2)


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "TASKS_ROLE": tasks_role_name(names),
        "MACHINE_ROLE": machine_role_name(names), "MACHINE": machine_name(names),
        "MACHINE_ARN": machine_arn(region, account_id, names), "PREFIX": names.prefix,
    }
