"""boto3 sessions and clients for a sandbox: the one place they are built.

A sandbox is where a lab deploys. Kind ``local`` is the embedded emulator (MiniStack) on
127.0.0.1: every learner has an emulated account of their own, which MiniStack takes from
the access key id (a 12-digit key id selects that account); the secret is not checked.
Kind ``aws`` is the learner's own AWS account; connecting it is a separate piece of work
(stored, encrypted credentials), so :func:`target_for` refuses it with a clear message.

Every client retries in ``adaptive`` mode (client-side rate limiting on throttling errors
plus the standard retry policy). Nothing here runs at import time.
"""

import threading
import time
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

# MiniStack does not verify signatures unless told to; any non-empty secret works.
LOCAL_SECRET = "serverless-academy-local"
RETRIES = {"mode": "adaptive", "max_attempts": 5}

NOT_FOUND_CODES = frozenset({
    "ResourceNotFoundException",  # DynamoDB, Lambda, CloudWatch Logs
    "NoSuchEntity",  # IAM
    "NotFoundException",  # API Gateway
    "NoSuchBucket", "NoSuchKey", "NotFound", "404",  # S3 (HEAD requests have no error body)
    "NoSuchWebsiteConfiguration", "NoSuchBucketPolicy", "NoSuchTagSet",
})


class SandboxUnavailable(Exception):
    """The sandbox cannot be used now; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where and as whom boto3 calls go."""

    access_key_id: str
    secret_access_key: str
    region: str
    endpoint_url: str | None = None  # None: the real AWS endpoints
    session_token: str | None = None

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None


def local_target(account_id: str, region: str | None = None, endpoint_url: str | None = None) -> Target:
    return Target(
        access_key_id=account_id,
        secret_access_key=LOCAL_SECRET,
        region=region or settings.LABS_REGION,
        endpoint_url=endpoint_url or settings.LABS_SANDBOX_URL,
    )


def target_for(sandbox) -> Target:
    """The boto3 target of a :class:`labs.models.Sandbox`."""
    if sandbox.kind == "local":
        return local_target(sandbox.account_id, sandbox.region)
    raise SandboxUnavailable(
        "Labs in your own AWS account are not available yet: use the local sandbox, which needs no AWS account."
    )


def client_config(target: Target) -> Config:
    options = {"retries": RETRIES, "connect_timeout": 5, "read_timeout": 60}
    if target.is_local:
        # The emulator answers on one host and port: bucket names go in the path.
        options["s3"] = {"addressing_style": "path"}
    return Config(**options)


_sessions = threading.local()


def _shared_session() -> boto3.Session:
    # Clients made from one session share its loaded service models: a client then costs a
    # few milliseconds instead of ~30. Sessions are not thread-safe, so one per thread.
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = boto3.Session()
    return session


def forget_sessions() -> None:
    """Drop this thread's shared session (tests that install botocore hooks, like moto, need a new one)."""
    _sessions.session = None


def client(target: Target, service: str):
    return _shared_session().client(
        service,
        region_name=target.region,
        endpoint_url=target.endpoint_url,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_access_key,
        aws_session_token=target.session_token,
        config=client_config(target),
    )


class Clients:
    """The clients one lab run uses, made on first use: ``clients.dynamodb``, ``clients.lambda_``.

    ``on_call(service, operation, status, milliseconds, error)`` is told about every API call
    the clients make, which is how a run's page shows each AWS action as it happens.
    """

    def __init__(self, target: Target, on_call=None):
        self.target = target
        self._on_call = on_call
        self._clients = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name.rstrip("_")]  # lambda is a keyword: clients.lambda_

    def __getitem__(self, service):
        if service not in self._clients:
            made = client(self.target, service)
            if self._on_call is not None:
                _watch(made, self._on_call)
            self._clients[service] = made
        return self._clients[service]


def clients_for(sandbox, on_call=None) -> "Clients":
    """The clients for a :class:`labs.models.Sandbox`: what views, the engine and commands use."""
    return Clients(target_for(sandbox), on_call=on_call)


def _watch(made, on_call):
    service = made.meta.service_model.service_name

    def before(context, **kwargs):
        context["academy_started"] = time.perf_counter()

    def elapsed(context):
        began = (context or {}).get("academy_started")
        return round((time.perf_counter() - began) * 1000) if began else None

    def after(http_response, parsed, model, context=None, **kwargs):
        error = (parsed or {}).get("Error", {}).get("Code") if http_response.status_code >= 300 else None
        on_call(service, model.name, http_response.status_code, elapsed(context), error)

    def failed(exception, context=None, event_name="", **kwargs):
        on_call(service, event_name.rsplit(".", 1)[-1], None, elapsed(context), type(exception).__name__)

    made.meta.events.register("before-call", before)
    made.meta.events.register("after-call", after)
    made.meta.events.register("after-call-error", failed)


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_not_found(error: Exception) -> bool:
    return error_code(error) in NOT_FOUND_CODES


def error_message(error: Exception) -> str:
    """What AWS said, in one line a learner can read."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "")
        return f"{operation}: {details.get('Code', 'Error')}: {details.get('Message', '')}".strip(": ")
    return f"{type(error).__name__}: {error}"
