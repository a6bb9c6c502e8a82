"""How a deployed lab is reached over HTTP: its website and its API.

In AWS a lab's website is an S3 website endpoint and its API an execute-api URL, both
public. The local sandbox serves neither the way a browser needs:

- MiniStack stores a bucket's website configuration but does not serve it (a GET on the
  bucket lists it as XML), so :func:`website_get` does what the S3 website endpoint does:
  it reads the website configuration, maps ``/`` to the index document, and returns the
  object with its stored content type (or the error document with a 404).
- MiniStack resolves an execute-api call in the account named by the request's credential,
  and a browser's call carries none (it would land in the default account and get 404), so
  :func:`api_call` forwards the call signed (SigV4) with the learner's account's local key.

The site's front door (``labs.views.run_site`` and ``run_api``) and a lab's end-to-end
verify both go through these functions, so what the verify proves is what the learner's
browser gets.
"""

import json
import mimetypes
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from labs.aws import Target, is_not_found

# Headers the front door passes on, each way. Cookies and the site's own headers stay here.
REQUEST_HEADERS = ("content-type", "accept", "origin", "access-control-request-method", "access-control-request-headers")
RESPONSE_HEADERS = ("content-type", "access-control-allow-origin", "access-control-allow-methods",
                    "access-control-allow-headers", "access-control-max-age", "vary", "location", "cache-control")
MAX_BODY = 1_000_000
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class HttpResult:
    status: int
    headers: dict = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body or b"null")


def http_request(url: str, method: str = "GET", *, body: bytes | None = None, headers: dict | None = None,
                 timeout: float = 30.0) -> HttpResult:
    """One HTTP request; an error status is a result, not an exception."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return HttpResult(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read(MAX_BODY))
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read(MAX_BODY))


def execute_api_url(target: Target, api_id: str, stage: str, path: str) -> str:
    path = "/" + path.lstrip("/")
    if target.is_local:
        return f"{target.endpoint_url.rstrip('/')}/_aws/execute-api/{api_id}/{stage}{path}"
    return f"https://{api_id}.execute-api.{target.region}.amazonaws.com/{stage}{path}"


def api_call(target: Target, api_id: str, stage: str, method: str, path: str, *, query: str = "",
             body: bytes | None = None, headers: dict | None = None) -> HttpResult:
    """Call a deployed REST API stage as a browser would, in the sandbox's account."""
    url = execute_api_url(target, api_id, stage, quote(path, safe="/{}-_.~%"))
    if query:
        url += "?" + query
    sent = {name: value for name, value in (headers or {}).items() if name.lower() in REQUEST_HEADERS}
    if target.is_local:
        # The emulator picks the account from the credential scope (and, under AUTH, checks it).
        sent = signed_headers(target, method, url, body, sent)
    return http_request(url, method, body=body, headers=sent)


def account_selector(target: Target, service: str) -> str:
    """The query parameter that names the learner's emulated account on a call whose Authorization
    header carries a token, not a SigV4 signature (MiniStack reads the account from the credential
    scope, in the header or in ``X-Amz-Credential``). Only for the local sandbox; AWS needs nothing."""
    import datetime

    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    return urlencode({"X-Amz-Credential": f"{target.access_key_id}/{day}/{target.region}/{service}/aws4_request"})


def token_call(target: Target, api_id: str, stage: str, method: str, path: str, *, token: str = "",
               headers: dict | None = None) -> HttpResult:
    """Call a REST API stage as a signed-in user's app does: ``token`` (a Cognito JWT, or "" for none)
    in the Authorization header. In the local sandbox the account goes in the query string, since
    the header is taken by the token; the function then sees ``X-Amz-Credential`` among its query
    parameters (AWS sends none)."""
    url = execute_api_url(target, api_id, stage, quote(path, safe="/{}-_.~%"))
    if target.is_local:
        url += "?" + account_selector(target, "execute-api")
    sent = {name: value for name, value in (headers or {}).items() if name.lower() in REQUEST_HEADERS}
    if token:
        sent["Authorization"] = token
    return http_request(url, method, headers=sent)


