"""What a lab run costs in a real AWS account, estimated before it deploys. No ORM, no AWS calls.

A small price table (US East, N. Virginia; other regions differ by a few percent), with the date
it was compiled and the AWS pricing pages it comes from, times what one run uses (each lab's
usage below: the requests its steps, verify and a few minutes of the learner trying the app
make). Every lab here bills per request or per GB stored: nothing bills by the hour while it
sits there, so the estimate barely depends on how long the run stays up.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

PRICES_REGION = "us-east-1"
PRICES_CHECKED = date(2026, 11, 26)


@dataclass(frozen=True)
class Price:
    service: str
    what: str  # the unit, as the pricing page says it
    usd: Decimal  # per unit
    per: int  # units the price is for (1, 1000, 1_000_000)
    source: str


PRICES = {
    "lambda_requests": Price("AWS Lambda", "requests", Decimal("0.20"), 1_000_000, "https://aws.amazon.com/lambda/pricing/"),
    "lambda_gb_seconds": Price("AWS Lambda", "GB-seconds of compute (x86)", Decimal("0.0000166667"), 1,
                               "https://aws.amazon.com/lambda/pricing/"),
    "apigateway_rest": Price("Amazon API Gateway", "REST API calls (first 333 million a month)", Decimal("3.50"),
                             1_000_000, "https://aws.amazon.com/api-gateway/pricing/"),
    "dynamodb_writes": Price("Amazon DynamoDB", "on-demand write request units", Decimal("0.625"), 1_000_000,
                             "https://aws.amazon.com/dynamodb/pricing/on-demand/"),
    "dynamodb_reads": Price("Amazon DynamoDB", "on-demand read request units", Decimal("0.125"), 1_000_000,
                            "https://aws.amazon.com/dynamodb/pricing/on-demand/"),
    "s3_writes": Price("Amazon S3", "PUT, COPY, POST and LIST requests", Decimal("0.005"), 1_000,
                       "https://aws.amazon.com/s3/pricing/"),
    "s3_reads": Price("Amazon S3", "GET and other requests", Decimal("0.0004"), 1_000, "https://aws.amazon.com/s3/pricing/"),
    "s3_storage": Price("Amazon S3", "GB-months of S3 Standard storage", Decimal("0.023"), 1,
                        "https://aws.amazon.com/s3/pricing/"),
    # Added 2026-12-04 for the secured-API lab. Cognito bills monthly active users; a new pool's default feature
    # plan is Essentials (US$0.015 per MAU; 10,000 MAUs a month are free for Lite and Essentials).
    "cognito_mau": Price("Amazon Cognito", "monthly active users (Essentials plan, above the 10,000 free)",
                         Decimal("0.015"), 1, "https://aws.amazon.com/cognito/pricing/"),
    "appsync_requests": Price("AWS AppSync", "GraphQL query and mutation operations", Decimal("4.00"), 1_000_000,
                              "https://aws.amazon.com/appsync/pricing/"),
    "logs_ingest": Price("Amazon CloudWatch Logs", "GB of logs ingested", Decimal("0.50"), 1,
                         "https://aws.amazon.com/cloudwatch/pricing/"),
    # The clickstream lab (prices as of 2026-12-04; Kinesis Data Streams has no free tier).
    "kinesis_shard_hours": Price("Amazon Kinesis Data Streams", "shard-hours (provisioned mode)", Decimal("0.015"), 1,
                                 "https://aws.amazon.com/kinesis/data-streams/pricing/"),
    "kinesis_put_units": Price("Amazon Kinesis Data Streams", "PUT payload units (25 KB each)", Decimal("0.014"),
                               1_000_000, "https://aws.amazon.com/kinesis/data-streams/pricing/"),
    "firehose_gb": Price("Amazon Data Firehose", "GB ingested (records rounded up to 5 KB)", Decimal("0.029"), 1,
                         "https://aws.amazon.com/firehose/pricing/"),
    "athena_tb_scanned": Price("Amazon Athena", "TB scanned by SQL queries (10 MB minimum a query)", Decimal("5.00"), 1,
                               "https://aws.amazon.com/athena/pricing/"),
    # Step Functions (checked 2026-12-04): Standard bills each state transition, retries included; Express
    # bills each request plus its duration x memory (rounded up to 100 ms, memory in 64 MB chunks).
    "sfn_standard_transitions": Price("AWS Step Functions", "state transitions (Standard workflows)",
                                      Decimal("0.025"), 1_000, "https://aws.amazon.com/step-functions/pricing/"),
    "sfn_express_requests": Price("AWS Step Functions", "requests (Express workflows)", Decimal("1.00"), 1_000_000,
                                  "https://aws.amazon.com/step-functions/pricing/"),
    "sfn_express_gb_seconds": Price("AWS Step Functions", "GB-seconds of duration (Express workflows, first 1,000 "
                                    "GB-hours a month)", Decimal("0.00001667"), 1,
                                    "https://aws.amazon.com/step-functions/pricing/"),
    # The edge lab's (pages read 2026-12-04; United States edge locations, pay-as-you-go).
    "cloudfront_requests": Price("Amazon CloudFront", "HTTPS requests (United States)", Decimal("0.0100"), 10_000,
                                 "https://aws.amazon.com/cloudfront/pricing/"),
    "cloudfront_transfer_gb": Price("Amazon CloudFront", "GB out to the internet (United States, first 10 TB)",
                                    Decimal("0.085"), 1, "https://aws.amazon.com/cloudfront/pricing/"),
    "cloudfront_functions": Price("Amazon CloudFront", "CloudFront Functions invocations", Decimal("0.10"), 1_000_000,
                                  "https://aws.amazon.com/cloudfront/pricing/"),
    "lambda_edge_requests": Price("AWS Lambda@Edge", "requests", Decimal("0.60"), 1_000_000,
                                  "https://aws.amazon.com/lambda/pricing/"),
    "lambda_edge_gb_seconds": Price("AWS Lambda@Edge", "GB-seconds of compute", Decimal("0.00005001"), 1,
                                    "https://aws.amazon.com/lambda/pricing/"),
    # Added 2026-12-04 for the fan-out lab (deliveries from SNS to SQS queues are not charged).
    "sns_requests": Price("Amazon SNS", "standard topic requests (publishes; each 64 KB chunk counts as one)",
                          Decimal("0.50"), 1_000_000, "https://aws.amazon.com/sns/pricing/"),
    "sqs_requests": Price("Amazon SQS", "standard queue requests (each 64 KB chunk counts as one)", Decimal("0.40"),
                          1_000_000, "https://aws.amazon.com/sqs/pricing/"),
    "eventbridge_events": Price("Amazon EventBridge", "custom events published to an event bus", Decimal("1.00"),
                                1_000_000, "https://aws.amazon.com/eventbridge/pricing/"),
    # The serverless relational lab's (US East, N. Virginia). NOT re-read on 2026-12-04 (no access to the pricing
    # pages then): the figures are the published list prices as last known; check them against the pages.
    "aurora_acu_hours": Price("Amazon Aurora", "Aurora Serverless v2 ACU-hours (Aurora Standard)", Decimal("0.12"), 1,
                              "https://aws.amazon.com/rds/aurora/pricing/"),
    "aurora_storage_gb_month": Price("Amazon Aurora", "GB-months of storage (Aurora Standard)", Decimal("0.10"), 1,
                                     "https://aws.amazon.com/rds/aurora/pricing/"),
    "rds_proxy_acu_hours": Price("Amazon RDS Proxy", "ACU-hours of the Aurora Serverless v2 capacity behind it "
                                 "(at least 8 ACUs billed)", Decimal("0.015"), 1,
                                 "https://aws.amazon.com/rds/proxy/pricing/"),
    "rds_data_api_requests": Price("Amazon Aurora", "RDS Data API requests (first billion a month)", Decimal("0.35"),
                                   1_000_000, "https://aws.amazon.com/rds/aurora/pricing/"),
    "secrets_manager_secret_months": Price("AWS Secrets Manager", "secret-months", Decimal("0.40"), 1,
                                           "https://aws.amazon.com/secrets-manager/pricing/"),
    "secrets_manager_calls": Price("AWS Secrets Manager", "API calls", Decimal("0.05"), 10_000,
                                   "https://aws.amazon.com/secrets-manager/pricing/"),
    # The containers lab's (pages read 2026-12-04; Fargate Linux/x86, billed per second while a task runs).
    "fargate_vcpu_hours": Price("AWS Fargate", "vCPU-hours (Linux/x86)", Decimal("0.04048"), 1,
                                "https://aws.amazon.com/fargate/pricing/"),
    "fargate_gb_hours": Price("AWS Fargate", "GB-hours of memory (Linux/x86)", Decimal("0.004445"), 1,
                              "https://aws.amazon.com/fargate/pricing/"),
    "efs_standard_gb_months": Price("Amazon EFS", "GB-months of EFS Standard storage", Decimal("0.30"), 1,
                                    "https://aws.amazon.com/efs/pricing/"),
}

FREE_TIER = (
    "Every account, every month, for good: AWS Lambda's first 1 million requests and 400,000 GB-seconds, DynamoDB's "
    "first 25 GB stored, CloudWatch Logs' first 5 GB. Accounts opened before 15 July 2025 also have the 12-month "
    "offers for their first year (1 million API Gateway REST calls, 5 GB of S3 Standard, 20,000 GET and 2,000 PUT "
    "requests a month); accounts opened since get up to US$200 of credits instead (US$100 at sign-up, up to US$100 "
    "more for trying services), on the Free plan for up to 6 months. A lab run stays far inside all of these."
)
FREE_TIER_SOURCE = "https://aws.amazon.com/free/"

# A lab that declares no usage (Lab.usage): a deliberately high guess for a small serverless lab.
DEFAULT_USAGE = {
    "lambda_requests": 200, "lambda_gb_seconds": 200 * 1.0 * 5,  # 1 GB, 5 s
    "apigateway_rest": 200, "dynamodb_writes": 100, "dynamodb_reads": 200,
    "s3_writes": 200, "s3_reads": 1000, "s3_storage": 1 * 2 / 730,  # 1 GB for 2 hours
    "logs_ingest": 0.01,
}


@dataclass(frozen=True)
class Line:
    price: Price
    quantity: float
    usd: Decimal

    @property
    def quantity_text(self) -> str:
        q = self.quantity
        if q >= 10:
            return f"{q:,.0f}"
        return f"{q:.4g}" if q >= 0.001 else "under 0.001"


@dataclass(frozen=True)
class Estimate:
    lab_slug: str
    lines: tuple[Line, ...]
    total: Decimal
    exact_usage: bool  # False: the lab has no usage profile, DEFAULT_USAGE was used
    region: str = PRICES_REGION
    checked: date = PRICES_CHECKED
    free_tier: str = FREE_TIER
    free_tier_source: str = FREE_TIER_SOURCE

    @property
    def sources(self) -> list[tuple[str, str]]:
        """(service, pricing page) for each page the prices come from."""
        pages = {}
        for line in self.lines:
            pages.setdefault(line.price.source, line.price.service)
        return [(service, url) for url, service in pages.items()]

    @property
    def total_text(self) -> str:
        """The total as a person reads it: "under US$0.01" rather than 0.000412."""
        if self.total < Decimal("0.01"):
            return "under US$0.01"
        return f"about US${self.total.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def estimate(lab_slug: str) -> Estimate:
    """The cost of one run of a lab at the listed prices, before any free tier. Each lab declares what
    one run uses (``Lab.usage``, keys of :data:`PRICES`)."""
    from labs.catalog import get_lab

    lab = get_lab(lab_slug)
    usage = lab.usage if lab is not None and lab.usage else None
    exact = usage is not None
    lines = []
    for key, quantity in (usage or DEFAULT_USAGE).items():
        if not quantity:
            continue
        price = PRICES[key]
        lines.append(Line(price, quantity, price.usd * Decimal(str(quantity)) / price.per))
    total = sum((line.usd for line in lines), Decimal(0))
    return Estimate(lab_slug, tuple(lines), total, exact)


def money(value: Decimal) -> str:
    """A tiny amount with enough digits to be meaningful: 0.000008 -> "US$0.000008"."""
    if value == 0:
        return "US$0"
    if value >= Decimal("0.01"):
        return f"US${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
    digits = f"{value:.10f}".rstrip("0")
    significant = len(digits.split(".")[1].lstrip("0"))
    if significant > 2:
        digits = f"{value:.{len(digits.split('.')[1]) - significant + 2}f}"
    return f"US${digits}"
