"""Signing users up and in against the lab's user pool: what the verify and the run page's panel
do, through the run's clients (in the local sandbox the public calls are signed so that they
reach the learner's emulated account: see ``labs.aws.client``)."""

import base64
import json

from labs.aws import error_code


def sign_up(idp, client_id: str, username: str, password: str) -> str:
    """SignUp, the public call an app makes; the new user's sub."""
    return idp.sign_up(ClientId=client_id, Username=username, Password=password)["UserSub"]


def confirm(idp, pool_id: str, username: str) -> None:
    """AdminConfirmSignUp: what the emailed code would do (the lab's pool sends no email)."""
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)


def sign_in(idp, client_id: str, username: str, password: str) -> dict:
    """InitiateAuth with USER_PASSWORD_AUTH: the AuthenticationResult (IdToken, AccessToken, ...)."""
    return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": username, "PASSWORD": password})["AuthenticationResult"]


def ensure_user(idp, pool_id: str, client_id: str, username: str, password: str, groups=()) -> str:
    """A confirmed user with this password and exactly these groups (the verify's test users); its sub."""
    try:
        sign_up(idp, client_id, username, password)
    except Exception as error:  # noqa: BLE001
        if error_code(error) != "UsernameExistsException":
            raise
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    if user.get("UserStatus") == "UNCONFIRMED":
        confirm(idp, pool_id, username)
    have = {g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]}
    for group in set(groups) - have:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    for group in have - set(groups):
        idp.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def claims_of(token: str) -> dict:
    """A JWT's payload, decoded without checking anything: only to build test tokens and show
    what a token says. Trust comes from the authorizer, never from this."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def tampered(token: str, **changes) -> str:
    """The token with its claims changed and its signature kept: what an attacker would try."""
    head, _, rest = token.partition(".")
    _, _, signature = rest.partition(".")
    claims = {**claims_of(token), **changes}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{payload}.{signature}"


def masked(secret: str) -> str:
    """What the page may show of a token or key: its first and last characters."""
    return f"{secret[:6]}…{secret[-4:]}" if len(secret) > 14 else "…"
