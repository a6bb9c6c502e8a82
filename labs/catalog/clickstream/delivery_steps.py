"""The clickstream lab's last two steps: Data Firehose from the stream to S3 through the transform
function, partitioned by date; and the Athena table (in the Glue Data Catalog) over that prefix."""

import json
from pathlib import Path

from labs.catalog.clickstream.names import (
    ATHENA_TABLE, BUFFER_MB, BUFFER_SECONDS, ERROR_PREFIX, EVENTS_PREFIX, FIREHOSE_POLICY, HANDLER, PREFIX, RUNTIME,
    TRANSFORM_POLICY, TRANSFORM_SOURCE, bucket_name, database_name, delivery_stream, firehose_role, stream_name,
    transform_function, transform_role,
)
from labs.catalog.clickstream.steps import stream_summary, while_the_role_propagates
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets, iam
from labs.toolkit.calls import missing
from labs.toolkit.functions import configuration_problem, deploy_function

FOLDER = Path(__file__).parent
FIREHOSE_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def firehose_policy(ctx: Context, stream_arn: str, bucket: str, transform_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTheStream", "Effect": "Allow", "Resource": stream_arn, "Action": [
            "kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]},
        {"Sid": "WriteTheBucket", "Effect": "Allow", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Action": ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
                    "s3:ListBucketMultipartUploads", "s3:PutObject"]},
        {"Sid": "RunTheTransform", "Effect": "Allow", "Resource": [transform_arn, f"{transform_arn}:*"],
         "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]},
    ]}


def s3_destination(ctx: Context, bucket: str, role_arn: str, transform_arn: str) -> dict:
    return {
        "RoleARN": role_arn, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": PREFIX, "ErrorOutputPrefix": ERROR_PREFIX,
        "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": BUFFER_SECONDS},
        "CompressionFormat": "UNCOMPRESSED",
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": transform_arn}]}]},
    }


def _ensure_firehose_role(ctx: Context, policy: dict) -> str:
    role, client = firehose_role(ctx.name), ctx.clients.iam
    existing = missing(client.get_role, RoleName=role)
    if existing is None:
        with ctx.creating("iam:role", role, role) as made:
            made.arn = client.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(FIREHOSE_TRUST),
                                          Description="Data Firehose's role in the clickstream lab",
                                          Tags=ctx.tag_list())["Role"]["Arn"]
        arn = made.arn
    else:
        arn = existing["Role"]["Arn"]
    with ctx.creating("iam:role-policy", f"{role}/{FIREHOSE_POLICY}", f"{role}/{FIREHOSE_POLICY}"):
        client.put_role_policy(RoleName=role, PolicyName=FIREHOSE_POLICY, PolicyDocument=json.dumps(policy))
    return arn


# Step 3: Firehose to S3 --------------------------------------------------------------------

