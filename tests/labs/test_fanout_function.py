"""The fan-out lab's code package, each handler called directly with realistic events (API Gateway
proxy, SQS records of SNS deliveries, an EventBridge event) against moto's DynamoDB, SNS and SQS."""

import json
from types import SimpleNamespace

import boto3
import pytest

from labs.catalog.fanout.functions.orders import app

ORDERS, BILLING, SHIPPING = "orders-t", "billing-t", "shipping-t"
ORDER = {"customer": "ana", "fulfilment": "physical", "items": [{"sku": "BOOK-1", "quantity": 2, "price": 12.5}]}
CONTEXT = SimpleNamespace(aws_request_id="req-1")


@pytest.fixture
def world(moto_aws, monkeypatch):
    monkeypatch.setattr(app, "_clients", {})
    dynamodb = boto3.client("dynamodb")
    for table in (ORDERS, BILLING, SHIPPING):
        dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    queues = {}
    for name, policy in (("billing", None), ("shipping", {"fulfilment": ["physical"]})):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {"FilterPolicy": json.dumps(policy)} if policy else {}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        queues[name] = url
    monkeypatch.setenv("ORDERS_TABLE", ORDERS)
    monkeypatch.setenv("TOPIC_ARN", topic)
    return SimpleNamespace(dynamodb=dynamodb, sqs=sqs, queues=queues)


def post(body) -> tuple[int, dict]:
    event = {"resource": "/orders", "path": "/orders", "httpMethod": "POST", "headers": {"Content-Type": "application/json"},
             "requestContext": {"stage": "prod", "httpMethod": "POST"}, "isBase64Encoded": False,
             "body": body if isinstance(body, str) else json.dumps(body)}
    response = app.place_order(event, CONTEXT)
    return response["statusCode"], json.loads(response["body"])


def records(world, queue: str) -> list[dict]:
    """The queue's messages as the event source mapping hands them to the function."""
    messages = world.sqs.receive_message(QueueUrl=world.queues[queue], MaxNumberOfMessages=10,
                                         AttributeNames=["All"]).get("Messages", [])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
             "attributes": m.get("Attributes", {}), "messageAttributes": {}, "eventSource": "aws:sqs",
             "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}", "awsRegion": "us-east-1"}
            for m in messages]


def item(world, table: str, order_id: str) -> dict | None:
    return world.dynamodb.get_item(TableName=table, Key={"orderId": {"S": order_id}}).get("Item")


def test_an_order_is_stored_and_published_with_its_attributes_and_the_filter_routes_it(world, monkeypatch):
    status, body = post(dict(ORDER, orderId="o-1"))
    assert status == 201 and body["orderId"] == "o-1" and body["status"] == "PLACED"
    stored = item(world, ORDERS, "o-1")
    assert stored["status"]["S"] == "PLACED" and stored["total"]["N"] == "25.00"
    post(dict(ORDER, orderId="o-2", fulfilment="digital"))
    billing, shipping = records(world, "billing"), records(world, "shipping")
    assert len(billing) == 2 and len(shipping) == 1  # the filter policy keeps the digital order from shipping
    envelope = json.loads(shipping[0]["body"])
    assert envelope["MessageAttributes"]["fulfilment"]["Value"] == "physical"
    assert envelope["MessageAttributes"]["total"] == {"Type": "Number", "Value": "25.00"}

    monkeypatch.setenv("TABLE_NAME", BILLING)
    assert app.bill({"Records": billing}, CONTEXT) == {"batchItemFailures": []}
    assert item(world, BILLING, "o-1")["amount"]["N"] == "25.00" and item(world, BILLING, "o-2")
    monkeypatch.setenv("TABLE_NAME", SHIPPING)
    assert app.ship({"Records": shipping}, CONTEXT) == {"batchItemFailures": []}
    shipped = item(world, SHIPPING, "o-1")
    assert shipped["shipmentStatus"]["S"] == "PENDING" and json.loads(shipped["items"]["S"])[0]["sku"] == "BOOK-1"


