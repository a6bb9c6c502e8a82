"""boto3 sessions and clients for a sandbox: the one place they are built.

A sandbox is where a lab deploys. Kind ``local`` is the embedded emulator (MiniStack) on
127.0.0.1: every learner has an emulated account of their own, which MiniStack takes from
the access key id (a 12-digit key id selects that account); the secret is not checked.
Kind ``aws`` is the learner's own AWS account, reached either by assuming the learner's role
with their external id (the site's own credentials come from the standard boto3 chain: env,
profile, instance role), or with the IAM user's access key pair the learner stored (decrypted
here, in memory, for the length of one action). Assumed-role sessions are never stored.

Every client retries in ``adaptive`` mode (client-side rate limiting on throttling errors
plus the standard retry policy). For an ``aws`` sandbox with a permissions boundary, every
``iam:CreateRole`` gets it attached (:mod:`own_account.aws_role`). Nothing here runs at import time.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
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
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",  # SQS (query and JSON protocols)
    "EntityNotFoundException",  # Glue Data Catalog
    "StateMachineDoesNotExist", "ExecutionDoesNotExist",  # Step Functions
    "NoSuchDistribution", "NoSuchFunctionExists", "NoSuchOriginAccessControl",  # CloudFront
    "DBClusterNotFoundFault", "DBInstanceNotFound", "DBProxyNotFoundFault",  # RDS
    "FileSystemNotFound", "AccessPointNotFound", "MountTargetNotFound",  # EFS
    "ClusterNotFoundException", "ServiceNotFoundException",  # ECS
})


class SandboxUnavailable(Exception):
    """The sandbox cannot be used now; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where and as whom boto3 calls go."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    region: str = ""
    endpoint_url: str | None = None  # None: the real AWS endpoints
    session_token: str | None = field(default=None, repr=False)
    permissions_boundary: str = ""  # attached to every IAM role created through these clients

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


LOCAL_OFF = ("The local sandbox is switched off on this site (LABS_LOCAL_SANDBOX=off): labs run in your own AWS "
             "account. Connect it on the labs' account page.")


def target_for(sandbox) -> Target:
    """The boto3 target of a :class:`labs.models.Sandbox`: for an AWS account, fresh credentials
    (a new role session, or the decrypted keys) that live as long as this object."""
    if sandbox.kind == "local":
        if not settings.LABS_LOCAL_SANDBOX:
            raise SandboxUnavailable(LOCAL_OFF)
        return local_target(sandbox.account_id, sandbox.region)
    if not sandbox.is_connected:
        raise SandboxUnavailable("Your AWS account is not connected (any more): connect it again on the labs' "
                                 "account page.")
    if sandbox.connection == "keys":
        from own_account import vault

        try:
            keys = vault.decrypt_keys(sandbox.keys_encrypted)
        except vault.SecretUnreadable as error:
            raise SandboxUnavailable(str(error)) from None
        return Target(keys.access_key_id, keys.secret_access_key, sandbox.region,
                      permissions_boundary=sandbox.permissions_boundary)
    try:
        credentials = assume_role(site_client("sts", sandbox.region), role_arn=sandbox.role_arn,
                                  external_id=sandbox.external_id, session_name=f"serverless-academy-{sandbox.pk}")
    except (ClientError, BotoCoreError) as error:
        raise SandboxUnavailable(f"The site could not assume your role {sandbox.role_arn}: "
                                 f"{error_message(error, service='sts', operation='AssumeRole')}") from None
    return role_target(credentials, sandbox.region, permissions_boundary=sandbox.permissions_boundary)


def assume_role(sts, *, role_arn: str, external_id: str | None, session_name: str, seconds: int | None = None) -> dict:
    """STS AssumeRole with ``sts`` (a :func:`site_client`): the session's ``Credentials``.
    ``external_id=None`` leaves it out, which is how the site checks that a role demands one."""
    options = {"RoleArn": role_arn, "RoleSessionName": session_name[:64],
               "DurationSeconds": seconds or settings.LABS_AWS_SESSION_SECONDS}
    if external_id is not None:
        options["ExternalId"] = external_id
    return sts.assume_role(**options)["Credentials"]


def role_target(credentials: dict, region: str, *, permissions_boundary: str = "") -> Target:
    return Target(credentials["AccessKeyId"], credentials["SecretAccessKey"], region,
                  session_token=credentials["SessionToken"], permissions_boundary=permissions_boundary)


def site_client(service: str, region: str | None = None):
    """A client acting as the site itself: credentials from the standard boto3 chain on the server
    (environment, shared profile, container or instance role). Used to assume learners' roles."""
    return _shared_session().client(
        service, region_name=region or settings.LABS_AWS_REGIONS[0],
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20),
    )


def site_identity() -> dict:
    """GetCallerIdentity for the site's own credentials, quickly: one attempt, short timeouts, and
    at most one short try of the instance metadata service when nothing else has credentials."""
    import botocore.session

    core = botocore.session.get_session()
    core.set_config_variable("metadata_service_timeout", 1)
    core.set_config_variable("metadata_service_num_attempts", 1)
    client = boto3.Session(botocore_session=core).client(
        "sts", region_name=settings.LABS_AWS_REGIONS[0],
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2, read_timeout=5))
    return client.get_caller_identity()


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


