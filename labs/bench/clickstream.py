"""The clickstream lab's benchmark: a bare boto3 script against the engine's automatic run.

The baseline (:func:`baseline_clickstream`) makes the lab's calls with nothing around them:
deploy (stream, table, queue, two roles and functions, the event source mapping, bucket,
Firehose's role and stream, the Glue database and table), the verify's work (put the same 1,000
seeded events and the malformed record, wait until the counters are exact, find the record in the
queue, read the files back, run the two Athena queries), teardown. The engine side is an automatic
run through the task queue and a real ``db_worker``, timed from enqueue to cleaned.

    python manage.py lab bench --lab clickstream --rounds 3
"""

import base64
import json
import sys
import time


from labs import aws
from labs.catalog.clickstream import delivery_steps, events, names, steps, verify
from labs.engine.lab import Names, function_zip
from labs.toolkit import iam

POLL = 0.05


def _until(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"baseline: no {what} within {timeout:.0f} s")
        time.sleep(POLL)
    return value


class _Ctx:
    """Just enough of a step context for the lab's pure helpers (names, policies, table input)."""

    def __init__(self, prefix, region, account_id):
        self.name, self.region, self.account_id = Names(prefix), region, account_id


def baseline_clickstream(endpoint_url: str, account_id: str, region: str = "us-east-1") -> dict:
    """Deploy, verify and tear down the clickstream pipeline with bare boto3. Returns seconds per phase."""
    phases, started = {}, time.perf_counter()
    # Its ten clients are made inside the timing: a bare script pays for them as the engine's run does
    # (labs.aws.Clients makes each on first use, per run).
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in
         ("kinesis", "dynamodb", "sqs", "iam", "lambda", "s3", "firehose", "glue", "athena", "logs")}
    ctx = _Ctx(f"bench-{int(time.time() * 1000) % 10**8:08d}", region, account_id)
    n = ctx.name
    stream, table, queue, bucket = (names.stream_name(n), names.table_name(n), names.queue_name(n),
                                    names.bucket_name(n, account_id))
    counter, transform, database = names.counter_function(n), names.transform_function(n), names.database_name(n)

    # Deploy.
    c["kinesis"].create_stream(StreamName=stream, ShardCount=1, StreamModeDetails={"StreamMode": "PROVISIONED"})
    stream_arn = _until(lambda: (s := c["kinesis"].describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"])
                        ["StreamStatus"] == "ACTIVE" and s["StreamARN"], "active stream")
    table_arn = c["dynamodb"].create_table(
        TableName=table, KeySchema=[{"AttributeName": "page", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "page", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    queue_url = c["sqs"].create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = c["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    roles = {names.counter_role(n): steps.counter_policy(ctx, stream_arn, table_arn, queue_arn),
             names.transform_role(n): {"Version": "2012-10-17", "Statement": [iam.logs_statement(region, account_id, transform)]}}
    arns = {}
    for role, policy in roles.items():
        arns[role] = c["iam"].create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
        c["iam"].put_role_policy(RoleName=role, PolicyName="policy", PolicyDocument=json.dumps(policy))
    functions = {counter: (names.counter_role(n), names.COUNTER_SOURCE, {"TABLE_NAME": table, "FAILURE_QUEUE_URL": queue_url}),
                 transform: (names.transform_role(n), names.TRANSFORM_SOURCE, {})}
    for function, (role, source, variables) in functions.items():
        c["lambda"].create_function(FunctionName=function, Runtime=names.RUNTIME, Handler=names.HANDLER, Role=arns[role],
                                    Code={"ZipFile": function_zip(steps.FOLDER / "functions" / source)}, Timeout=60,
                                    MemorySize=128, Environment={"Variables": variables})
    for function in functions:
        _until(lambda: c["lambda"].get_function(FunctionName=function)["Configuration"]["State"] == "Active", "active function")
    transform_arn = c["lambda"].get_function(FunctionName=transform)["Configuration"]["FunctionArn"]
    mapping = c["lambda"].create_event_source_mapping(FunctionName=counter, EventSourceArn=stream_arn,
                                                      StartingPosition="TRIM_HORIZON", **steps.mapping_settings(queue_arn))
    c["s3"].create_bucket(Bucket=bucket)
    hose_role = names.firehose_role(n)
    hose_arn = c["iam"].create_role(RoleName=hose_role, AssumeRolePolicyDocument=json.dumps(delivery_steps.FIREHOSE_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=hose_role, PolicyName="policy", PolicyDocument=json.dumps(
        delivery_steps.firehose_policy(ctx, stream_arn, bucket, transform_arn)))
    c["firehose"].create_delivery_stream(
        DeliveryStreamName=names.delivery_stream(n), DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": hose_arn},
        ExtendedS3DestinationConfiguration=delivery_steps.s3_destination(ctx, bucket, hose_arn, transform_arn))
    c["glue"].create_database(DatabaseInput={"Name": database})
    c["glue"].create_table(DatabaseName=database, TableInput=delivery_steps.table_input(ctx))
    started = _timed(phases, "deploy", started)

    # The verify's work.
    generated = events.generate(f"{ctx.name.prefix}-bench")
    entries = generated.records()
    sequence = {}
    for start in range(0, len(entries), 500):
        answer = c["kinesis"].put_records(StreamName=stream, Records=entries[start:start + 500])
        assert not answer.get("FailedRecordCount"), answer
        sequence.update({start + i: r["SequenceNumber"] for i, r in enumerate(answer["Records"])})
    expected = dict(generated.views())

    def counted():
        items = c["dynamodb"].scan(TableName=table)["Items"]
        return {i["page"]["S"]: int(i["views"]["N"]) for i in items} == expected

    _until(counted, "exact counters")

    def poison_seen():
        for message in c["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            record = json.loads(message["Body"]).get("poisonRecord", {})
            if record.get("sequenceNumber") == sequence[events.POISON_AT]:
                return base64.b64decode(record["data"]) == events.POISON
        return False

    _until(poison_seen, "poison record in the queue")
    prefix = f"{names.EVENTS_PREFIX}dt={generated.day}/"

    def lines():
        keys = [o["Key"] for page in c["s3"].get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", [])]
        return [line for key in keys for line in c["s3"].get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()]

    _until(lambda: len(lines()) >= len(generated.events), "delivered events")
    for sql, want in ((verify.top_pages_sql(generated.day, generated.batch), generated.top_pages()),
                      (verify.per_minute_sql(generated.day, generated.batch), generated.per_minute())):
        query = c["athena"].start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                                  ResultConfiguration={"OutputLocation": f"s3://{bucket}/{names.RESULTS_PREFIX}"})
        qid = query["QueryExecutionId"]
        _until(lambda: c["athena"].get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
               == "SUCCEEDED", "query")
        rows = c["athena"].get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1:]
        assert [(r["Data"][0]["VarCharValue"], int(r["Data"][1]["VarCharValue"])) for r in rows] == want
    started = _timed(phases, "verify", started)

    # Teardown.
    c["glue"].delete_database(Name=database)
    c["firehose"].delete_delivery_stream(DeliveryStreamName=names.delivery_stream(n))
    c["lambda"].delete_event_source_mapping(UUID=mapping["UUID"])
    keys = [{"Key": o["Key"]} for page in c["s3"].get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    for start in range(0, len(keys), 1000):
        c["s3"].delete_objects(Bucket=bucket, Delete={"Objects": keys[start:start + 1000]})
    c["s3"].delete_bucket(Bucket=bucket)
    for function in functions:
        c["lambda"].delete_function(FunctionName=function)
        try:
            c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
        except c["logs"].exceptions.ResourceNotFoundException:
            pass
    for role in (*roles, hose_role):
        c["iam"].delete_role_policy(RoleName=role, PolicyName="policy")
        c["iam"].delete_role(RoleName=role)
    c["sqs"].delete_queue(QueueUrl=queue_url)
    c["dynamodb"].delete_table(TableName=table)
    c["kinesis"].delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases


def _timed(phases: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    phases[name] = now - started
    return now


def run_clickstream_bench(*, rounds: int, out=sys.stdout) -> dict:
    """The shared alternation (labs.bench.fullstack.run_bench) with this lab's bare script."""
    from labs.bench.fullstack import run_bench

    return run_bench(rounds=rounds, out=out, slug="clickstream", limit_seconds=None, engine_timeout=180.0,
                     baseline_fn=lambda url, account, region, origin: baseline_clickstream(url, account, region))