def graphql_call(target: Target, api_id: str, graphql_url: str, query: str, variables: dict | None = None, *,
                 token: str = "", api_key: str = "") -> HttpResult:
    """POST a GraphQL request to an AppSync API with a user pool token, an API key, or neither."""
    if target.is_local:
        url = f"{target.endpoint_url.rstrip('/')}/v1/apis/{api_id}/graphql?{account_selector(target, 'appsync')}"
    else:
        url = graphql_url
    sent = {"Content-Type": "application/json"}
    if token:
        sent["Authorization"] = token
    if api_key:
        sent["x-api-key"] = api_key
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return http_request(url, "POST", body=body, headers=sent)


def signed_headers(target: Target, method: str, url: str, body: bytes | None, headers: dict) -> dict:
    """``headers`` plus a SigV4 signature for execute-api with the target's key."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
    SigV4Auth(Credentials(target.access_key_id, target.secret_access_key), "execute-api", target.region).add_auth(request)
    return dict(request.headers.items())


def website_get(s3, bucket: str, path: str) -> HttpResult:
    """GET ``path`` from a bucket's static website, as the S3 website endpoint serves it."""
    try:
        website = s3.get_bucket_website(Bucket=bucket)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return _text(404, f"No website here: bucket {bucket} does not exist or has no website configuration.")
        raise
    index = website.get("IndexDocument", {}).get("Suffix", "index.html")
    error_key = website.get("ErrorDocument", {}).get("Key")
    key = path.lstrip("/")
    if key == "" or key.endswith("/"):
        key += index
    found = _object(s3, bucket, key)
    if found is not None:
        return found
    if error_key:
        page = _object(s3, bucket, error_key)
        if page is not None:
            page.status = 404
            return page
    return _text(404, f"404 Not Found: no object {key} in bucket {bucket}.")


def _object(s3, bucket: str, key: str) -> HttpResult | None:
    try:
        got = s3.get_object(Bucket=bucket, Key=key)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return None
        raise
    content_type = got.get("ContentType") or mimetypes.guess_type(key)[0] or "application/octet-stream"
    headers = {"content-type": content_type}
    if got.get("CacheControl"):
        headers["cache-control"] = got["CacheControl"]
    return HttpResult(200, headers, got["Body"].read())


def _text(status: int, message: str) -> HttpResult:
    return HttpResult(status, {"content-type": "text/plain; charset=utf-8"}, message.encode())


class Deployment:
    """The deployed system of one run, reached over HTTP: what a lab's verify talks to."""

    def __init__(self, target: Target, clients, outputs: dict):
        self.target = target
        self.clients = clients
        self.outputs = outputs

    def api(self, method: str, path: str, *, json_body=None, raw_body: bytes | None = None,
            headers: dict | None = None, query: dict | None = None) -> HttpResult:
        body = raw_body
        sent = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        return api_call(self.target, self.outputs["api_id"], self.outputs["stage"], method, path,
                        query=urlencode(query or {}), body=body, headers=sent)

    def api_with_token(self, method: str, path: str, token: str = "") -> HttpResult:
        return token_call(self.target, self.outputs["api_id"], self.outputs["stage"], method, path, token=token)

    def graphql(self, query: str, variables: dict | None = None, *, token: str = "", api_key: str = "") -> HttpResult:
        return graphql_call(self.target, self.outputs["graphql_id"], self.outputs.get("graphql_url", ""), query,
                            variables, token=token, api_key=api_key)

    def website(self, path: str = "/") -> HttpResult:
        if self.target.is_local:
            return website_get(self.clients.s3, self.outputs["bucket"], path)
        return http_request(self.outputs["website_url"].rstrip("/") + "/" + path.lstrip("/"))


def site_origin(request) -> str:
    """The origin this site is served from: the one a deployed app allows (CORS) and calls."""
    return f"{request.scheme}://{request.get_host()}"
