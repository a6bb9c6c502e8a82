"""The edge lab's verify: requests through the distribution, as a viewer makes them.

What runs where (MiniStack 1.5.33): the local sandbox serves the distribution's viewer traffic,
runs the published CloudFront Function in Node on viewer request, signs the origin request with the
origin access control and evaluates the bucket policy, and applies the viewer protocol policy. It
does not run Lambda@Edge associations: locally the ``security-headers`` check invokes the
published version itself with the origin-response event CloudFront would send, and says so. In an
AWS account every check reads the headers CloudFront really sent.
"""

from django.conf import settings

from labs.catalog.edge import viewer
from labs.catalog.edge.names import SECURITY_HEADERS, bucket_name, distribution_comment, function_name
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit import buckets
from labs.toolkit import cloudfront as cdn
from labs.toolkit.functions import log_tail

PAGES = (("/Docs", b'id="edge-docs"'), ("/ABOUT/", b'id="edge-about"'), ("/docs/", b'id="edge-docs"'))


def _local(ctx: Context) -> bool:
    return ctx.deployment.target.is_local


def _get(ctx: Context, path: str, **options) -> viewer.Answer:
    return viewer.get(ctx.deployment.target, ctx.outputs["domain"], path, **options)


def verify_deployed(ctx: Context) -> CheckResult:
    cloudfront = ctx.clients.cloudfront
    found = cdn.find_distribution(cloudfront, distribution_comment(ctx.name))
    if found is None:
        return CheckResult.failed(f"There is no distribution with the comment {distribution_comment(ctx.name)}.")
    timeout = 5 if _local(ctx) else getattr(settings, "LABS_EDGE_DEPLOY_SECONDS", cdn.DEPLOY_WAIT_SECONDS)
    try:
        cdn.wait_deployed(cloudfront, found["Id"], timeout, note=ctx.note)
    except cdn.StillDeploying as error:
        return CheckResult.failed(f"CloudFront has not finished deploying ({error}). Verify again in a few minutes.")
    ctx.outputs.update({"distribution_id": found["Id"], "domain": found["DomainName"]})
    return CheckResult.passed(f"Distribution {found['Id']} is Deployed at {found['DomainName']}.")


def verify_home(ctx: Context) -> CheckResult:
    if "domain" not in ctx.outputs:
        return CheckResult.failed("Skipped: the distribution is not deployed.")
    answer = _get(ctx, "/")
    if answer.status != 200 or b'id="edge-home"' not in answer.body:
        hint = (" A 403 from S3 means the bucket policy does not let this distribution read (origin access control)."
                if answer.status == 403 else "")
        return CheckResult.failed(f"GET / through the distribution answered {answer.status}, not the home page.{hint}")
    ctx.scratch["home"] = answer
    return CheckResult.passed("GET / returns the home page (the default root object), read from the private bucket "
                              "by CloudFront's signed origin request.")


def verify_rewrite(ctx: Context) -> CheckResult:
    if "domain" not in ctx.outputs:
        return CheckResult.failed("Skipped: the distribution is not deployed.")
    for path, marker in PAGES:
        answer = _get(ctx, path)
        if answer.status != 200 or marker not in answer.body:
            return CheckResult.failed(
                f"GET {path} answered {answer.status} without its page: the viewer-request function should have asked "
                f"the origin for {path.lower().rstrip('/')}/index.html. Check that the published (LIVE) code lower-cases "
                "the URI and appends index.html to directory paths.")
    where = "MiniStack ran the published function in Node" if _local(ctx) else "CloudFront ran it at the edge"
    return CheckResult.passed(f"/Docs, /ABOUT/ and /docs/ each return their page: the viewer-request function "
                              f"rewrote the URI ({where}).")


def verify_https(ctx: Context) -> CheckResult:
    if "domain" not in ctx.outputs:
        return CheckResult.failed("Skipped: the distribution is not deployed.")
    answer = _get(ctx, "/docs/", https=False)
    location = answer.headers.get("location", "")
    if answer.status not in (301, 302, 307, 308) or not location.startswith("https://"):
        return CheckResult.failed(f"GET http://…/docs/ answered {answer.status} (Location {location!r}): set the viewer "
                                  "protocol policy to redirect-to-https.")
    return CheckResult.passed(f"Plain HTTP is redirected ({answer.status}) to {location}.")