def apply_firehose(ctx: Context) -> None:
    summary = stream_summary(ctx)
    if summary is None:
        raise StepBlocked(f"The stream {stream_name(ctx.name)} does not exist yet: do step 1 first.")
    bucket = bucket_name(ctx.name, ctx.account_id)
    buckets.ensure_bucket(ctx, bucket)
    buckets.ensure_private(ctx, bucket)
    function, role = transform_function(ctx.name), transform_role(ctx.name)
    role_arn = iam.ensure_execution_role(ctx, role=role, description="Execution role of the clickstream transform",
                                         policy_name=TRANSFORM_POLICY, policy={"Version": "2012-10-17", "Statement": [
                                             iam.logs_statement(ctx.region, ctx.account_id, function)]})
    transform_arn = deploy_function(ctx, function=function, folder=FOLDER / "functions" / TRANSFORM_SOURCE,
                                    description="Turns click events into JSON lines for Athena", wanted={
                                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": 60,
                                        "MemorySize": 128, "Environment": {"Variables": {}}})
    firehose_arn = _ensure_firehose_role(ctx, firehose_policy(ctx, summary["StreamARN"], bucket, transform_arn))
    name, client = delivery_stream(ctx.name), ctx.clients.firehose
    destination = s3_destination(ctx, bucket, firehose_arn, transform_arn)
    current = missing(client.describe_delivery_stream, DeliveryStreamName=name)
    if current is None:
        with ctx.creating("firehose:delivery-stream", name, name) as made:
            made.arn = while_the_role_propagates(
                client.create_delivery_stream, DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
                KinesisStreamSourceConfiguration={"KinesisStreamARN": summary["StreamARN"], "RoleARN": firehose_arn},
                ExtendedS3DestinationConfiguration=destination, Tags=ctx.tag_list())["DeliveryStreamARN"]
    elif firehose_problem(ctx, current["DeliveryStreamDescription"], summary["StreamARN"], bucket, transform_arn):
        described = current["DeliveryStreamDescription"]
        update = {key: value for key, value in destination.items() if key != "RoleARN"}
        client.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=described["VersionId"],
                                  DestinationId=described["Destinations"][0]["DestinationId"],
                                  ExtendedS3DestinationUpdate={**update, "RoleARN": firehose_arn})
    ctx.outputs.update({"bucket": bucket, "delivery_stream": name})


def firehose_problem(ctx: Context, described: dict, stream_arn: str, bucket: str, transform_arn: str) -> str:
    source = (described.get("Source") or {}).get("KinesisStreamSourceDescription") or {}
    if described.get("DeliveryStreamType") != "KinesisStreamAsSource" or source.get("KinesisStreamARN") != stream_arn:
        return (f"The delivery stream does not read the data stream {stream_name(ctx.name)} (its source is "
                f"{described.get('DeliveryStreamType')}): create it with the Kinesis data stream as its source.")
    destinations = described.get("Destinations") or [{}]
    s3 = destinations[0].get("ExtendedS3DestinationDescription")
    if not s3:
        return f"The delivery stream has no S3 destination: deliver to the bucket {bucket}."
    if s3.get("BucketARN") != f"arn:aws:s3:::{bucket}":
        return f"The delivery stream writes to {s3.get('BucketARN')}; deliver to arn:aws:s3:::{bucket}."
    if s3.get("Prefix") != PREFIX:
        return (f"The S3 prefix is {s3.get('Prefix')!r}: Athena's table reads partitions named dt=YYYY-MM-DD, so set "
                f"the prefix to {PREFIX} (and the error prefix to {ERROR_PREFIX}).")
    if s3.get("ErrorOutputPrefix") != ERROR_PREFIX:
        return (f"The error output prefix is {s3.get('ErrorOutputPrefix')!r}: with a timestamp in the prefix Firehose "
                f"needs one; set it to {ERROR_PREFIX} so failed records stay out of the table's folder.")
    hints = s3.get("BufferingHints") or {}
    if hints.get("SizeInMBs", 5) > BUFFER_MB * 5 or hints.get("IntervalInSeconds", 300) > 60:
        return (f"Firehose buffers {hints.get('SizeInMBs')} MB or {hints.get('IntervalInSeconds')} s before it writes: "
                f"a lab's trickle would wait that long. Set the buffer to {BUFFER_MB} MB and {BUFFER_SECONDS} s.")
    processing = s3.get("ProcessingConfiguration") or {}
    arns = [p.get("ParameterValue") for proc in processing.get("Processors") or [] if proc.get("Type") == "Lambda"
            for p in proc.get("Parameters") or [] if p.get("ParameterName") == "LambdaArn"]
    if not processing.get("Enabled") or not any(arn and arn.split(":$LATEST")[0] == transform_arn for arn in arns):
        return (f"The delivery stream does not transform records with {transform_function(ctx.name)}: turn on data "
                f"transformation with that function, or Athena gets events run together on one line.")
    return ""


