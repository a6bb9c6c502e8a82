"""The edge lab's four steps: a private origin bucket, a viewer-request CloudFront Function, an
origin-response Lambda@Edge function (a published version), and the distribution that ties them
together with an origin access control. Each ``apply`` is idempotent; each ``check`` explains."""

from pathlib import Path

from labs.catalog.edge import edge_rules
from labs.catalog.edge.names import (
    EDGE_REGION, FUNCTION_SOURCE, HANDLER, MEMORY, ORIGIN_TIMEOUT_MAX, POLICY_NAME, RUNTIME, SITE_FILES, TIMEOUT,
    VIEWER_MEMORY_MAX, VIEWER_TIMEOUT_MAX,
    VIEWER_FUNCTION_FILE, VIEWER_FUNCTION_MAX_BYTES, VIEWER_FUNCTION_RUNTIME, bucket_name, function_name, role_name,
    viewer_function_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets, iam
from labs.toolkit import cloudfront as cdn
from labs.toolkit.calls import missing
from labs.toolkit.functions import deploy_function

FOLDER = Path(__file__).parent


def viewer_function_code() -> bytes:
    return (FOLDER / "cloudfront" / VIEWER_FUNCTION_FILE).read_bytes()


def site_files(api_url: str = "") -> list[tuple[str, bytes, str]]:
    """The site a learner uploads by hand (website.zip on the run page); it calls no API."""
    return buckets.site_files(FOLDER / "site", SITE_FILES)


# Step 1: the private origin bucket ----------------------------------------------------------

def apply_origin(ctx: Context) -> None:
    bucket = bucket_name(ctx.name, ctx.account_id)
    buckets.ensure_bucket(ctx, bucket)
    buckets.ensure_private(ctx, bucket)
    s3 = ctx.clients.s3
    for key, body, kind in site_files():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind)
    ctx.outputs["origin_bucket"] = bucket


def check_origin(ctx: Context) -> CheckResult:
    s3, bucket = ctx.clients.s3, bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(s3, bucket):
        return CheckResult.failed(f"There is no S3 bucket named {bucket}. Create it in {ctx.region}.")
    if buckets.public_access_block(s3, bucket) != buckets.BLOCK_ALL:
        return CheckResult.failed(f"The bucket {bucket} does not block all public access. Turn on all four Block Public "
                                  "Access settings: only CloudFront will read it, through its origin access control.")
    if missing(s3.get_bucket_website, Bucket=bucket) is not None:
        return CheckResult.failed(f"The bucket {bucket} has static website hosting on. Turn it off: CloudFront reads "
                                  "the bucket's REST endpoint with origin access control, and a website endpoint "
                                  "cannot use it.")
    keys = {item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])}
    absent = [key for key in SITE_FILES if key not in keys]
    if absent:
        return CheckResult.failed(f"The bucket {bucket} lacks {', '.join(absent)}: upload the site's files "
                                  "(keys in lower case, each folder with its index.html).")
    ctx.outputs["origin_bucket"] = bucket
    return CheckResult.passed(f"Bucket {bucket} is private (all public access blocked) and holds the site's "
                              f"{len(SITE_FILES)} files.", Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"))


# Step 2: the viewer-request CloudFront Function ---------------------------------------------

def apply_viewer_function(ctx: Context) -> None:
    name = viewer_function_name(ctx.name)
    ctx.outputs["viewer_function_arn"] = cdn.ensure_function_published(
        ctx, name=name, code=viewer_function_code(), runtime=VIEWER_FUNCTION_RUNTIME,
        comment="Edge lab: lower-case the URL, add index.html to directory paths")


def check_viewer_function(ctx: Context) -> CheckResult:
    cloudfront, name = ctx.clients.cloudfront, viewer_function_name(ctx.name)
    described = missing(cloudfront.describe_function, Name=name, Stage="DEVELOPMENT")
    if described is None:
        return CheckResult.failed(f"There is no CloudFront Function named {name}. Create it (runtime "
                                  f"{VIEWER_FUNCTION_RUNTIME}) with the URL-normalising code.")
    runtime = described["FunctionSummary"]["FunctionConfig"].get("Runtime")
    if runtime != VIEWER_FUNCTION_RUNTIME:
        return CheckResult.failed(f"The function {name} runs {runtime}; use {VIEWER_FUNCTION_RUNTIME}, the runtime "
                                  "with modern JavaScript (const, let, async) and key value stores.")
    development, _ = cdn.function_code(cloudfront, name, "DEVELOPMENT")
    if len(development or b"") > VIEWER_FUNCTION_MAX_BYTES:
        return CheckResult.failed(f"The function's code is {len(development)} bytes; CloudFront Functions take at "
                                  f"most {VIEWER_FUNCTION_MAX_BYTES} bytes (10 KB).")
    if b"handler" not in (development or b""):
        return CheckResult.failed(f"The function {name} defines no handler(event): CloudFront calls that.")
    live, _ = cdn.function_code(cloudfront, name, "LIVE")
    if live is None:
        return CheckResult.failed(f"The function {name} is not published: a distribution can only use the LIVE "
                                  "stage. Publish it.")
    if live != development:
        return CheckResult.failed(f"The function {name} has changes in DEVELOPMENT that are not published: the "
                                  "distribution runs LIVE. Test, then publish it.")
    arn = cloudfront.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    ctx.outputs["viewer_function_arn"] = arn
    return CheckResult.passed(f"CloudFront Function {name} ({VIEWER_FUNCTION_RUNTIME}, {len(live)} bytes) is "
                              "published to LIVE.", Found("cloudfront:function", name, name, arn))


# Step 3: the origin-response Lambda@Edge function -------------------------------------------

def logs_policy(account_id: str, function: str) -> dict:
    """Lambda@Edge writes its logs in the Region where it ran, to /aws/lambda/us-east-1.<name>;
    a test invocation in us-east-1 writes to /aws/lambda/<name>."""
    groups = [f"arn:aws:logs:*:{account_id}:log-group:/aws/lambda/{EDGE_REGION}.{function}",
              f"arn:aws:logs:{EDGE_REGION}:{account_id}:log-group:/aws/lambda/{function}"]
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "OwnLogsInEveryRegion", "Effect": "Allow", "Action": list(iam.LOG_ACTIONS),
        "Resource": groups + [f"{group}:*" for group in groups]}]}


