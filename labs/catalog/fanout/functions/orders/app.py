"""The order fan-out lab's code: one package, four handlers (each its own Lambda function).

- ``place_order``: POST /orders (API Gateway proxy). Validates the order, stores it in the orders
  table as PLACED, and publishes it to the SNS topic with the message attributes subscribers
  filter on (``fulfilment``: physical or digital; ``total``).
- ``bill`` and ``ship``: SQS consumers (event source mapping with ReportBatchItemFailures). Each
  record is written once with a conditional put keyed on the order id, so a redelivered message
  changes nothing (it is counted in ``duplicates``); a record that cannot be read is reported as
  a batch item failure, so only it comes back, and after maxReceiveCount it goes to the DLQ.
- ``cancel``: the target of the EventBridge rule for ``order.cancelled``: marks the order
  CANCELLED (only if it exists).

Standard library and boto3 only: it runs in AWS Lambda.
"""

import json
import os
import time
import uuid
from decimal import Decimal, InvalidOperation

import boto3
from botocore.exceptions import ClientError

FULFILMENT = ("physical", "digital")
MAX_ITEMS = 50

_clients: dict = {}


def _client(service: str):
    """One client per execution environment, reused by warm invocations."""
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # Made while Lambda initialises the environment, which the function's timeout does not count.
    _client("dynamodb")
    if os.environ.get("TOPIC_ARN"):
        _client("sns")


def _response(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


class BadOrder(ValueError):
    """The order cannot be accepted; the message says what is wrong."""


def parse_order(data) -> dict:
    """A valid order from the request body, with its total computed; raises BadOrder."""
    if not isinstance(data, dict):
        raise BadOrder("The body must be a JSON object.")
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip() or len(customer) > 100:
        raise BadOrder("customer must be a non-empty string (at most 100 characters).")
    fulfilment = data.get("fulfilment")
    if fulfilment not in FULFILMENT:
        raise BadOrder("fulfilment must be 'physical' or 'digital'.")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise BadOrder(f"items must be a list of 1 to {MAX_ITEMS} items.")
    total = Decimal("0")
    clean = []
    for item in items:
        try:
            sku, quantity, price = item["sku"], int(item["quantity"]), Decimal(str(item["price"]))
        except (TypeError, KeyError, ValueError, InvalidOperation):
            raise BadOrder("each item needs sku, quantity (an integer) and price (a number).") from None
        if not isinstance(sku, str) or not sku or quantity < 1 or price < 0:
            raise BadOrder("each item needs a sku, a quantity of at least 1 and a price of at least 0.")
        total += price * quantity
        clean.append({"sku": sku, "quantity": quantity, "price": str(price)})
    order_id = data.get("orderId") or str(uuid.uuid4())
    if not isinstance(order_id, str) or len(order_id) > 64:
        raise BadOrder("orderId, when given, must be a string of at most 64 characters.")
    return {"orderId": order_id, "customer": customer.strip(), "fulfilment": fulfilment, "items": clean,
            "total": str(total.quantize(Decimal("0.01")))}


def place_order(event, context):
    try:
        order = parse_order(json.loads(event.get("body") or "null"))
    except json.JSONDecodeError:
        return _response(400, {"error": "The body is not valid JSON."})
    except BadOrder as error:
        return _response(400, {"error": str(error)})
    try:
        _client("dynamodb").put_item(TableName=os.environ["ORDERS_TABLE"], Item={
            "orderId": {"S": order["orderId"]}, "customer": {"S": order["customer"]},
            "fulfilment": {"S": order["fulfilment"]}, "total": {"N": order["total"]},
            "status": {"S": "PLACED"}, "placedAt": {"N": str(int(time.time()))},
        }, ConditionExpression="attribute_not_exists(orderId)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return _response(409, {"error": f"Order {order['orderId']} exists already."})
        raise
    published = _client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(order), MessageAttributes={
        "fulfilment": {"DataType": "String", "StringValue": order["fulfilment"]},
        "total": {"DataType": "Number", "StringValue": order["total"]},
    })
    return _response(201, {"orderId": order["orderId"], "messageId": published["MessageId"], "status": "PLACED"})


# The consumers ---------------------------------------------------------------------------------

def read_record(record: dict) -> tuple[dict, str]:
    """(the order, the SNS message id) from an SQS record of an SNS delivery; raises ValueError."""
    envelope = json.loads(record["body"])
    order = json.loads(envelope["Message"])
    if not isinstance(order, dict) or not isinstance(order.get("orderId"), str):
        raise ValueError("not an order")
    Decimal(str(order["total"]))
    return order, envelope.get("MessageId", record["messageId"])


def _item(order: dict, message_id: str, kind: str) -> dict:
    item = {"orderId": {"S": order["orderId"]}, "messageId": {"S": message_id},
            "customer": {"S": str(order.get("customer", ""))}, "processedAt": {"N": str(int(time.time()))}}
    if kind == "billing":
        item["amount"] = {"N": str(Decimal(str(order["total"])))}
        item["invoiceStatus"] = {"S": "ISSUED"}
    else:
        item["items"] = {"S": json.dumps(order.get("items", []))}
        item["shipmentStatus"] = {"S": "PENDING"}
    return item


def consume(event, context, kind: str) -> dict:
    table = os.environ["TABLE_NAME"]
    failures, processed, duplicates = [], [], []
    for record in event.get("Records", []):
        message_id = record["messageId"]
        try:
            order, sns_id = read_record(record)
        except (ValueError, KeyError, TypeError, InvalidOperation):
            failures.append(message_id)
            print(json.dumps({"rejected": message_id,
                              "receiveCount": int(record.get("attributes", {}).get("ApproximateReceiveCount", 0))}))
            continue
        try:
            # Idempotent: the first delivery of an order writes it; a redelivery finds it and only counts itself.
            _client("dynamodb").put_item(TableName=table, Item=_item(order, sns_id, kind),
                               ConditionExpression="attribute_not_exists(orderId)")
            processed.append(message_id)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                failures.append(message_id)  # a throttle or an outage: retry this record only
                continue
            _client("dynamodb").update_item(TableName=table, Key={"orderId": {"S": order["orderId"]}},
                                  UpdateExpression="ADD duplicates :one", ExpressionAttributeValues={":one": {"N": "1"}})
            duplicates.append(message_id)
    print(json.dumps({"batch": getattr(context, "aws_request_id", ""), "kind": kind,
                      "records": [r["messageId"] for r in event.get("Records", [])],
                      "processed": processed, "duplicates": duplicates, "failed": failures}))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


def bill(event, context):
    return consume(event, context, "billing")


def ship(event, context):
    return consume(event, context, "shipping")


# The cancellation --------------------------------------------------------------------------------

def cancel(event, context):
    order_id = (event.get("detail") or {}).get("orderId")
    if not isinstance(order_id, str):
        print(json.dumps({"ignored": event.get("id"), "reason": "no orderId in detail"}))
        return {"cancelled": None}
    try:
        _client("dynamodb").update_item(
            TableName=os.environ["ORDERS_TABLE"], Key={"orderId": {"S": order_id}},
            UpdateExpression="SET #status = :cancelled, cancelledAt = :now, cancelEvent = :event",
            ConditionExpression="attribute_exists(orderId)", ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":cancelled": {"S": "CANCELLED"}, ":now": {"N": str(int(time.time()))},
                                       ":event": {"S": str(event.get("id", ""))}})
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            print(json.dumps({"ignored": event.get("id"), "reason": f"no order {order_id}"}))
            return {"cancelled": None}
        raise
    return {"cancelled": order_id}
