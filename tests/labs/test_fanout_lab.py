"""The fan-out lab's SAM template (translated offline) deploys what its steps build; its steps under
moto are idempotent and their checks explain what is wrong; the toolkit pieces it added (queue
mappings, filter policies, EventBridge rules) and the deleters of the new kinds."""

import json

import pytest
import yaml
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

from labs.catalog import get_lab
from labs.catalog.fanout import function_steps, steps
from labs.catalog.fanout.names import CONSUMER_TIMEOUT, SHIPPING_FILTER, VISIBILITY_TIMEOUT
from labs.engine import resources
from labs.toolkit import events
from tests.labs.conftest import make_context
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies

LAB = get_lab("fanout")


def translate(template: dict) -> dict:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://lab-artifacts/orders.zip"
    return transform(template, {}, NoManagedPolicies())


@pytest.fixture
def template(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return yaml.load(LAB.sam_source, Loader=CloudFormationLoader)


def test_the_fanout_sam_template_translates_to_what_the_steps_build(template):
    out = translate(template)["Resources"]
    types = [resource["Type"] for resource in out.values()]
    assert types.count("AWS::DynamoDB::Table") == 3 and types.count("AWS::SQS::Queue") == 4
    assert types.count("AWS::Lambda::Function") == 4 and types.count("AWS::Lambda::EventSourceMapping") == 2
    for wanted in ("AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::SQS::QueuePolicy", "AWS::Events::EventBus",
                   "AWS::Events::Rule", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage"):
        assert wanted in types
    handlers = {out[name]["Properties"]["Handler"] for name in out if out[name]["Type"] == "AWS::Lambda::Function"}
    assert handlers == set(function_steps.HANDLERS.values())
    for name in ("BillingFunction", "ShippingFunction"):
        assert out[name]["Properties"]["Timeout"] == CONSUMER_TIMEOUT
    for name in ("BillingQueue", "ShippingQueue"):
        queue = out[name]["Properties"]
        assert queue["VisibilityTimeout"] == VISIBILITY_TIMEOUT and queue["RedrivePolicy"]["maxReceiveCount"] == 3
    mappings = [r["Properties"] for r in out.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and m["BatchSize"] == 10 for m in mappings)
    assert out["ShippingSubscription"]["Properties"]["FilterPolicy"] == SHIPPING_FILTER
    assert "FilterPolicy" not in out["BillingSubscription"]["Properties"]
    rule = next(r["Properties"] for r in out.values() if r["Type"] == "AWS::Events::Rule")
    assert rule["EventPattern"] == function_steps.PATTERN
    assert "/orders" in out["OrdersApi"]["Properties"]["Body"]["paths"]


def test_a_broken_fanout_template_is_caught(template):
    template["Resources"]["BillingFunction"]["Properties"]["Events"]["Orders"]["Type"] = "SQSS"
    with pytest.raises(InvalidDocumentException):
        translate(template)


def test_every_step_under_moto_builds_once_and_its_check_passes(moto_aws):
    ctx = make_context()
    assert not steps.check_tables(ctx).ok
    for step in LAB.steps:
        assert not step.check(ctx).ok, step.slug
        step.apply(ctx)
        result = step.check(ctx)
        assert result.ok, f"{step.slug}: {result.message}"
    ledger = [(entry.kind, entry.name) for entry in ctx.recorder.ledger]
    for step in LAB.steps:
        step.apply(ctx)
    assert [(entry.kind, entry.name) for entry in ctx.recorder.ledger] == ledger
    kinds = {entry.kind for entry in ctx.recorder.ledger}
    assert {"lambda:event-source-mapping", "events:event-bus", "events:rule", "sqs:queue", "sns:topic"} <= kinds
    # Teardown, newest first, leaves none of the new kinds behind.
    for entry in reversed(ctx.recorder.ledger):
        assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) in (resources.DELETED,
                                                                                            resources.GONE)
    assert ctx.clients.lambda_.list_event_source_mappings()["EventSourceMappings"] == []
    assert [b["Name"] for b in ctx.clients.events.list_event_buses()["EventBuses"]] == ["default"]
    assert ctx.clients.sqs.list_queues().get("QueueUrls", []) == []
    for entry in ctx.recorder.ledger:
        if entry.kind in ("lambda:event-source-mapping", "events:event-bus", "events:rule"):
            assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) == resources.GONE, entry.kind
            assert entry.kind in resources.KINDS and resources.manual_command(entry.kind, entry.physical_id, entry.name)


def test_the_checks_name_each_mistake(moto_aws):
    ctx = make_context()
    for step in LAB.steps:
        step.apply(ctx)
    sqs, sns, lambda_ = ctx.clients.sqs, ctx.clients.sns, ctx.clients.lambda_
    url = sqs.get_queue_url(QueueName=ctx.name("billing-queue"))["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    assert "less than six times" in steps.check_queues(ctx).message
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "6"})
    lambda_.update_function_configuration(FunctionName=ctx.name("billing-fn"), Timeout=2)
    assert "timeout of 2 s" in steps.check_queues(ctx).message
    lambda_.update_function_configuration(FunctionName=ctx.name("billing-fn"), Timeout=CONSUMER_TIMEOUT)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=ctx.name("billing-dlq"))["QueueUrl"],
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})
    assert "after 10 receives" in steps.check_queues(ctx).message
    steps.apply_queues(ctx)
    assert steps.check_queues(ctx).ok
    steps.apply_topic(ctx)  # moto forgets a queue's policy when other attributes are set
    assert steps.check_topic(ctx).ok

    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    billing_sub = next(s["SubscriptionArn"] for s in subscriptions if s["Endpoint"].endswith("billing-queue"))
    sns.set_subscription_attributes(SubscriptionArn=billing_sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps(SHIPPING_FILTER))
    assert "takes every order" in steps.check_topic(ctx).message
    sns.set_subscription_attributes(SubscriptionArn=billing_sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    assert "raw message delivery" in steps.check_topic(ctx).message

    ctx.clients.iam.put_role_policy(RoleName=ctx.name("shipping-role"), PolicyName="least-privilege",
                                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]}))
    assert "sqs:ReceiveMessage" in function_steps.check_consumers(ctx).message


def test_a_rule_pattern_is_compared_field_by_field():
    wanted = function_steps.PATTERN
    assert events.pattern_problem(wanted, wanted) == ""
    assert "'detail-type'" in events.pattern_problem({"source": ["academy.orders"]}, wanted)
    assert "should be" in events.pattern_problem(dict(wanted, source=["other"]), wanted)
    assert "also tests detail" in events.pattern_problem(dict(wanted, detail={"x": [1]}), wanted)