def apply_edge_function(ctx: Context) -> None:
    if ctx.region != EDGE_REGION:
        raise StepBlocked(f"Lambda@Edge functions must be in {EDGE_REGION}; this run is in {ctx.region}.")
    role, function = role_name(ctx.name), function_name(ctx.name)
    role_arn = iam.ensure_execution_role(
        ctx, role=role, description="Execution role of the edge lab's Lambda@Edge function", policy_name=POLICY_NAME,
        policy=logs_policy(ctx.account_id, function), trust=edge_rules.EDGE_TRUST)
    deploy_function(ctx, function=function, folder=FOLDER / "functions" / FUNCTION_SOURCE,
                    description="Edge lab: security headers on the origin response", wanted={
                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": TIMEOUT,
                        "MemorySize": MEMORY, "Environment": {"Variables": {}}})
    ctx.outputs["edge_version_arn"] = edge_rules.ensure_published_version(ctx, function)


def check_edge_function(ctx: Context) -> CheckResult:
    role, function = role_name(ctx.name), function_name(ctx.name)
    if ctx.region != EDGE_REGION:
        return CheckResult.failed(f"This run is in {ctx.region}, but CloudFront only takes Lambda@Edge functions from "
                                  f"{EDGE_REGION} (US East, N. Virginia): build step 3 there.")
    found_role = missing(ctx.clients.iam.get_role, RoleName=role)
    if found_role is None:
        return CheckResult.failed(f"There is no IAM role named {role}. Lambda@Edge needs an execution role that both "
                                  "lambda.amazonaws.com and edgelambda.amazonaws.com may assume.")
    problem = edge_rules.trust_problem(found_role["Role"], role)
    if problem:
        return CheckResult.failed(problem)
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role is ready, but there is no Lambda function named {function}. Create it in "
                                  f"{EDGE_REGION} ({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = edge_rules.configuration_problem(config, role_arn=found_role["Role"]["Arn"], role=role)
    if problem:
        return CheckResult.failed(problem)
    version, problem = edge_rules.published_version(ctx.clients.lambda_, function, config)
    if problem:
        return CheckResult.failed(problem)
    ctx.outputs["edge_version_arn"] = version["FunctionArn"]
    log_group = f"/aws/lambda/{function}"
    viewer = edge_rules.viewer_limits_problem(config)
    limits = (f"Within the origin-response limits (at most {ORIGIN_TIMEOUT_MAX} s); " +
              (f"{viewer}." if viewer else f"it would fit a viewer trigger too (at most {VIEWER_MEMORY_MAX} MB and "
                                           f"{VIEWER_TIMEOUT_MAX} s)."))
    return CheckResult.passed(
        f"Function {function} ({RUNTIME}, {config.get('MemorySize')} MB, {config.get('Timeout')} s, no environment "
        f"variables) is in {EDGE_REGION}, runs as {role} (trusted by Lambda and Lambda@Edge), and version "
        f"{version['Version']} publishes its current code. {limits}",
        Found("iam:role", role, role, found_role["Role"]["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
    )
