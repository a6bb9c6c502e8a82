"""The video lab's step 3: the transcoder function, sized for transcoding, with a role that may
read the uploads and write the renditions and nothing else."""

import os
from dataclasses import dataclass
from pathlib import Path

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video import names
from labs.catalog.video.names import (
    EPHEMERAL_MB, FUNCTION_SOURCE, HANDLER, MAX_EVENT_AGE, MAX_RETRIES, MEMORY_MB, MIN_EPHEMERAL_MB, MIN_MEMORY_MB,
    MIN_TIMEOUT_SECONDS, POLICY_NAME, RUNTIME, TIMEOUT_SECONDS, UPLOAD_PREFIX, function_name,
    output_bucket, role_name, uploads_bucket,
)
from labs.catalog.video.steps import find_layer_version
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets, iam
from labs.toolkit.calls import as_list, matches, missing
from labs.toolkit.functions import configuration_problem, deploy_function

FOLDER = Path(__file__).parent

# Step 3: the function and its role ---------------------------------------------------------

def bucket_policy(uploads: str, outputs: str, region: str, account_id: str, function: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadUploads", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{uploads}/{UPLOAD_PREFIX}*"},
            {"Sid": "WriteRenditions", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{outputs}/*"},
            iam.logs_statement(region, account_id, function),
        ],
    }


def function_environment(ctx: Context) -> dict:
    # EPHEMERAL_MB: the function compares an upload with its configured /tmp, not the disk it runs on.
    variables = {"OUTPUT_BUCKET": output_bucket(ctx.name, ctx.account_id), "EPHEMERAL_MB": str(EPHEMERAL_MB)}
    if names.is_local(ctx):
        variables["FFMPEG_PATH"] = str(video_ffmpeg.ffmpeg_binary())
    return variables


def _layers(ctx: Context) -> list[str]:
    if names.is_local(ctx):
        return []
    arn = ctx.outputs.get("layer_arn") or find_layer_version(ctx.clients.lambda_, video_ffmpeg.describe())
    if not arn:
        raise StepBlocked(f"The ffmpeg layer {video_ffmpeg.LAYER_NAME} does not exist yet: do step 2 first.")
    return [arn]


def apply_function(ctx: Context) -> None:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    uploads, outputs = uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)
    for bucket in (uploads, outputs):
        if not buckets.exists(s3, bucket):
            raise StepBlocked(f"The bucket {bucket} does not exist yet: do step 1 first.")
    layers = _layers(ctx)
    role, function = role_name(ctx.name), function_name(ctx.name)

    role_arn = iam.ensure_execution_role(
        ctx, role=role, description="Execution role of the video lab's transcoder", policy_name=POLICY_NAME,
        policy=bucket_policy(uploads, outputs, ctx.region, ctx.account_id, function),
    )
    deploy_function(ctx, function=function, folder=FOLDER / "functions" / FUNCTION_SOURCE,
                    description="Transcoder of the video lab: uploads/ -> renditions, poster, manifest", wanted={
                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "MemorySize": MEMORY_MB,
                        "Timeout": TIMEOUT_SECONDS, "EphemeralStorage": {"Size": EPHEMERAL_MB},
                        "Environment": {"Variables": function_environment(ctx)}, "Layers": layers})
    retries = missing(lambda_.get_function_event_invoke_config, FunctionName=function) or {}
    if (retries.get("MaximumRetryAttempts"), retries.get("MaximumEventAgeInSeconds")) != (MAX_RETRIES, MAX_EVENT_AGE):
        lambda_.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=MAX_RETRIES,
                                                 MaximumEventAgeInSeconds=MAX_EVENT_AGE)
    ctx.outputs["function"] = function


@dataclass
class Access:
    """What a role's policies let it do on the lab's buckets."""

    reads_uploads: bool = False
    writes_outputs: bool = False
    writes_uploads: bool = False
    broad: tuple[str, ...] = ()


def matches(pattern: str, value: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(value, pattern)  # IAM's wildcards, * and ?, mean what they mean to fnmatch


def bucket_access(statements: list[dict], uploads: str, outputs: str) -> Access:
    access = Access()
    broad = []
    sample_upload = f"arn:aws:s3:::{uploads}/{UPLOAD_PREFIX}clip.mp4"
    sample_output = f"arn:aws:s3:::{outputs}/clip/tv-1080p.mp4"
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = [action.lower() for action in as_list(statement.get("Action", []))]
        s3_actions = [action for action in actions if action.startswith("s3:") or action == "*"]
        if not s3_actions:
            continue
        resources = as_list(statement.get("Resource", []))
        broad += [r for r in resources if r in ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*")]

        def allows(action: str, resource: str) -> bool:
            return any(matches(a, action.lower()) for a in s3_actions) and any(matches(r, resource) for r in resources)

        access.reads_uploads |= allows("s3:GetObject", sample_upload)
        access.writes_outputs |= allows("s3:PutObject", sample_output)
        access.writes_uploads |= allows("s3:PutObject", sample_upload)
    access.broad = tuple(dict.fromkeys(broad))
    return access


def check_function(ctx: Context) -> CheckResult:
    lambda_ = ctx.clients.lambda_
    uploads, outputs = uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)
    role, function = role_name(ctx.name), function_name(ctx.name)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    statements, managed = iam.role_statements(ctx.clients.iam, role)
    access = bucket_access(statements, uploads, outputs)
    too_much = list(access.broad) + [name for name in managed if "S3FullAccess" in name]
    if too_much:
        return CheckResult.failed(f"The role grants S3 access beyond the lab's two buckets ({', '.join(too_much)}). "
                                  f"Scope it to reading arn:aws:s3:::{uploads}/{UPLOAD_PREFIX}* and writing "
                                  f"arn:aws:s3:::{outputs}/*: least privilege.")
    if access.writes_uploads:
        return CheckResult.failed(f"The role may write to the uploads bucket {uploads}. A function that can write "
                                  "where its trigger listens can invoke itself in a loop; it only needs to read "
                                  "there. Remove s3:PutObject on the uploads bucket.")
    if not access.reads_uploads:
        return CheckResult.failed(f"The role {role} cannot read the uploads: the function would get AccessDenied "
                                  f"downloading them. Allow s3:GetObject on arn:aws:s3:::{uploads}/{UPLOAD_PREFIX}*.")
    if not access.writes_outputs:
        return CheckResult.failed(f"The role {role} cannot write the output bucket {outputs}: the function would "
                                  "transcode, then get AccessDenied saving the renditions (and S3 would retry the "
                                  f"event). Allow s3:PutObject on arn:aws:s3:::{outputs}/*.")
    current = missing(lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role is ready, but there is no Lambda function named {function}. Create it "
                                  f"({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = _function_problem(ctx, config, found_role["Arn"])
    if problem:
        return CheckResult.failed(problem)
    if config.get("State", "Active") != "Active":
        return CheckResult.failed(f"The function is {config.get('State')}, not Active yet: check again in a moment.")
    ctx.outputs["function"] = function
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"Function {function} ({RUNTIME}, {config.get('MemorySize')} MB, {config.get('Timeout')} s, "
        f"{(config.get('EphemeralStorage') or {}).get('Size', 512)} MB of /tmp) is Active and runs as {role}, "
        f"which may read {UPLOAD_PREFIX} in {uploads} and write {outputs}, nothing else.",
        Found("iam:role", role, role, found_role["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
    )


def _function_problem(ctx: Context, config: dict, role_arn: str) -> str:
    """What is wrong with the function's configuration, in words a learner can act on; "" if nothing."""
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=role_arn,
                                    role=role_name(ctx.name), environment={})
    if problem:
        return problem
    memory = config.get("MemorySize") or 128
    if memory < MIN_MEMORY_MB:
        return (f"The function has {memory} MB of memory. Lambda gives CPU in proportion to memory (1,769 MB is one "
                f"vCPU), and ffmpeg needs CPU: at {memory} MB a minute of 1080p video would take many minutes. Set "
                f"{MEMORY_MB} MB.")
    timeout = config.get("Timeout") or 3
    if timeout < MIN_TIMEOUT_SECONDS:
        return (f"The function times out after {timeout} s: a long video would be cut off mid-transcode. Set "
                f"{TIMEOUT_SECONDS} s, Lambda's maximum.")
    ephemeral = (config.get("EphemeralStorage") or {}).get("Size", 512)
    if ephemeral < MIN_EPHEMERAL_MB:
        return (f"The function has {ephemeral} MB of /tmp, where the upload and its renditions are written: a "
                f"video over about {ephemeral // 2} MB would not fit. Set its ephemeral storage to {EPHEMERAL_MB} MB.")
    env = (config.get("Environment") or {}).get("Variables", {})
    expected = output_bucket(ctx.name, ctx.account_id)
    if env.get("OUTPUT_BUCKET") != expected:
        return f"The function's environment variable OUTPUT_BUCKET is {env.get('OUTPUT_BUCKET')!r}; set it to {expected!r}."
    if names.is_local(ctx):
        path = env.get("FFMPEG_PATH", "")
        if not (path and os.path.isfile(path) and os.access(path, os.X_OK)):
            return (f"In the local sandbox the function runs on this machine and finds ffmpeg through FFMPEG_PATH, "
                    f"which is {path!r}. Set it to {video_ffmpeg.ffmpeg_binary()}.")
    else:
        layers = [layer["Arn"] for layer in config.get("Layers") or []]
        if not any(f":layer:{video_ffmpeg.LAYER_NAME}:" in arn for arn in layers):
            return (f"The function has no ffmpeg: attach the layer {video_ffmpeg.LAYER_NAME} from step 2, which "
                    "puts it at /opt/bin/ffmpeg.")
    return ""