def check_firehose(ctx: Context) -> CheckResult:
    summary = stream_summary(ctx)
    if summary is None:
        return CheckResult.failed(f"The stream {stream_name(ctx.name)} is missing: do step 1 first.")
    bucket, s3 = bucket_name(ctx.name, ctx.account_id), ctx.clients.s3
    if not buckets.exists(s3, bucket):
        return CheckResult.failed(f"There is no S3 bucket named {bucket}. Create it in {ctx.region} (private).")
    function, role = transform_function(ctx.name), transform_role(ctx.name)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"There is no Lambda function named {function}: create the transform ({RUNTIME}, "
                                  f"handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=found_role["Arn"], role=role,
                                    environment={})
    if problem:
        return CheckResult.failed(problem)
    name = delivery_stream(ctx.name)
    described = missing(ctx.clients.firehose.describe_delivery_stream, DeliveryStreamName=name)
    if described is None:
        return CheckResult.failed(f"There is no Firehose stream named {name}: create it with {stream_name(ctx.name)} "
                                  f"as its source and {bucket} as its destination.")
    described = described["DeliveryStreamDescription"]
    problem = firehose_problem(ctx, described, summary["StreamARN"], bucket, config["FunctionArn"])
    if problem:
        return CheckResult.failed(problem)
    role_arn = (described.get("Source") or {}).get("KinesisStreamSourceDescription", {}).get("RoleARN", "")
    hose_role = role_arn.rsplit("/", 1)[-1]
    statements, _ = iam.role_statements(ctx.clients.iam, hose_role) if missing(ctx.clients.iam.get_role,
                                                                                RoleName=hose_role) else ([], [])
    for action, resource in (("kinesis:GetRecords", summary["StreamARN"]), ("s3:PutObject", f"arn:aws:s3:::{bucket}/x"),
                             ("lambda:InvokeFunction", config["FunctionArn"])):
        if not iam.allows(statements, action, resource):
            return CheckResult.failed(f"Firehose's role {hose_role or '(none)'} does not allow {action} on {resource}: "
                                      f"Firehose could not deliver. Add it to {firehose_role(ctx.name)}'s policy.")
    if described.get("DeliveryStreamStatus") != "ACTIVE":
        return CheckResult.failed(f"The delivery stream is {described.get('DeliveryStreamStatus')}: check again soon.")
    ctx.outputs.update({"bucket": bucket, "delivery_stream": name})
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"Firehose {name} reads {stream_name(ctx.name)}, runs {function} on each batch and writes to "
        f"s3://{bucket}/{PREFIX} every {BUFFER_MB} MB or {BUFFER_SECONDS} s.",
        Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"),
        Found("iam:role", role, role, found_role["Arn"]), Found("iam:role", hose_role, hose_role, role_arn),
        Found("lambda:function", function, function, config["FunctionArn"]), Found("logs:log-group", log_group, log_group),
        Found("firehose:delivery-stream", name, name, described.get("DeliveryStreamARN", "")),
    )


# Step 4: the Athena table ------------------------------------------------------------------

def table_ddl(ctx: Context) -> str:
    bucket = bucket_name(ctx.name, ctx.account_id)
    location = f"s3://{bucket}/{EVENTS_PREFIX}"
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {ATHENA_TABLE} (
  event_id string, user_id string, page string, ts string, minute string, batch string)
