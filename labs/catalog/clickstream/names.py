"""What the clickstream lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

RUNTIME = "python3.12"
HANDLER = "app.handler"
COUNTER_SOURCE = "click_counter"
TRANSFORM_SOURCE = "click_transform"
COUNTER_POLICY = "clicks-counter-access"
TRANSFORM_POLICY = "clicks-transform-logs"
FIREHOSE_POLICY = "firehose-delivery"
SHARDS = 1
# The event source mapping: a batch is up to BATCH_SIZE records or BATCH_WINDOW seconds of them; a failing
# batch is split in two (bisect), retried at most RETRIES times, then described in the failure queue.
BATCH_SIZE = 100
BATCH_WINDOW = 1
RETRIES = 2
MAX_RECORD_AGE = 3600
# Firehose delivers to S3 at 1 MB or 10 s, whichever comes first (AWS accepts 1-128 MB and 0-900 s), under
# events/dt=YYYY-MM-DD/ by the time records arrive; records the transform rejects go under errors/.
BUFFER_MB = 1
BUFFER_SECONDS = 10
EVENTS_PREFIX = "events/"
PREFIX = "events/dt=!{timestamp:yyyy-MM-dd}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
RESULTS_PREFIX = "athena-results/"
ATHENA_TABLE = "clicks"
PAGES = ("/", "/pricing", "/docs", "/docs/getting-started", "/blog", "/blog/serverless-costs", "/signup",
         "/login", "/features", "/about", "/contact", "/careers")
# What one run uses in AWS, for its cost estimate (a generous count: a run verified twice, explored a while).
USAGE = {
    "kinesis_shard_hours": SHARDS * 2, "kinesis_put_units": 3000,
    "firehose_gb": 0.002, "lambda_requests": 200, "lambda_gb_seconds": 200 * 0.125 * 0.2,
    "dynamodb_writes": 600, "dynamodb_reads": 100, "sqs_requests": 100,
    "s3_writes": 200, "s3_reads": 400, "s3_storage": 0.0001 * 2 / 730,
    "athena_tb_scanned": 0.00001 * 6, "logs_ingest": 0.001,
}


def stream_name(names: Names) -> str:
    return names("clicks")


def table_name(names: Names) -> str:
    return names("page-views")


def queue_name(names: Names) -> str:
    return names("clicks-failures")


def counter_role(names: Names) -> str:
    return names("click-counter-role")


def counter_function(names: Names) -> str:
    return names("click-counter")


def transform_role(names: Names) -> str:
    return names("click-transform-role")


def transform_function(names: Names) -> str:
    return names("click-transform")


def firehose_role(names: Names) -> str:
    return names("clicks-firehose-role")


def delivery_stream(names: Names) -> str:
    return names("clicks-to-s3")


def bucket_name(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('clicks')}-{account_id}"


def database_name(names: Names) -> str:
    # Glue and Athena want lower case, digits and underscores: sa_3f9a1c2e_clickstream.
    return names("clickstream").replace("-", "_")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "STREAM": stream_name(names), "TABLE": table_name(names),
        "QUEUE": queue_name(names), "COUNTER_ROLE": counter_role(names), "COUNTER": counter_function(names),
        "TRANSFORM_ROLE": transform_role(names), "TRANSFORM": transform_function(names),
        "FIREHOSE_ROLE": firehose_role(names), "DELIVERY": delivery_stream(names),
        "BUCKET": bucket_name(names, account_id), "DATABASE": database_name(names),
    }
