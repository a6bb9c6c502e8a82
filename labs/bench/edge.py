"""The edge lab's benchmark: a bare boto3 script making the same calls as the lab against the
engine's automatic run, alternating (``manage.py lab bench --lab edge --rounds N``).

The baseline deploys what the lab deploys (private bucket and its files, the CloudFront Function
created and published, the Lambda@Edge role, function and a published version, the origin access
control, the distribution with both associations, the bucket policy), makes the verify's requests
through MiniStack's CloudFront data plane (the home page, three rewritten URLs, the HTTP redirect, an
anonymous GET on the bucket, the version invoked with an origin-response event), then tears down
(the distribution disabled, then deleted with its ETag). The engine side is a real ``db_worker``
running an automatic run, timed from enqueue to cleaned. (CloudFront invokes the edge function
synchronously, so teardown skips the second look after ``LABS_TEARDOWN_GRACE_SECONDS``.)
"""

import json
import sys
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

from django.conf import settings

from labs import aws
from labs.bench.fullstack import _timed
from labs.catalog import get_lab
from labs.catalog.edge import distribution_step, edge_rules, steps, viewer
from labs.catalog.edge.names import SECURITY_HEADERS, SITE_FILES
from labs.engine.lab import Names, function_zip
from labs.toolkit import buckets
from labs.toolkit import cloudfront as cdn


def baseline_edge(endpoint_url: str, account_id: str, region: str = "us-east-1") -> dict:
    """Deploy, request and tear down the edge lab with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("s3", "cloudfront", "iam", "lambda", "logs")}
    prefix = f"bench-{int(time.time() * 1000) % 10**8:08d}"
    bucket, cf_function, role, function = f"{prefix}-site-{account_id}", f"{prefix}-url", f"{prefix}-role", f"{prefix}-hdr"
    phases, started = {}, time.perf_counter()

    s3, cf, lam = c["s3"], c["cloudfront"], c["lambda"]
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=buckets.BLOCK_ALL)
    for key, body, kind in buckets.site_files(steps.FOLDER / "site", SITE_FILES):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind)
    created = cf.create_function(Name=cf_function, FunctionCode=steps.viewer_function_code(),
                                 FunctionConfig={"Comment": "bench", "Runtime": "cloudfront-js-2.0"})
    cf.publish_function(Name=cf_function, IfMatch=created["ETag"])
    viewer_arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    role_arn = c["iam"].create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(edge_rules.EDGE_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=role, PolicyName="logs", PolicyDocument=json.dumps(steps.logs_policy(account_id, function)))
    lam.create_function(FunctionName=function, Runtime="python3.12", Handler="app.handler", Role=role_arn, MemorySize=128,
                        Timeout=5, Code={"ZipFile": function_zip(get_lab("edge").function_folder("security_headers"))})
    while lam.get_function(FunctionName=function)["Configuration"]["State"] != "Active":
        time.sleep(0.05)
    version_arn = lam.publish_version(FunctionName=function)["FunctionArn"]
    oac_id = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": f"{prefix}-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    where = SimpleNamespace(name=Names(prefix), account_id=account_id, region=region)  # what wanted_parts reads
    parts = distribution_step.wanted_parts(where, oac_id, viewer_arn, version_arn)
    dist = cf.create_distribution(DistributionConfig={"CallerReference": prefix, "Comment": prefix, **parts})["Distribution"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(distribution_step.bucket_policy(bucket, dist["ARN"])))
    started = _timed(phases, "deploy", started)

    domain = dist["DomainName"]
    home = viewer.get(target, domain, "/")
    assert home.status == 200 and b'id="edge-home"' in home.body, home.status
    for path, marker in (("/Docs", b"edge-docs"), ("/ABOUT/", b"edge-about"), ("/docs/", b"edge-docs")):
        assert marker in viewer.get(target, domain, path).body, path
    assert viewer.get(target, domain, "/docs/", https=False).status == 301
    try:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"{endpoint_url}/{bucket}/index.html", timeout=10)
        raise AssertionError("the bucket answered an anonymous GET")
    except urllib.error.HTTPError as error:
        assert error.code == 403
    response, why = viewer.invoke_version(lam, version_arn, viewer.origin_response_event(domain, dist["Id"], "/index.html", home))
    assert response and all(response["headers"][name][0]["value"] == value for name, value in SECURITY_HEADERS.items()), why
    started = _timed(phases, "verify", started)

    cdn.disable_and_delete(cf, dist["Id"])
    cf.delete_origin_access_control(Id=oac_id, IfMatch=cf.get_origin_access_control(Id=oac_id)["ETag"])
    lam.delete_function(FunctionName=function)
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    c["iam"].delete_role_policy(RoleName=role, PolicyName="logs")
    c["iam"].delete_role(RoleName=role)
    cf.delete_function(Name=cf_function, IfMatch=cf.describe_function(Name=cf_function, Stage="DEVELOPMENT")["ETag"])
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in SITE_FILES]})
    s3.delete_bucket(Bucket=bucket)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases


def engine_edge(user, sandbox_row, *, timeout: float = 90.0) -> dict:
    """One automatic run of the edge lab through the task queue, timed from enqueue to cleaned."""
    from labs import services
    from labs.models import LabRun

    started = time.perf_counter()
    run = services.lab_run_start(user=user, lab=get_lab("edge"), mode=LabRun.Mode.AUTO, sandbox=sandbox_row,
                                 website_origin=settings.LABS_SITE_ORIGIN, explore_seconds=0)
    started_at = run.created_at
    while LabRun.objects.filter(pk=run.pk, status__in=LabRun.FINISHED).count() == 0:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"run {run.pk} did not finish within {timeout:.0f} s")
        time.sleep(0.01)
    total = time.perf_counter() - started
    run.refresh_from_db()
    if run.outcome != LabRun.Outcome.PASSED or run.status != LabRun.Status.CLEANED:
        raise RuntimeError(f"run {run.pk} ended {run.outcome}/{run.status}: {run.message}")
    events = list(run.events.order_by("id"))
    first_step = next(e.at for e in events if e.kind == "step")
    verify_start = next(e.at for e in events if e.kind == "verify")
    teardown_start = next(e.at for e in events if e.kind == "teardown")
    grace_note = next((e.at for e in events if e.kind == "teardown" and e.message.startswith("Looking again")), None)
    return {
        "queue": (first_step - started_at).total_seconds(),
        "deploy": (verify_start - first_step).total_seconds(),
        "verify": (teardown_start - verify_start).total_seconds(),
        "teardown": ((grace_note or events[-1].at) - teardown_start).total_seconds(),
        "grace": (events[-1].at - grace_note).total_seconds() if grace_note else 0.0,
        "total": total,
        "events": len(events),
    }


def run_edge_bench(*, rounds: int, out=sys.stdout) -> dict:
    """The shared alternation (labs.bench.fullstack.run_bench) with this lab's bare script and its engine
    timing (which shows the teardown's second look as its own phase)."""
    from labs.bench.fullstack import run_bench

    return run_bench(rounds=rounds, out=out, slug="edge", limit_seconds=None, engine_fn=engine_edge,
                     baseline_fn=lambda url, account, region, origin: baseline_edge(url, account, region))
