"""The secured-API lab without a sandbox: its function on realistic events (API Gateway's Cognito
authorizer and AppSync's direct Lambda resolver), its SAM template translated offline, the calls
that carry a token, the lab page and the run page's panel when there is nothing to reach. The
lab end to end on the real local sandbox is in test_securedapi_e2e.py; its grader in
test_self_test.py."""

import json

import pytest
import yaml
from django.urls import reverse
from samtranslator.translator.transform import transform

from labs import aws
from labs.catalog import get_lab
from labs.catalog.securedapi import graphql_step, users
from labs.catalog.securedapi.functions.claims import app
from labs.engine.endpoints import account_selector
from labs.models import LabRun
from tests.factories import LabRunFactory, UserFactory
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies

LAB = get_lab("securedapi")
CLAIMS = {"sub": "1111-2222", "cognito:username": "ana", "token_use": "id", "iss": "https://cognito-idp.us-east-1."
          "amazonaws.com/us-east-1_abc", "email_verified": "true"}


def rest_event(path: str, claims: dict | None) -> dict:
    """What API Gateway (REST, Lambda proxy) hands the function after a Cognito authorizer."""
    context = {"resourcePath": path, "httpMethod": "GET", "stage": "prod"}
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {"resource": path, "path": path, "httpMethod": "GET", "headers": {"Authorization": "eyJ..."},
            "queryStringParameters": None, "requestContext": context, "body": None, "isBase64Encoded": False}


def answer(event):
    result = app.handler(event, None)
    return result["statusCode"], json.loads(result["body"])


def test_me_returns_the_claims_the_authorizer_verified():
    status, body = answer(rest_event("/me", CLAIMS))
    assert status == 200 and body["sub"] == "1111-2222" and body["username"] == "ana" and body["groups"] == []
    assert body["claims"] == CLAIMS and body["token_use"] == "id"


@pytest.mark.parametrize("groups", ["admins", "[admins]", "[staff admins]", "[staff, admins]", ["staff", "admins"]])
def test_admin_lets_the_group_in_whatever_shape_the_claim_takes(groups, monkeypatch):
    monkeypatch.setenv("ADMIN_GROUP", "admins")
    status, body = answer(rest_event("/admin", {**CLAIMS, "cognito:groups": groups}))
    assert status == 200 and body["admin"] is True and "admins" in body["groups"]


@pytest.mark.parametrize("groups", [None, "", "[staff]", "[administrators]", "admin"])
def test_admin_refuses_everyone_else_with_403(groups, monkeypatch):
    monkeypatch.setenv("ADMIN_GROUP", "admins")
    claims = {**CLAIMS, **({"cognito:groups": groups} if groups is not None else {})}
    status, body = answer(rest_event("/admin", claims))
    assert status == 403 and "admins" in body["message"]


def test_without_the_group_setting_nobody_is_an_admin(monkeypatch):
    monkeypatch.delenv("ADMIN_GROUP", raising=False)
    status, _ = answer(rest_event("/admin", {**CLAIMS, "cognito:groups": "[admins]"}))
    assert status == 403


def test_a_route_that_lost_its_authorizer_never_answers_as_if_signed_in():
    status, body = answer(rest_event("/me", None))
    assert status == 401 and "authorizer" in body["message"]
    assert answer(rest_event("/nope", CLAIMS))[0] == 404


def test_as_a_direct_lambda_resolver_it_answers_who_am_i():
    event = {"arguments": {}, "source": None, "prev": None, "stash": {}, "request": {"headers": {}},
             "info": {"fieldName": "whoAmI", "parentTypeName": "Query", "variables": {}},
             "identity": {"sub": "1111-2222", "username": "ana", "groups": ["admins"], "claims": CLAIMS,
                          "issuer": CLAIMS["iss"], "sourceIp": ["203.0.113.9"], "defaultAuthStrategy": "ALLOW"}}
    assert app.handler(event, None) == {"sub": "1111-2222", "username": "ana", "groups": ["admins"], "tokenUse": "id"}
    with pytest.raises(ValueError):
        app.handler({**event, "info": {"fieldName": "listNotes"}}, None)


