"""Connecting a learner's own AWS account: the writes behind the labs' account page.

Two ways, both checked against AWS before anything is saved:

- **A cross-account role** (recommended). The learner deploys :mod:`own_account.aws_role`'s template,
  which trusts the site's account only with the learner's external id, and pastes the role's
  ARN. :func:`sandbox_connect_role` assumes it with the external id; then *without* one and with a
  wrong one, and refuses the role if either works (anyone the role trusts could then use it
  through the site); then asks who it is (``sts:GetCallerIdentity``) and what the account is
  called. Only the ARN is stored; sessions live in memory for one action (:func:`labs.aws.target_for`).
- **An IAM user's access key pair** (allowed, with a warning: a long-lived secret). Checked with
  ``GetCallerIdentity`` (root keys and temporary keys are refused), then encrypted
  (:mod:`own_account.vault`); pages show the key id's last four characters only.

Either way the account must pass :func:`own_account.guardrails.account_refusal` (no "prod" alias, not
blocklisted), and a new connection must be confirmed (:func:`sandbox_confirm`) before a deploy.
"""

import re
import secrets
import threading
import time

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from labs import aws
from own_account import aws_role
from own_account import guardrails
from own_account import vault
from labs.models import LabRun, LedgerEntry, Sandbox

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
ACCESS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")


class ConnectionRefused(Exception):
    """The account cannot be connected (or used) as it is; the message says why and what to change."""


# The site's own account ---------------------------------------------------------------------

_site_account = {"id": None, "error": "", "at": 0.0}
_site_lock = threading.Lock()


NOT_CONFIGURED = ("the operator has not set LABS_AWS_SITE_ACCOUNT_ID (`manage.py lab_account identify` asks AWS "
                  "which account the site's credentials belong to)")


def site_account_id(*, lookup: bool = False) -> tuple[str | None, str]:
    """(the site's AWS account id, why it is unknown). Page views pass lookup=False and read only
    the setting (or what an earlier lookup found): a page view must never make the server probe
    for credentials, which on a machine without any means a walk to the EC2 metadata address.
    Actions that use the site's credentials anyway (connecting a role) may look it up, with a
    short timeout; a failure is asked again after a minute."""
    if settings.LABS_AWS_SITE_ACCOUNT_ID:
        return settings.LABS_AWS_SITE_ACCOUNT_ID, ""
    with _site_lock:
        if _site_account["id"] or not lookup or (time.monotonic() - _site_account["at"] < 60 and _site_account["at"]):
            return _site_account["id"], _site_account["error"] or ("" if _site_account["id"] else NOT_CONFIGURED)
        try:
            _site_account["id"] = aws.site_identity()["Account"]
            _site_account["error"] = ""
        except (ClientError, BotoCoreError) as error:
            _site_account["id"] = None
            _site_account["error"] = aws.error_message(error, service="sts", operation="GetCallerIdentity")
        _site_account["at"] = time.monotonic()
        return _site_account["id"], _site_account["error"]


def forget_site_account() -> None:
    _site_account.update({"id": None, "error": "", "at": 0.0})


# Checks -------------------------------------------------------------------------------------

def _identity(clients) -> dict:
    return clients.sts.get_caller_identity()


def _alias(clients) -> str:
    try:
        aliases = clients.iam.list_account_aliases().get("AccountAliases", [])
    except ClientError as error:
        raise ConnectionRefused(
            "The site cannot read the account's alias (iam:ListAccountAliases), which it checks so that it never "
            f"deploys into a production account. Allow it. ({aws.error_message(error, service='iam', operation='ListAccountAliases')})"
        ) from None
    return aliases[0] if aliases else ""


def _boundary(clients, account_id: str) -> str:
    arn = aws_role.boundary_arn(account_id)
    try:
        clients.iam.get_policy(PolicyArn=arn)
    except ClientError:
        return ""  # not there (or not readable): roles are created without a boundary
    return arn


def _refuse_if_unsafe(account_id: str, alias: str, region: str) -> None:
    refusal = guardrails.region_refusal(region) or guardrails.account_refusal(account_id, alias)
    if refusal:
        raise ConnectionRefused(refusal)


def _explained(error, operation):
    return aws.error_message(error, service="sts", operation=operation)


