"""Teardown's proof that the clickstream pipeline has nothing left to process (the lab's ``settled``
hook): without it, teardown looks at the account a second time after a grace period, in case an
invocation the Kinesis mapping started before it was disabled writes its log lines late.

The proof reads the whole stream and compares it with what the counter did:

- every click event in the stream is counted in the table, exactly (a retried batch counts again,
  and a batch still being retried has not counted yet: either way the totals differ);
- every line the counter must set aside has its ``{"rejected": ...}`` line in the counter's log.
  In the local sandbox an invocation's log lines are written when it ends, so these lines also
  prove that the invocation that met them is over.

Only in the local sandbox, where Firehose delivers (and runs its transform) inside the PutRecords
call that wrote the records. In AWS, Firehose buffers for up to its buffering interval and can run
the transform later, which nothing here can see: there, teardown keeps its second look."""

import json

from labs.aws import log_events
from labs.catalog.clickstream.names import counter_function, stream_name, table_name


def _expected(clients, names) -> tuple[int, int]:
    """(views the counter must count, lines it must set aside) for every record in the stream."""
    from labs.catalog.clickstream.functions.click_counter.app import read_page

    kinesis, stream = clients.kinesis, stream_name(names)
    views = rejected = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _page in range(1000):  # bounded: a lab's stream holds a few thousand records at most
            answer = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            for record in answer["Records"]:
                try:
                    lines = record["Data"].decode("utf-8").splitlines()
                except UnicodeDecodeError:
                    rejected += 1
                    continue
                for line in filter(str.strip, lines):
                    try:
                        read_page(line)
                    except ValueError:
                        rejected += 1
                    else:
                        views += 1
            iterator = answer.get("NextShardIterator")
            if not answer["Records"] or not iterator:
                break
        else:
            raise RuntimeError(f"{stream} did not end after 1,000 pages of records")
    return views, rejected


def _counted(clients, names) -> int:
    return sum(int(item.get("views", {}).get("N", "0"))
               for page in clients.dynamodb.get_paginator("scan").paginate(TableName=table_name(names))
               for item in page.get("Items", []))


def _set_aside(clients, names) -> int:
    """``{"rejected": ...}`` lines in the counter's log (one per line it set aside)."""
    found = 0
    try:
        for event in log_events(clients.logs, f"/aws/lambda/{counter_function(names)}"):
            try:
                found += "rejected" in json.loads(event.get("message", ""))
            except (ValueError, TypeError):
                continue
    except clients.logs.exceptions.ResourceNotFoundException:
        return 0  # never invoked
    return found


def settled(clients, names, account_id: str, local: bool) -> bool:
    if not local:
        return False
    views, rejected = _expected(clients, names)
    return _counted(clients, names) == views and _set_aside(clients, names) == rejected
