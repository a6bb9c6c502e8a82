"""The order events fan-out lab: POST /orders publishes each order to an SNS topic; a billing queue
takes every order and a shipping queue only physical goods (a filter policy); a consumer function
per queue (an event source mapping with ReportBatchItemFailures) writes to DynamoDB, idempotently;
each queue has a dead-letter queue; an ``order.cancelled`` event on a custom EventBridge bus is
routed by a rule to a function that marks the order cancelled.

Read it as a recipe: ``names`` (what it builds), ``steps`` (tables, queues, topic) and
``function_steps`` (consumers, API, cancellation), ``verify`` (20 orders, the filter, a
cancellation, a redelivery, a poison message), ``text/``, ``template.sam.yaml`` and
``functions/orders/app.py`` (one package, four handlers).
"""

from pathlib import Path

from labs.catalog.fanout import function_steps, sabotage, steps, verify
from labs.catalog.fanout.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent

# What MiniStack 1.5.33 really runs for this lab, and what it only stores (read in its source:
# ministack/services/sns.py, sqs.py, lambda_svc.py, eventbridge.py). The lab page shows both lists.
LOCAL_REAL = (
    "SNS subscription filter policies (message attributes and body): a digital order never reaches the shipping "
    "queue.",
    "SQS queue policies, under the sandbox's AUTH=true: a queue whose policy does not let the topic send gets "
    "nothing.",
    "Redrive: a message received maxReceiveCount times moves to the dead-letter queue on the next receive.",
    "The visibility timeout: a message a batch failed comes back only after it.",
    "Event source mappings poll the queue and run your function; with ReportBatchItemFailures only the "
    "messages the function lists come back, without it the whole batch is deleted when the function returns.",
    "EventBridge custom buses and rule event patterns: only a matching event runs the target.",
    "DynamoDB condition expressions, so the idempotent write is tested for real.",
)
LOCAL_STORED = (
    "MaximumBatchingWindowInSeconds: stored; the local poller takes whatever is in the queue at once.",
    "The consumer roles' SQS permissions: AWS refuses to create the mapping without sqs:ReceiveMessage, "
    "sqs:DeleteMessage and sqs:GetQueueAttributes; the local sandbox does not look (the step's check reads the policy).",
    "The functions' resource-based policies (API Gateway and EventBridge invoke without them; the checks read them).",
    "The rule that the visibility timeout must be at least the function's timeout when the mapping is created "
    "(AWS refuses it; the lab's check enforces six times).",
)


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


LAB = Lab(
    slug="fanout",
    title="Order events fan-out",
    summary="Publish each order once to SNS; billing and shipping queues take what they need, consumers write to "
            "DynamoDB idempotently, poison messages land in a DLQ, and EventBridge routes cancellations.",
    use_case=_text("use_case"),
    services=("Amazon API Gateway", "AWS Lambda", "Amazon SNS", "Amazon SQS", "Amazon EventBridge", "Amazon DynamoDB",
              "AWS IAM"),
    minutes=40,
    aws_cost="Well under US$0.01 a run: every service here bills per request, and the AWS Free Tier covers it.",
    diagram="labs/diagrams/fanout.svg",
    parts={"client": "Client", "api": "API Gateway", "topic": "SNS topic", "queues": "SQS queues",
           "dlq": "Dead-letter queues", "consumers": "Consumer functions", "tables": "DynamoDB tables",
           "bus": "EventBridge bus", "cancel": "Cancel function", "roles": "IAM roles"},
    steps=(
        Step("tables", "Create the three tables", "orders, billing and shipping: on-demand, keyed by orderId.",
             _text("step_tables"), steps.apply_tables, steps.check_tables, parts=("tables",),
             services=("Amazon DynamoDB",)),
        Step("queues", "Create the queues and their dead-letter queues",
             "billing and shipping, each with a DLQ after 3 receives and a visibility timeout of six times the "
             "consumer's timeout.", _text("step_queues"), steps.apply_queues, steps.check_queues,
             parts=("queues", "dlq"), services=("Amazon SQS",)),
        Step("topic", "Fan out with an SNS topic", "Two subscriptions: billing takes every order, shipping only "
             "physical goods (a filter policy); queue policies let the topic send.", _text("step_topic"),
             steps.apply_topic, steps.check_topic, parts=("topic",), services=("Amazon SNS", "Amazon SQS")),
        Step("consumers", "Consume the queues with Lambda", "A function per queue through an event source mapping "
             "with ReportBatchItemFailures; idempotent writes.", _text("step_consumers"),
             function_steps.apply_consumers, function_steps.check_consumers, parts=("consumers", "roles"),
             services=("AWS Lambda", "Amazon SQS", "AWS IAM")),
        Step("api", "Take orders: POST /orders", "API Gateway and a function that stores the order and publishes it "
             "with message attributes.", _text("step_api"), function_steps.apply_api, function_steps.check_api,
             parts=("client", "api"), services=("Amazon API Gateway",)),
        Step("cancellation", "Route cancellations with EventBridge", "A custom bus, a rule for order.cancelled, a "
             "function that marks the order cancelled.", _text("step_cancellation"),
             function_steps.apply_cancellation, function_steps.check_cancellation, parts=("bus", "cancel"),
             services=("Amazon EventBridge", "AWS Lambda")),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=30,
    local_real=LOCAL_REAL,
    local_stored=LOCAL_STORED,
)
