"""Queues and topics: an SQS queue (with a dead-letter queue if asked) and an SNS topic, each made
once and tagged, a topic's subscription to a queue (with its attributes: a filter policy) and the
queue policy that lets the topic send, a Lambda event source mapping that polls a queue, and the
checks that read them back."""

import json
import time

from botocore.exceptions import ClientError

from labs.aws import error_code
from labs.engine.lab import CheckResult, Context, Found
from labs.toolkit.calls import as_list, missing, wait_until


def queue_url(sqs, name: str) -> str | None:
    found = missing(sqs.get_queue_url, QueueName=name)
    return found["QueueUrl"] if found else None


def queue_arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def ensure_queue(ctx: Context, name: str, *, dead_letter_arn: str = "", max_receives: int = 3,
                 visibility_timeout: int = 30, extra: dict | None = None) -> str:
    """The queue named ``name`` (created once, recorded first); its URL. Attributes (``extra``: more
    of them, e.g. MessageRetentionPeriod) are brought up to date every time."""
    sqs = ctx.clients.sqs
    attributes = {"VisibilityTimeout": str(visibility_timeout), **(extra or {})}
    if dead_letter_arn:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letter_arn,
                                                  "maxReceiveCount": str(max_receives)})
    url = queue_url(sqs, name)
    if url is None:
        with ctx.creating("sqs:queue", name) as made:
            url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=ctx.tags)["QueueUrl"]
            made.physical_id = url
            made.arn = queue_arn(sqs, url)
    else:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def check_queue(ctx: Context, name: str, *, dead_letter: str = "") -> CheckResult:
    sqs = ctx.clients.sqs
    url = queue_url(sqs, name)
    if url is None:
        return CheckResult.failed(f"There is no SQS queue named {name} in {ctx.region}. Create it (a standard queue).")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    if dead_letter:
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        if not redrive.get("deadLetterTargetArn", "").endswith(f":{dead_letter}"):
            return CheckResult.failed(f"The queue {name} has no dead-letter queue: a message that keeps failing would "
                                      f"come back forever. Set its redrive policy to send it to {dead_letter}.")
    return CheckResult.passed(f"Queue {name} exists.", Found("sqs:queue", name, url, attributes.get("QueueArn", "")))


def topic_arn(sns, name: str) -> str | None:
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
    return None


def ensure_topic(ctx: Context, name: str) -> str:
    """The topic named ``name`` (created once, recorded first); its ARN."""
    sns = ctx.clients.sns
    arn = topic_arn(sns, name)
    if arn is None:
        with ctx.creating("sns:topic", name) as made:
            arn = sns.create_topic(Name=name, Tags=ctx.tag_list())["TopicArn"]
            made.physical_id = made.arn = arn
    return arn


def topic_may_send(policy: dict, topic: str, queue: str) -> bool:
    for statement in as_list(policy.get("Statement", [])):
        principal = statement.get("Principal", {})
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else [principal]
        if statement.get("Effect") != "Allow" or not {"sns.amazonaws.com", "*"} & set(services):
            continue
        if "sqs:SendMessage" not in as_list(statement.get("Action", [])):
            continue
        sources = [arn for test in statement.get("Condition", {}).values() for arn in as_list(test.get("aws:SourceArn", []))]
        if queue in as_list(statement.get("Resource", [queue])) and (not sources or topic in sources):
            return True
    return False


def subscribe_queue(ctx: Context, topic: str, queue_url_: str, attributes: dict | None = None) -> None:
    """Subscribe the queue to the topic (once), and let the topic send to it. ``attributes`` (a
    FilterPolicy, RawMessageDelivery) are set on the subscription, new or existing."""
    sqs, sns = ctx.clients.sqs, ctx.clients.sns
    queue = queue_arn(sqs, queue_url_)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TopicSends", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    sqs.set_queue_attributes(QueueUrl=queue_url_, Attributes={"Policy": json.dumps(policy)})
    arn = subscription_arn(sns, topic, queue)
    if arn is None:
        # Deleted with the topic. An SQS subscription in the same account needs no confirmation.
        arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, ReturnSubscriptionArn=True)["SubscriptionArn"]
    if attributes:
        have = sns.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {})
        for name, value in attributes.items():
            if have.get(name) != value:
                sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)


def subscription_arn(sns, topic: str, endpoint: str) -> str | None:
    return next((s["SubscriptionArn"] for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
                 for s in page.get("Subscriptions", []) if s.get("Endpoint") == endpoint), None)


def subscribers(sns, topic: str, protocol: str) -> list[str]:
    return [s["Endpoint"] for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
            for s in page.get("Subscriptions", []) if s.get("Protocol") == protocol]


def check_subscription(ctx: Context, topic_name: str, queue_name: str) -> CheckResult:
    sqs, sns = ctx.clients.sqs, ctx.clients.sns
    topic, url = topic_arn(sns, topic_name), queue_url(sqs, queue_name)
    if topic is None:
        return CheckResult.failed(f"There is no SNS topic named {topic_name}. Create it.")
    if url is None:
        return CheckResult.failed(f"There is no SQS queue named {queue_name}. Create it.")
    queue = queue_arn(sqs, url)
    if queue not in subscribers(sns, topic, "sqs"):
        return CheckResult.failed(f"The queue {queue_name} is not subscribed to the topic {topic_name}: messages "
                                  "published there never reach it. Subscribe it (protocol sqs).")
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy") or "{}")
    if not topic_may_send(policy, topic, queue):
        return CheckResult.failed(f"The queue {queue_name} is subscribed, but its access policy does not let SNS send "
                                  f"to it, so deliveries are dropped. Allow sqs:SendMessage for sns.amazonaws.com "
                                  f"with aws:SourceArn {topic}.")
    return CheckResult.passed(f"Topic {topic_name} delivers to queue {queue_name}.",
                              Found("sns:topic", topic_name, topic, topic))