def verify_private_origin(ctx: Context) -> CheckResult:
    bucket = bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(ctx.clients.s3, bucket):
        return CheckResult.failed(f"There is no bucket {bucket}: do step 1.")
    target = ctx.deployment.target
    if target.is_local:
        answer = _anonymous(f"{target.endpoint_url.rstrip('/')}/{bucket}/index.html")
    else:
        answer = _anonymous(f"https://{bucket}.s3.{ctx.region}.amazonaws.com/index.html")
    if answer.status < 400:
        return CheckResult.failed(f"An anonymous GET of index.html straight from the bucket answered {answer.status}: "
                                  "the bucket is public. Block all public access; only CloudFront may read.")
    return CheckResult.passed(f"Straight from S3, an anonymous GET is refused ({answer.status}): viewers must go "
                              "through CloudFront.")


def _anonymous(url: str) -> viewer.Answer:
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url), timeout=10) as response:
            return viewer.Answer(response.status, {}, response.read(1000))
    except urllib.error.HTTPError as error:
        return viewer.Answer(error.code, {}, b"")


def _missing_headers(headers: dict) -> list[str]:
    return [name for name, value in SECURITY_HEADERS.items() if headers.get(name) != value]


def verify_security_headers(ctx: Context) -> CheckResult:
    home = ctx.scratch.get("home")
    if home is None:
        return CheckResult.failed("Skipped: GET / did not return the home page.")
    if not _local(ctx):
        absent = _missing_headers(home.headers)
        if absent:
            return CheckResult.failed(f"The response through CloudFront lacks {', '.join(absent)}: is the origin-response "
                                      "association on the default behaviour, and its version the current code?")
        return CheckResult.passed("CloudFront's response carries the five security headers the Lambda@Edge function "
                                  "adds on origin response.")
    version_arn = ctx.outputs.get("edge_version_arn", "")
    if not version_arn:
        return CheckResult.failed("No published version of the Lambda@Edge function is known: do step 3.")
    event = viewer.origin_response_event(ctx.outputs["domain"], ctx.outputs.get("distribution_id", ""), "/index.html",
                                         home)
    response, why = viewer.invoke_version(ctx.clients.lambda_, version_arn, event)
    if response is None:
        return CheckResult.failed(f"Version {version_arn.rsplit(':', 1)[-1]} failed on the origin-response event: "
                                  f"{why} {log_tail(ctx, function_name(ctx.name))}")
    headers = {name: (values[0].get("value") if values else None)
               for name, values in (response.get("headers") or {}).items() if isinstance(values, list)}
    absent = _missing_headers(headers)
    if absent or str(response.get("status")) != "200":
        return CheckResult.failed(f"On the origin-response event, version {version_arn.rsplit(':', 1)[-1]} returned "
                                  f"status {response.get('status')!r} without {', '.join(absent) or 'a change'}.")
    return CheckResult.passed(
        f"Version {version_arn.rsplit(':', 1)[-1]} adds the five security headers to the origin's response. (The local "
        "sandbox stores the distribution's Lambda@Edge association but does not run it: the verify invoked the "
        "published version with the origin-response event CloudFront would send. Only AWS runs the association.)")


CHECKS = (
    VerifyCheck("deployed", "The distribution is deployed", verify_deployed),
    VerifyCheck("home", "The home page comes from the private bucket through CloudFront", verify_home),
    VerifyCheck("rewrite", "The viewer-request function normalises URLs", verify_rewrite),
    VerifyCheck("https", "Plain HTTP is redirected to HTTPS", verify_https),
    VerifyCheck("private-origin", "The bucket refuses viewers who bypass CloudFront", verify_private_origin),
    VerifyCheck("security-headers", "The origin-response function adds the security headers", verify_security_headers),
)
