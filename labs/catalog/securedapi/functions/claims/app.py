"""The secured API's function: it answers the REST API's /me and /admin routes with the caller's
claims (read from what the Cognito authorizer passed in, never from the token itself), and it is
the GraphQL API's Lambda resolver for whoAmI. Standard library only."""

import json
import os
import re


def groups_of(claims: dict) -> list:
    """The user's groups: a list (AppSync), or the string API Gateway makes of it, such as
    "admins", "[admins staff]" or "[admins, staff]"."""
    value = claims.get("cognito:groups") or []
    if isinstance(value, list):
        return [str(group) for group in value]
    return [group for group in re.split(r"[\s,]+", str(value).strip("[]")) if group]


def _answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps(body)}


def rest(event: dict) -> dict:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    if not isinstance(claims, dict) or not claims.get("sub"):
        # Only reachable if the route lost its authorizer: never answer as if someone signed in.
        return _answer(401, {"message": "No verified claims reached the function: is the route's authorizer set?"})
    path = event.get("resource") or event.get("path") or ""
    groups = groups_of(claims)
    seen = {"sub": claims.get("sub"), "username": claims.get("cognito:username") or claims.get("username"),
            "token_use": claims.get("token_use"), "groups": groups, "claims": claims}
    if path == "/me":
        return _answer(200, seen)
    if path == "/admin":
        needed = os.environ.get("ADMIN_GROUP", "")
        if not needed or needed not in groups:
            return _answer(403, {"message": f"Only members of the {needed or '(unset)'} group may call /admin.",
                                 "groups": groups})
        return _answer(200, {**seen, "admin": True})
    return _answer(404, {"message": f"No route {path}"})


def resolver(event: dict):
    """A direct Lambda resolver (no mapping template): AppSync sends arguments, identity, info."""
    field = (event.get("info") or {}).get("fieldName")
    identity = event.get("identity") or {}
    if field != "whoAmI":
        raise ValueError(f"This function resolves whoAmI, not {field}")
    claims = identity.get("claims") or {}
    return {"sub": identity.get("sub") or claims.get("sub"),
            "username": identity.get("username") or claims.get("cognito:username"),
            "groups": groups_of({"cognito:groups": identity.get("groups") or claims.get("cognito:groups") or []}),
            "tokenUse": claims.get("token_use")}


def handler(event, context):
    if isinstance(event, dict) and "info" in event and "requestContext" not in event:
        return resolver(event)
    return rest(event if isinstance(event, dict) else {})
