"""The clickstream lab's first two steps: the Kinesis data stream, and the consumer that counts
page views (its table, its failure queue, the function and role, the event source mapping).
``delivery_steps`` holds the other two (Firehose to S3, the Athena table)."""

import time
from pathlib import Path

from botocore.exceptions import ClientError

from labs.catalog.clickstream.names import (
    BATCH_SIZE, BATCH_WINDOW, COUNTER_POLICY, COUNTER_SOURCE, HANDLER, MAX_RECORD_AGE, RETRIES, RUNTIME, SHARDS,
    counter_function, counter_role, queue_name, stream_name, table_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam, messaging, tables
from labs.toolkit.calls import missing, wait_until
from labs.toolkit.functions import configuration_problem, deploy_function

FOLDER = Path(__file__).parent
STREAM_READ = ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
               "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams", "kinesis:SubscribeToShard")
COUNTER_ACTIONS = (("dynamodb:UpdateItem", "table"), ("sqs:SendMessage", "queue"), ("kinesis:GetRecords", "stream"))


def while_the_role_propagates(call, **kwargs):
    """``call(**kwargs)``, tried again for up to 30 s while AWS says the new role cannot be used yet (IAM
    changes take a few seconds to reach Lambda and Firehose)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return call(**kwargs)
        except ClientError as error:
            code, text = error.response.get("Error", {}).get("Code", ""), str(error).lower()
            if (code in ("InvalidParameterValueException", "InvalidArgumentException")
                    and any(word in text for word in ("role", "assume", "permission", "access"))
                    and time.monotonic() < deadline):
                time.sleep(2)
                continue
            raise


def stream_summary(ctx: Context) -> dict | None:
    found = missing(ctx.clients.kinesis.describe_stream_summary, StreamName=stream_name(ctx.name))
    return found["StreamDescriptionSummary"] if found else None


# Step 1: the data stream -------------------------------------------------------------------

def apply_stream(ctx: Context) -> None:
    kinesis, stream = ctx.clients.kinesis, stream_name(ctx.name)
    if stream_summary(ctx) is None:
        with ctx.creating("kinesis:stream", stream, stream) as made:
            kinesis.create_stream(StreamName=stream, ShardCount=SHARDS, StreamModeDetails={"StreamMode": "PROVISIONED"})
            made.arn = f"arn:aws:kinesis:{ctx.region}:{ctx.account_id}:stream/{stream}"
        wait_until(lambda: stream_summary(ctx)["StreamStatus"] == "ACTIVE", f"stream {stream} to become ACTIVE",
                   timeout=120)
        kinesis.add_tags_to_stream(StreamName=stream, Tags=ctx.tags)  # a CREATING stream takes no tags
    wait_until(lambda: stream_summary(ctx)["StreamStatus"] == "ACTIVE", f"stream {stream} to become ACTIVE",
               timeout=120)
    ctx.outputs["stream"] = stream


def check_stream(ctx: Context) -> CheckResult:
    stream = stream_name(ctx.name)
    summary = stream_summary(ctx)
    if summary is None:
        return CheckResult.failed(f"There is no Kinesis data stream named {stream} in {ctx.region}. Create it in "
                                  f"provisioned mode with {SHARDS} shard.")
    mode = (summary.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode != "PROVISIONED" or summary.get("OpenShardCount", SHARDS) < 1:
        return CheckResult.failed(f"The stream {stream} is {mode} with {summary.get('OpenShardCount')} open shards: "
                                  f"make it PROVISIONED with {SHARDS} shard (a lab's trickle needs one; on-demand "
                                  "bills a higher hourly minimum).")
    if summary["StreamStatus"] != "ACTIVE":
        return CheckResult.failed(f"The stream is {summary['StreamStatus']}, not ACTIVE yet: check again in a moment.")
    ctx.outputs["stream"] = stream
    return CheckResult.passed(f"Stream {stream} is ACTIVE with {summary.get('OpenShardCount', SHARDS)} shard "
                              f"({summary.get('RetentionPeriodHours', 24)} h retention).",
                              Found("kinesis:stream", stream, stream, summary["StreamARN"]))


# Step 2: the consumer ----------------------------------------------------------------------

def counter_policy(ctx: Context, stream_arn: str, table_arn: str, queue_arn: str) -> dict:
    function = counter_function(ctx.name)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTheStream", "Effect": "Allow", "Action": list(STREAM_READ), "Resource": stream_arn},
        {"Sid": "CountViews", "Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": table_arn},
        {"Sid": "SetAsideFailures", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue_arn},
        iam.logs_statement(ctx.region, ctx.account_id, function),
    ]}


def counter_environment(ctx: Context, queue_url: str) -> dict:
    return {"TABLE_NAME": table_name(ctx.name), "FAILURE_QUEUE_URL": queue_url}


def mapping_settings(queue_arn: str) -> dict:
    """What the event source mapping must say, in create_event_source_mapping's words."""
    return {"BatchSize": BATCH_SIZE, "MaximumBatchingWindowInSeconds": BATCH_WINDOW,
            "BisectBatchOnFunctionError": True, "MaximumRetryAttempts": RETRIES,
            "MaximumRecordAgeInSeconds": MAX_RECORD_AGE,
            "DestinationConfig": {"OnFailure": {"Destination": queue_arn}}}


def find_mapping(ctx: Context, function: str, stream_arn: str) -> dict | None:
    mappings = ctx.clients.lambda_.list_event_source_mappings(FunctionName=function, EventSourceArn=stream_arn)
    found = mappings.get("EventSourceMappings", [])
    return found[0] if found else None