def filter_policy_problem(sns, topic: str, queue: str, queue_name: str, wanted: dict | None) -> str:
    """What is wrong with the subscription's filter policy (``wanted``; None: it must have none) and
    delivery format (the consumer reads SNS's JSON envelope, so raw delivery must be off); "" if nothing."""
    arn = subscription_arn(sns, topic, queue)
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {}) if arn else {}
    have = json.loads(attributes.get("FilterPolicy") or "{}")
    scope = attributes.get("FilterPolicyScope") or "MessageAttributes"
    if attributes.get("RawMessageDelivery") == "true":
        return (f"The subscription of {queue_name} has raw message delivery on, but the consumer reads SNS's JSON "
                "envelope (Message, MessageId, MessageAttributes): turn RawMessageDelivery off.")
    if not wanted:
        if have:
            return (f"The subscription of {queue_name} has a filter policy ({json.dumps(have)}), so it misses the orders "
                    "it does not match: this queue takes every order. Remove the filter policy.")
        return ""
    if not have:
        return (f"The subscription of {queue_name} has no filter policy, so every order reaches it. Set its filter "
                f"policy to {json.dumps(wanted)} (scope: message attributes).")
    if have != wanted or scope != "MessageAttributes":
        return (f"The subscription of {queue_name} filters with {json.dumps(have)} on its {scope}; it should be "
                f"{json.dumps(wanted)} on the message attributes.")
    return ""


# A Lambda event source mapping: a function polling a queue ----------------------------------------

def queue_mappings(lambda_, function: str, source_arn: str) -> list[dict]:
    return [m for page in lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=function)
            for m in page.get("EventSourceMappings", []) if m.get("EventSourceArn") == source_arn]


def ensure_queue_mapping(ctx: Context, *, function: str, queue: str, queue_arn_: str, settings: dict) -> str:
    """The function polls the queue (created once, recorded first; ``settings``: BatchSize,
    MaximumBatchingWindowInSeconds, FunctionResponseTypes, brought up to date). Returns its UUID."""
    lambda_ = ctx.clients.lambda_
    found = queue_mappings(lambda_, function, queue_arn_)
    if not found:
        with ctx.creating("lambda:event-source-mapping", f"{function}/{queue}") as made:
            mapping = _create_mapping(lambda_, function=function, source_arn=queue_arn_, settings=settings)
            made.physical_id, made.arn = mapping["UUID"], mapping.get("EventSourceMappingArn", "")
    else:
        mapping = found[0]
        if any(mapping.get(key) != value for key, value in settings.items()) or mapping.get("State") == "Disabled":
            lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True, **settings)
    uuid = mapping["UUID"]
    wait_until(lambda: lambda_.get_event_source_mapping(UUID=uuid).get("State") in ("Enabled", None),
               f"the event source mapping of {function} to be Enabled")
    return uuid


def _create_mapping(lambda_, *, function: str, source_arn: str, settings: dict) -> dict:
    deadline = time.monotonic() + 30
    while True:
        try:
            return lambda_.create_event_source_mapping(FunctionName=function, EventSourceArn=source_arn, Enabled=True,
                                                       **settings)
        except ClientError as error:
            # AWS checks the execution role's SQS permissions here; a policy just written takes a few
            # seconds to reach Lambda.
            if (error_code(error) == "InvalidParameterValueException" and "permission" in str(error).lower()
                    and time.monotonic() < deadline):
                time.sleep(2)
                continue
            raise


def check_queue_mapping(ctx: Context, *, function: str, queue: str, queue_arn_: str,
                        response_types: tuple[str, ...] = ()) -> CheckResult:
    found = queue_mappings(ctx.clients.lambda_, function, queue_arn_)
    if not found:
        return CheckResult.failed(f"The function {function} does not poll the queue {queue}: add an SQS trigger (an "
                                  "event source mapping) for it.")
    mapping = found[0]
    if mapping.get("State") not in ("Enabled", "Creating", "Updating", "Enabling"):
        return CheckResult.failed(f"The event source mapping from {queue} to {function} is {mapping.get('State')}: "
                                  "enable it.")
    absent = [kind for kind in response_types if kind not in (mapping.get("FunctionResponseTypes") or [])]
    if absent:
        return CheckResult.failed(f"The event source mapping from {queue} to {function} does not have "
                                  f"{', '.join(absent)}: the function's list of failed messages is ignored, so a "
                                  "failing batch either deletes the bad message with the good ones or retries the "
                                  f"whole batch. Turn on {', '.join(absent)} (FunctionResponseTypes).")
    name = f"{function}/{queue}"
    return CheckResult.passed(f"{function} polls {queue}.", Found("lambda:event-source-mapping", name, mapping["UUID"],
                                                                  mapping.get("EventSourceMappingArn", "")))
