"""The secured-API lab's verify: real sign-ups and sign-ins against the user pool, then both APIs
called as an app would call them, with no token, bad tokens, good tokens and the API key.

What the local sandbox (MiniStack 1.5.33) really enforces decides what a check may claim: its REST
API Cognito authorizer verifies the token (RS256 signature against the pool's keys, issuer,
expiry), so those answers count; its AppSync only refuses a request that carries no credential at
all and does not verify tokens or apply @aws_api_key, so there a forged token's or an API key's
success is reported as what the sandbox did, never counted as a pass (the graphql step's check
reads that configuration instead)."""

import secrets

from labs.catalog.securedapi import users
from labs.catalog.securedapi.graphql_step import live_api_key
from labs.catalog.securedapi.names import GROUP, function_name, table_name
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit.functions import log_tail

MEMBER, ADMIN = "verify-member", "verify-admin"
GATEWAY_401 = b"Unauthorized"


def _json(result) -> dict:
    try:
        body = result.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _local(ctx: Context) -> bool:
    return ctx.deployment.target.is_local


def _tokens(ctx: Context) -> dict | None:
    return ctx.scratch.get("tokens")


def verify_sign_in(ctx: Context) -> CheckResult:
    idp = ctx.clients["cognito-idp"]
    pool_id, client_id = ctx.outputs.get("pool_id"), ctx.outputs.get("client_id")
    if not pool_id or not client_id:
        return CheckResult.failed("The user pool or its app client is missing: do step 1 first.")
    tokens = {}
    for username, groups in ((MEMBER, ()), (ADMIN, (GROUP,))):
        password = f"Lab-{secrets.token_hex(8)}-7q"
        try:
            sub = users.ensure_user(idp, pool_id, client_id, username, password, groups)
            result = users.sign_in(idp, client_id, username, password)
        except Exception as error:  # noqa: BLE001 - said to the learner
            return CheckResult.failed(f"Signing up or in as {username} failed: {error}. Does the app client allow "
                                      "USER_PASSWORD_AUTH?")
        claims = users.claims_of(result["IdToken"])
        issuer = f"https://cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
        if claims.get("iss") != issuer or claims.get("sub") != sub:
            return CheckResult.failed(f"{username}'s ID token names issuer {claims.get('iss')} and sub "
                                      f"{claims.get('sub')}, not the pool's {issuer} and the user's {sub}.")
        tokens[username] = {"sub": sub, "id": result["IdToken"], "access": result["AccessToken"],
                            "username": claims.get("cognito:username", username)}
    ctx.scratch["tokens"] = tokens
    return CheckResult.passed(f"Signed up {MEMBER} and {ADMIN} (in the group {GROUP}), confirmed them, and signed "
                              "both in: ID and access tokens issued by the pool.")


def verify_no_token(ctx: Context) -> CheckResult:
    answer = ctx.deployment.api_with_token("GET", "/me")
    if answer.status == 200:
        return CheckResult.failed("GET /me answered 200 without a token: the route is open to anyone. Give it the "
                                  "Cognito authorizer and deploy again.")
    if answer.status != 401 or GATEWAY_401 not in answer.body or b"authorizer" in answer.body:
        return CheckResult.failed(f"GET /me without a token answered {answer.status} "
                                  f"({answer.body[:160].decode('utf-8', 'replace')}), not API Gateway's own 401 "
                                  "Unauthorized: the authorizer did not refuse it" + (
                                      " (the function did: the route has no authorizer)." if answer.status == 401 else "."))
    return CheckResult.passed("GET /me without a token: 401 Unauthorized from API Gateway; the function never ran.")


def verify_bad_token(ctx: Context) -> CheckResult:
    tokens = _tokens(ctx)
    if not tokens:
        return CheckResult.failed("Skipped: nobody could sign in.")
    member = tokens[MEMBER]["id"]
    tries = (("/admin", "the member's ID token with cognito:groups changed to [admins] (signature kept)",
              users.tampered(member, **{"cognito:groups": [GROUP]})),
             ("/me", "a token with its expiry pushed a day later (signature kept)",
              users.tampered(member, exp=users.claims_of(member).get("exp", 0) + 86400)),
             ("/me", "a string that is not a JWT", "not-a-token"))
    for path, label, token in tries:
        answer = ctx.deployment.api_with_token("GET", path, token)
        if answer.status != 401:
            return CheckResult.failed(f"GET {path} with {label} answered {answer.status}, not 401: the authorizer "
                                      "accepted a token whose signature does not match its claims.")
    where = ("MiniStack's REST authorizer checks it as API Gateway does: the RS256 signature against the pool's "
             "JWKS, the issuer and the expiry" if _local(ctx) else "API Gateway checks the signature")
    return CheckResult.passed(f"Forged tokens (groups changed, expiry changed, not a JWT) each get 401: {where}. "
                              "(A token that really expired is not tried: the shortest lifetime a pool allows is "
                              "5 minutes.)")


