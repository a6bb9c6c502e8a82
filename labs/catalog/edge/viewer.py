"""A viewer's request through the lab's distribution, as a browser makes it.

In AWS: ``https://<id>.cloudfront.net/<path>``. In the local sandbox MiniStack serves a
distribution's viewer traffic on its own port, chosen by the ``Host`` header
(``<id>.cloudfront.net``), and finds the distribution in the account named by the request's
credential scope, so the request carries one (signed with the account's local key). Redirects are
not followed: the viewer protocol policy's 301 is something the verify looks at.
"""

import http.client
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from labs.aws import Target

MAX_BODY = 1_000_000


@dataclass
class Answer:
    status: int
    headers: dict = field(default_factory=dict)  # lower-case names
    body: bytes = b""


def _signed(target: Target, url: str, headers: dict) -> dict:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=url, data=b"", headers=headers)
    SigV4Auth(Credentials(target.access_key_id, target.secret_access_key), "cloudfront", target.region).add_auth(request)
    return dict(request.headers.items())


def get(target: Target, domain: str, path: str, *, https: bool = True, timeout: float = 30.0) -> Answer:
    """GET ``path`` from the distribution at ``domain`` (``d123.cloudfront.net``)."""
    headers = {"Accept": "text/html,*/*"}
    if target.is_local:
        endpoint = urlsplit(target.endpoint_url)
        connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port or 80, timeout=timeout)
        # What TLS termination would tell CloudFront: the viewer came over HTTPS (or not).
        headers.update({"Host": domain, "X-Forwarded-Proto": "https" if https else "http"})
        headers = _signed(target, f"http://{domain}{path}", headers)
    else:
        connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = connection_class(domain, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(MAX_BODY))
    finally:
        connection.close()


def origin_response_event(domain: str, distribution_id: str, uri: str, answer: Answer) -> dict:
    """The event CloudFront gives an origin-response Lambda@Edge function for ``answer``
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html)."""
    def cf_headers(values: dict) -> dict:
        return {name.lower(): [{"key": name, "value": value}] for name, value in values.items()}

    return {"Records": [{"cf": {
        "config": {"distributionDomainName": domain, "distributionId": distribution_id,
                   "eventType": "origin-response", "requestId": "edge-lab-verify"},
        "request": {"clientIp": "203.0.113.10", "method": "GET", "uri": uri, "querystring": "",
                    "headers": cf_headers({"Host": domain})},
        "response": {"status": str(answer.status), "statusDescription": "OK" if answer.status == 200 else "",
                     "headers": cf_headers({k.title(): v for k, v in answer.headers.items()})},
    }}]}


def invoke_version(lambda_, version_arn: str, event: dict) -> tuple[dict | None, str]:
    """Invoke the published version with ``event``: (the response it returns, or None and why)."""
    answer = lambda_.invoke(FunctionName=version_arn, Payload=json.dumps(event).encode())
    payload = answer["Payload"].read()
    if answer.get("FunctionError"):
        return None, f"it raised: {payload[:300].decode('utf-8', 'replace')}"
    try:
        return json.loads(payload or b"null"), ""
    except ValueError:
        return None, f"it returned something that is not JSON: {payload[:200]!r}"
