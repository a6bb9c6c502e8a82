"""The local sandbox: a MiniStack process on 127.0.0.1, and how the site knows it is up.

MiniStack runs learners' Lambda code as local subprocesses that inherit its environment, so
it is started with a minimal environment (never the site's: no SECRET_KEY, no DATABASE_URL)
and bound to 127.0.0.1 only. Its optional network listeners that labs do not use (IoT MQTT
over TLS on 0.0.0.0:8883, SFTP) are switched off. State lives in memory: a restart forgets
every deployed resource, which teardown tolerates.

``manage.py sandbox`` runs it alone; ``make run`` starts it with the site (SITE_PROCESSES);
the tests and the benchmark start their own on a free port with :class:`LocalSandbox`.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from labs.aws import LOCAL_SECRET

HEALTH_PATH = "/_ministack/health"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_status_cache: dict[str, tuple[float, "SandboxStatus"]] = {}


@dataclass(frozen=True)
class SandboxStatus:
    up: bool
    url: str
    detail: str = ""


def health(url: str | None = None, timeout: float = 1.0) -> SandboxStatus:
    """Ask the emulator at ``url`` whether it is serving (one GET, no retries)."""
    url = (url or settings.LABS_SANDBOX_URL).rstrip("/")
    try:
        with _NO_PROXY.open(url + HEALTH_PATH, timeout=timeout) as response:
            services = json.loads(response.read() or b"{}").get("services", {})
    except (OSError, ValueError) as error:
        return SandboxStatus(False, url, f"nothing answers at {url} ({getattr(error, 'reason', error)})")
    needed = ("s3", "dynamodb", "lambda", "iam", "apigateway")
    missing = [name for name in needed if name not in services]
    if missing:
        return SandboxStatus(False, url, f"the emulator at {url} does not serve {', '.join(missing)}")
    return SandboxStatus(True, url, f"MiniStack answers at {url}")


def down_message(url: str | None = None) -> str:
    """What to tell a learner when the local sandbox does not answer ("" when it does): not an AWS
    region or permission problem, so never the AWS account's explanations."""
    status = health(url)
    if status.up:
        return ""
    return (f"The local sandbox is not running ({status.detail}): start it with `python manage.py sandbox` "
            "(or `make run`), then try again.")


# What MiniStack 1.5.33 with AUTH=true enforces in a learner's account, as tried (docs/labs.md).
ENFORCED = (
    "A function runs as its execution role: the role's identity policies (inline and attached), an explicit "
    "Deny and a permissions boundary decide every AWS call it makes. A role without dynamodb:PutItem makes the "
    "function's write fail with AccessDeniedException, as in AWS.",
    "An IAM user's access key: its signature is checked and the user's policies are enforced.",
    "CloudFront: a distribution answers viewers at its <id>.cloudfront.net name, runs its published CloudFront "
    "Functions (the JavaScript, in Node), redirects HTTP to HTTPS, and an origin access control's signed request to "
    "S3 is allowed or refused by the bucket policy.",
    "The RDS Data API's checks before any SQL: the cluster's Data API switch (HttpEndpointNotEnabledException), an "
    "available writer instance, a secret that exists and holds a password, and the caller's rds-data permission.",
)
NOT_ENFORCED = (
    "Resource-based policies on functions: API Gateway and S3 invoke a function whose policy does not allow "
    "them (the lab's check reads the policy instead).",
    "S3 bucket policies do not restrict the account's root.",
    "Your account's key is its root (the 12-digit account id) and its secret is not checked: the sandbox keeps "
    "learners apart, it does not authenticate them.",
    "Memory size, ephemeral storage (/tmp is this machine's disk) and the Python version (functions run under "
    "this machine's Python 3.11; a test holds lab code to the declared runtime).",
    "A stream event source mapping's batching window, bisect on error, retry limit, record age and on-failure "
    "destination: a batch that fails is retried every second, forever (the lab's check reads the settings).",
    "Data Firehose's buffering hints and role: each record is written at once; its transform runs once per "
    "record; records the transform fails are dropped, not written under the error prefix.",
    "A state machine's execution role: Step Functions runs its Task states against your real functions, but "
    "invokes them without evaluating the role's policy (it only checks that the role exists). The lab's check "
    "reads the policy instead.",
    "Error names of a failed Python task: every exception is reported as Runtime.HandlerError, not by its class "
    "name (PaymentDeclined) as in AWS, so a Retry or Catch that matches a class name does not match locally.",
    "Lambda@Edge: a distribution's Lambda@Edge associations are stored, never run (the edge lab's verify invokes the "
    "associated version itself, and says so); no replication to edge caches, no deploy delays, no replica deletion "
    "delay before a function can be deleted.",
    "Aurora and RDS Proxy: clusters, db.serverless instances, RDS-managed master secrets and proxies are created as "
    "configuration only. There is no PostgreSQL engine without Docker, so the Data API refuses the SQL itself "
    "(\"stub mode\") and the relational lab's verify says no SQL ran; capacity scaling, auto-pause (SecondsUntilAutoPause "
    "is not even kept) and the proxy's pooling and secret reading run only in AWS.",
    "EFS and a function's file system: file systems, access points and mount targets are stored (available at once), "
    "but nothing is mounted: a function's FileSystemConfigs is only stored, and EFS IAM authorization is not "
    "evaluated. The containers lab's function refuses to write where nothing is mounted, and its checks read the "
    "configuration.",
    "ECS tasks run only through Docker, which the local sandbox does not have: a Fargate service's tasks are "
    "listed as RUNNING without anything running. The containers lab checks the task definition and the service "
    "by configuration and never counts tasks.",
)


