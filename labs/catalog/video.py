"""The real-time video processing lab: an upload to S3 triggers a Lambda function that makes
renditions of the video for phones, tablets and TVs.

Four steps, each with an idempotent ``apply`` and a ``check`` that explains what is wrong:
the two buckets; ffmpeg for the function (a Lambda layer in an AWS account, the binary on this
machine in the local sandbox); the function with a role that may read the uploads and write
the outputs and nothing else; the trigger (S3's permission to invoke the function, and the
bucket notification for ``uploads/`` and video suffixes). The verify
(:mod:`labs.catalog.video_verify`) uploads real clips and checks what comes out.
The function is ``labs/functions/video_transcoder/app.py``.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from labs.aws import error_code, is_not_found
from labs.catalog import video_ffmpeg
from labs.catalog.fullstack import (  # the AWS helpers both labs share
    _as_list, _document, _missing, _policy_statements, _role_statements, _wait_updated,
    ensure_execution_role, wait_until,
)
from labs.lab import CheckResult, Context, Found, Lab, Names, Step, StepBlocked, code_sha256, function_zip

RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "video_transcoder"
POLICY_NAME = "transcoder-buckets"
PERMISSION_ID = "s3-invoke"
UPLOAD_PREFIX = "uploads/"
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".MP4", ".MOV")
REQUIRED_SUFFIXES = (".mp4", ".mov")
EVENTS = ("s3:ObjectCreated:*",)
# Sized for transcoding. CPU comes with memory (1,769 MB is one vCPU); new accounts start with a
# reduced memory quota, so the lab stays at 3,008 MB. 900 s is Lambda's maximum timeout.
MEMORY_MB = 3008
TIMEOUT_SECONDS = 900
EPHEMERAL_MB = 2048
MAX_RETRIES = 1  # asynchronous retries of an event whose invocation failed (Lambda's default is 2)
MAX_EVENT_AGE = 3600
MIN_MEMORY_MB, MIN_TIMEOUT_SECONDS, MIN_EPHEMERAL_MB = 2048, 300, 1024
LAYER_STAGING_KEY = ".lab/ffmpeg-layer.zip"  # in the output bucket: the zip is over the direct-upload size
PRICE_PER_GB_SECOND = 0.0000166667  # Lambda x86, us-east-1, first pricing tier
PRICE_PER_EPHEMERAL_GB_SECOND = 0.0000000309  # beyond the free 512 MB
PRICE_PER_REQUEST = 0.0000002
TRANSCODE_SECONDS_PER_VIDEO_MINUTE = 60  # about real time for the 3 renditions at this memory (see the docs)


# Names -------------------------------------------------------------------------------------

def uploads_bucket(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('uploads')}-{account_id}"


def output_bucket(names: Names, account_id: str) -> str:
    return f"{names('renditions')}-{account_id}"


def role_name(names: Names) -> str:
    return names("transcoder-role")


def function_name(names: Names) -> str:
    return names("transcoder")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    try:
        ffmpeg = str(video_ffmpeg.ffmpeg_binary())
    except Exception:  # noqa: BLE001 - the page still renders without imageio-ffmpeg
        ffmpeg = "ffmpeg"
    return {
        "REGION": region, "ACCOUNT": account_id, "UPLOADS": uploads_bucket(names, account_id),
        "OUTPUTS": output_bucket(names, account_id), "ROLE": role_name(names), "FUNCTION": function_name(names),
        "LAYER": video_ffmpeg.LAYER_NAME, "FFMPEG": ffmpeg,
    }


def cost_per_video_minute() -> float:
    """What one minute of 1080p video costs to transcode in Lambda at the lab's settings (US$)."""
    seconds = TRANSCODE_SECONDS_PER_VIDEO_MINUTE
    compute = MEMORY_MB / 1024 * seconds * PRICE_PER_GB_SECOND
    storage = (EPHEMERAL_MB - 512) / 1024 * seconds * PRICE_PER_EPHEMERAL_GB_SECOND
    return compute + storage + PRICE_PER_REQUEST


def is_local(ctx: Context) -> bool:
    """Whether this run deploys into the local sandbox (ffmpeg from this machine, no layer)."""
    target = getattr(ctx.clients, "target", None)
    return bool(target is not None and target.is_local)