def check_role(*, role_arn: str, external_id: str, region: str, session_name: str) -> dict:
    """Assume the role the way the site will, and prove it demands the external id. Returns what
    was learnt: account_id, caller_arn, alias, boundary. Raises :class:`ConnectionRefused`."""
    match = ROLE_ARN.match(role_arn.strip())
    if not match:
        raise ConnectionRefused("That is not an IAM role ARN. It looks like arn:aws:iam::123456789012:role/"
                                f"{aws_role.ROLE_NAME} (the stack's RoleArn output).")
    account_id = match.group(1)
    _refuse_if_unsafe(account_id, "", region)
    sts = aws.site_client("sts", region)
    try:
        credentials = aws.assume_role(sts, role_arn=role_arn, external_id=external_id, session_name=session_name,
                                      seconds=900)
    except (ClientError, BotoCoreError) as error:
        if aws.error_code(error) in ("AccessDenied", "AccessDeniedException"):
            site, _ = site_account_id(lookup=True)
            raise ConnectionRefused(
                f"The site could not assume {role_arn} with your external id. Check that the role exists, that its "
                f"trust policy allows the account {site or 'of this site'} with the condition sts:ExternalId = "
                f"{external_id}, and that the ARN is exactly the stack's RoleArn output. "
                f"({_explained(error, 'AssumeRole')})") from None
        raise ConnectionRefused(f"The site could not assume {role_arn}: {_explained(error, 'AssumeRole')}") from None
    for label, probe in (("without an external id", None), ("with a wrong external id", "wrong-" + secrets.token_hex(8))):
        try:
            aws.assume_role(sts, role_arn=role_arn, external_id=probe, session_name=session_name, seconds=900)
        except ClientError:
            continue  # refused, as it must be
        raise ConnectionRefused(
            f"The role {role_arn} can be assumed {label}. Anyone its trust policy allows could then make this site act "
            "in your account, so it is refused. Require your external id: add the condition "
            f"\"StringEquals\": {{\"sts:ExternalId\": \"{external_id}\"}} to the trust policy (the template does).")
    clients = aws.Clients(aws.role_target(credentials, region))
    identity = _identity(clients)
    if identity["Account"] != account_id:
        raise ConnectionRefused(f"The role answered from account {identity['Account']}, not {account_id}.")
    alias = _alias(clients)
    _refuse_if_unsafe(account_id, alias, region)
    return {"account_id": account_id, "caller_arn": identity["Arn"], "alias": alias,
            "boundary": _boundary(clients, account_id)}


@sensitive_variables("access_key_id", "secret_access_key", "keys", "target")
def check_keys(*, access_key_id: str, secret_access_key: str, region: str) -> dict:
    """Use the key pair once to learn whose it is; refuse root and temporary keys. Raises
    :class:`ConnectionRefused` (the message never contains the secret)."""
    if not ACCESS_KEY_ID.match(access_key_id):
        raise ConnectionRefused("That is not an access key id: it starts with AKIA and is 20 characters long.")
    if access_key_id.startswith("ASIA"):
        raise ConnectionRefused("That is a temporary key (ASIA…): it expires within hours and needs a session token. "
                                "Use a long-term access key of an IAM user, or better, connect a role.")
    if len(secret_access_key) < 30 or not re.fullmatch(r"[A-Za-z0-9/+=]+", secret_access_key):
        raise ConnectionRefused("That is not a secret access key: it is 40 characters of letters, digits, / and +.")
    if guardrails.region_refusal(region):
        raise ConnectionRefused(guardrails.region_refusal(region))
    target = aws.Target(access_key_id, secret_access_key, region)
    clients = aws.Clients(target)
    try:
        identity = _identity(clients)
    except (ClientError, BotoCoreError) as error:
        raise ConnectionRefused(f"AWS did not accept this key pair: {_explained(error, 'GetCallerIdentity')}") from None
    if identity["Arn"].endswith(":root"):
        raise ConnectionRefused("These are the account's root user keys. Never give them to any site (or keep them at "
                                "all): delete them in the console, create an IAM user for the labs, and use its keys — "
                                "or better, connect a role.")
    account_id = identity["Account"]
    alias = _alias(clients)
    _refuse_if_unsafe(account_id, alias, region)
    return {"account_id": account_id, "caller_arn": identity["Arn"], "alias": alias,
            "boundary": _boundary(clients, account_id)}


# Writes -------------------------------------------------------------------------------------

def runs_holding(sandbox: Sandbox):
    """Runs in this sandbox that are going on or still hold resources."""
    from django.db.models import Q

    return LabRun.objects.filter(sandbox=sandbox).filter(
        Q(status__in=[status for status in LabRun.Status.values if status not in LabRun.FINISHED])
        | Q(ledger__status__in=LedgerEntry.PRESENT)).distinct()


def _ensure_replaceable(sandbox: Sandbox) -> None:
    if sandbox.is_connected and runs_holding(sandbox).exists():
        raise ConnectionRefused("Runs in the connected account are still going on or hold resources there: tear them "
                                "down first (the labs page lists them), then change the connection.")


