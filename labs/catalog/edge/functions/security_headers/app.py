"""Lambda@Edge, origin response: add security headers to what the origin (S3) returns, so
CloudFront caches the response with them and every viewer gets them.

Lambda@Edge gives a function no environment variables, so the headers are constants here.
Standard library only: the code runs in AWS, replicated to CloudFront's Regional edge caches.
"""

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
}


def handler(event, context):
    """Take the origin-response event, return the response CloudFront should cache and send."""
    response = event["Records"][0]["cf"]["response"]
    headers = response.setdefault("headers", {})
    for name, value in SECURITY_HEADERS.items():
        # CloudFront's event keys headers by lower-case name; each value is a list of {key, value}.
        headers[name.lower()] = [{"key": name, "value": value}]
    return response
