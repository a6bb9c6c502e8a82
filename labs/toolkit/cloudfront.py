"""CloudFront: distributions found by their comment (they have ids, not names), origin access
controls, CloudFront Functions (developed, then published to LIVE), and the ETag dance every
change and deletion needs (``IfMatch``: CloudFront refuses a write based on a stale read)."""

import time

from labs.engine.lab import Context
from labs.toolkit.calls import missing

DEPLOY_WAIT_SECONDS = 25 * 60  # AWS: a config change reaches every edge location in minutes, sometimes more


class StillDeploying(Exception):
    """CloudFront has not finished deploying a change yet (AWS takes minutes)."""


def distributions(cloudfront) -> list[dict]:
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        found += page.get("DistributionList", {}).get("Items", []) or []
    return found


def find_distribution(cloudfront, comment: str) -> dict | None:
    """The summary of the distribution whose Comment is ``comment`` (the lab's name for it)."""
    return next((d for d in distributions(cloudfront) if d.get("Comment") == comment), None)


def find_oac(cloudfront, name: str) -> dict | None:
    items = cloudfront.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", []) or []
    return next((item for item in items if item.get("Name") == name), None)


def ensure_oac(ctx: Context, name: str, description: str) -> str:
    """An origin access control for S3 that signs every request (SigV4); returns its id."""
    found = find_oac(ctx.clients.cloudfront, name)
    if found:
        return found["Id"]
    with ctx.creating("cloudfront:origin-access-control", name) as made:
        made.physical_id = ctx.clients.cloudfront.create_origin_access_control(OriginAccessControlConfig={
            "Name": name, "Description": description, "SigningProtocol": "sigv4", "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    return made.physical_id


def function_code(cloudfront, name: str, stage: str) -> tuple[bytes | None, str]:
    """(the code of a CloudFront Function at ``stage``, its ETag), or (None, "")."""
    got = missing(cloudfront.get_function, Name=name, Stage=stage)
    if got is None:
        return None, ""
    return got["FunctionCode"].read(), got.get("ETag", "")


def ensure_function_published(ctx: Context, *, name: str, code: bytes, runtime: str, comment: str) -> str:
    """A CloudFront Function with ``code`` in DEVELOPMENT and the same code published to LIVE;
    returns its ARN."""
    cloudfront = ctx.clients.cloudfront
    described = missing(cloudfront.describe_function, Name=name, Stage="DEVELOPMENT")
    config = {"Comment": comment, "Runtime": runtime}
    if described is None:
        with ctx.creating("cloudfront:function", name, name) as made:
            created = cloudfront.create_function(Name=name, FunctionConfig=config, FunctionCode=code)
            made.arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        etag = created["ETag"]
    else:
        current, etag = function_code(cloudfront, name, "DEVELOPMENT")
        if current != code or described["FunctionSummary"]["FunctionConfig"].get("Runtime") != runtime:
            cloudfront.update_function(Name=name, IfMatch=etag, FunctionConfig=config, FunctionCode=code)
            # The ETag changed; read it back (MiniStack 1.5.33's UpdateFunction answer carries none).
            etag = cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"]
    live, _ = function_code(cloudfront, name, "LIVE")
    if live != code:
        cloudfront.publish_function(Name=name, IfMatch=etag)
    return cloudfront.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]


def wait_deployed(cloudfront, distribution_id: str, timeout: float = DEPLOY_WAIT_SECONDS, note=None) -> None:
    """Wait until the distribution's last change is Deployed; StillDeploying after ``timeout``."""
    deadline, said = time.monotonic() + timeout, 0.0
    while True:
        status = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]
        if status == "Deployed":
            return
        if time.monotonic() > deadline:
            raise StillDeploying(f"distribution {distribution_id} is still {status} after {timeout:.0f} s")
        if note is not None and time.monotonic() - said > 60:
            note(f"CloudFront is deploying distribution {distribution_id} ({status}): in AWS this takes minutes.")
            said = time.monotonic()
        time.sleep(min(15.0, max(0.2, timeout / 100)))


def disable_and_delete(cloudfront, distribution_id: str, timeout: float = DEPLOY_WAIT_SECONDS) -> None:
    """CloudFront deletes only a disabled distribution whose disabling is deployed: disable it with
    the ETag of the config read, wait for Deployed, delete with the latest ETag."""
    got = cloudfront.get_distribution_config(Id=distribution_id)
    config, etag = got["DistributionConfig"], got["ETag"]
    if config.get("Enabled"):
        config["Enabled"] = False
        etag = cloudfront.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)["ETag"]
    wait_deployed(cloudfront, distribution_id, timeout)
    etag = cloudfront.get_distribution(Id=distribution_id)["ETag"]
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)
