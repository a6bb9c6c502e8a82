"""Mistakes a learner makes in the video lab, and what the grader must say about each (run by
tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.video import function_step
from labs.catalog.video.names import POLICY_NAME, function_name, output_bucket, role_name, uploads_bucket
from labs.engine.lab import Context, Sabotage
from labs.toolkit import buckets
from labs.toolkit.functions import wait_updated


def drop_read_uploads(ctx: Context) -> None:
    uploads, outputs = uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)
    policy = function_step.bucket_policy(uploads, outputs, ctx.region, ctx.account_id, function_name(ctx.name))
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "ReadUploads"]
    ctx.clients.iam.put_role_policy(RoleName=role_name(ctx.name), PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))


def _configure(ctx: Context, **settings) -> None:
    ctx.clients.lambda_.update_function_configuration(FunctionName=function_name(ctx.name), **settings)
    wait_updated(ctx, function_name(ctx.name))


def wrong_handler(ctx: Context) -> None:
    _configure(ctx, Handler="lambda_function.lambda_handler")


def missing_output_bucket(ctx: Context) -> None:
    variables = dict(function_step.function_environment(ctx))
    del variables["OUTPUT_BUCKET"]
    _configure(ctx, Environment={"Variables": variables})


def wrong_prefix(ctx: Context) -> None:
    function_arn = ctx.clients.lambda_.get_function(FunctionName=function_name(ctx.name))["Configuration"]["FunctionArn"]
    wanted = buckets.lambda_notifications(function_arn, ("s3:ObjectCreated:*",), "upload/", (".mp4", ".mov"), "transcode")
    ctx.clients.s3.put_bucket_notification_configuration(
        Bucket=uploads_bucket(ctx.name, ctx.account_id),
        NotificationConfiguration={"LambdaFunctionConfigurations": wanted})


CASES = (
    Sabotage("drop-read-uploads", "The execution role loses s3:GetObject on the uploads", drop_read_uploads,
             # The check reads the policy; the verify proves it: the function, running as its role in
             # the sandbox (MiniStack AUTH=true), is refused the upload.
             (("function", "cannot read the uploads"), ("verify:upload", "403"))),
    Sabotage("wrong-handler", "The handler is the console's default, not app.handler", wrong_handler,
             (("function", "so the handler must be app.handler"),)),
    Sabotage("missing-environment", "The function has no OUTPUT_BUCKET", missing_output_bucket,
             (("function", "environment variable OUTPUT_BUCKET is None"),)),
    Sabotage("wrong-event-prefix", "The notification listens under upload/ (no s)", wrong_prefix,
             (("trigger", "prefix filter is 'upload/', not 'uploads/'"),)),
)
