"""The toolkit's queue and topic builders on moto: each check fails with what to do, passes once
built, building twice creates nothing twice, and teardown's deleters remove them."""

import json

import pytest

from labs.engine import resources
from labs.toolkit import iam, messaging
from tests.labs.conftest import make_context


@pytest.fixture
def ctx(moto_aws):
    return make_context()


def test_a_topic_delivers_to_a_subscribed_queue_once_its_policy_lets_it(ctx):
    topic_name, queue_name, dead_name = ctx.name("events"), ctx.name("work"), ctx.name("work-dlq")
    assert "There is no SNS topic" in messaging.check_subscription(ctx, topic_name, queue_name).message
    assert "There is no SQS queue" in messaging.check_queue(ctx, queue_name).message

    for _ in range(2):
        dead = messaging.ensure_queue(ctx, dead_name)
        queue = messaging.ensure_queue(ctx, queue_name, dead_letter_arn=messaging.queue_arn(ctx.clients.sqs, dead))
        topic = messaging.ensure_topic(ctx, topic_name)
    assert [entry.kind for entry in ctx.recorder.ledger] == ["sqs:queue", "sqs:queue", "sns:topic"]  # once each
    assert messaging.check_queue(ctx, queue_name, dead_letter=dead_name).ok
    assert "has no dead-letter queue" in messaging.check_queue(ctx, dead_name, dead_letter=queue_name).message
    assert "is not subscribed" in messaging.check_subscription(ctx, topic_name, queue_name).message

    messaging.subscribe_queue(ctx, topic, queue)
    messaging.subscribe_queue(ctx, topic, queue)
    assert len(messaging.subscribers(ctx.clients.sns, topic, "sqs")) == 1
    assert messaging.check_subscription(ctx, topic_name, queue_name).ok
    ctx.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps({"Statement": []})})
    assert "does not let SNS send" in messaging.check_subscription(ctx, topic_name, queue_name).message

    for entry in reversed(ctx.recorder.ledger):
        assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) == resources.DELETED
        assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) == resources.GONE
    assert ctx.clients.sqs.list_queues().get("QueueUrls", []) == []
    assert ctx.clients.sns.list_topics()["Topics"] == []


def test_deleters_find_a_queue_and_a_topic_whose_create_answer_never_arrived(ctx):
    ctx.clients.sqs.create_queue(QueueName="sa-unit0001-lost")
    ctx.clients.sns.create_topic(Name="sa-unit0001-lost")
    assert resources.delete(ctx.clients, "sqs:queue", "", "sa-unit0001-lost") == resources.DELETED
    assert resources.delete(ctx.clients, "sns:topic", "", "sa-unit0001-lost") == resources.DELETED
    assert "aws sqs delete-queue" in resources.manual_command("sqs:queue", "", "sa-unit0001-lost")


def test_allows_reads_wildcards_and_lets_a_deny_win():
    statements = [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/sa-*"},
                  {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}]
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/sa-x-items"
    assert iam.allows(statements, "dynamodb:PutItem", table)
    assert not iam.allows(statements, "dynamodb:DeleteItem", table)
    assert not iam.allows(statements, "s3:GetObject", table)
