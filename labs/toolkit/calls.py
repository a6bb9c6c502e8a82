"""Small pieces every builder and check uses: a describe call that may find nothing, policy
documents as IAM returns them, IAM's wildcards, and bounded waits."""

import json
import time
from fnmatch import fnmatchcase
from urllib.parse import unquote

from botocore.exceptions import ClientError

from labs.aws import error_message, is_not_found, is_transient
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


class Attempts:
    """Counts the transient errors of one wait, each shown (``note``), so a single failed poll does
    not decide anything: only the state when the wait ends does."""

    def __init__(self, what: str, note=None):
        self.what, self.note, self.failed = what, note, 0

    def failed_once(self, error: Exception) -> None:
        """Record a transient ``error`` (and show it); anything else is raised at once."""
        if not is_transient(error):
            raise error
        self.failed += 1
        if self.note is not None:
            self.note(f"{self.what}: attempt {self.failed} failed ({error_message(error)}); trying again within the wait.")


def wait_until(predicate, what: str, timeout: float = 60.0, *, note=None) -> None:
    """Poll ``predicate`` until it is true; transient AWS errors are retried within ``timeout``."""
    started = time.monotonic()
    delay, deadline = 0.05, started + timeout
    attempts, last_error = Attempts(f"Waiting for {what}", note), None
    while True:
        try:
            if predicate():
                return
            last_error = None
        except Exception as error:  # noqa: BLE001 - only transient ones are retried
            attempts.failed_once(error)
            last_error = error
        if time.monotonic() > deadline:
            if last_error is not None:
                raise last_error
            raise StepBlocked(f"Gave up waiting {timeout:.0f} s for {what}.")
        time.sleep(delay)
        # Most waits end within a second or two (a function becoming Active): poll those every 0.1 s
        # (GetFunction allows far more), so a wait does not overshoot its end; back off for long ones.
        delay = min(delay * 1.5, 0.1 if time.monotonic() - started < 5 else 2.0)
