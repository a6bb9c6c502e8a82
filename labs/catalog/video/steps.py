"""The video lab's steps 1, 2 and 4: the two buckets, ffmpeg for the function, and the trigger
(S3's permission to invoke the function and the bucket notification for ``uploads/`` and video
suffixes). Step 3, the function and its role, is :mod:`labs.catalog.video.function_step`."""

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.catalog.video import names
from labs.catalog.video.names import (
    EVENTS, LAYER_STAGING_KEY, PERMISSION_ID, REQUIRED_SUFFIXES, UPLOAD_PREFIX, VIDEO_SUFFIXES, function_name,
    output_bucket, uploads_bucket,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets
from labs.toolkit.calls import missing
from labs.toolkit.functions import ensure_invoke_permission, policy_statements, service_may_invoke

# Step 1: the buckets -----------------------------------------------------------------------

def apply_buckets(ctx: Context) -> None:
    for bucket in (uploads_bucket(ctx.name, ctx.account_id), output_bucket(ctx.name, ctx.account_id)):
        buckets.ensure_bucket(ctx, bucket)
        buckets.ensure_private(ctx, bucket)
    _bucket_outputs(ctx)


def _bucket_outputs(ctx: Context) -> None:
    ctx.outputs["uploads_bucket"] = uploads_bucket(ctx.name, ctx.account_id)
    ctx.outputs["output_bucket"] = output_bucket(ctx.name, ctx.account_id)


def check_buckets(ctx: Context) -> CheckResult:
    s3 = ctx.clients.s3
    found = []
    for role, bucket in (("uploads", uploads_bucket(ctx.name, ctx.account_id)),
                         ("output", output_bucket(ctx.name, ctx.account_id))):
        if not buckets.exists(s3, bucket):
            return CheckResult.failed(f"There is no {role} bucket named {bucket} in {ctx.region}. Create it: the "
                                      "function reads uploads from one bucket and writes renditions to another.")
        block = buckets.public_access_block(s3, bucket)
        open_settings = [name for name in buckets.BLOCK_ALL if not block.get(name)]
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
    if names.is_local(ctx):
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
    if not buckets.exists(s3, bucket):
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
        page = missing(lambda_.list_layer_versions, LayerName=video_ffmpeg.LAYER_NAME,
                        **({"Marker": marker} if marker else {})) or {}
        found += [v for v in page.get("LayerVersions", []) if f"sha256:{binary.sha256}" in (v.get("Description") or "")]
        marker = page.get("NextMarker")
        if not marker:
            break
    return max(found, key=lambda v: v["Version"])["LayerVersionArn"] if found else None


def check_ffmpeg(ctx: Context) -> CheckResult:
    if names.is_local(ctx):
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


# Step 4: the trigger -----------------------------------------------------------------------

def notification_configurations(function_arn: str) -> list[dict]:
    """One configuration per suffix: a filter holds at most one prefix rule and one suffix rule."""
    return buckets.lambda_notifications(function_arn, EVENTS, UPLOAD_PREFIX, VIDEO_SUFFIXES, "transcode")


def _sample_upload(uploads: str) -> str:
    return f"arn:aws:s3:::{uploads}"


def apply_trigger(ctx: Context) -> None:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    function = function_name(ctx.name)
    current = missing(lambda_.get_function, FunctionName=function)
    if current is None:
        raise StepBlocked(f"The function {function} does not exist yet: do step 3 first.")
    function_arn = current["Configuration"]["FunctionArn"]
    uploads = uploads_bucket(ctx.name, ctx.account_id)
    if not buckets.exists(s3, uploads):
        raise StepBlocked(f"The uploads bucket {uploads} does not exist yet: do step 1 first.")
    # The permission comes first: S3 checks that it may invoke the function when the
    # notification is saved, and refuses the configuration otherwise.
    ensure_invoke_permission(ctx, function=function, statement_id=PERMISSION_ID, service="s3.amazonaws.com",
                             source_arn=f"arn:aws:s3:::{uploads}", sample_source=_sample_upload(uploads),
                             source_account=ctx.account_id)
    buckets.ensure_lambda_notifications(ctx, uploads, function_arn, notification_configurations(function_arn))
    ctx.outputs["trigger"] = {"prefix": UPLOAD_PREFIX, "suffixes": list(VIDEO_SUFFIXES)}


def check_trigger(ctx: Context) -> CheckResult:
    lambda_, s3 = ctx.clients.lambda_, ctx.clients.s3
    function, uploads = function_name(ctx.name), uploads_bucket(ctx.name, ctx.account_id)
    current = missing(lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The function {function} is missing: do step 3 first.")
    function_arn = current["Configuration"]["FunctionArn"]
    if not buckets.exists(s3, uploads):
        return CheckResult.failed(f"The uploads bucket {uploads} is missing: do step 1 first.")
    if not service_may_invoke(policy_statements(lambda_, function), "s3.amazonaws.com", _sample_upload(uploads)):
        return CheckResult.failed(
            f"S3 has no permission to invoke {function}: its resource-based policy needs a statement allowing "
            f"s3.amazonaws.com to call lambda:InvokeFunction, with source ARN arn:aws:s3:::{uploads} and source "
            f"account {ctx.account_id}. Without it S3 refuses the notification (or, added later, its invocations "
            "fail).")
    configurations = buckets.notifications_for(s3, uploads, function_arn)
    if not configurations:
        return CheckResult.failed(
            f"Uploads do not trigger the function: the bucket {uploads} has no event notification that invokes "
            f"{function}. Add one for s3:ObjectCreated:* with the prefix {UPLOAD_PREFIX} and a suffix per video "
            "type (.mp4, .mov, ...).")
    prefixes = {buckets.rules(c).get("prefix", "") for c in configurations}
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
    suffixes = {buckets.rules(c).get("suffix", "") for c in configurations}
    if "" in suffixes:
        return CheckResult.failed("One configuration has no suffix filter, so every file under uploads/ (images, "
                                  "notes) would start a transcode. Add a video suffix such as .mp4.")
    absent = [suffix for suffix in REQUIRED_SUFFIXES if suffix not in suffixes]
    if absent:
        return CheckResult.failed(f"No configuration covers {', '.join(absent)}: uploads with that extension would "
                                  "be ignored. Add one configuration per suffix (a filter holds one suffix rule).")
    ctx.outputs["trigger"] = {"prefix": UPLOAD_PREFIX, "suffixes": sorted(suffixes)}
    return CheckResult.passed(
        f"Creating an object under {UPLOAD_PREFIX} in {uploads} with {', '.join(sorted(suffixes))} invokes "
        f"{function}, and S3 may invoke it (for that bucket only).",
        Found("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"),
    )



def uploads_in_flight(clients, names, account_id: str, since_ms: int) -> int:
    """Uploads the function has not finished with: no manifest yet, and fewer invocations ended
    (REPORT lines in its log) than uploads. Teardown waits for them so that no transcode writes a
    log line, or a retry runs, after the function is deleted."""
    from labs.catalog.video.functions.video_transcoder.app import output_name

    listed = clients.s3.list_objects_v2(Bucket=uploads_bucket(names, account_id), Prefix=UPLOAD_PREFIX)
    keys = [item["Key"] for item in listed.get("Contents", [])]
    waiting = [key for key in keys
               if missing(clients.s3.head_object, Bucket=output_bucket(names, account_id), Key=f"{output_name(key)}/manifest.json") is None]
    if not waiting:
        return 0
    logs = missing(clients.logs.filter_log_events, logGroupName=f"/aws/lambda/{function_name(names)}",
                   startTime=since_ms, filterPattern="REPORT")
    ended = sum(1 for event in (logs or {}).get("events", []) if event.get("message", "").startswith("REPORT"))
    return min(len(waiting), max(0, len(keys) - ended))
