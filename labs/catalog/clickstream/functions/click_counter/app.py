"""Counts page views from a Kinesis data stream into DynamoDB.

Invoked by a Lambda event source mapping with a batch of records from one shard. Each record's
data is one or more click events as JSON lines ({"event_id", "user_id", "page", "ts", ...}): the
producer batches them. The batch's views are added per page with one UpdateItem each (ADD is
atomic, so concurrent batches never lose a count).

An event that cannot be read (not JSON, or no page) is *poison*: raising would make Lambda retry
the whole batch, and the shard would wait behind it until the retries run out. So the function
sets it aside in the failure queue (its data, the record's sequence number, the reason) and counts
the rest. Anything else (DynamoDB or SQS refusing) raises: the mapping retries the batch, splits
it in two (BisectBatchOnFunctionError) and, after its last retry, sends a description of the
batch to the same queue (its on-failure destination).
"""

import base64
import json
import os

import boto3

_clients: dict = {}  # made on first use and kept while the execution environment is warm


def client(service: str):
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


def read_page(line: str) -> str:
    """The page a click event (one JSON line) viewed, without its query string; ValueError if none."""
    try:
        click = json.loads(line)
    except ValueError as error:
        raise ValueError(f"not a JSON event: {error}") from None
    if not isinstance(click, dict) or not isinstance(click.get("page"), str) or not click["page"].startswith("/"):
        raise ValueError("no page (a path starting with /)")
    return click["page"].split("?", 1)[0].split("#", 1)[0] or "/"  # as the Firehose transform does


def handler(event, context):
    views: dict[str, int] = {}
    rejected = []
    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        try:
            lines = base64.b64decode(kinesis["data"], validate=True).decode("utf-8").splitlines()
        except ValueError as error:
            lines, rejected = [], rejected + [(record, kinesis["data"], f"not UTF-8 text: {error}")]
        for line in lines:
            if not line.strip():
                continue
            try:
                page = read_page(line)
            except ValueError as error:
                rejected.append((record, base64.b64encode(line.encode()).decode(), str(error)))
                continue
            views[page] = views.get(page, 0) + 1
    for page, count in sorted(views.items()):
        client("dynamodb").update_item(
            TableName=os.environ["TABLE_NAME"], Key={"page": {"S": page}},
            UpdateExpression="ADD #views :n", ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues={":n": {"N": str(count)}})
    for record, data, reason in rejected:
        kinesis = record["kinesis"]
        print(json.dumps({"rejected": kinesis.get("sequenceNumber", ""), "reason": reason}))
        client("sqs").send_message(QueueUrl=os.environ["FAILURE_QUEUE_URL"], MessageBody=json.dumps({"poisonRecord": {
            "reason": reason, "eventSourceARN": record.get("eventSourceARN", ""), "eventID": record.get("eventID", ""),
            "partitionKey": kinesis.get("partitionKey", ""), "sequenceNumber": kinesis.get("sequenceNumber", ""),
            "data": data}}))
    return {"counted": sum(views.values()), "pages": len(views), "rejected": len(rejected)}
