"""Step 4: the CloudFront distribution in front of the private bucket (origin access control and
the bucket policy that lets only this distribution read), with the viewer-request CloudFront
Function and the origin-response Lambda@Edge version associated with its default behaviour."""

import json

from labs.catalog.edge import edge_rules
from labs.catalog.edge.names import (
    CACHE_POLICY_ID, ORIGIN_ID, bucket_name, distribution_comment, function_name, oac_name, viewer_function_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets
from labs.toolkit import cloudfront as cdn
from labs.toolkit.calls import as_list, missing


def origin_domain(bucket: str, region: str) -> str:
    """The bucket's REST endpoint: origin access control signs requests to it (a website endpoint cannot)."""
    return f"{bucket}.s3.{region}.amazonaws.com"


def bucket_policy(bucket: str, distribution_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowThisDistributionOnly", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}}]}


def wanted_parts(ctx: Context, oac_id: str, viewer_arn: str, version_arn: str) -> dict:
    bucket = bucket_name(ctx.name, ctx.account_id)
    return {
        "Origins": {"Quantity": 1, "Items": [{
            "Id": ORIGIN_ID, "DomainName": origin_domain(bucket, ctx.region), "OriginPath": "",
            "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": oac_id,
            "CustomHeaders": {"Quantity": 0}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": ORIGIN_ID, "ViewerProtocolPolicy": "redirect-to-https", "Compress": True,
            "CachePolicyId": CACHE_POLICY_ID,
            "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
            "FunctionAssociations": {"Quantity": 1, "Items": [
                {"EventType": "viewer-request", "FunctionARN": viewer_arn}]},
            "LambdaFunctionAssociations": {"Quantity": 1, "Items": [
                {"EventType": "origin-response", "LambdaFunctionARN": version_arn, "IncludeBody": False}]}},
        "DefaultRootObject": "index.html", "Enabled": True, "PriceClass": "PriceClass_100",
    }


def _summary(config: dict) -> tuple:
    """What the lab compares to decide whether the distribution needs an update (each one redeploys it)."""
    origin = (config.get("Origins", {}).get("Items") or [{}])[0]
    behaviour = config.get("DefaultCacheBehavior", {})
    functions = {a["EventType"]: a["FunctionARN"] for a in behaviour.get("FunctionAssociations", {}).get("Items") or []}
    lambdas = {a["EventType"]: a["LambdaFunctionARN"]
               for a in behaviour.get("LambdaFunctionAssociations", {}).get("Items") or []}
    return (origin.get("DomainName"), origin.get("OriginAccessControlId"), behaviour.get("ViewerProtocolPolicy"),
            functions, lambdas, config.get("DefaultRootObject"), config.get("Enabled"))


def _prerequisites(ctx: Context) -> tuple[str, str]:
    cloudfront = ctx.clients.cloudfront
    bucket = bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(ctx.clients.s3, bucket):
        raise StepBlocked(f"The bucket {bucket} does not exist yet: do step 1 first.")
    live = missing(cloudfront.describe_function, Name=viewer_function_name(ctx.name), Stage="LIVE")
    if live is None:
        raise StepBlocked(f"The CloudFront Function {viewer_function_name(ctx.name)} is not published yet: do step 2 first.")
    latest = missing(ctx.clients.lambda_.get_function, FunctionName=function_name(ctx.name))
    version, _ = edge_rules.published_version(ctx.clients.lambda_, function_name(ctx.name), latest["Configuration"]) \
        if latest else (None, "")
    if version is None:
        raise StepBlocked(f"The Lambda@Edge function {function_name(ctx.name)} has no published version yet: do step 3 first.")
    return live["FunctionSummary"]["FunctionMetadata"]["FunctionARN"], version["FunctionArn"]


def apply_distribution(ctx: Context) -> None:
    cloudfront = ctx.clients.cloudfront
    viewer_arn, version_arn = _prerequisites(ctx)
    oac_id = cdn.ensure_oac(ctx, oac_name(ctx.name), "Edge lab: CloudFront signs its requests to the private bucket")
    parts = wanted_parts(ctx, oac_id, viewer_arn, version_arn)
    comment = distribution_comment(ctx.name)
    found = cdn.find_distribution(cloudfront, comment)
    if found is None:
        config = {"CallerReference": comment, "Comment": comment, **parts}
        with ctx.creating("cloudfront:distribution", comment) as made:
            created = cloudfront.create_distribution_with_tags(DistributionConfigWithTags={
                "DistributionConfig": config, "Tags": {"Items": ctx.tag_list()}})["Distribution"]
            made.physical_id, made.arn = created["Id"], created["ARN"]
        distribution_id, arn = created["Id"], created["ARN"]
    else:
        distribution_id, arn = found["Id"], found["ARN"]
        got = cloudfront.get_distribution_config(Id=distribution_id)
        if _summary(got["DistributionConfig"]) != _summary(parts):
            config = {**got["DistributionConfig"], **parts}
            cloudfront.update_distribution(Id=distribution_id, IfMatch=got["ETag"], DistributionConfig=config)
    bucket = bucket_name(ctx.name, ctx.account_id)
    ctx.clients.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket, arn)))
    _outputs(ctx, cloudfront.get_distribution(Id=distribution_id)["Distribution"])


def _outputs(ctx: Context, distribution: dict) -> None:
    ctx.outputs.update({"distribution_id": distribution["Id"], "domain": distribution["DomainName"],
                        "distribution_url": f"https://{distribution['DomainName']}/"})


def policy_problem(s3, bucket: str, distribution_arn: str) -> str:
    got = missing(s3.get_bucket_policy, Bucket=bucket)
    statements = as_list(json.loads(got["Policy"]).get("Statement", [])) if got else []
    for statement in statements:
        principal = statement.get("Principal")
        if statement.get("Effect") == "Allow" and (principal == "*" or (isinstance(principal, dict)
                                                                           and "*" in as_list(principal.get("AWS", [])))):
            return f"The bucket policy of {bucket} lets anyone read it: remove that statement; only CloudFront may."
    for statement in statements:
        services = as_list((statement.get("Principal") or {}).get("Service", [])) \
            if isinstance(statement.get("Principal"), dict) else []
        arns = [a for test in (statement.get("Condition") or {}).values() for a in as_list(test.get("AWS:SourceArn", []))]
        if (statement.get("Effect") == "Allow" and "cloudfront.amazonaws.com" in services
                and "s3:GetObject" in as_list(statement.get("Action", [])) and distribution_arn in arns):
            return ""
    return (f"The bucket policy of {bucket} does not let this distribution read it, so CloudFront gets 403 from S3. "
            f"Allow s3:GetObject on arn:aws:s3:::{bucket}/* to the service principal cloudfront.amazonaws.com with "
            f"the condition AWS:SourceArn = {distribution_arn}.")


def check_distribution(ctx: Context) -> CheckResult:
    cloudfront, comment = ctx.clients.cloudfront, distribution_comment(ctx.name)
    found = cdn.find_distribution(cloudfront, comment)
    if found is None:
        return CheckResult.failed(f"There is no CloudFront distribution with the comment {comment}. Create one in front "
                                  "of the bucket (do steps 1 to 3 first).")
    got = cloudfront.get_distribution_config(Id=found["Id"])
    config = got["DistributionConfig"]
    if not config.get("Enabled"):
        return CheckResult.failed(f"The distribution {found['Id']} is disabled: enable it.")
    bucket = bucket_name(ctx.name, ctx.account_id)
    origin = (config.get("Origins", {}).get("Items") or [{}])[0]
    if "s3-website" in origin.get("DomainName", "") or not origin.get("DomainName", "").startswith(f"{bucket}.s3."):
        return CheckResult.failed(f"The origin is {origin.get('DomainName')!r}; use the bucket's REST endpoint "
                                  f"{origin_domain(bucket, ctx.region)} (origin access control cannot sign requests "
                                  "to a website endpoint).")
    oac = cdn.find_oac(cloudfront, oac_name(ctx.name))
    if oac is None or origin.get("OriginAccessControlId") != oac["Id"]:
        return CheckResult.failed(f"The origin has no origin access control {oac_name(ctx.name)}: create one (S3, "
                                  "sign always, SigV4) and attach it, so CloudFront signs its requests to the bucket.")
    behaviour = config.get("DefaultCacheBehavior", {})
    if behaviour.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
        return CheckResult.failed("Viewers may use plain HTTP: set the viewer protocol policy to redirect-to-https "
                                  "(the HSTS header the function adds only makes sense over HTTPS).")
    viewer = {a["EventType"]: a["FunctionARN"] for a in behaviour.get("FunctionAssociations", {}).get("Items") or []}
    live = missing(cloudfront.describe_function, Name=viewer_function_name(ctx.name), Stage="LIVE")
    live_arn = live["FunctionSummary"]["FunctionMetadata"]["FunctionARN"] if live else "(not published)"
    if viewer.get("viewer-request") != live_arn:
        return CheckResult.failed(f"The default behaviour runs {viewer.get('viewer-request') or 'no function'} on viewer "
                                  f"request; associate the CloudFront Function {viewer_function_name(ctx.name)} there.")
    lambdas = {a["EventType"]: a["LambdaFunctionARN"]
               for a in behaviour.get("LambdaFunctionAssociations", {}).get("Items") or []}
    latest = missing(ctx.clients.lambda_.get_function, FunctionName=function_name(ctx.name))
    version, problem = edge_rules.published_version(ctx.clients.lambda_, function_name(ctx.name),
                                                    latest["Configuration"]) if latest else (None, "")
    if version is None:
        return CheckResult.failed(problem or f"The function {function_name(ctx.name)} is missing: do step 3 first.")
    problem = edge_rules.association_problem(lambdas.get("origin-response", ""), function_name(ctx.name),
                                             version["FunctionArn"])
    if problem:
        return CheckResult.failed(problem)
    problem = policy_problem(ctx.clients.s3, bucket, found["ARN"])
    if problem:
        return CheckResult.failed(problem)
    distribution = cloudfront.get_distribution(Id=found["Id"])["Distribution"]
    _outputs(ctx, distribution)
    return CheckResult.passed(
        f"Distribution {found['Id']} ({distribution['DomainName']}, {distribution['Status']}) serves the private "
        f"bucket through {oac_name(ctx.name)}, runs {viewer_function_name(ctx.name)} on viewer request and version "
        f"{version['Version']} of {function_name(ctx.name)} on origin response; only it may read the bucket.",
        Found("cloudfront:distribution", comment, found["Id"], found["ARN"]),
        Found("cloudfront:origin-access-control", oac_name(ctx.name), oac["Id"]),
    )
