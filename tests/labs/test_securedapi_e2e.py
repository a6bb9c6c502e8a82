"""The secured-API lab end to end against a real MiniStack process, through the real task worker:
an automatic run deploys the user pool, the function, the REST API with its Cognito authorizer and
the GraphQL API, verifies them with real tokens, stays up for the learner, who signs up, signs in
and calls both APIs from the run page's panel; then teardown leaves nothing in the sandbox."""

import html

import pytest
from django.urls import reverse

from labs import aws, services
from labs.catalog import get_lab
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.self_test import inventory
from tests.labs.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("securedapi")
PASSWORD = "learner-pass-42"


def panel_post(client, run, name, data):
    page = client.post(reverse(f"labs:securedapi_{name}", args=[run.pk]), data, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def test_an_automatic_run_verifies_both_apis_and_the_learner_calls_them_from_the_page(sandbox_url, client):
    learner = UserFactory()
    run = services.lab_run_start(user=learner, lab=LAB, mode=LabRun.Mode.AUTO, website_origin="http://testserver",
                                 explore_seconds=600)
    run_worker()
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.LIVE), run.message
    assert run.step_states == {step.slug: "passed" for step in LAB.steps} and run.verify_state == "passed"
    verified = {event.step: event.message for event in run.events.filter(kind="verify", status="ok").exclude(step="")}
    assert set(verified) == {check.slug for check in LAB.verify}
    assert "401 Unauthorized from API Gateway" in verified["no-token"]
    assert "RS256 signature" in verified["bad-token"]
    assert "403 for verify-member, 200 for verify-admin" in verified["group"]
    # What the sandbox does not enforce is said, not counted.
    assert "does not verify AppSync tokens" in verified["graphql-refused"]
    assert "does not apply @aws_api_key" in verified["public"]
    actions = set(run.events.filter(kind="aws").values_list("message", flat=True))
    for action in ("cognito-idp CreateUserPool", "apigateway CreateAuthorizer", "appsync CreateGraphqlApi",
                   "appsync CreateResolver", "cognito-idp SignUp", "cognito-idp InitiateAuth"):
        assert action in actions, action

    client.force_login(learner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="securedapi-panel"' in page
    body = panel_post(client, run, "sign_up", {"username": "ana", "password": PASSWORD})
    assert "Signed up ana" in body and PASSWORD not in body
    body = panel_post(client, run, "sign_in", {"username": "ana", "password": "wrong-pass-42"})
    assert "Sign-in failed" in body
    body = panel_post(client, run, "sign_in", {"username": "ana", "password": PASSWORD})
    assert "Signed in as ana" in body and PASSWORD not in body
    from django.core.cache import cache

    token = cache.get(f"securedapi:{client.session.session_key}:{run.pk}")["tokens"]["id"]
    assert token not in body and token[:6] + "…" + token[-4:] in body

    def call(what, credential, text=""):
        return panel_post(client, run, "call", {"call": what, "credential": credential, "text": text})

    me = call("rest-me", "token")
    assert "HTTP 200" in me and '"username": "ana"' in me and token not in me
    assert "HTTP 401" in call("rest-me", "none")
    assert "HTTP 401" in call("rest-admin", "forged")
    assert "HTTP 403" in call("rest-admin", "token")
    added = call("gql-add", "token", "hello from ana")
    assert "HTTP 200" in added and "hello from ana" in added
    assert "hello from ana" in call("gql-list", "token")
    assert '"username": "ana"' in call("gql-whoami", "token")
    assert "HTTP 401" in call("gql-list", "none")
    assert "The notes service is up" in call("gql-notice", "key")
    # The panel, loaded again, shows the last call's answer.
    again = html.unescape(client.get(reverse("labs:securedapi_panel", args=[run.pk])).content.decode())
    assert "The notes service is up" in again and token not in again
    assert "Signed out" in panel_post(client, run, "sign_out", {})
    assert "Sign in first" in call("rest-me", "token")

    client.force_login(UserFactory())
    assert client.post(reverse("labs:securedapi_call", args=[run.pk]), {"call": "rest-me", "credential": "none"}).status_code == 404

    services.lab_run_teardown(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED, run.message
    assert {entry.kind for entry in run.ledger.all()} >= {"cognito-idp:user-pool", "appsync:graphql-api",
                                                          "apigateway:rest-api", "dynamodb:table", "lambda:function"}
    assert {entry.status for entry in run.ledger.all()} <= {"deleted", "gone"}
    assert inventory(aws.target_for(run.sandbox)) == {}