@pytest.mark.parametrize(("body", "says"), [
    ("{not json", "not valid JSON"), ("[]", "JSON object"), (dict(ORDER, fulfilment="teleport"), "fulfilment"),
    (dict(ORDER, items=[]), "items"), (dict(ORDER, items=[{"sku": "A", "quantity": "x", "price": 1}]), "quantity"),
    (dict(ORDER, items=[{"sku": "A", "quantity": 0, "price": 1}]), "at least 1"), (dict(ORDER, customer=""), "customer"),
])
def test_a_bad_order_gets_400_and_nothing_is_published(world, body, says):
    status, answer = post(body)
    assert status == 400 and says in answer["error"]
    assert records(world, "billing") == []


def test_the_same_order_id_twice_is_refused(world):
    assert post(dict(ORDER, orderId="o-1"))[0] == 201
    status, answer = post(dict(ORDER, orderId="o-1"))
    assert status == 409 and "exists" in answer["error"]
    assert len(records(world, "billing")) == 1


def test_a_redelivered_message_changes_nothing_and_is_counted(world, monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", BILLING)
    post(dict(ORDER, orderId="o-1"))
    batch = records(world, "billing")
    app.bill({"Records": batch}, CONTEXT)
    first = item(world, BILLING, "o-1")
    assert app.bill({"Records": batch}, CONTEXT) == {"batchItemFailures": []}
    again = item(world, BILLING, "o-1")
    assert again["duplicates"]["N"] == "1" and again["amount"] == first["amount"]
    assert again["processedAt"] == first["processedAt"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert logged[-1]["duplicates"] == [batch[0]["messageId"]] and logged[-1]["processed"] == []


def test_a_poison_message_is_reported_alone_and_the_good_ones_are_written(world, monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", BILLING)
    post(dict(ORDER, orderId="o-1"))
    post(dict(ORDER, orderId="o-2"))
    batch = records(world, "billing")
    poison = dict(batch[0], messageId="poison-1", body=json.dumps({"Type": "Notification", "Message": "not {json"}),
                  attributes={"ApproximateReceiveCount": "2"})
    answer = app.bill({"Records": [batch[0], poison, batch[1]]}, CONTEXT)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    assert item(world, BILLING, "o-1") and item(world, BILLING, "o-2")
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"rejected": "poison-1", "receiveCount": 2} in logged
    assert logged[-1]["records"] == [batch[0]["messageId"], "poison-1", batch[1]["messageId"]]
    # Neither a body that is not an SNS envelope nor an order without an id is taken.
    for body in ("plain text", json.dumps({"Message": json.dumps({"total": "1"})}),
                 json.dumps({"Message": json.dumps({"orderId": "x", "total": "abc"})})):
        bad = dict(batch[0], messageId="bad", body=body)
        assert app.bill({"Records": [bad]}, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_a_write_that_fails_for_another_reason_is_retried_alone(world, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    post(dict(ORDER, orderId="o-1"))
    batch = records(world, "billing")
    assert app.bill({"Records": batch}, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": batch[0]["messageId"]}]}


def test_a_cancellation_event_cancels_an_existing_order_only(world):
    post(dict(ORDER, orderId="o-1"))
    event = {"version": "0", "id": "ev-1", "detail-type": "order.cancelled", "source": "academy.orders",
             "account": "123456789012", "time": "2026-12-04T10:00:00Z", "region": "us-east-1", "resources": [],
             "detail": {"orderId": "o-1"}}
    assert app.cancel(event, CONTEXT) == {"cancelled": "o-1"}
    stored = item(world, ORDERS, "o-1")
    assert stored["status"]["S"] == "CANCELLED" and stored["cancelEvent"]["S"] == "ev-1"
    assert app.cancel(dict(event, detail={"orderId": "missing"}), CONTEXT) == {"cancelled": None}
    assert item(world, ORDERS, "missing") is None  # the condition keeps it from creating an order
    assert app.cancel(dict(event, detail={}), CONTEXT) == {"cancelled": None}
