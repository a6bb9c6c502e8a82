"""S3 buckets: made once and tagged, public access blocked or opened for a website, website
hosting with the lab's site files, and Lambda notifications (with their filters)."""

import json
import mimetypes
from pathlib import Path

from botocore.exceptions import ClientError

from labs.aws import error_code, is_not_found
from labs.engine.lab import Context
from labs.toolkit.calls import as_list, missing

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
WEBSITE_ACCESS = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


def exists(s3, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True


def ensure_bucket(ctx: Context, bucket: str) -> None:
    """Create ``bucket`` in the run's region (recorded first) and tag it, unless it exists."""
    s3 = ctx.clients.s3
    if exists(s3, bucket):
        return
    with ctx.creating("s3:bucket", bucket, bucket) as made:
        options = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
        s3.create_bucket(Bucket=bucket, **options)
        made.arn = f"arn:aws:s3:::{bucket}"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ctx.tag_list()})


def public_access_block(s3, bucket: str) -> dict:
    try:
        return s3.get_public_access_block(Bucket=bucket).get("PublicAccessBlockConfiguration", {})
    except ClientError as error:
        if error_code(error) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def ensure_private(ctx: Context, bucket: str) -> None:
    if public_access_block(ctx.clients.s3, bucket) != BLOCK_ALL:
        ctx.clients.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL)


# A website ---------------------------------------------------------------------------------

def public_read_policy(bucket: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicReadForWebsite", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}


def content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    return kind


def site_files(folder: Path, names: tuple[str, ...]) -> list[tuple[str, bytes, str]]:
    """(key, body, content type) of each of a lab's site files."""
    return [(name, (folder / name).read_bytes(), content_type(name)) for name in names]


def ensure_website(ctx: Context, bucket: str, files: list[tuple[str, bytes, str]], index: str = "index.html") -> str:
    """Public-read website hosting on ``bucket`` serving ``files``; returns the website's URL."""
    s3 = ctx.clients.s3
    ensure_bucket(ctx, bucket)
    # New buckets block public access; a website bucket must let everyone read its objects.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=WEBSITE_ACCESS)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": index},
                                                               "ErrorDocument": {"Key": index}})
    for key, body, kind in files:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind, CacheControl="no-cache")
    return f"http://{bucket}.s3-website-{ctx.region}.amazonaws.com/"


def website_problem(s3, bucket: str, keys: tuple[str, ...], index: str = "index.html") -> str:
    """What keeps ``bucket`` from serving a public website of ``keys``; "" if nothing."""
    website = missing(s3.get_bucket_website, Bucket=bucket)
    if website is None:
        return f"Static website hosting is off for {bucket}. Turn it on with {index} as the index document."
    suffix = website.get("IndexDocument", {}).get("Suffix")
    if suffix != index:
        return f"The website's index document is {suffix!r}; set it to {index}."
    for key in keys:
        head = missing(s3.head_object, Bucket=bucket, Key=key)
        if head is None:
            listed = ", ".join(keys[:-1]) + f" and {keys[-1]}" if len(keys) > 1 else keys[0]
            return f"{key} is not in the bucket. Upload the lab's website files: {listed}."
        expected = (mimetypes.guess_type(key)[0] or "").split("/")[-1]
        if expected and expected not in head.get("ContentType", ""):
            return (f"{key} is stored as {head.get('ContentType')!r}, so browsers will not use it as {expected}. "
                    f"Upload it again with Content-Type {mimetypes.guess_type(key)[0]}.")
    policy = missing(s3.get_bucket_policy, Bucket=bucket)
    statements = as_list(json.loads(policy["Policy"]).get("Statement", [])) if policy else []
    if not any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
               and "s3:GetObject" in as_list(s.get("Action", [])) for s in statements):
        return (f"The bucket is not readable by everyone, so its website answers 403 Forbidden. Add a bucket policy "
                f"allowing s3:GetObject on arn:aws:s3:::{bucket}/* to Principal \"*\".")
    return ""


# Lambda notifications ----------------------------------------------------------------------

def lambda_notifications(function_arn: str, events: tuple[str, ...], prefix: str, suffixes: tuple[str, ...],
                         name: str) -> list[dict]:
    """One configuration per suffix: a filter holds at most one prefix rule and one suffix rule."""
    return [{
        "Id": f"{name}-{suffix.lstrip('.')}",
        "LambdaFunctionArn": function_arn,
        "Events": list(events),
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]}},
    } for suffix in suffixes]


def rules(configuration: dict) -> dict:
    found = ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules", [])
    return {rule.get("Name", "").lower(): rule.get("Value", "") for rule in found}


def _normalised(configurations: list[dict]) -> list:
    return sorted((tuple(sorted(c.get("Events", []))), tuple(sorted(rules(c).items()))) for c in configurations)


def notifications_for(s3, bucket: str, function_arn: str) -> list[dict]:
    """The bucket's Lambda notifications that invoke ``function_arn``."""
    configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
    return [c for c in configuration.get("LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") == function_arn]


def ensure_lambda_notifications(ctx: Context, bucket: str, function_arn: str, wanted: list[dict]) -> None:
    """Make ``wanted`` the bucket's notifications for this function, keeping everything else."""
    s3 = ctx.clients.s3
    existing = s3.get_bucket_notification_configuration(Bucket=bucket)
    ours = [c for c in existing.get("LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") == function_arn]
    if _normalised(ours) == _normalised(wanted):
        return
    others = [c for c in existing.get("LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") != function_arn]
    configuration = {key: existing[key] for key in ("TopicConfigurations", "QueueConfigurations",
                                                    "EventBridgeConfiguration") if existing.get(key)}
    configuration["LambdaFunctionConfigurations"] = others + wanted
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