def enabled() -> bool:
    """Whether this site offers the local sandbox at all (``LABS_LOCAL_SANDBOX``)."""
    return settings.LABS_LOCAL_SANDBOX


def status(max_age: float = 3.0) -> SandboxStatus:
    """:func:`health`, remembered for a few seconds so busy pages do not each ask."""
    url = settings.LABS_SANDBOX_URL
    cached = _status_cache.get(url)
    now = time.monotonic()
    if cached and now - cached[0] < max_age:
        return cached[1]
    result = health(url, timeout=0.5)
    _status_cache[url] = (now, result)
    return result


def forget_status() -> None:
    _status_cache.clear()


def ministack_env(port: int) -> dict:
    """The whole environment MiniStack (and every Lambda function it runs) gets."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "IOT_MTLS_ENABLED": "0",
        "SFTP_ENABLED": "0",
        "LOG_LEVEL": os.environ.get("LABS_SANDBOX_LOG_LEVEL", "WARNING"),
        "MINISTACK_REGION": settings.LABS_REGION,
        "PYTHONUNBUFFERED": "1",
        # MiniStack's IAM evaluator: each function runs with an STS session of its execution role, and
        # that role's identity policies decide its calls (docs/labs.md lists what is and is not
        # enforced). The site's own calls use the account's root key, whose secret is this one.
        "AUTH": "true" if settings.LABS_SANDBOX_AUTH else "false",
        "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET,
    }
    return env


def port_of(url: str) -> int:
    return urlsplit(url).port or 80


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class SandboxError(Exception):
    pass


def _die_with_parent() -> None:
    # Linux: if whoever started the sandbox dies without stopping it, the kernel stops it.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class LocalSandbox:
    """A MiniStack child process on ``port``; a context manager that stops it on exit."""

    def __init__(self, port: int | None = None, *, log=None, ready_timeout: float = 30.0):
        self.port = port or port_of(settings.LABS_SANDBOX_URL)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> "LocalSandbox":
        if port_in_use(self.port):
            raise SandboxError(f"127.0.0.1:{self.port} is already in use")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ministack"],
            env=ministack_env(self.port),
            cwd=settings.VAR_DIR if settings.VAR_DIR.exists() else None,
            stdout=self.log if self.log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log is not None else subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches the supervisor, which stops us
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SandboxError(f"MiniStack exited with code {self.process.returncode} while starting")
            if health(self.url, timeout=0.5).up:
                return self
            time.sleep(0.05)
        self.stop()
        raise SandboxError(f"MiniStack did not answer on {self.url} within {self.ready_timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # MiniStack's Lambda workers are its children, in its process group.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