def verify_claims(ctx: Context) -> CheckResult:
    tokens = _tokens(ctx)
    if not tokens:
        return CheckResult.failed("Skipped: nobody could sign in.")
    member = tokens[MEMBER]
    for kind in ("id", "access"):
        answer = ctx.deployment.api_with_token("GET", "/me", member[kind])
        body = _json(answer)
        if answer.status != 200:
            why = f" {log_tail(ctx, function_name(ctx.name))}" if answer.status >= 500 else ""
            return CheckResult.failed(f"GET /me with {MEMBER}'s {kind} token answered {answer.status}: "
                                      f"{answer.body[:200].decode('utf-8', 'replace')}{why}")
        if body.get("sub") != member["sub"] or body.get("token_use") != kind:
            return CheckResult.failed(f"GET /me with the {kind} token answered 200, but the function saw sub "
                                      f"{body.get('sub')!r} and token_use {body.get('token_use')!r}, not "
                                      f"{member['sub']} and {kind}.")
    return CheckResult.passed(f"GET /me with {MEMBER}'s ID token and with the access token: 200, and the function "
                              f"saw the claims the authorizer verified (sub {member['sub']}).")


def verify_group(ctx: Context) -> CheckResult:
    tokens = _tokens(ctx)
    if not tokens:
        return CheckResult.failed("Skipped: nobody could sign in.")
    refused = ctx.deployment.api_with_token("GET", "/admin", tokens[MEMBER]["id"])
    if refused.status != 403:
        return CheckResult.failed(f"GET /admin as {MEMBER} (not in {GROUP}) answered {refused.status}, not 403.")
    allowed = ctx.deployment.api_with_token("GET", "/admin", tokens[ADMIN]["id"])
    if allowed.status != 200 or GROUP not in (_json(allowed).get("groups") or []):
        return CheckResult.failed(f"GET /admin as {ADMIN} (in {GROUP}) answered {allowed.status}: "
                                  f"{allowed.body[:200].decode('utf-8', 'replace')}. Is ADMIN_GROUP set to {GROUP}?")
    return CheckResult.passed(f"GET /admin: 403 for {MEMBER}, 200 for {ADMIN}, decided by the cognito:groups claim.")


def _stored(ctx: Context, note_id: str) -> bool:
    # A Scan, not GetItem: MiniStack 1.5.33's AppSync stores items of a table without a sort key under
    # another internal sort value than its DynamoDB API reads, so GetItem misses them there (Scan sees them).
    pages = ctx.clients.dynamodb.get_paginator("scan").paginate(TableName=table_name(ctx.name))
    return any(item.get("id", {}).get("S") == note_id for page in pages for item in page.get("Items", []))


def verify_graphql(ctx: Context) -> CheckResult:
    tokens = _tokens(ctx)
    if not tokens:
        return CheckResult.failed("Skipped: nobody could sign in.")
    member = tokens[MEMBER]
    text = f"Verify {ctx.name.prefix} {secrets.token_hex(3)}"
    added = ctx.deployment.graphql("mutation Add($text: String!) { addNote(text: $text) { id text author } }",
                                   {"text": text}, token=member["id"])
    note = ((_json(added).get("data") or {}).get("addNote")) or {}
    if added.status != 200 or not note.get("id") or note.get("text") != text:
        return CheckResult.failed(f"The addNote mutation with {MEMBER}'s token answered {added.status}: "
                                  f"{added.body[:300].decode('utf-8', 'replace')}")
    if note.get("author") != member["username"]:
        return CheckResult.failed(f"addNote stored author {note.get('author')!r}, not the caller's user name "
                                  f"{member['username']}: the resolver must take it from ctx.identity.")
    if not _stored(ctx, note["id"]):
        return CheckResult.failed(f"addNote answered with id {note['id']}, but the table has no such item.")
    listed = ctx.deployment.graphql("{ listNotes { id } }", token=member["id"])
    ids = [n.get("id") for n in ((_json(listed).get("data") or {}).get("listNotes") or []) if isinstance(n, dict)]
    if note["id"] not in ids:
        return CheckResult.failed(f"listNotes answered {listed.status} without the new note.")
    who = ctx.deployment.graphql("{ whoAmI { sub username groups } }", token=member["id"])
    seen = (_json(who).get("data") or {}).get("whoAmI") or {}
    if seen.get("sub") != member["sub"]:
        return CheckResult.failed(f"whoAmI (the Lambda resolver) answered {who.status}: "
                                  f"{who.body[:300].decode('utf-8', 'replace')}; expected sub {member['sub']}. "
                                  f"{log_tail(ctx, function_name(ctx.name))}")
    return CheckResult.passed(f"With {MEMBER}'s token: addNote wrote note {note['id']} to the table (author from the "
                              "token), listNotes returns it, and whoAmI (the Lambda resolver) saw the caller's sub.")