# Fault injection for `manage.py lab chaos` (labs/chaos.py): each hook is asked before every call
# and may answer it instead of AWS with (http_response, parsed). Empty outside chaos runs.
FAULT_HOOKS: list = []


def _injected_fault(model, **kwargs):
    for hook in list(FAULT_HOOKS):
        answer = hook(model.service_model.service_name, model.name)
        if answer is not None:
            return answer
    return None


CLIENT_CACHE_SIZE = 128


def client(target: Target, service: str):
    """A client for ``service`` as ``target``, reused by this thread while its session lives: making
    one costs about 20 ms (a lab run's inventory alone lists 25 services), calling it nothing more.
    ``Clients`` tells it whom to report its calls to (``on_call``) each time it hands it out."""
    session = _shared_session()
    cache = session.__dict__.setdefault("_academy_clients", OrderedDict())
    key = (service, target.region, target.endpoint_url, target.access_key_id, target.secret_access_key,
           target.session_token, target.permissions_boundary)
    made = cache.get(key)
    if made is None:
        made = cache[key] = _new_client(session, target, service)
        while len(cache) > CLIENT_CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return made


def _new_client(session, target: Target, service: str):
    made = session.client(
        service,
        region_name=target.region,
        endpoint_url=target.endpoint_url,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_access_key,
        aws_session_token=target.session_token,
        config=client_config(target),
    )
    made.meta.events.register("after-call", _remember_failure)
    made.meta.events.register("before-call", _injected_fault)
    if service == "cognito-idp" and target.is_local:
        # SignUp, InitiateAuth and the other public user-pool calls go unsigned to AWS; MiniStack takes the
        # account from the signature, so unsigned they would land in its default account. Sign them locally.
        made.meta.events.register("choose-signer.cognito-idp", lambda **kwargs: "v4")
    if service == "iam" and target.permissions_boundary:
        boundary = target.permissions_boundary

        def with_boundary(params, **kwargs):
            params.setdefault("PermissionsBoundary", boundary)

        made.meta.events.register("provide-client-params.iam.CreateRole", with_boundary)
    _watch(made)
    return made


_last_failure = threading.local()


def _remember_failure(http_response, model, **kwargs):
    # A ClientError does not say which service raised it; the explanation of an access denied
    # names the IAM action, which needs it.
    if http_response.status_code >= 300:
        _last_failure.call = (model.service_model.service_name, model.name)


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
            self._clients[service] = client(self.target, service)
        made = self._clients[service]
        made._academy_on_call = self._on_call  # a shared client reports to whoever handed it out last
        return made


def clients_for(sandbox, on_call=None) -> "Clients":
    """The clients for a :class:`labs.models.Sandbox`: what views, the engine and commands use."""
    return Clients(target_for(sandbox), on_call=on_call)


def _watch(made):
    """Report each call of ``made`` to its current ``_academy_on_call`` (set by ``Clients``), if any."""
    service = made.meta.service_model.service_name
    made._academy_on_call = None

    def before(context, **kwargs):
        context["academy_started"] = time.perf_counter()

    def elapsed(context):
        began = (context or {}).get("academy_started")
        return round((time.perf_counter() - began) * 1000) if began else None

    def after(http_response, parsed, model, context=None, **kwargs):
        if made._academy_on_call is not None:
            error = (parsed or {}).get("Error", {}).get("Code") if http_response.status_code >= 300 else None
            made._academy_on_call(service, model.name, http_response.status_code, elapsed(context), error)

    def failed(exception, context=None, event_name="", **kwargs):
        if made._academy_on_call is not None:
            made._academy_on_call(service, event_name.rsplit(".", 1)[-1], None, elapsed(context),
                                  type(exception).__name__)

    made.meta.events.register("before-call", before)
    made.meta.events.register("after-call", after)
    made.meta.events.register("after-call-error", failed)


def log_events(logs, group: str, **kwargs):
    """Every event of CloudWatch Logs ``FilterLogEvents`` on ``group`` (``kwargs``: startTime,
    filterPattern...), page after page. Stops when a page repeats its token (MiniStack can)."""
    kwargs = {"logGroupName": group, **kwargs}
    while True:
        page = logs.filter_log_events(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken") or page.get("nextToken") == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_not_found(error: Exception) -> bool:
    return error_code(error) in NOT_FOUND_CODES


TRANSIENT_CODES = frozenset({
    "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException", "SlowDown", "Throttling", "ThrottlingException",
    "TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "EC2ThrottledException", "PriorRequestNotComplete",
})


def is_transient(error: Exception) -> bool:
    """An error a later attempt may not get: throttling, a 5xx, a dropped or timed-out connection.
    botocore retries these already; one that outlasts its retries inside a longer wait is retried there."""
    from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

    if isinstance(error, (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, ConnectionError, TimeoutError)):
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error_code(error) in TRANSIENT_CODES or status >= 500
    return False


def error_message(error: Exception, *, service: str = "", operation: str = "") -> str:
    """What went wrong, for a learner: AWS's words, and for access denied, throttling, quotas,
    regions and credentials what to change (:func:`own_account.aws_errors.explain`)."""
    from own_account.aws_errors import explain

    if isinstance(error, ClientError) and not service:
        last = getattr(_last_failure, "call", None)
        if last and last[1] == getattr(error, "operation_name", None):
            service = last[0]
    return explain(error, service=service, operation=operation)
