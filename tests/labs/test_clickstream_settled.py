"""The clickstream lab's proof, at teardown, that nothing is left to process (``settled``): it
says yes only when every event in the stream is counted exactly and every malformed line has its
log line, and only for the local sandbox. Each way it can be wrong is tried on moto."""

import json
import time

import boto3
import pytest

from labs.catalog.clickstream import events
from labs.catalog.clickstream.names import counter_function, stream_name, table_name
from labs.catalog.clickstream.settled import settled
from labs.engine.lab import Names

NAMES = Names("sa-settled1")


class Clients:
    def __init__(self):
        for service in ("kinesis", "dynamodb", "logs"):
            setattr(self, service, boto3.client(service, region_name="us-east-1"))


@pytest.fixture
def pipeline(moto_aws):
    """A stream holding a verify's records (1,000 events and one malformed record), an empty table."""
    clients = Clients()
    clients.kinesis.create_stream(StreamName=stream_name(NAMES), ShardCount=1)
    clients.dynamodb.create_table(TableName=table_name(NAMES), BillingMode="PAY_PER_REQUEST",
                                  AttributeDefinitions=[{"AttributeName": "page", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "page", "KeyType": "HASH"}])
    generated = events.generate("settled-test")
    records = generated.records()
    for start in range(0, len(records), 500):
        clients.kinesis.put_records(StreamName=stream_name(NAMES), Records=records[start:start + 500])
    return clients, generated


def count(clients, views: dict[str, int]):
    for page, n in views.items():
        clients.dynamodb.update_item(TableName=table_name(NAMES), Key={"page": {"S": page}},
                                     UpdateExpression="ADD #v :n", ExpressionAttributeNames={"#v": "views"},
                                     ExpressionAttributeValues={":n": {"N": str(n)}})


def log_rejected(clients, times: int = 1):
    group = f"/aws/lambda/{counter_function(NAMES)}"
    try:
        clients.logs.create_log_group(logGroupName=group)
        clients.logs.create_log_stream(logGroupName=group, logStreamName="s")
    except clients.logs.exceptions.ResourceAlreadyExistsException:
        pass
    now = int(time.time() * 1000)
    clients.logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now, "message": "START RequestId: 1 Version: $LATEST"}] + [
        {"timestamp": now, "message": json.dumps({"rejected": "49", "reason": "not a JSON event"}) + "\n"}] * times)


def test_everything_counted_and_the_malformed_line_logged_is_settled(pipeline):
    clients, generated = pipeline
    count(clients, generated.views())
    log_rejected(clients)
    assert settled(clients, NAMES, "123456789012", local=True)


def test_not_settled_in_an_aws_account(pipeline):
    """Firehose there may still run its transform on buffered records, which nothing here sees."""
    clients, generated = pipeline
    count(clients, generated.views())
    log_rejected(clients)
    assert not settled(clients, NAMES, "123456789012", local=False)


def test_one_view_not_yet_counted_is_not_settled(pipeline):
    clients, generated = pipeline
    views = generated.views()
    page = next(iter(views))
    count(clients, {**views, page: views[page] - 1})
    log_rejected(clients)
    assert not settled(clients, NAMES, "123456789012", local=True)


def test_a_batch_counted_twice_is_not_settled(pipeline):
    """A retried batch adds its views again: the totals differ, so the late look stays."""
    clients, generated = pipeline
    count(clients, generated.views())
    count(clients, {next(iter(generated.views())): 5})
    log_rejected(clients)
    assert not settled(clients, NAMES, "123456789012", local=True)


def test_the_malformed_line_not_yet_logged_is_not_settled(pipeline):
    """Locally an invocation writes its log lines when it ends: no line, maybe still running."""
    clients, generated = pipeline
    count(clients, generated.views())
    assert not settled(clients, NAMES, "123456789012", local=True)
    log_rejected(clients, times=2)  # or met twice (a retry): not the one the stream holds
    assert not settled(clients, NAMES, "123456789012", local=True)


def test_nothing_counted_at_all_is_not_settled(pipeline):
    clients, _ = pipeline
    assert not settled(clients, NAMES, "123456789012", local=True)
