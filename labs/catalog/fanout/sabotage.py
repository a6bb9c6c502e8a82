"""Mistakes a learner makes in the order fan-out lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.fanout import function_steps
from labs.catalog.fanout.names import BUS_RULE_TYPO, bus_name, function_name, queue_name, rule_name, topic_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit import messaging
from labs.toolkit.functions import wait_updated


def drop_filter_policy(ctx: Context) -> None:
    sqs, sns = ctx.clients.sqs, ctx.clients.sns
    queue = messaging.queue_arn(sqs, messaging.queue_url(sqs, queue_name(ctx.name, "shipping")))
    arn = messaging.subscription_arn(sns, messaging.topic_arn(sns, topic_name(ctx.name)), queue)
    # An empty policy object is no filter at all: every order is delivered.
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue="{}")


def drop_queue_policy(ctx: Context) -> None:
    sqs = ctx.clients.sqs
    sqs.set_queue_attributes(QueueUrl=messaging.queue_url(sqs, queue_name(ctx.name, "billing")),
                             Attributes={"Policy": ""})


def no_partial_batch_response(ctx: Context) -> None:
    lambda_ = ctx.clients.lambda_
    function = function_name(ctx.name, "billing")
    for mapping in lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
        lambda_.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=[])


def longer_timeout(ctx: Context) -> None:
    function = function_name(ctx.name, "billing")
    ctx.clients.lambda_.update_function_configuration(FunctionName=function, Timeout=30)
    wait_updated(ctx, function)


def wrong_pattern(ctx: Context) -> None:
    pattern = dict(function_steps.PATTERN, **{"detail-type": [BUS_RULE_TYPO]})
    ctx.clients.events.put_rule(Name=rule_name(ctx.name), EventBusName=bus_name(ctx.name),
                                EventPattern=json.dumps(pattern), State="ENABLED")


CASES = (
    Sabotage("no-filter-policy", "The shipping subscription has no filter policy", drop_filter_policy,
             (("topic", "has no filter policy"), ("verify:shipping", "digital order(s) reached shipping"))),
    # Real in the local sandbox too: under AUTH=true MiniStack drops an SNS delivery the queue policy does not allow.
    Sabotage("no-queue-policy", "The billing queue's policy no longer lets the topic send", drop_queue_policy,
             (("topic", "does not let SNS send"), ("verify:billing", "orders reached"))),
    Sabotage("no-report-batch-item-failures", "The billing mapping lacks ReportBatchItemFailures",
             no_partial_batch_response,
             (("consumers", "ReportBatchItemFailures"), ("verify:poison", "ReportBatchItemFailures"))),
    Sabotage("timeout-above-visibility", "The billing function's timeout grows to 30 s, the queue's visibility stays 6 s",
             longer_timeout, (("queues", "less than six times"),)),
    Sabotage("wrong-event-pattern", "The rule matches OrderCancelled, not order.cancelled", wrong_pattern,
             (("cancellation", "detail-type"), ("verify:cancel", "left it PLACED"))),
)
