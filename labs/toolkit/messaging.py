"""Queues and topics: an SQS queue (with a dead-letter queue if asked) and an SNS topic, each made
once and tagged, a topic's subscription to a queue with the queue policy that lets the topic send,
and the checks that read them back."""

import json

from labs.engine.lab import CheckResult, Context, Found
from labs.toolkit.calls import as_list, missing


def queue_url(sqs, name: str) -> str | None:
    found = missing(sqs.get_queue_url, QueueName=name)
    return found["QueueUrl"] if found else None


def queue_arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def ensure_queue(ctx: Context, name: str, *, dead_letter_arn: str = "", max_receives: int = 3,
                 visibility_timeout: int = 30) -> str:
    """The queue named ``name`` (created once, recorded first); its URL. Attributes are brought up
    to date every time."""
    sqs = ctx.clients.sqs
    attributes = {"VisibilityTimeout": str(visibility_timeout)}
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


def subscribe_queue(ctx: Context, topic: str, queue_url_: str) -> None:
    """Subscribe the queue to the topic (once), and let the topic send to it."""
    sqs, sns = ctx.clients.sqs, ctx.clients.sns
    queue = queue_arn(sqs, queue_url_)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TopicSends", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    sqs.set_queue_attributes(QueueUrl=queue_url_, Attributes={"Policy": json.dumps(policy)})
    if queue not in subscribers(sns, topic, "sqs"):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)  # deleted with the topic


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
