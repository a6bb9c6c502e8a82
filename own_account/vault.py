"""Secrets at rest: a learner's AWS access key pair, encrypted with Fernet before it is stored.

The keys come from ``settings.LABS_SECRET_KEYS`` (the environment's ``LABS_SECRET_KEYS``,
comma-separated, newest first; on a laptop one generated key kept in ``var/``). The first key
encrypts; every key decrypts (``MultiFernet``), so rotating is: put a new key in front, run
``manage.py lab_account rotate-keys`` (which re-encrypts every stored secret with it), then drop
the old key.

Plaintext never leaves this module except to build a boto3 target (:func:`labs.aws.target_for`):
it is not logged, not put in events, and a :class:`StoredKeys` prints as its hint only.
"""

import json
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.debug import sensitive_variables


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key (the key was dropped too early)."""


@dataclass(frozen=True)
class StoredKeys:
    """An access key pair in memory. ``repr`` and ``str`` show the hint, never the secret."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)

    @property
    def hint(self) -> str:
        return hint(self.access_key_id)

    def __str__(self):
        return f"access key {self.hint}"


def hint(value: str) -> str:
    """What the pages may show of a key: its last four characters."""
    return f"…{value[-4:]}" if len(value) >= 8 else "…"


def _fernet() -> MultiFernet:
    keys = [key for key in settings.LABS_SECRET_KEYS if key]
    if not keys:
        raise ImproperlyConfigured("LABS_SECRET_KEYS is empty: set one Fernet key (Fernet.generate_key()).")
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"LABS_SECRET_KEYS holds a key that is not a Fernet key: {error}") from None


@sensitive_variables("keys", "plaintext")
def encrypt_keys(keys: StoredKeys) -> str:
    plaintext = json.dumps({"id": keys.access_key_id, "secret": keys.secret_access_key}).encode()
    return _fernet().encrypt(plaintext).decode()


@sensitive_variables("plaintext", "data")
def decrypt_keys(token: str) -> StoredKeys:
    try:
        plaintext = _fernet().decrypt(token.encode())
    except InvalidToken:
        raise SecretUnreadable(
            "The stored AWS keys cannot be decrypted with the configured LABS_SECRET_KEYS (was the key that "
            "encrypted them removed?). Connect the account again.") from None
    data = json.loads(plaintext)
    return StoredKeys(data["id"], data["secret"])


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key (what ``rotate-keys`` does to each stored secret)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted with any configured key.") from None


class SafeInDebugExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides POST fields marked with ``sensitive_post_parameters`` and the locals of
    functions marked with ``sensitive_variables``, but only when DEBUG is off; a laptop runs the site
    with DEBUG on (``make run``), and a learner's AWS key must not show on its error pages either."""

    def is_active(self, request):
        return True
