"""The secured-API lab's part of a run page: sign up a test user, sign in, and call both APIs with
and without the token, from the server, in the run owner's sandbox.

Owner only (anyone else gets 404), POST forms with the CSRF token, no inline script. The password
is used for the one call and never stored or shown; the signed-in user's tokens are kept on the
server (the cache, under the learner's session and this run, for an hour) and shown masked, with the
claims they carry.
"""

import json
import re

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from labs import aws, sandbox, selectors
from labs.catalog import securedapi
from labs.catalog.securedapi import users
from labs.catalog.securedapi.graphql_step import live_api_key
from labs.catalog.securedapi.names import GROUP
from labs.engine.endpoints import graphql_call, token_call
from labs.models import LabRun

USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{3,64}$")
MAX_BODY_SHOWN = 1500
CALLS = {
    "rest-me": ("REST", "GET /me"),
    "rest-admin": ("REST", "GET /admin"),
    "gql-list": ("GraphQL", "query { listNotes { id text author } }"),
    "gql-add": ("GraphQL", "mutation { addNote(text: …) { id text author } }"),
    "gql-whoami": ("GraphQL", "query { whoAmI { sub username groups } }"),
    "gql-notice": ("GraphQL", "query { notice { message } }"),
}
CREDENTIALS = {"token": "with your ID token", "none": "with no token", "key": "with the API key (no token)",
               "forged": "with a forged token (your ID token, groups changed to [admins])"}


def _run(request, pk) -> LabRun:
    run = selectors.run_for(request.user, pk)
    if run.lab_slug != securedapi.LAB.slug:
        raise Http404("This run has no secured API.")
    return run


STATE_SECONDS = 3600  # the tokens live 60 minutes


def _key(request, run: LabRun) -> str:
    # Kept in the cache under the learner's session, not in the session itself: the run page polls
    # while the learner works here, and a poll that saves the session would write back an older copy.
    if not request.session.session_key:
        request.session.save()
    return f"securedapi:{request.session.session_key}:{run.pk}"


def _state(request, run) -> dict:
    return cache.get(_key(request, run)) or {}


def _save(request, run, **changes) -> None:
    cache.set(_key(request, run), {**_state(request, run), **changes}, STATE_SECONDS)


def _missing(run: LabRun) -> str:
    outputs = run.outputs or {}
    if run.is_finished:
        return "This run is over: start a new one to try the APIs."
    if not outputs.get("pool_id") or not outputs.get("client_id"):
        return "Build (or check) step 1, the user pool, first."
    if run.sandbox.is_local and not sandbox.status().up:
        return "The local sandbox is not running."
    return ""


def _context(request, run) -> dict:
    state = _state(request, run)
    signed_in = state.get("signed_in")
    return {"run": run, "problem": _missing(run), "calls": CALLS, "credentials": CREDENTIALS, "group": GROUP,
            "signed_in": signed_in, "result": state.get("result"), "notice": state.get("notice"),
            "notice_bad": state.get("notice_bad", False),
            "chosen": state.get("chosen") or {"call": "rest-me", "credential": "token", "text": "A note from the run page"},
            "has_rest": bool((run.outputs or {}).get("api_id")),
            "has_graphql": bool((run.outputs or {}).get("graphql_id"))}


@never_cache
@require_GET
def panel(request, pk):
    run = _run(request, pk)
    return render(request, "labs/securedapi/_panel_body.html", _context(request, run))


def _done(request, run, notice: str, bad: bool = False):
    if request.htmx:
        _save(request, run, notice=notice, notice_bad=bad)
        return render(request, "labs/securedapi/_panel_body.html", _context(request, run))
    _save(request, run, notice=None)
    (messages.error if bad else messages.success)(request, notice)
    return redirect(run.get_absolute_url() + "#securedapi-panel")


def _credentials(request):
    username = (request.POST.get("username") or "").strip()
    password = request.POST.get("password") or ""
    if not USERNAME.match(username):
        return None, None, "A user name is 3 to 64 letters, digits or . _ @ + -."
    if not 10 <= len(password) <= 128:
        return None, None, "The pool wants a password of 10 to 128 characters, with a lower-case letter and a digit."
    return username, password, ""


@never_cache
@require_POST
def sign_up(request, pk):
    run = _run(request, pk)
    problem = _missing(run)
    username, password, bad_input = _credentials(request) if not problem else (None, None, "")
    if problem or bad_input:
        return _done(request, run, problem or bad_input, bad=True)
    idp = aws.clients_for(run.sandbox)["cognito-idp"]
    pool_id, client_id = run.outputs["pool_id"], run.outputs["client_id"]
    try:
        sub = users.sign_up(idp, client_id, username, password)
        users.confirm(idp, pool_id, username)
        if request.POST.get("admin") == "on":
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=GROUP)
    except Exception as error:  # noqa: BLE001 - said to the learner
        return _done(request, run, f"Sign-up failed: {aws.error_message(error)}", bad=True)
    joined = f" and added to {GROUP}" if request.POST.get("admin") == "on" else ""
    return _done(request, run, f"Signed up {username} (sub {sub}), confirmed with AdminConfirmSignUp{joined}. "
                               "Now sign in.")