def _head_bucket(s3, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True


# Step 1: the buckets -----------------------------------------------------------------------

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def apply_buckets(ctx: Context) -> None:
    s3 = ctx.clients.s3
    for bucket in (uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)):
        if not _head_bucket(s3, bucket):
            with ctx.creating("s3:bucket", bucket, bucket) as made:
                options = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
                s3.create_bucket(Bucket=bucket, **options)
                made.arn = f"arn:aws:s3:::{bucket}"
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ctx.tag_list()})
        if _public_access_block(s3, bucket) != BLOCK_ALL:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL)
    _bucket_outputs(ctx)


def _public_access_block(s3, bucket: str) -> dict:
    try:
        return s3.get_public_access_block(Bucket=bucket).get("PublicAccessBlockConfiguration", {})
    except ClientError as error:
        if error_code(error) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def _bucket_outputs(ctx: Context) -> None:
    ctx.outputs["uploads_bucket"] = uploads_bucket(ctx.name, ctx.account_id)
    ctx.outputs["output_bucket"] = output_bucket(ctx.name, ctx.account_id)


def check_buckets(ctx: Context) -> CheckResult:
    s3 = ctx.clients.s3
    found = []
    for role, bucket in (("uploads", uploads_bucket(ctx.name, ctx.account_id)),
                         ("output", output_bucket(ctx.name, ctx.account_id))):
        if not _head_bucket(s3, bucket):
            return CheckResult.failed(f"There is no {role} bucket named {bucket} in {ctx.region}. Create it: the "
                                      "function reads uploads from one bucket and writes renditions to another.")
        block = _public_access_block(s3, bucket)
        open_settings = [name for name in BLOCK_ALL if not block.get(name)]
        if open_settings:
            return CheckResult.failed(f"The {role} bucket {bucket} does not block all public access "
                                      f"({', '.join(open_settings)} off). Nobody needs public access here: the "
                                      "renditions are played through the site or presigned URLs. Turn on "
                                      "\"Block all public access\".")
        found.append(Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"))
    _bucket_outputs(ctx)
    return CheckResult.passed(f"Buckets {found[0].name} (uploads) and {found[1].name} (renditions) exist and "
                              "block all public access.", *found)


# Step 2: ffmpeg for the function -----------------------------------------------------------

def apply_ffmpeg(ctx: Context) -> None:
    if is_local(ctx):
        binary = video_ffmpeg.describe()
        ctx.outputs["ffmpeg"] = {"path": str(binary.path), "version": binary.version}
        return
    ensure_layer(ctx)


def ensure_layer(ctx: Context) -> str:
    """Publish the ffmpeg layer, or reuse a version built from the same binary; its ARN."""
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    binary = video_ffmpeg.describe()
    existing = find_layer_version(lambda_, binary)
    if existing:
        ctx.note(f"Reusing the ffmpeg layer {existing} (built from the same binary by an earlier run).")
        ctx.outputs["layer_arn"] = existing
        return existing
    bucket = output_bucket(ctx.name, ctx.account_id)
    if not _head_bucket(s3, bucket):
        raise StepBlocked(f"The output bucket {bucket} does not exist yet: do step 1 first (the layer is "
                          "uploaded through it).")
    package = video_ffmpeg.layer_zip(binary)
    ctx.note(f"Uploading the layer zip ({package.stat().st_size / 1e6:.0f} MB) to s3://{bucket}/{LAYER_STAGING_KEY}: "
             "over 50 MB, a layer must come from S3.")
    s3.upload_file(str(package), bucket, LAYER_STAGING_KEY)
    keep = bool(ctx.outputs.get("keep_layer"))
    try:
        publish = dict(LayerName=video_ffmpeg.LAYER_NAME, Description=binary.layer_description,
                       Content={"S3Bucket": bucket, "S3Key": LAYER_STAGING_KEY},
                       CompatibleRuntimes=list(video_ffmpeg.LAYER_RUNTIMES),
                       CompatibleArchitectures=list(video_ffmpeg.LAYER_ARCHITECTURES),
                       LicenseInfo="GPL-3.0-or-later (ffmpeg built with x264)")
        if keep:
            arn = lambda_.publish_layer_version(**publish)["LayerVersionArn"]
            ctx.note(f"Published {arn}; you asked to keep it after teardown (delete it with `aws lambda "
                     f"delete-layer-version`).")
        else:
            with ctx.creating("lambda:layer-version", layer_entry_name(binary)) as made:
                arn = lambda_.publish_layer_version(**publish)["LayerVersionArn"]
                made.physical_id = made.arn = arn
    finally:
        s3.delete_object(Bucket=bucket, Key=LAYER_STAGING_KEY)  # Lambda has its own copy now
    ctx.outputs["layer_arn"] = arn
    return arn


def layer_entry_name(binary) -> str:
    return f"{video_ffmpeg.LAYER_NAME} sha256:{binary.sha256[:16]}"


def find_layer_version(lambda_, binary) -> str | None:
    """The newest version of the lab's layer built from ``binary``, or None."""
    found = []
    marker = None
    while True:
        page = _missing(lambda_.list_layer_versions, LayerName=video_ffmpeg.LAYER_NAME,
                        **({"Marker": marker} if marker else {})) or {}
        found += [v for v in page.get("LayerVersions", []) if f"sha256:{binary.sha256}" in (v.get("Description") or "")]
        marker = page.get("NextMarker")
        if not marker:
            break
    return max(found, key=lambda v: v["Version"])["LayerVersionArn"] if found else None


def check_ffmpeg(ctx: Context) -> CheckResult:
    if is_local(ctx):
        try:
            binary = video_ffmpeg.describe()
        except Exception as error:  # noqa: BLE001 - missing package, or a binary that does not run
            return CheckResult.failed(f"ffmpeg does not run on this machine ({error}). The local sandbox runs the "
                                      "function here, so it needs imageio-ffmpeg's binary: pip install -r "
                                      "requirements.txt.")
        ctx.outputs["ffmpeg"] = {"path": str(binary.path), "version": binary.version}
        return CheckResult.passed(f"ffmpeg {binary.version} runs on this machine ({binary.path}); in the local "
                                  "sandbox the function uses it through FFMPEG_PATH, no layer needed.")
    binary = video_ffmpeg.describe()
    arn = find_layer_version(ctx.clients.lambda_, binary)
    if arn is None:
        return CheckResult.failed(f"There is no version of the layer {video_ffmpeg.LAYER_NAME} built from this "
                                  f"ffmpeg (its description must end with sha256:{binary.sha256[:12]}…). Publish "
                                  "the layer zip (bin/ffmpeg) from S3.")
    ctx.outputs["layer_arn"] = arn
    return CheckResult.passed(f"Layer {arn} holds ffmpeg {binary.version} at bin/ffmpeg (/opt/bin/ffmpeg in the "
                              "function).")


# Step 3: the function and its role ---------------------------------------------------------

def bucket_policy(uploads: str, outputs: str, region: str, account_id: str, function: str) -> dict:
    log_group = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{function}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadUploads", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{uploads}/{UPLOAD_PREFIX}*"},
            {"Sid": "WriteRenditions", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{outputs}/*"},
            {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [log_group, f"{log_group}:*"]},
        ],
    }


def function_environment(ctx: Context) -> dict:
    variables = {"OUTPUT_BUCKET": output_bucket(ctx.name, ctx.account_id)}
    if is_local(ctx):
        variables["FFMPEG_PATH"] = str(video_ffmpeg.ffmpeg_binary())
    return variables


def _layers(ctx: Context) -> list[str]:
    if is_local(ctx):
        return []
    arn = ctx.outputs.get("layer_arn") or find_layer_version(ctx.clients.lambda_, video_ffmpeg.describe())
    if not arn:
        raise StepBlocked(f"The ffmpeg layer {video_ffmpeg.LAYER_NAME} does not exist yet: do step 2 first.")
    return [arn]


def apply_function(ctx: Context) -> None:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    uploads, outputs = uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)
    for bucket in (uploads, outputs):
        if not _head_bucket(s3, bucket):
            raise StepBlocked(f"The bucket {bucket} does not exist yet: do step 1 first.")
    layers = _layers(ctx)
    role, function = role_name(ctx.name), function_name(ctx.name)

    role_arn = ensure_execution_role(
        ctx, role=role, description="Execution role of the video lab's transcoder", policy_name=POLICY_NAME,
        policy=bucket_policy(uploads, outputs, ctx.region, ctx.account_id, function),
    )

    package = function_zip(FUNCTION_SOURCE)
    wanted = {"Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "MemorySize": MEMORY_MB,
              "Timeout": TIMEOUT_SECONDS, "EphemeralStorage": {"Size": EPHEMERAL_MB},
              "Environment": {"Variables": function_environment(ctx)}, "Layers": layers}
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        # Lambda writes its logs to this group, creating it on the first invocation: it is ours to delete.
        with ctx.creating("logs:log-group", f"/aws/lambda/{function}", f"/aws/lambda/{function}"):
            pass
        with ctx.creating("lambda:function", function, function) as made:
            made.arn = _create_function(ctx, function, package, wanted)["FunctionArn"]
    else:
        config = current["Configuration"]
        if config.get("CodeSha256") != code_sha256(package):
            lambda_.update_function_code(FunctionName=function, ZipFile=package)
            _wait_updated(ctx, function)
        if _configuration(config) != wanted:
            lambda_.update_function_configuration(FunctionName=function, **wanted)
            _wait_updated(ctx, function)
    retries = _missing(lambda_.get_function_event_invoke_config, FunctionName=function) or {}
    if (retries.get("MaximumRetryAttempts"), retries.get("MaximumEventAgeInSeconds")) != (MAX_RETRIES, MAX_EVENT_AGE):
        lambda_.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=MAX_RETRIES,
                                                 MaximumEventAgeInSeconds=MAX_EVENT_AGE)
    wait_until(lambda: lambda_.get_function(FunctionName=function)["Configuration"].get("State", "Active") == "Active",
               f"function {function} to become Active")
    ctx.outputs["function"] = function


def _configuration(config: dict) -> dict:
    return {
        "Role": config.get("Role"), "Runtime": config.get("Runtime"), "Handler": config.get("Handler"),
        "MemorySize": config.get("MemorySize"), "Timeout": config.get("Timeout"),
        "EphemeralStorage": {"Size": (config.get("EphemeralStorage") or {}).get("Size", 512)},
        "Environment": {"Variables": (config.get("Environment") or {}).get("Variables", {})},
        "Layers": [layer["Arn"] for layer in config.get("Layers") or []],
    }


def _create_function(ctx: Context, function: str, package: bytes, wanted: dict) -> dict:
    deadline = time.monotonic() + 30
    options = {key: value for key, value in wanted.items() if not (key == "Layers" and not value)}
    while True:
        try:
            return ctx.clients.lambda_.create_function(
                FunctionName=function, Code={"ZipFile": package}, Tags=ctx.tags,
                Description="Transcoder of the video lab: uploads/ -> renditions, poster, manifest", **options)
        except ClientError as error:
            # A new IAM role takes a few seconds to reach Lambda in AWS.
            if error_code(error) == "InvalidParameterValueException" and "assume" in str(error) and time.monotonic() < deadline:
                time.sleep(1)
                continue
            raise


@dataclass
class Access:
    """What a role's policies let it do on the lab's buckets."""

    reads_uploads: bool = False
    writes_outputs: bool = False
    writes_uploads: bool = False
    broad: tuple[str, ...] = ()


def _matches(pattern: str, value: str) -> bool:
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
        actions = [action.lower() for action in _as_list(statement.get("Action", []))]
        s3_actions = [action for action in actions if action.startswith("s3:") or action == "*"]
        if not s3_actions:
            continue
        resources = _as_list(statement.get("Resource", []))
        broad += [r for r in resources if r in ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*")]

        def allows(action: str, resource: str) -> bool:
            return any(_matches(a, action.lower()) for a in s3_actions) and any(_matches(r, resource) for r in resources)

        access.reads_uploads |= allows("s3:GetObject", sample_upload)
        access.writes_outputs |= allows("s3:PutObject", sample_output)
        access.writes_uploads |= allows("s3:PutObject", sample_upload)
    access.broad = tuple(dict.fromkeys(broad))
    return access


def check_function(ctx: Context) -> CheckResult:
    iam, lambda_ = ctx.clients.iam, ctx.clients.lambda_
    uploads, outputs = uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)
    role, function = role_name(ctx.name), function_name(ctx.name)
    found_role = _missing(iam.get_role, RoleName=role)
    if found_role is None:
        return CheckResult.failed(f"There is no IAM role named {role}. The function needs an execution role that "
                                  "Lambda can assume (trusted entity: lambda.amazonaws.com).")
    trust = _document(found_role["Role"].get("AssumeRolePolicyDocument"))
    principals = [s.get("Principal", {}) for s in _as_list(trust.get("Statement", [])) if s.get("Effect") == "Allow"]
    services = {service for p in principals if isinstance(p, dict) for service in _as_list(p.get("Service", []))}
    if "lambda.amazonaws.com" not in services:
        return CheckResult.failed(f"The role {role} does not trust lambda.amazonaws.com, so Lambda cannot assume it. "
                                  "Edit its trust policy to allow sts:AssumeRole for lambda.amazonaws.com.")
    statements, managed = _role_statements(iam, role)
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
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role is ready, but there is no Lambda function named {function}. Create it "
                                  f"({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = _function_problem(ctx, config, found_role["Role"]["Arn"])
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
        Found("iam:role", role, role, found_role["Role"]["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
    )


def _function_problem(ctx: Context, config: dict, role_arn: str) -> str:
    """What is wrong with the function's configuration, in words a learner can act on; "" if nothing."""
    if config.get("Runtime") != RUNTIME:
        return f"The function runs {config.get('Runtime')}; this lab's code targets {RUNTIME}."
    if config.get("Handler") != HANDLER:
        return (f"The function's handler is {config.get('Handler')!r}: the code is app.py and its entry point "
                f"handler(), so the handler must be {HANDLER}.")
    if config.get("Role") != role_arn:
        return f"The function runs as {config.get('Role')}, not as {role_name(ctx.name)}: change its execution role."
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
    if is_local(ctx):
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


# Step 4: the trigger -----------------------------------------------------------------------

def notification_configurations(function_arn: str) -> list[dict]:
    """One configuration per suffix: a filter holds at most one prefix rule and one suffix rule."""
    return [{
        "Id": f"transcode-{suffix.lstrip('.')}",
        "LambdaFunctionArn": function_arn,
        "Events": list(EVENTS),
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX},
                                           {"Name": "suffix", "Value": suffix}]}},
    } for suffix in VIDEO_SUFFIXES]


def apply_trigger(ctx: Context) -> None:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    function = function_name(ctx.name)
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        raise StepBlocked(f"The function {function} does not exist yet: do step 3 first.")
    function_arn = current["Configuration"]["FunctionArn"]
    uploads = uploads_bucket(ctx.name, ctx.account_id)
    if not _head_bucket(s3, uploads):
        raise StepBlocked(f"The uploads bucket {uploads} does not exist yet: do step 1 first.")
    # The permission comes first: S3 checks that it may invoke the function when the
    # notification is saved, and refuses the configuration otherwise.
    if not _s3_may_invoke(_policy_statements(lambda_, function), uploads, ctx.account_id):
        if any(s.get("Sid") == PERMISSION_ID for s in _policy_statements(lambda_, function)):
            lambda_.remove_permission(FunctionName=function, StatementId=PERMISSION_ID)
        with ctx.creating("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"):
            lambda_.add_permission(FunctionName=function, StatementId=PERMISSION_ID, Action="lambda:InvokeFunction",
                                   Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{uploads}",
                                   SourceAccount=ctx.account_id)
    wanted = notification_configurations(function_arn)
    existing = s3.get_bucket_notification_configuration(Bucket=uploads)
    others = [c for c in existing.get("LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") != function_arn]
    if _ours(existing, function_arn) != _normalised(wanted):
        configuration = {key: existing[key] for key in ("TopicConfigurations", "QueueConfigurations",
                                                        "EventBridgeConfiguration") if existing.get(key)}
        configuration["LambdaFunctionConfigurations"] = others + wanted
        s3.put_bucket_notification_configuration(Bucket=uploads, NotificationConfiguration=configuration)
    ctx.outputs["trigger"] = {"prefix": UPLOAD_PREFIX, "suffixes": list(VIDEO_SUFFIXES)}


def _ours(configuration: dict, function_arn: str) -> list:
    return _normalised([c for c in configuration.get("LambdaFunctionConfigurations", [])
                        if c.get("LambdaFunctionArn") == function_arn])


def _normalised(configurations: list[dict]) -> list:
    return sorted((tuple(sorted(c.get("Events", []))), tuple(sorted(_rules(c).items())))
                  for c in configurations)


def _rules(configuration: dict) -> dict:
    rules = ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules", [])
    return {rule.get("Name", "").lower(): rule.get("Value", "") for rule in rules}


def _s3_may_invoke(statements: list[dict], uploads: str, account_id: str) -> bool:
    for statement in statements:
        principal = statement.get("Principal", {})
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else [principal]
        actions = _as_list(statement.get("Action", []))
        if statement.get("Effect") != "Allow" or "s3.amazonaws.com" not in services:
            continue
        if not {"lambda:InvokeFunction", "lambda:*"} & set(actions):
            continue
        condition = statement.get("Condition", {})
        arns = [arn for test in condition.values() for arn in _as_list(test.get("AWS:SourceArn", []))]
        if not arns or any(_matches(arn, f"arn:aws:s3:::{uploads}") for arn in arns):
            return True
    return False


def check_trigger(ctx: Context) -> CheckResult:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    function, uploads = function_name(ctx.name), uploads_bucket(ctx.name, ctx.account_id)
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The function {function} is missing: do step 3 first.")
    function_arn = current["Configuration"]["FunctionArn"]
    if not _head_bucket(s3, uploads):
        return CheckResult.failed(f"The uploads bucket {uploads} is missing: do step 1 first.")
    if not _s3_may_invoke(_policy_statements(lambda_, function), uploads, ctx.account_id):
        return CheckResult.failed(
            f"S3 has no permission to invoke {function}: its resource-based policy needs a statement allowing "
            f"s3.amazonaws.com to call lambda:InvokeFunction, with source ARN arn:aws:s3:::{uploads} and source "
            f"account {ctx.account_id}. Without it S3 refuses the notification (or, added later, its invocations "
            "fail).")
    configurations = [c for c in s3.get_bucket_notification_configuration(Bucket=uploads).get(
        "LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") == function_arn]
    if not configurations:
        return CheckResult.failed(
            f"Uploads do not trigger the function: the bucket {uploads} has no event notification that invokes "
            f"{function}. Add one for s3:ObjectCreated:* with the prefix {UPLOAD_PREFIX} and a suffix per video "
            "type (.mp4, .mov, ...).")
    prefixes = {_rules(c).get("prefix", "") for c in configurations}
    if prefixes != {UPLOAD_PREFIX}:
        shown = ", ".join(repr(p) if p else "none" for p in sorted(prefixes))
        return CheckResult.failed(
            f"The notification's prefix filter is {shown}, not {UPLOAD_PREFIX!r}. Videos are uploaded under "
            f"{UPLOAD_PREFIX}: a different prefix never fires for them, and no prefix fires for every object in "
            "the bucket. Set the prefix to exactly uploads/ (with the slash) in every configuration.")
    events = {event for c in configurations for event in c.get("Events", [])}
    if "s3:ObjectCreated:*" not in events:
        return CheckResult.failed(
            f"The notification fires on {', '.join(sorted(events))} only. Big files (the AWS CLI splits anything "
            "over 8 MB) arrive by CompleteMultipartUpload, which s3:ObjectCreated:Put misses: use "
            "s3:ObjectCreated:* (all object create events).")
    suffixes = {_rules(c).get("suffix", "") for c in configurations}
    if "" in suffixes:
        return CheckResult.failed("One configuration has no suffix filter, so every file under uploads/ (images, "
                                  "notes) would start a transcode. Add a video suffix such as .mp4.")
    missing = [suffix for suffix in REQUIRED_SUFFIXES if suffix not in suffixes]
    if missing:
        return CheckResult.failed(f"No configuration covers {', '.join(missing)}: uploads with that extension would "
                                  "be ignored. Add one configuration per suffix (a filter holds one suffix rule).")
    ctx.outputs["trigger"] = {"prefix": UPLOAD_PREFIX, "suffixes": sorted(suffixes)}
    return CheckResult.passed(
        f"Creating an object under {UPLOAD_PREFIX} in {uploads} with {', '.join(sorted(suffixes))} invokes "
        f"{function}, and S3 may invoke it (for that bucket only).",
        Found("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"),
    )


INSTRUCTIONS_DIR = Path(__file__).parent / "video_text"


def _instructions(name: str) -> str:
    return (INSTRUCTIONS_DIR / f"{name}.md").read_text()


def _cost_text() -> str:
    return (f"About US${cost_per_video_minute():.3f} per minute of 1080p video transcoded, plus S3 storage for the "
            "renditions (see \u201cWhat it costs\u201d below). The lab's own clips are seconds long: well inside the AWS "
            "Free Tier.")


def _cost_markdown() -> str:
    """The use case's cost section, computed from the settings the lab deploys."""
    seconds = TRANSCODE_SECONDS_PER_VIDEO_MINUTE
    gb = MEMORY_MB / 1024
    extra_gb = (EPHEMERAL_MB - 512) / 1024
    compute = gb * seconds * PRICE_PER_GB_SECOND
    storage = extra_gb * seconds * PRICE_PER_EPHEMERAL_GB_SECOND
    return f"""

## What it costs in your AWS account

Lambda bills memory × time. At {MEMORY_MB:,} MB the function turns a minute of 1080p video into the three
renditions in roughly a minute (on this site's 2-core machine, 5 s of 1080p takes about 4 s), so one minute of
video costs about:

| what | how much | price (us-east-1, x86) | cost |
|---|---|---|---|
| compute | {gb:.2f} GB × {seconds} s = {gb * seconds:.0f} GB-seconds | US$0.0000166667 per GB-second | US${compute:.4f} |
| `/tmp` beyond the free 512 MB | {extra_gb:.1f} GB × {seconds} s | US$0.0000000309 per GB-second | US${storage:.6f} |
| the invocation | 1 request | US$0.20 per million | US$0.0000002 |
| **total** | | | **about US${cost_per_video_minute():.3f} per minute of video** |

Storing the renditions costs S3 Standard's US$0.023 per GB-month, and downloading them to the internet is data
transfer out. The real duration of each invocation is in its CloudWatch Logs `REPORT` line (`Billed Duration`):
multiply by {gb:.2f} GB and the price to check the estimate for your videos.
"""


def _verify_checks():
    from labs.catalog import video_verify

    return video_verify.CHECKS


@dataclass(frozen=True)
class VideoLab(Lab):
    """The lab, plus what the run page shows under the steps: the renditions, playable."""

    run_panel: str = "labs/video/_renditions.html"
    verify_intro: str = "Verifying the pipeline end to end: real uploads to S3, then everything that comes out"
    verified_message: str = "Verified: uploads become playable renditions, end to end."
    verify_summary: str = ("Real uploads to S3, then what comes out: a 1080p clip with audio, a name with spaces "
                           "and accents, and a file that is not a video.")


LAB = VideoLab(
    slug="video",
    title="Real-time video processing",
    summary="Upload a video to S3 and let an event notification start a Lambda function that makes renditions "
            "for phones, tablets and TVs.",
    use_case=_instructions("use_case") + _cost_markdown(),
    services=("Amazon S3", "AWS Lambda", "Lambda layers", "AWS IAM", "Amazon CloudWatch Logs"),
    minutes=30,
    aws_cost=_cost_text(),
    diagram="labs/diagrams/video.svg",
    parts={"browser": "You (upload)", "uploads": "S3 uploads bucket", "trigger": "Event notification",
           "function": "Lambda transcoder", "role": "IAM role", "layer": "ffmpeg", "outputs": "S3 renditions bucket"},
    steps=(
        Step("buckets", "Create the two buckets", "Uploads land in one, renditions go to the other.",
             _instructions("step_buckets"), apply_buckets, check_buckets, parts=("uploads", "outputs")),
        Step("ffmpeg", "Give the function ffmpeg", "A Lambda layer with the ffmpeg binary (in the local sandbox: the "
             "binary on this machine).", _instructions("step_ffmpeg"), apply_ffmpeg, check_ffmpeg, parts=("layer",)),
        Step("function", "Deploy the transcoder function", "Sized for transcoding, with a role that may read uploads "
             "and write renditions, nothing else.", _instructions("step_function"), apply_function, check_function,
             parts=("function", "role")),
        Step("trigger", "Connect uploads to the function", "S3's permission to invoke it, and the event notification "
             "for uploads/ and video suffixes.", _instructions("step_trigger"), apply_trigger, check_trigger,
             parts=("trigger",)),
    ),
    verify=_verify_checks(),
    sam_template=Path(__file__).parent / "video.sam.yaml",
    variables=variables,
    functions=(FUNCTION_SOURCE,),
)