def mapping_problem(mapping: dict, queue_arn: str) -> str:
    """What is off in the mapping's error handling and batching, in words a learner can act on."""
    wanted = mapping_settings(queue_arn)
    destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination", "")
    if destination != queue_arn:
        return (f"The event source mapping has no on-failure destination ({destination or 'none'}): a batch that "
                f"keeps failing would be dropped without a trace once its retries run out. Set it to the queue "
                f"{queue_arn}.")
    if not mapping.get("BisectBatchOnFunctionError"):
        return ("The event source mapping does not split a failing batch (BisectBatchOnFunctionError is off): one "
                "bad record would fail its 99 neighbours with it on every retry. Turn it on.")
    retries = mapping.get("MaximumRetryAttempts", -1)
    if retries < 0 or retries > 10:
        return (f"The event source mapping retries a failing batch {'forever' if retries < 0 else retries} times: the "
                f"shard stops behind it meanwhile. Set MaximumRetryAttempts to {RETRIES}.")
    for key in ("BatchSize", "MaximumBatchingWindowInSeconds"):
        if mapping.get(key) != wanted[key]:
            return f"The event source mapping's {key} is {mapping.get(key)}; set it to {wanted[key]}."
    return ""


def apply_counter(ctx: Context) -> None:
    summary = stream_summary(ctx)
    if summary is None:
        raise StepBlocked(f"The stream {stream_name(ctx.name)} does not exist yet: do step 1 first.")
    stream_arn = summary["StreamARN"]
    table_arn = tables.ensure_table(ctx, table_name(ctx.name), key="page")
    queue_url = messaging.ensure_queue(ctx, queue_name(ctx.name))
    queue_arn = messaging.queue_arn(ctx.clients.sqs, queue_url)
    role, function = counter_role(ctx.name), counter_function(ctx.name)
    role_arn = iam.ensure_execution_role(ctx, role=role, description="Execution role of the clickstream lab's counter",
                                         policy_name=COUNTER_POLICY,
                                         policy=counter_policy(ctx, stream_arn, table_arn, queue_arn))
    deploy_function(ctx, function=function, folder=FOLDER / "functions" / COUNTER_SOURCE,
                    description="Counts page views from the clickstream", wanted={
                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": 60, "MemorySize": 128,
                        "Environment": {"Variables": counter_environment(ctx, queue_url)}})
    lambda_ = ctx.clients.lambda_
    mapping = find_mapping(ctx, function, stream_arn)
    if mapping is None:
        with ctx.creating("lambda:event-source-mapping", f"{function}/{stream_name(ctx.name)}") as made:
            mapping = while_the_role_propagates(
                lambda_.create_event_source_mapping, FunctionName=function, EventSourceArn=stream_arn,
                StartingPosition="TRIM_HORIZON", Enabled=True, **mapping_settings(queue_arn))
            made.physical_id, made.arn = mapping["UUID"], mapping.get("EventSourceMappingArn", "")
    elif mapping_problem(mapping, queue_arn):
        lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True, **mapping_settings(queue_arn))
    ctx.outputs.update({"function": function, "table": table_name(ctx.name)})


def check_counter(ctx: Context) -> CheckResult:
    summary = stream_summary(ctx)
    if summary is None:
        return CheckResult.failed(f"The stream {stream_name(ctx.name)} is missing: do step 1 first.")
    table = tables.check_table(ctx, table_name(ctx.name), key="page", used_by="the counter")
    if not table.ok:
        return table
    queue_url = messaging.queue_url(ctx.clients.sqs, queue_name(ctx.name))
    if queue_url is None:
        return CheckResult.failed(f"There is no SQS queue named {queue_name(ctx.name)}: create it (a standard queue). "
                                  "Records the counter cannot read, and batches that keep failing, go there.")
    queue_arn = messaging.queue_arn(ctx.clients.sqs, queue_url)
    role, function = counter_role(ctx.name), counter_function(ctx.name)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    arns = {"table": table.found[0].arn, "queue": queue_arn, "stream": summary["StreamARN"]}
    for action, what in COUNTER_ACTIONS:
        if not iam.allows(statements, action, arns[what]):
            return CheckResult.failed(f"The role {role} does not allow {action} on the {what} ({arns[what]}), so the "
                                      f"counter would get AccessDenied. Add it to the role's inline policy.")
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"There is no Lambda function named {function}. Create it ({RUNTIME}, handler "
                                  f"{HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=found_role["Arn"], role=role,
                                    environment=counter_environment(ctx, queue_url))
    if problem:
        return CheckResult.failed(problem)
    mapping = find_mapping(ctx, function, summary["StreamARN"])
    if mapping is None:
        return CheckResult.failed(f"Nothing invokes {function}: add an event source mapping from the stream "
                                  f"{stream_name(ctx.name)} to it (starting position TRIM_HORIZON).")
    problem = mapping_problem(mapping, queue_arn)
    if problem:
        return CheckResult.failed(problem)
    if mapping.get("State") not in ("Enabled", "Enabling", "Creating", "Updating"):
        return CheckResult.failed(f"The event source mapping is {mapping.get('State')}: enable it.")
    ctx.outputs.update({"function": function, "table": table_name(ctx.name)})
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"{function} reads {stream_name(ctx.name)} in batches of up to {BATCH_SIZE} records or "
        f"{BATCH_WINDOW} s, splits a failing batch, retries it {RETRIES} times, then describes it in "
        f"{queue_name(ctx.name)}; it counts views in {table_name(ctx.name)}.",
        *table.found,
        Found("sqs:queue", queue_name(ctx.name), queue_url, queue_arn),
        Found("iam:role", role, role, found_role["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
        Found("lambda:event-source-mapping", f"{function}/{stream_name(ctx.name)}", mapping["UUID"],
              mapping.get("EventSourceMappingArn", "")),
    )