@never_cache
@require_POST
def sign_in(request, pk):
    run = _run(request, pk)
    problem = _missing(run)
    username, password, bad_input = _credentials(request) if not problem else (None, None, "")
    if problem or bad_input:
        return _done(request, run, problem or bad_input, bad=True)
    idp = aws.clients_for(run.sandbox)["cognito-idp"]
    try:
        result = users.sign_in(idp, run.outputs["client_id"], username, password)
    except Exception as error:  # noqa: BLE001
        return _done(request, run, f"Sign-in failed: {aws.error_message(error)}", bad=True)
    claims = users.claims_of(result["IdToken"])
    shown = {name: claims.get(name) for name in ("sub", "cognito:username", "cognito:groups", "token_use", "iss", "exp")
             if name in claims}
    _save(request, run, tokens={"id": result["IdToken"]}, result=None, signed_in={
        "username": username, "id_masked": users.masked(result["IdToken"]),
        "access_masked": users.masked(result["AccessToken"]), "claims": json.dumps(shown, indent=2)})
    return _done(request, run, f"Signed in as {username}: the pool issued an ID token and an access token.")


@never_cache
@require_POST
def sign_out(request, pk):
    run = _run(request, pk)
    _save(request, run, tokens=None, signed_in=None, result=None)
    return _done(request, run, "Signed out: the tokens are gone from your session.")


def _call(run, call: str, credential: str, token: str, text: str):
    target = aws.target_for(run.sandbox)
    outputs = run.outputs
    sent = {"token": token, "forged": users.tampered(token, **{"cognito:groups": [GROUP]}) if token else ""}.get(
        credential, "")
    if call.startswith("rest-"):
        return token_call(target, outputs["api_id"], outputs["stage"], "GET", "/" + call[5:], token=sent)
    api_key = ""
    if credential == "key":
        found = live_api_key(aws.clients_for(run.sandbox).appsync, outputs["graphql_id"])
        api_key = found["id"] if found else ""
    query, variables = {
        "gql-list": ("{ listNotes { id text author } }", {}),
        "gql-add": ("mutation Add($text: String!) { addNote(text: $text) { id text author } }", {"text": text}),
        "gql-whoami": ("{ whoAmI { sub username groups tokenUse } }", {}),
        "gql-notice": ("{ notice { message } }", {}),
    }[call]
    return graphql_call(target, outputs["graphql_id"], outputs.get("graphql_url", ""), query, variables,
                        token=sent, api_key=api_key)


@never_cache
@require_POST
def call_api(request, pk):
    run = _run(request, pk)
    call, credential = request.POST.get("call", ""), request.POST.get("credential", "")
    text = (request.POST.get("text") or "A note from the run page").strip()[:200]
    problem = _missing(run)
    outputs = run.outputs or {}
    if not problem and (call not in CALLS or credential not in CREDENTIALS):
        problem = "Choose a call and a credential."
    elif not problem and call.startswith("rest-") and not outputs.get("api_id"):
        problem = "Build (or check) step 3, the REST API, first."
    elif not problem and call.startswith("gql-") and not outputs.get("graphql_id"):
        problem = "Build (or check) step 5, the GraphQL API, first."
    if call in CALLS and credential in CREDENTIALS:  # the form keeps what was chosen
        _save(request, run, chosen={"call": call, "credential": credential, "text": text})
    token = ((_state(request, run).get("tokens") or {}).get("id")) or ""
    if not problem and credential in ("token", "forged") and not token:
        problem = "Sign in first: this call sends your ID token."
    if problem:
        return _done(request, run, problem, bad=True)
    try:
        answer = _call(run, call, credential, token, text)
    except Exception as error:  # noqa: BLE001
        return _done(request, run, f"The call failed: {aws.error_message(error)}", bad=True)
    body = answer.body.decode("utf-8", "replace")
    try:
        body = json.dumps(json.loads(body), indent=2)
    except ValueError:
        pass
    if token:
        body = body.replace(token, users.masked(token))  # never echo a token in full
    _save(request, run, result={"call": f"{CALLS[call][0]} {CALLS[call][1]}", "credential": CREDENTIALS[credential],
                                "status": answer.status, "body": body[:MAX_BODY_SHOWN],
                                "cut": len(body) > MAX_BODY_SHOWN})
    return _done(request, run, f"{CALLS[call][1]} {CREDENTIALS[credential]}: HTTP {answer.status}.",
                 bad=answer.status >= 500)
