"""What the edge lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

# Lambda@Edge functions live in US East (N. Virginia) only; CloudFront replicates them from there.
EDGE_REGION = "us-east-1"
RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "security_headers"
POLICY_NAME = "edge-logs"
# Origin-response limits (CloudFront quotas page): 30 s and Lambda's own memory range; viewer events: 5 s, 128 MB.
ORIGIN_TIMEOUT_MAX = 30
VIEWER_TIMEOUT_MAX = 5
VIEWER_MEMORY_MAX = 128
TIMEOUT = 5
MEMORY = 128
EDGE_TRUST_SERVICES = ("lambda.amazonaws.com", "edgelambda.amazonaws.com")
VIEWER_FUNCTION_RUNTIME = "cloudfront-js-2.0"
VIEWER_FUNCTION_MAX_BYTES = 10 * 1024  # CloudFront Functions quota: 10 KB of code
VIEWER_FUNCTION_FILE = "normalise_url.js"
# CloudFront's managed cache policy "CachingOptimized".
CACHE_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ORIGIN_ID = "site-bucket"
SITE_FILES = ("index.html", "docs/index.html", "about/index.html", "site.css")
# The headers the origin-response function adds, and what each must say.
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
}
# What one run uses in AWS, for its cost estimate (a generous count).
USAGE = {
    "cloudfront_requests": 200, "cloudfront_transfer_gb": 200 * 2 / 1_000_000, "cloudfront_functions": 200,
    "lambda_edge_requests": 100,
    "lambda_edge_gb_seconds": 100 * 0.125 * 0.05,  # 128 MB, 50 ms
    "lambda_requests": 10, "s3_writes": 20, "s3_reads": 200, "s3_storage": 0.0001 * 2 / 730,
    "logs_ingest": 0.001,
}


def bucket_name(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('site')}-{account_id}"


def viewer_function_name(names: Names) -> str:
    return names("normalise-url")


def role_name(names: Names) -> str:
    return names("edge-role")


def function_name(names: Names) -> str:
    return names("security-headers")


def oac_name(names: Names) -> str:
    return names("oac")


def distribution_comment(names: Names) -> str:
    """Distributions have ids, not names: the lab finds its own by this comment (and its tag)."""
    return names("cdn")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "BUCKET": bucket_name(names, account_id),
        "VIEWER_FUNCTION": viewer_function_name(names), "ROLE": role_name(names), "FUNCTION": function_name(names),
        "OAC_NAME": oac_name(names), "COMMENT": distribution_comment(names),
    }