PARTITIONED BY (dt string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION '{location}'
TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date', 'projection.dt.format'='yyyy-MM-dd',
  'projection.dt.range'='2024-01-01,NOW', 'storage.location.template'='{location}dt=${{dt}}/')"""


COLUMNS = ("event_id", "user_id", "page", "ts", "minute", "batch")


def table_input(ctx: Context) -> dict:
    """What the DDL above puts in the Glue Data Catalog, as Glue's CreateTable takes it: the steps
    create the table through Glue (the same entry in AWS, the local sandbox and moto, which runs no DDL)."""
    location = f"s3://{bucket_name(ctx.name, ctx.account_id)}/{EVENTS_PREFIX}"
    return {
        "Name": ATHENA_TABLE, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": "json", "projection.enabled": "true",
                       "projection.dt.type": "date", "projection.dt.format": "yyyy-MM-dd",
                       "projection.dt.range": "2024-01-01,NOW", "storage.location.template": f"{location}dt=${{dt}}/"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": name, "Type": "string"} for name in COLUMNS], "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                          "Parameters": {"serialization.format": "1"}}},
    }


def apply_athena(ctx: Context) -> None:
    bucket = bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(ctx.clients.s3, bucket):
        raise StepBlocked(f"The bucket {bucket} does not exist yet: do step 3 first.")
    glue, database = ctx.clients.glue, database_name(ctx.name)
    if missing(glue.get_database, Name=database) is None:
        with ctx.creating("glue:database", database, database):
            glue.create_database(DatabaseInput={"Name": database, "Description": "The clickstream lab's tables"},
                                 Tags=ctx.tags)
    table = missing(glue.get_table, DatabaseName=database, Name=ATHENA_TABLE)
    if table is None:
        glue.create_table(DatabaseName=database, TableInput=table_input(ctx))
    elif table_problem(ctx, table["Table"]):
        glue.update_table(DatabaseName=database, TableInput=table_input(ctx))
    ctx.outputs["database"] = database


def table_problem(ctx: Context, table: dict) -> str:
    bucket = bucket_name(ctx.name, ctx.account_id)
    storage = table.get("StorageDescriptor") or {}
    location = storage.get("Location", "").rstrip("/") + "/"
    if location != f"s3://{bucket}/{EVENTS_PREFIX}":
        return f"The table reads {location}; point its LOCATION at s3://{bucket}/{EVENTS_PREFIX}, where Firehose writes."
    keys = [(key.get("Name"), key.get("Type")) for key in table.get("PartitionKeys") or []]
    if keys != [("dt", "string")]:
        return f"The table's partition keys are {keys}; partition it by dt (string), as Firehose's prefix does."
    columns = {column.get("Name") for column in storage.get("Columns") or []}
    absent = [name for name in ("page", "minute", "batch", "ts") if name not in columns]
    if absent:
        return f"The table has no column {', '.join(absent)}: the queries need them. Recreate it with the lab's DDL."
    serde = (storage.get("SerdeInfo") or {}).get("SerializationLibrary", "")
    if "json" not in serde.lower():
        return f"The table reads rows with {serde or 'no SerDe'}; the files are JSON lines: use the JSON SerDe."
    parameters = table.get("Parameters") or {}
    if parameters.get("projection.enabled") != "true" or parameters.get("projection.dt.type") != "date":
        return ("The table has no partition projection for dt: Athena would see no partitions until you add each "
                "day's by hand (MSCK REPAIR TABLE). Set projection.enabled and projection.dt.* in TBLPROPERTIES.")
    return ""


def check_athena(ctx: Context) -> CheckResult:
    bucket = bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(ctx.clients.s3, bucket):
        return CheckResult.failed(f"The bucket {bucket} is missing: do step 3 first.")
    glue, database = ctx.clients.glue, database_name(ctx.name)
    if missing(glue.get_database, Name=database) is None:
        return CheckResult.failed(f"There is no Glue database named {database}: create it (CREATE DATABASE {database} "
                                  "in Athena's query editor).")
    table = missing(glue.get_table, DatabaseName=database, Name=ATHENA_TABLE)
    if table is None:
        return CheckResult.failed(f"The database {database} has no table {ATHENA_TABLE}: run the lab's CREATE "
                                  "EXTERNAL TABLE in Athena.")
    problem = table_problem(ctx, table["Table"])
    if problem:
        return CheckResult.failed(problem)
    ctx.outputs["database"] = database
    return CheckResult.passed(f"Table {database}.{ATHENA_TABLE} reads JSON lines under s3://{bucket}/{EVENTS_PREFIX}, "
                              "partitioned by dt with partition projection.",
                              Found("glue:database", database, database))


