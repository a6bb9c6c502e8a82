"""The order fan-out lab's first three steps (tables; queues with their dead-letter queues; the
topic and its two subscriptions), each an idempotent ``apply`` from the toolkit and a ``check``
that explains what is missing. The functions, the API and the cancellation are in
``function_steps``."""

import json

from labs.catalog.fanout.names import (
    CONSUMER_TIMEOUT, KEY, MAX_RECEIVES, SHIPPING_FILTER, VISIBILITY_FACTOR, VISIBILITY_TIMEOUT, dlq_name,
    function_name, queue_name, table_name, topic_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import messaging, tables
from labs.toolkit.calls import missing

TABLES = ("orders", "billing", "shipping")
CONSUMERS = ("billing", "shipping")
DLQ_RETENTION = 14 * 24 * 3600  # the longest SQS keeps a message: time to look at what failed
FILTERS = {"billing": None, "shipping": SHIPPING_FILTER}


def passed_all(message: str, results: list[CheckResult]) -> CheckResult:
    return CheckResult.passed(message, *[found for result in results for found in result.found])


# Step 1: the tables --------------------------------------------------------------------------

def apply_tables(ctx: Context) -> None:
    for what in TABLES:
        tables.ensure_table(ctx, table_name(ctx.name, what), key=KEY)


def check_tables(ctx: Context) -> CheckResult:
    results = []
    for what in TABLES:
        result = tables.check_table(ctx, table_name(ctx.name, what), key=KEY, used_by=f"the {what} code")
        if not result.ok:
            return result
        results.append(result)
    return passed_all(f"Tables {', '.join(table_name(ctx.name, w) for w in TABLES)} are ACTIVE, keyed on {KEY}, "
                      "on-demand.", results)


# Step 2: the queues and their dead-letter queues --------------------------------------------

def apply_queues(ctx: Context) -> None:
    sqs = ctx.clients.sqs
    for what in CONSUMERS:
        dead = messaging.ensure_queue(ctx, dlq_name(ctx.name, what), visibility_timeout=VISIBILITY_TIMEOUT,
                                      extra={"MessageRetentionPeriod": str(DLQ_RETENTION)})
        messaging.ensure_queue(ctx, queue_name(ctx.name, what), dead_letter_arn=messaging.queue_arn(sqs, dead),
                               max_receives=MAX_RECEIVES, visibility_timeout=VISIBILITY_TIMEOUT)


def consumer_timeout(ctx: Context, what: str) -> tuple[int, str]:
    """The consumer's timeout (its configuration once it exists, else the one the lab gives it) and
    where that number comes from."""
    function = function_name(ctx.name, what)
    found = missing(ctx.clients.lambda_.get_function_configuration, FunctionName=function)
    if found is None:
        return CONSUMER_TIMEOUT, f"the {CONSUMER_TIMEOUT} s timeout step 4 gives {function}"
    return int(found.get("Timeout", 3)), f"{function}'s timeout of {found.get('Timeout', 3)} s"


def redrive_problem(ctx: Context, what: str, attributes: dict) -> str:
    queue, dead = queue_name(ctx.name, what), dlq_name(ctx.name, what)
    redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
    if int(redrive.get("maxReceiveCount") or 0) != MAX_RECEIVES:
        return (f"The queue {queue} moves a message to {dead} after {redrive.get('maxReceiveCount')} receives; the lab "
                f"uses {MAX_RECEIVES}: enough to ride out a brief failure, few enough that a poison message leaves "
                f"soon. Set maxReceiveCount to {MAX_RECEIVES}.")
    timeout, source = consumer_timeout(ctx, what)
    visibility = int(attributes.get("VisibilityTimeout", 30))
    if visibility < VISIBILITY_FACTOR * timeout:
        return (f"The queue {queue} has a visibility timeout of {visibility} s, less than six times {source} "
                f"({VISIBILITY_FACTOR * timeout} s). Lambda's poller may then see a message again while an invocation "
                f"still works on it (and throttled retries eat receives). Set VisibilityTimeout to at least "
                f"{VISIBILITY_FACTOR * timeout} s, or shorten the function's timeout.")
    return ""


def check_queues(ctx: Context) -> CheckResult:
    sqs, results = ctx.clients.sqs, []
    for what in CONSUMERS:
        queue, dead = queue_name(ctx.name, what), dlq_name(ctx.name, what)
        dead_result = messaging.check_queue(ctx, dead)
        if not dead_result.ok:
            return CheckResult.failed(f"There is no dead-letter queue {dead}: create it first (a standard queue), "
                                      f"then point {queue}'s redrive policy at it.")
        result = messaging.check_queue(ctx, queue, dead_letter=dead)
        if not result.ok:
            return result
        url = messaging.queue_url(sqs, queue)
        problem = redrive_problem(ctx, what, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])
        if problem:
            return CheckResult.failed(problem)
        results += [dead_result, result]
    return passed_all(f"Queues {queue_name(ctx.name, 'billing')} and {queue_name(ctx.name, 'shipping')} each send a "
                      f"message to their dead-letter queue after {MAX_RECEIVES} receives, with a visibility timeout of "
                      "at least six times their consumer's timeout.", results)


# Step 3: the topic and its subscriptions ----------------------------------------------------

def apply_topic(ctx: Context) -> None:
    sqs = ctx.clients.sqs
    urls = {what: messaging.queue_url(sqs, queue_name(ctx.name, what)) for what in CONSUMERS}
    if None in urls.values():
        raise StepBlocked("The queues do not exist yet: do step 2 first.")
    topic = messaging.ensure_topic(ctx, topic_name(ctx.name))
    for what, url in urls.items():
        wanted = FILTERS[what]
        messaging.subscribe_queue(ctx, topic, url, {"FilterPolicy": json.dumps(wanted)} if wanted else None)
    ctx.outputs["topic_arn"] = topic


def check_topic(ctx: Context) -> CheckResult:
    sqs, sns = ctx.clients.sqs, ctx.clients.sns
    if any(messaging.queue_url(sqs, queue_name(ctx.name, what)) is None for what in CONSUMERS):
        return CheckResult.failed("The queues are missing: do step 2 first.")
    topic = topic_name(ctx.name)
    results = []
    for what in CONSUMERS:
        queue = queue_name(ctx.name, what)
        result = messaging.check_subscription(ctx, topic, queue)
        if not result.ok:
            return result
        arn = messaging.topic_arn(sns, topic)
        queue_arn = messaging.queue_arn(sqs, messaging.queue_url(sqs, queue))
        problem = messaging.filter_policy_problem(sns, arn, queue_arn, queue, FILTERS[what])
        if problem:
            return CheckResult.failed(problem)
        results.append(result)
    ctx.outputs["topic_arn"] = messaging.topic_arn(sns, topic)
    return CheckResult.passed(
        f"Topic {topic} delivers every order to {queue_name(ctx.name, 'billing')} and only physical ones "
        f"(filter policy {json.dumps(SHIPPING_FILTER)}) to {queue_name(ctx.name, 'shipping')}; both queue policies "
        "let the topic send.", *results[0].found)


def found_queues(ctx: Context) -> list[Found]:
    return [found for what in CONSUMERS for found in messaging.check_queue(ctx, queue_name(ctx.name, what)).found]
