"""What the order fan-out lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

RUNTIME = "python3.12"
FUNCTION_SOURCE = "orders"  # one code package, four handlers
STAGE = "prod"
KEY = "orderId"
# The consumers' timeout is short on purpose: a poison message needs three receives, each one a
# visibility timeout apart, so the verify's poison order reaches its dead-letter queue in about 18 s.
CONSUMER_TIMEOUT = 1
VISIBILITY_FACTOR = 6  # AWS: a queue's visibility timeout at least six times the function's timeout
VISIBILITY_TIMEOUT = CONSUMER_TIMEOUT * VISIBILITY_FACTOR
MAX_RECEIVES = 3
BATCH_SIZE = 10
BATCHING_WINDOW = 1  # seconds; AWS fills batches for up to this long (the local sandbox does not wait)
ORDER_SOURCE = "academy.orders"
CANCELLED = "order.cancelled"
BUS_RULE_TYPO = "OrderCancelled"  # a sabotage case: the detail type spelled as a class name
SHIPPING_FILTER = {"fulfilment": ["physical"]}
HANDLERS = {"api": "app.place_order", "billing": "app.bill", "shipping": "app.ship", "cancel": "app.cancel"}
PERMISSION_ID = "apigateway-invoke"
RULE_PERMISSION_ID = "eventbridge-invoke"
POLICY_NAME = "least-privilege"
QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# What one run uses in AWS, for its cost estimate (a generous count: a run retried or explored a while stays under).
USAGE = {
    "lambda_requests": 200, "lambda_gb_seconds": 200 * 0.125 * 0.2,  # 128 MB, 200 ms
    "apigateway_rest": 60, "dynamodb_writes": 200, "dynamodb_reads": 300,
    "sns_requests": 100, "sqs_requests": 2000,  # Lambda's pollers make most of the SQS requests
    "eventbridge_events": 20, "logs_ingest": 0.001,
}


def table_name(names: Names, what: str) -> str:
    return names(what)  # orders, billing, shipping


def queue_name(names: Names, what: str) -> str:
    return names(f"{what}-queue")


def dlq_name(names: Names, what: str) -> str:
    return names(f"{what}-dlq")


def topic_name(names: Names) -> str:
    return names("orders-topic")


def bus_name(names: Names) -> str:
    return names("orders-bus")


def rule_name(names: Names) -> str:
    return names("order-cancelled")


def function_name(names: Names, what: str) -> str:
    return names(f"{what}-fn")  # api, billing, shipping, cancel


def role_name(names: Names, what: str) -> str:
    return names(f"{what}-role")


def api_name(names: Names) -> str:
    return names("orders-api")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id,
        "ORDERS_TABLE": table_name(names, "orders"), "BILLING_TABLE": table_name(names, "billing"),
        "SHIPPING_TABLE": table_name(names, "shipping"),
        "BILLING_QUEUE": queue_name(names, "billing"), "BILLING_DLQ": dlq_name(names, "billing"),
        "SHIPPING_QUEUE": queue_name(names, "shipping"), "SHIPPING_DLQ": dlq_name(names, "shipping"),
        "TOPIC": topic_name(names), "BUS": bus_name(names), "RULE": rule_name(names),
        "API_FUNCTION": function_name(names, "api"), "BILLING_FUNCTION": function_name(names, "billing"),
        "SHIPPING_FUNCTION": function_name(names, "shipping"), "CANCEL_FUNCTION": function_name(names, "cancel"),
        "API_ROLE": role_name(names, "api"), "BILLING_ROLE": role_name(names, "billing"),
        "SHIPPING_ROLE": role_name(names, "shipping"), "CANCEL_ROLE": role_name(names, "cancel"),
        "API_NAME": api_name(names),
    }
