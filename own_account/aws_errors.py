"""AWS errors as explanations a learner can act on, not tracebacks.

- Access denied names the permission that is missing (from AWS's message when it says, else from
  the service and operation that failed) and says where to add it.
- Throttling has already been retried with backoff by the clients (botocore's ``adaptive`` mode,
  :data:`labs.aws.RETRIES`); when it still fails, the message says so and what to do.
- A region that is not enabled, a service missing in a region, a quota reached, an expired
  session or a key AWS does not accept each say what to change.

Anything else keeps AWS's own words: ``Operation: Code: Message``. Access key ids that AWS
echoes in a message are cut to their last four characters.
"""

import re

from botocore.exceptions import (
    ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, ParamValidationError,
)

ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden",
    "UnauthorizedException", "InsufficientPrivilegesException", "403",
})
THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "SlowDown", "RequestThrottled", "RequestThrottledException", "ProvisionedThroughputExceededException",
    "PriorRequestNotComplete", "EC2ThrottledException", "BandwidthLimitExceeded",
})
QUOTA = frozenset({
    "LimitExceeded", "LimitExceededException", "ServiceQuotaExceededException", "TooManyBuckets",
    "CodeStorageExceededException", "ResourceLimitExceeded", "QuotaExceededException", "EntityAlreadyExists.Limit",
})
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
BAD_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "InvalidSignatureException", "IncompleteSignature", "AuthFailure",
})
REGION = frozenset({
    "OptInRequired", "InvalidLocationConstraint", "IllegalLocationConstraintException", "AuthorizationHeaderMalformed",
    "PermanentRedirect",
})
# IAM action prefixes that differ from botocore's service names.
IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "monitoring": "cloudwatch", "email": "ses"}
# S3 operations whose IAM action has another name.
S3_ACTIONS = {
    "HeadBucket": "s3:ListBucket", "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions", "HeadObject": "s3:GetObject", "DeleteObjects": "s3:DeleteObject",
    "ListBuckets": "s3:ListAllMyBuckets", "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite", "PutBucketCors": "s3:PutBucketCORS",
    "GetBucketCors": "s3:GetBucketCORS",
}
APIGATEWAY_VERBS = (("Get", "GET"), ("Create", "POST"), ("Put", "PUT"), ("Import", "PUT"), ("Update", "PATCH"),
                    ("Delete", "DELETE"), ("Test", "POST"), ("Flush", "DELETE"), ("Generate", "POST"))
_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{8,}([A-Z0-9]{4})\b")
_PERFORM = re.compile(r"not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)")
_RESOURCE = re.compile(r"on resource:?\s+(\S+?)(?:\s|$|\))")


def scrub(text: str) -> str:
    """AWS echoes access key ids in some messages: keep their last four characters only."""
    return _KEY_ID.sub(lambda match: f"{match.group(1)}…{match.group(2)}", text)


def iam_action(service: str, operation: str) -> str:
    """The IAM action an API call needs: lambda CreateFunction -> lambda:CreateFunction."""
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    if service == "apigateway":
        verb = next((method for prefix, method in APIGATEWAY_VERBS if operation.startswith(prefix)), "GET")
        return f"apigateway:{verb}"
    return f"{IAM_PREFIX.get(service, service)}:{operation}"


def _said(operation: str, code: str, message: str) -> str:
    return scrub(f"{operation}: {code}: {message}".strip(": "))


def explain(error: Exception, *, service: str = "", operation: str = "") -> str:
    """One paragraph for the learner: what went wrong in AWS and what to change."""
    if isinstance(error, NoCredentialsError):
        return ("This site has no AWS credentials of its own to act with (none in its environment, profile or "
                "instance role), so it cannot reach AWS. The operator sets them up; see docs/labs.md.")
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        url = getattr(error, "kwargs", {}).get("endpoint_url", "")
        return (f"Could not reach AWS at {url or 'its endpoint'}: the service may not be offered in this region, or "
                "this machine cannot reach AWS. Choose another allowed region, or check the network.")
    if isinstance(error, ParamValidationError):
        return f"The lab sent AWS a request it would refuse: {error}"
    if not isinstance(error, ClientError):
        return f"{type(error).__name__}: {error}"

    details = error.response.get("Error", {})
    code = str(details.get("Code", "")) or str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    message = str(details.get("Message", ""))
    operation = operation or getattr(error, "operation_name", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    said = _said(operation, code, message)
    retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)

    if code in ACCESS_DENIED or (status == 403 and code not in BAD_CREDENTIALS and code not in EXPIRED):
        if "BlockPublicPolicy" in message or "block public access" in message.lower():
            return ("S3 Block Public Access is on for this account, so the lab's website bucket cannot be made public "
                    "(its policy is refused). Turn off \"Block public access\" for buckets named sa-* (or for the "
                    f"account) in the S3 console, or run this lab in the local sandbox. (AWS said: {said})")
        named = _PERFORM.search(message)
        action = named.group(1) if named else (iam_action(service, operation) if service and operation else "")
        resource = _RESOURCE.search(message)
        where = f" on {resource.group(1)}" if resource else ""
        why = ""
        if "explicit deny" in message and ("service control policy" in message or "SCP" in message):
            why = " An organization's service control policy denies it, which only the organization's admins can change."
        elif "permissions boundary" in message:
            why = " A permissions boundary on the identity leaves it out."
        if action:
            return (f"AWS refused {operation or 'the call'}: access denied. The role or user the site uses is missing "
                    f"the permission {action}{where}.{why} Add it to its policy (the role from the account page's "
                    f"template has it: update the stack to the latest template). (AWS said: {said})")
        return (f"AWS refused {operation or 'the call'}: access denied.{why} The role or user the site uses lacks a "
                f"permission it needs: compare its policy with the account page's template. (AWS said: {said})")
    if code in THROTTLED or status == 429:
        return (f"AWS is throttling {operation or 'these calls'} ({code}): the site retried {retries or 'several'} "
                "time(s) with backoff and it still refused. Wait a minute and try again; other work in this account "
                f"may be using the same limit. (AWS said: {said})")
    if code in QUOTA:
        return (f"This account reached a quota for {operation or 'this call'} ({code}). Delete what you no longer need "
                "(the labs' runs still holding resources are listed on the labs page), or ask for a higher quota in "
                f"Service Quotas, or use another allowed region. (AWS said: {said})")
    if code in EXPIRED:
        return ("The AWS session expired mid-way. The site assumes your role afresh for every action, so try again; if "
                f"it keeps happening, raise the role's maximum session duration. (AWS said: {said})")
    if code in REGION:
        return (f"AWS refused the region for {operation or 'this call'} ({code}): the region may not be enabled in "
                "this account (opt-in regions are off until enabled in the account settings), or a resource is in "
                f"another region. Enable the region or choose another allowed one. (AWS said: {said})")
    if code in BAD_CREDENTIALS:
        return ("AWS does not accept these credentials: the access key was deleted or deactivated, its secret is "
                "wrong, or the region is an opt-in region not enabled in the account. Update the connection on the "
                f"account page. (AWS said: {said})")
    return said
