"""The rules CloudFront holds a Lambda@Edge function to, as checks: US East (N. Virginia), a
role both Lambda and Lambda@Edge may assume, no environment variables, layers or VPC, the
origin-event limits, and a numbered version (never $LATEST or an alias) in the association.

Sources: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
and the quotas, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-lambda-at-edge
"""

from labs.catalog.edge.names import (
    EDGE_REGION, EDGE_TRUST_SERVICES, HANDLER, ORIGIN_TIMEOUT_MAX, RUNTIME, VIEWER_MEMORY_MAX, VIEWER_TIMEOUT_MAX,
)
from labs.engine.lab import Context
from labs.toolkit.calls import as_list, document
from labs.toolkit.functions import wait_updated

EDGE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": list(EDGE_TRUST_SERVICES)}, "Action": "sts:AssumeRole"}],
}


def trusted_services(role: dict) -> set[str]:
    trust = document(role.get("AssumeRolePolicyDocument"))
    principals = [s.get("Principal", {}) for s in as_list(trust.get("Statement", [])) if s.get("Effect") == "Allow"]
    return {service for p in principals if isinstance(p, dict) for service in as_list(p.get("Service", []))}


def trust_problem(role: dict, name: str) -> str:
    absent = [service for service in EDGE_TRUST_SERVICES if service not in trusted_services(role)]
    if not absent:
        return ""
    return (f"The role {name} is not trusted by {' and '.join(absent)}. A Lambda@Edge role must let both "
            "lambda.amazonaws.com and edgelambda.amazonaws.com assume it: CloudFront runs the replicas as "
            "edgelambda. Edit its trust policy.")


def configuration_problem(config: dict, *, role_arn: str, role: str) -> str:
    """What CloudFront would refuse (or the lab's code cannot run with), in words a learner can act on."""
    arn = config.get("FunctionArn", "")
    if f":{EDGE_REGION}:" not in arn:
        return f"The function is not in {EDGE_REGION}: CloudFront takes Lambda@Edge functions from there only."
    if config.get("Runtime") != RUNTIME:
        return f"The function runs {config.get('Runtime')}; this lab's code targets {RUNTIME}."
    if config.get("Handler") != HANDLER:
        return (f"The function's handler is {config.get('Handler')!r}: the code is app.py and its entry point "
                f"handler(), so the handler must be {HANDLER}.")
    if config.get("Role") != role_arn:
        return f"The function runs as {config.get('Role')}, not as {role}: change its execution role."
    variables = (config.get("Environment") or {}).get("Variables") or {}
    if variables:
        return (f"The function has environment variables ({', '.join(sorted(variables))}): Lambda@Edge does not "
                "support them, and CloudFront refuses to associate a version that has any. Put the values in the "
                "code and remove the variables.")
    if config.get("Layers"):
        return "The function uses layers: Lambda@Edge does not support them. Bundle what you need in the package."
    if (config.get("VpcConfig") or {}).get("SubnetIds"):
        return "The function is attached to a VPC: Lambda@Edge cannot reach into one. Remove the VPC configuration."
    if (config.get("Timeout") or 3) > ORIGIN_TIMEOUT_MAX:
        return (f"The timeout is {config.get('Timeout')} s: an origin-response function may run at most "
                f"{ORIGIN_TIMEOUT_MAX} s (a viewer one {VIEWER_TIMEOUT_MAX} s). Lower it.")
    return ""


def viewer_limits_problem(config: dict) -> str:
    """The stricter limits had the function been associated with a viewer event (the exam's favourite)."""
    if (config.get("MemorySize") or 128) > VIEWER_MEMORY_MAX or (config.get("Timeout") or 3) > VIEWER_TIMEOUT_MAX:
        return (f"with {config.get('MemorySize')} MB and {config.get('Timeout')} s it could not serve a viewer event "
                f"(at most {VIEWER_MEMORY_MAX} MB and {VIEWER_TIMEOUT_MAX} s)")
    return ""


def versions(lambda_, function: str) -> list[dict]:
    found = []
    for page in lambda_.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        found += [v for v in page.get("Versions", []) if v.get("Version", "$LATEST") != "$LATEST"]
    return sorted(found, key=lambda v: int(v["Version"]))


def published_version(lambda_, function: str, latest: dict) -> tuple[dict | None, str]:
    """(the newest numbered version holding $LATEST's code and no environment variables, or the problem)."""
    numbered = versions(lambda_, function)
    if not numbered:
        return None, (f"The function {function} has no published version. CloudFront associates a numbered version "
                      "(arn:...:function:NAME:1), never $LATEST or an alias: publish one.")
    current = [v for v in numbered if v.get("CodeSha256") == latest.get("CodeSha256")
               and not (v.get("Environment") or {}).get("Variables")]
    if not current:
        return None, (f"The function's latest version ({numbered[-1]['Version']}) does not hold its current code (or "
                      "has environment variables). Publish a new version: a version is an immutable snapshot.")
    return current[-1], ""


def ensure_published_version(ctx: Context, function: str) -> str:
    """The ARN of a numbered version with the current code, published when there is none."""
    lambda_ = ctx.clients.lambda_
    latest = lambda_.get_function(FunctionName=function)["Configuration"]
    version, _ = published_version(lambda_, function, latest)
    if version is None:
        wait_updated(ctx, function)
        version = lambda_.publish_version(FunctionName=function, Description="Associated with the edge lab's "
                                          "distribution (origin response)")
    return version["FunctionArn"]


def association_problem(arn: str, function: str, version_arn: str) -> str:
    """What is wrong with the Lambda@Edge association's ARN."""
    base, _, qualifier = arn.rpartition(":")
    if not arn or f":function:{function}" not in arn:
        return (f"The origin-response association points at {arn or 'nothing'}, not at {function}. Associate a "
                f"numbered version of {function}.")
    if base.endswith(":function") or qualifier == function:
        return (f"The origin-response association uses the unqualified ARN {arn}: CloudFront needs a numbered "
                "version (…:function:NAME:N), not $LATEST.")
    if qualifier == "$LATEST":
        return "The origin-response association uses $LATEST: CloudFront needs a numbered version, never $LATEST."
    if not qualifier.isdigit():
        return (f"The origin-response association uses {qualifier!r}, an alias: CloudFront needs a numbered "
                "version, not an alias.")
    if arn != version_arn:
        return (f"The origin-response association uses version {qualifier}, but the function's current code is "
                f"version {version_arn.rsplit(':', 1)[-1]}: point the distribution at the new version.")
    return ""
