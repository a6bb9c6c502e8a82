"""Mistakes a learner makes in the clickstream lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.clickstream import delivery_steps, steps
from labs.catalog.clickstream.names import (
    ATHENA_TABLE, COUNTER_POLICY, counter_function, counter_role, database_name, delivery_stream, queue_name,
    stream_name, table_name,
)
from labs.engine.lab import Context, Sabotage
from labs.toolkit import messaging


def _arns(ctx: Context) -> tuple[str, str, str]:
    stream_arn = steps.stream_summary(ctx)["StreamARN"]
    table_arn = ctx.clients.dynamodb.describe_table(TableName=table_name(ctx.name))["Table"]["TableArn"]
    url = messaging.queue_url(ctx.clients.sqs, queue_name(ctx.name))
    return stream_arn, table_arn, messaging.queue_arn(ctx.clients.sqs, url)


def drop_update_item(ctx: Context) -> None:
    policy = steps.counter_policy(ctx, *_arns(ctx))
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "CountViews"]
    ctx.clients.iam.put_role_policy(RoleName=counter_role(ctx.name), PolicyName=COUNTER_POLICY,
                                    PolicyDocument=json.dumps(policy))


def no_failure_destination(ctx: Context) -> None:
    stream_arn = steps.stream_summary(ctx)["StreamARN"]
    mapping = steps.find_mapping(ctx, counter_function(ctx.name), stream_arn)
    ctx.clients.lambda_.update_event_source_mapping(UUID=mapping["UUID"], DestinationConfig={"OnFailure": {}})


def prefix_without_date(ctx: Context) -> None:
    client = ctx.clients.firehose
    described = client.describe_delivery_stream(DeliveryStreamName=delivery_stream(ctx.name))["DeliveryStreamDescription"]
    client.update_destination(DeliveryStreamName=delivery_stream(ctx.name), CurrentDeliveryStreamVersionId=described["VersionId"],
                              DestinationId=described["Destinations"][0]["DestinationId"],
                              ExtendedS3DestinationUpdate={"Prefix": "events/", "ErrorOutputPrefix": "errors/"})


def table_over_wrong_prefix(ctx: Context) -> None:
    glue = ctx.clients.glue
    table = glue.get_table(DatabaseName=database_name(ctx.name), Name=ATHENA_TABLE)["Table"]
    storage = dict(table["StorageDescriptor"], Location=table["StorageDescriptor"]["Location"].replace("events", "event"))
    glue.update_table(DatabaseName=database_name(ctx.name), TableInput={
        "Name": ATHENA_TABLE, "StorageDescriptor": storage, "PartitionKeys": table.get("PartitionKeys", []),
        "TableType": table.get("TableType", "EXTERNAL_TABLE"), "Parameters": table.get("Parameters", {})})


CASES = (
    Sabotage("drop-update-item", "The counter's role loses dynamodb:UpdateItem", drop_update_item,
             # The check reads the policy; the verify proves it: the function, running as its role in the
             # sandbox (MiniStack AUTH=true), gets AccessDenied and counts nothing.
             (("counter", "does not allow dynamodb:UpdateItem"), ("verify:counters", "AccessDenied"))),
    Sabotage("no-failure-destination", "The event source mapping has no on-failure destination", no_failure_destination,
             (("counter", "has no on-failure destination"),)),
    Sabotage("prefix-without-date", "Firehose writes under events/ with no dt= partition", prefix_without_date,
             (("firehose", "Athena's table reads partitions named dt=YYYY-MM-DD"),)),
    Sabotage("table-wrong-location", "The Athena table reads a prefix Firehose does not write", table_over_wrong_prefix,
             (("athena", "where Firehose writes"),)),
)

__all__ = ["CASES", "delivery_steps", "stream_name"]