def sandbox_connect_role(*, sandbox: Sandbox, role_arn: str, region: str) -> Sandbox:
    """Check the role (see :func:`check_role`) and connect it. A new connection needs confirming."""
    _ensure_replaceable(sandbox)
    role_arn = role_arn.strip()
    found = check_role(role_arn=role_arn, external_id=sandbox.external_id, region=region,
                       session_name=f"serverless-academy-check-{sandbox.user_id}")
    now = timezone.now()
    with transaction.atomic():
        _save(sandbox, connection=Sandbox.Connection.ROLE, role_arn=role_arn, keys_encrypted="", key_hint="",
              region=region, found=found, now=now)
    return sandbox


@sensitive_variables("access_key_id", "secret_access_key")
def sandbox_connect_keys(*, sandbox: Sandbox, access_key_id: str, secret_access_key: str, region: str) -> Sandbox:
    """Check the key pair (see :func:`check_keys`), then store it encrypted. Needs confirming."""
    _ensure_replaceable(sandbox)
    access_key_id, secret_access_key = access_key_id.strip(), secret_access_key.strip()
    found = check_keys(access_key_id=access_key_id, secret_access_key=secret_access_key, region=region)
    token = vault.encrypt_keys(vault.StoredKeys(access_key_id, secret_access_key))
    now = timezone.now()
    with transaction.atomic():
        _save(sandbox, connection=Sandbox.Connection.KEYS, role_arn="", keys_encrypted=token,
              key_hint=access_key_id[-4:], region=region, found=found, now=now)
    return sandbox


def _save(sandbox: Sandbox, *, connection, role_arn, keys_encrypted, key_hint, region, found, now) -> None:
    same_account = sandbox.is_connected and sandbox.account_id == found["account_id"]
    sandbox.connection, sandbox.role_arn, sandbox.keys_encrypted, sandbox.key_hint = (
        connection, role_arn, keys_encrypted, key_hint)
    sandbox.region = region
    sandbox.account_id, sandbox.caller_arn = found["account_id"], found["caller_arn"]
    sandbox.account_alias, sandbox.permissions_boundary = found["alias"], found["boundary"]
    sandbox.connected_at = sandbox.checked_at = now
    if not same_account:
        sandbox.confirmed_at = None  # another account: the learner confirms it again
    sandbox.save()


def sandbox_check(*, sandbox: Sandbox) -> Sandbox:
    """Use the stored connection now: the role is assumed (or the keys used), the account's alias
    read again (it may have been renamed), the guardrails applied. Raises :class:`ConnectionRefused`."""
    if not sandbox.is_connected:
        raise ConnectionRefused("Your AWS account is not connected.")
    try:
        clients = aws.clients_for(sandbox)
        identity = _identity(clients)
    except aws.SandboxUnavailable as error:
        raise ConnectionRefused(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise ConnectionRefused(f"The connection does not work any more: {_explained(error, 'GetCallerIdentity')}") from None
    if identity["Account"] != sandbox.account_id:
        raise ConnectionRefused(f"The connection now reaches account {identity['Account']}, not {sandbox.account_id}: "
                                "connect again.")
    alias = _alias(clients)
    _refuse_if_unsafe(sandbox.account_id, alias, sandbox.region)
    sandbox.account_alias, sandbox.checked_at = alias, timezone.now()
    sandbox.save(update_fields=["account_alias", "checked_at"])
    return sandbox


def sandbox_confirm(*, sandbox: Sandbox, typed: str) -> Sandbox:
    """The learner types the account id (dashes and spaces allowed) to allow deploys into it; the
    connection is checked again first, so a renamed ("prod") or blocklisted account is caught here."""
    digits = re.sub(r"[\s-]", "", typed or "")
    if not sandbox.is_connected:
        raise ConnectionRefused("Connect your AWS account first.")
    if digits != sandbox.account_id:
        raise ConnectionRefused(f"That is not the account id. Type {sandbox.account_display} (the account the site "
                                "connected to) to confirm that labs may deploy there.")
    sandbox_check(sandbox=sandbox)
    sandbox.confirmed_at = timezone.now()
    sandbox.save(update_fields=["confirmed_at"])
    return sandbox


def sandbox_disconnect(*, sandbox: Sandbox) -> None:
    """Forget the connection (the encrypted keys are wiped); refused while runs there hold resources."""
    if runs_holding(sandbox).exists():
        raise ConnectionRefused("Runs in this account are still going on or hold resources: tear them down first, so "
                                "nothing is left behind that the site could no longer delete.")
    Sandbox.objects.filter(pk=sandbox.pk).update(keys_encrypted="", disconnected_at=timezone.now(), confirmed_at=None)