def verify_graphql_refused(ctx: Context) -> CheckResult:
    tokens = _tokens(ctx)
    if not tokens:
        return CheckResult.failed("Skipped: nobody could sign in.")
    bare = ctx.deployment.graphql("{ listNotes { id } }")
    if bare.status != 401:
        return CheckResult.failed(f"listNotes with no token and no key answered {bare.status}, not 401: "
                                  f"{bare.body[:200].decode('utf-8', 'replace')}")
    forged = users.tampered(tokens[MEMBER]["id"], sub="someone-else")
    answer = ctx.deployment.graphql("{ listNotes { id } }", token=forged)
    if answer.status == 401:
        return CheckResult.passed("Without a token: 401. With a forged token: 401.")
    if not _local(ctx):
        return CheckResult.failed(f"listNotes with a forged token (sub changed, signature kept) answered "
                                  f"{answer.status}, not 401.")
    return CheckResult.passed(
        "Without a token or key: 401 UnauthorizedException (the sandbox enforces that much). A forged token was "
        f"answered {answer.status} here: the local sandbox does not verify AppSync tokens, so that part is not "
        "tested locally; the graphql step's check confirmed the user pool is the API's default mode, which AWS "
        "enforces.")


def verify_public(ctx: Context) -> CheckResult:
    key = live_api_key(ctx.clients.appsync, ctx.outputs.get("graphql_id", ""))
    if key is None:
        return CheckResult.failed("The GraphQL API has no API key valid for another hour: do step 5 again.")
    notice = ctx.deployment.graphql("{ notice { message } }", api_key=key["id"])
    message = (((_json(notice).get("data") or {}).get("notice")) or {}).get("message")
    if notice.status != 200 or not message:
        return CheckResult.failed(f"The notice query with the API key answered {notice.status}: "
                                  f"{notice.body[:300].decode('utf-8', 'replace')}")
    write = ctx.deployment.graphql('mutation { addNote(text: "with the public key") { id } }', api_key=key["id"])
    body = _json(write)
    refused = write.status == 401 or (not (body.get("data") or {}).get("addNote") and any(
        "nauthorized" in str(e.get("errorType", "")) + str(e.get("message", "")) for e in body.get("errors") or []))
    if refused:
        return CheckResult.passed(f"The API key reads the public notice ({message!r}) and is refused addNote.")
    if not _local(ctx):
        return CheckResult.failed(f"addNote with the API key was not refused ({write.status}): only notice may "
                                  "accept the key. Remove @aws_api_key from addNote and from Note.")
    return CheckResult.passed(
        f"The API key reads the public notice ({message!r}). addNote with the key was not refused here: the local "
        "sandbox does not apply @aws_api_key / @aws_cognito_user_pools per field (not tested locally; the graphql "
        "step's check read the schema's directives, which AWS enforces).")


CHECKS = (
    VerifyCheck("sign-in", "Two test users sign up and sign in", verify_sign_in),
    VerifyCheck("no-token", "No token: 401 from API Gateway", verify_no_token),
    VerifyCheck("bad-token", "Forged tokens: 401", verify_bad_token),
    VerifyCheck("claims", "A good token: 200 with the claims the function saw", verify_claims),
    VerifyCheck("group", "The admins-only route: 403 outside the group, 200 inside", verify_group),
    VerifyCheck("graphql", "GraphQL mutation and queries work with a token", verify_graphql),
    VerifyCheck("graphql-refused", "GraphQL without a token is refused", verify_graphql_refused),
    VerifyCheck("public", "The public query works with the API key", verify_public),
)
