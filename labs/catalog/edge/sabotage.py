"""Mistakes a learner makes in the edge lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.edge.names import bucket_name, distribution_comment, function_name, role_name, viewer_function_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit import cloudfront as cdn
from labs.toolkit.functions import wait_updated

PASS_THROUGH = b"function handler(event) {\n    return event.request;\n}\n"


def lambda_only_trust(ctx: Context) -> None:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    ctx.clients.iam.update_assume_role_policy(RoleName=role_name(ctx.name), PolicyDocument=json.dumps(trust))


def environment_variables(ctx: Context) -> None:
    ctx.clients.lambda_.update_function_configuration(FunctionName=function_name(ctx.name),
                                                      Environment={"Variables": {"HSTS_MAX_AGE": "63072000"}})
    wait_updated(ctx, function_name(ctx.name))


def associate_latest(ctx: Context) -> None:
    cloudfront = ctx.clients.cloudfront
    found = cdn.find_distribution(cloudfront, distribution_comment(ctx.name))
    got = cloudfront.get_distribution_config(Id=found["Id"])
    config = got["DistributionConfig"]
    unqualified = ctx.clients.lambda_.get_function(FunctionName=function_name(ctx.name))["Configuration"]["FunctionArn"]
    config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]["Items"][0]["LambdaFunctionARN"] = f"{unqualified}:$LATEST"
    cloudfront.update_distribution(Id=found["Id"], IfMatch=got["ETag"], DistributionConfig=config)


def no_bucket_policy(ctx: Context) -> None:
    ctx.clients.s3.delete_bucket_policy(Bucket=bucket_name(ctx.name, ctx.account_id))


def pass_through_function(ctx: Context) -> None:
    """A function that changes nothing, published: every check of the configuration passes."""
    cloudfront, name = ctx.clients.cloudfront, viewer_function_name(ctx.name)
    etag = cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"]
    described = cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["FunctionSummary"]["FunctionConfig"]
    cloudfront.update_function(Name=name, IfMatch=etag, FunctionCode=PASS_THROUGH,
                               FunctionConfig={"Comment": described.get("Comment", ""), "Runtime": described["Runtime"]})
    # Read the new ETag back (MiniStack 1.5.33's UpdateFunction answer carries none).
    cloudfront.publish_function(Name=name, IfMatch=cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"])


CASES = (
    Sabotage("lambda-only-trust", "The role trusts lambda.amazonaws.com only, not edgelambda.amazonaws.com",
             lambda_only_trust, (("edge-function", "not trusted by edgelambda.amazonaws.com"),)),
    Sabotage("environment-variables", "The Lambda@Edge function gets an environment variable", environment_variables,
             (("edge-function", "Lambda@Edge does not support them"),)),
    Sabotage("associate-latest", "The distribution associates $LATEST instead of a numbered version", associate_latest,
             (("distribution", "never $LATEST"),)),
    # The check reads the policy; the verify proves it: MiniStack evaluates the bucket policy for the OAC-signed
    # origin request, so the page answers 403.
    Sabotage("no-bucket-policy", "The bucket policy that lets the distribution read is gone", no_bucket_policy,
             (("distribution", "does not let this distribution read it"), ("verify:home", "403"))),
    # Only the behaviour shows this one: MiniStack runs the published JavaScript on every viewer request.
    Sabotage("pass-through-function", "A published viewer function that rewrites nothing", pass_through_function,
             (("verify:rewrite", "GET /Docs answered 403"),)),
)
