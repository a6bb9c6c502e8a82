"""Small pieces every builder and check uses: a describe call that may find nothing, policy
documents as IAM returns them, IAM's wildcards, and bounded waits."""

import json
import time
from fnmatch import fnmatchcase
from urllib.parse import unquote

from botocore.exceptions import ClientError

from labs.aws import is_not_found
from labs.engine.lab import StepBlocked


def missing(call, **kwargs):
    """``call(**kwargs)``, or None when the resource is not there."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def document(value) -> dict:
    # IAM returns policy documents URL-encoded in its XML; boto3 usually decodes them.
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value or {}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def matches(pattern: str, value: str) -> bool:
    return fnmatchcase(value, pattern)  # IAM's wildcards, * and ?, mean what they mean to fnmatch


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    delay, deadline = 0.05, time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise StepBlocked(f"Gave up waiting {timeout:.0f} s for {what}.")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
