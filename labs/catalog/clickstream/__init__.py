"""The clickstream analytics lab: click events into a Kinesis data stream; a Lambda consumer keeps
per-page counters in DynamoDB; Data Firehose (with a transform function) lands the raw events in
S3 by date; Athena answers questions about them in SQL.

Read it as a recipe: ``names`` (what it builds), ``steps`` (stream; consumer) and
``delivery_steps`` (Firehose to S3; Athena table), ``events`` (the verify's seeded click events),
``verify`` (counters, failure queue, S3 files and two queries against the generated numbers),
``athena`` (running a query), ``sabotage``, ``text/``, ``template.sam.yaml`` and ``functions/``.
"""

from dataclasses import dataclass
from pathlib import Path

from labs.catalog.clickstream import delivery_steps, sabotage, settled, steps, verify
from labs.catalog.clickstream.names import COUNTER_SOURCE, RUNTIME, TRANSFORM_SOURCE, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


@dataclass(frozen=True)
class ClickstreamLab(Lab):
    """The lab, with its verify told as what it is: events in, numbers compared, not HTTP requests."""

    verify_intro: str = "Verifying the pipeline end to end: 1,000 generated click events in, every number compared"
    verified_message: str = "Verified: the counters, the files in S3 and Athena's answers match the generated events."
    verify_summary: str = ("1,000 click events generated from a fixed seed, and one malformed record, go into the "
                           "stream; the counters, the failure queue, the files in S3 and two Athena queries must say "
                           "exactly what the generated data says.")


LAB = ClickstreamLab(
    slug="clickstream",
    title="Clickstream analytics",
    summary="Stream click events through Kinesis: count page views live with Lambda and DynamoDB, land the raw events "
            "in S3 with Data Firehose, and ask Athena about them in SQL.",
    use_case=_text("use_case"),
    services=("Amazon Kinesis Data Streams", "Amazon Data Firehose", "AWS Lambda", "Amazon DynamoDB", "Amazon SQS",
              "Amazon S3", "Amazon Athena", "AWS Glue Data Catalog", "AWS IAM"),
    minutes=35,
    aws_cost="About US$0.03 a run: the stream's shard bills by the hour (US$0.015 an hour; Kinesis Data Streams has "
             "no free tier), the rest per request, per GB ingested or per TB scanned, mostly inside the AWS Free Tier.",
    diagram="labs/diagrams/clickstream.svg",
    parts={"producer": "Producer", "stream": "Kinesis data stream", "counter": "Lambda counter",
           "table": "DynamoDB counters", "failures": "SQS failure queue", "firehose": "Data Firehose",
           "transform": "Lambda transform", "bucket": "S3 (dt= partitions)", "athena": "Athena + Glue table"},
    steps=(
        Step("stream", "Create the data stream", "One provisioned shard that the producer writes click events to.",
             _text("step_stream"), steps.apply_stream, steps.check_stream, parts=("producer", "stream")),
        Step("counter", "Count page views as they arrive", "A Lambda consumer with batching, bisect on error and an "
             "on-failure queue, adding views per page in DynamoDB.", _text("step_counter"), steps.apply_counter,
             steps.check_counter, parts=("counter", "table", "failures")),
        Step("firehose", "Land the raw events in S3", "A Firehose stream from the data stream through a transform "
             "function to S3, partitioned by date.", _text("step_firehose"), delivery_steps.apply_firehose,
             delivery_steps.check_firehose, parts=("firehose", "transform", "bucket")),
        Step("athena", "Query them with Athena", "A Glue database and an external table with partition projection "
             "over the events' prefix.", _text("step_athena"), delivery_steps.apply_athena,
             delivery_steps.check_athena, parts=("athena",)),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(COUNTER_SOURCE, TRANSFORM_SOURCE),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    settled=settled.settled,
    order=60,
)
