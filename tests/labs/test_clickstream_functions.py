"""The clickstream lab's two functions, called directly with realistic events: the counter with a
Kinesis event source mapping's batch (moto's DynamoDB and SQS), the transform with Firehose's
data-transformation event."""

import base64
import json

import boto3
import pytest

from labs.catalog.clickstream import events
from labs.catalog.clickstream.functions.click_counter import app as counter
from labs.catalog.clickstream.functions.click_transform import app as transform

TABLE = "page-views-under-test"
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"


def kinesis_event(payloads: list[bytes]) -> dict:
    """A batch shaped like the one Lambda's Kinesis event source mapping sends."""
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": f"u{index:03d}",
                    "sequenceNumber": f"4954399{index:020d}", "data": base64.b64encode(payload).decode(),
                    "approximateArrivalTimestamp": 1795700000.123},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"shardId-000000000000:4954399{index:020d}",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/counter",
        "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN} for index, payload in enumerate(payloads)]}


@pytest.fixture
def backends(moto_aws, monkeypatch):
    monkeypatch.setattr(counter, "_clients", {})
    boto3.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "page", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "page", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    url = boto3.client("sqs").create_queue(QueueName="failures")["QueueUrl"]
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("FAILURE_QUEUE_URL", url)
    return url


def views() -> dict:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {item["page"]["S"]: int(item["views"]["N"]) for item in items}


def test_the_counter_adds_a_batchs_views_per_page_and_sets_the_poison_record_aside(backends):
    generated = events.generate("unit", count=200)
    payloads = [entry["Data"] for entry in generated.records()]
    first, second = kinesis_event(payloads[:5]), kinesis_event(payloads[5:])
    answer = counter.handler(first, None)
    assert answer == {"counted": 100, "pages": len({e["page"] for e in generated.events[:100]}), "rejected": 0}
    counter.handler(second, None)
    assert views() == dict(generated.views())  # both batches added up, atomically, page by page
    assert sum(views().values()) == 200


def test_a_poison_record_goes_to_the_queue_with_its_data_and_the_rest_is_counted(backends):
    batch = kinesis_event([b'{"page": "/a", "ts": "2026-12-04T10:00:00Z"}\n', events.POISON,
                           b'{"page": "/a?utm=x"}\n{"user": "no page"}\n', b"\xff\xfe not utf-8"])
    answer = counter.handler(batch, None)
    assert answer == {"counted": 2, "pages": 1, "rejected": 3}
    assert views() == {"/a": 2}  # the query string is not a different page
    messages = boto3.client("sqs").receive_message(QueueUrl=backends, MaxNumberOfMessages=10)["Messages"]
    poison = [json.loads(m["Body"])["poisonRecord"] for m in messages]
    assert {p["sequenceNumber"] for p in poison} == {batch["Records"][i]["kinesis"]["sequenceNumber"] for i in (1, 2, 3)}
    by_sequence = {p["sequenceNumber"]: p for p in poison}
    first = by_sequence[batch["Records"][1]["kinesis"]["sequenceNumber"]]
    assert base64.b64decode(first["data"]) == events.POISON and "not a JSON event" in first["reason"]
    assert first["eventSourceARN"] == STREAM_ARN


def test_the_counter_raises_when_dynamodb_refuses_so_the_mapping_retries(backends, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    with pytest.raises(Exception, match="ResourceNotFound"):
        counter.handler(kinesis_event([b'{"page": "/a"}\n']), None)


def firehose_event(payloads: list[bytes]) -> dict:
    return {"invocationId": "4b1f6a3e-0d2c-4e5f-9a8b-1c2d3e4f5a6b",
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/clicks-to-s3",
            "sourceKinesisStreamArn": STREAM_ARN, "region": "us-east-1",
            "records": [{"recordId": f"4960{index:052d}", "approximateArrivalTimestamp": 1795700000123,
                         "data": base64.b64encode(payload).decode(),
                         "kinesisRecordMetadata": {"sequenceNumber": f"4954399{index:020d}", "subsequenceNumber": 0,
                                                   "partitionKey": "u001", "shardId": "shardId-000000000000",
                                                   "approximateArrivalTimestamp": 1795700000123}}
                        for index, payload in enumerate(payloads)]}


def test_the_transform_writes_one_json_line_per_event_with_its_minute():
    generated = events.generate("unit", count=40)
    payloads = [entry["Data"] for entry in generated.records() if entry["Data"] != events.POISON]
    answer = transform.handler(firehose_event(payloads), None)
    assert [r["recordId"] for r in answer["records"]] == [r["recordId"] for r in firehose_event(payloads)["records"]]
    assert all(r["result"] == "Ok" for r in answer["records"])
    lines = b"".join(base64.b64decode(r["data"]) for r in answer["records"]).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["event_id"] for row in rows] == [event["event_id"] for event in generated.events]
    assert all(row["minute"] == row["ts"][:16] and set(row) == {*transform.FIELDS, "minute"} for row in rows)
    assert base64.b64decode(answer["records"][0]["data"]).endswith(b"\n")


def test_the_transform_fails_a_record_with_no_event_and_keeps_the_good_lines_of_another():
    answer = transform.handler(firehose_event([events.POISON, b'{"page": "/b?x=1", "ts": "2026-12-04T10:00:09Z"}\nnope\n']),
                               None)
    failed, ok = answer["records"]
    assert failed["result"] == "ProcessingFailed" and base64.b64decode(failed["data"]) == events.POISON
    assert ok["result"] == "Ok"
    assert [json.loads(line)["page"] for line in base64.b64decode(ok["data"]).decode().splitlines()] == ["/b"]


def test_the_generated_events_are_reproducible_and_their_answers_add_up():
    a, b = events.generate("x"), events.generate("x")
    assert a.events == b.events and a.top_pages() == b.top_pages()
    assert sum(a.views().values()) == sum(n for _, n in a.per_minute()) == events.COUNT
    records = a.records()
    assert len(records) == events.COUNT // events.EVENTS_PER_RECORD + 1 and records[events.POISON_AT]["Data"] == events.POISON
    assert all(event["ts"][:10] == a.day for event in a.events)  # all in today's partition


def test_a_call_is_retried_while_a_new_role_propagates_and_other_errors_are_not(monkeypatch):
    from botocore.exceptions import ClientError

    from labs.catalog.clickstream import steps

    monkeypatch.setattr(steps.time, "sleep", lambda seconds: None)
    answers = iter([ClientError({"Error": {"Code": "InvalidParameterValueException",
                                           "Message": "Cannot access stream: the role has no permission"}}, "Create"),
                    {"UUID": "u-1"}])

    def create(**kwargs):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert steps.while_the_role_propagates(create, FunctionName="f") == {"UUID": "u-1"}
    refused = ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": "BatchSize too big"}}, "Create")
    with pytest.raises(ClientError):
        steps.while_the_role_propagates(lambda **kwargs: (_ for _ in ()).throw(refused))