def test_the_sam_template_translates_and_matches_the_steps(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(LAB.sam_source, Loader=CloudFormationLoader)
    template["Resources"]["ClaimsFunction"]["Properties"]["CodeUri"] = "s3://lab-artifacts/claims.zip"
    resources = transform(template, {}, NoManagedPolicies())["Resources"]
    types = [resource["Type"] for resource in resources.values()]
    for wanted in ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
                   "AWS::ApiGateway::RestApi", "AWS::Lambda::Function", "AWS::AppSync::GraphQLApi",
                   "AWS::AppSync::ApiKey", "AWS::AppSync::GraphQLSchema", "AWS::DynamoDB::Table"):
        assert wanted in types, wanted
    assert types.count("AWS::AppSync::DataSource") == 3 and types.count("AWS::AppSync::Resolver") == 4
    swagger = resources["ClaimsApi"]["Properties"]["Body"]
    assert set(swagger["paths"]) == {"/me", "/admin"}
    assert all(op["security"] == [{"users": []}] for path in swagger["paths"].values() for op in path.values())
    assert swagger["securityDefinitions"]["users"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    api = resources["NotesApi"]["Properties"]
    assert api["AuthenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["AdditionalAuthenticationProviders"] == [{"AuthenticationType": "API_KEY"}]
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False and "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    role = resources["AppSyncRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert role[0]["Action"] == ["dynamodb:PutItem", "dynamodb:Scan"]  # the notes step's least privilege


def test_the_schema_check_reads_the_directives():
    good = graphql_step.schema_text()
    assert graphql_step.schema_problem(good) == ""
    assert "no schema" in graphql_step.schema_problem("")
    assert "no @aws_api_key" in graphql_step.schema_problem(good.replace("notice: Notice @aws_api_key", "notice: Notice"))
    opened = good.replace("addNote(text: String!): Note", "addNote(text: String!): Note @aws_api_key")
    assert "anyone holding the public key" in graphql_step.schema_problem(opened)


def test_tokens_are_tampered_and_masked_for_the_checks_and_the_page():
    token = "eyJhbGciOiJSUzI1NiJ9." + users.tampered("a.e30.sig", sub="x").split(".")[1] + ".SIGNATURE"
    forged = users.tampered(token, **{"cognito:groups": ["admins"]})
    assert forged.endswith(".SIGNATURE") and users.claims_of(forged) == {"sub": "x", "cognito:groups": ["admins"]}
    assert users.masked(token) == token[:6] + "…" + token[-4:] and token not in users.masked(token)
    assert users.claims_of("not-a-token") == {}


def test_a_call_with_a_token_names_the_account_in_the_query_locally():
    target = aws.local_target("314159265358", "us-east-1", "http://127.0.0.1:4999")
    selector = account_selector(target, "execute-api")
    assert selector.startswith("X-Amz-Credential=314159265358%2F") and selector.endswith("%2Fus-east-1%2Fexecute-api%2Faws4_request")


def test_the_local_cognito_client_signs_the_public_calls():
    target = aws.local_target("314159265358", "us-east-1", "http://127.0.0.1:4999")
    idp = aws.client(target, "cognito-idp")
    signer = idp.meta.events.emit_until_response("choose-signer.cognito-idp.SignUp", signing_name="cognito-idp",
                                                  region_name="us-east-1", signature_version=None, context={})
    assert signer[1] == "v4"


@pytest.mark.django_db
def test_the_lab_page_says_what_the_sandbox_checks_and_shows_the_resolvers(client, sandbox_down):
    page = client.get(reverse("labs:detail", args=["securedapi"])).content.decode()
    assert "A secured API" in page and 'data-part="pool"' in page and 'data-part="graphql"' in page
    assert "does not verify user-pool tokens" in page and "RS256 signature" in page
    assert "graphql/schema.graphql" in page and "graphql/addNote.js" in page and "aws_api_key" in page
    from django.utils.html import escape

    for step in LAB.steps:
        assert escape(step.title) in page


@pytest.mark.django_db
def test_the_panel_is_for_the_owner_only_and_says_what_is_missing(client, sandbox_down):
    run = LabRunFactory(lab_slug="securedapi", step_states={step.slug: "pending" for step in LAB.steps})
    urls = [reverse(f"labs:securedapi_{name}", args=[run.pk]) for name in ("sign_up", "sign_in", "sign_out", "call")]
    client.force_login(UserFactory())
    assert client.get(reverse("labs:securedapi_panel", args=[run.pk])).status_code == 404
    assert all(client.post(url).status_code == 404 for url in urls)
    client.force_login(run.user)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="securedapi-panel"' in page and "<script>" not in page.split('id="securedapi-panel"')[1][:2000]
    body = client.get(reverse("labs:securedapi_panel", args=[run.pk])).content.decode()
    assert "Build (or check) step 1" in body
    refused = client.post(urls[1], {"username": "ana", "password": "a-password-1"}, HTTP_HX_REQUEST="true")
    assert "Build (or check) step 1" in refused.content.decode() and "a-password-1" not in refused.content.decode()
    run.status = LabRun.Status.CLEANED
    run.save()
    assert "This run is over" in client.get(reverse("labs:securedapi_panel", args=[run.pk])).content.decode()
    other = LabRunFactory(user=run.user)  # a full-stack run has no such panel
    assert client.get(reverse("labs:securedapi_panel", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_the_panel_refuses_a_post_without_the_csrf_token(sandbox_down):
    from django.test import Client

    run = LabRunFactory(lab_slug="securedapi", step_states={step.slug: "pending" for step in LAB.steps})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(run.user)
    assert strict.post(reverse("labs:securedapi_sign_up", args=[run.pk]), {"username": "ana"}).status_code == 403
