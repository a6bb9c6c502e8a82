"""The full-stack lab's steps on moto: each apply builds its part (and records it in the
ledger first), running it again creates nothing twice, and each check fails for the right
reason with a message a learner can act on."""

import json

import pytest

from labs.engine import resources
from labs.catalog import fullstack as fullstack_lab
from labs.catalog.fullstack import names as fullstack_names
from labs.catalog.fullstack import steps as fullstack_steps
from labs.toolkit import functions
from labs.toolkit import rest_api
from labs.engine.lab import StepBlocked
from tests.labs.conftest import MOTO_ACCOUNT, ORIGIN, make_context


def apply_through(ctx, last: str):
    for step in fullstack_lab.LAB.steps:
        step.apply(ctx)
        if step.slug == last:
            return


def counts(ctx) -> dict:
    """How many of each thing exist in the account: to prove re-applying adds nothing."""
    c = ctx.clients
    api = rest_api.find_api(ctx.clients.apigateway, fullstack_names.api_name(ctx.name))
    policy = c.lambda_.get_policy(FunctionName=fullstack_names.function_name(ctx.name)) if api else None
    return {
        "tables": len(c.dynamodb.list_tables()["TableNames"]),
        "roles": len(c.iam.list_roles()["Roles"]),
        "role_policies": len(c.iam.list_role_policies(RoleName=fullstack_names.role_name(ctx.name))["PolicyNames"]),
        "functions": len(c.lambda_.list_functions()["Functions"]),
        "apis": len(c.apigateway.get_rest_apis()["items"]),
        "resources": len(c.apigateway.get_resources(restApiId=api["id"])["items"]) if api else 0,
        "deployments": len(c.apigateway.get_deployments(restApiId=api["id"])["items"]) if api else 0,
        "permissions": len(json.loads(policy["Policy"])["Statement"]) if policy else 0,
        "buckets": len(c.s3.list_buckets()["Buckets"]),
        "objects": sum(len(c.s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])) for b in c.s3.list_buckets()["Buckets"]),
        "ledger": len(ctx.recorder.ledger),
    }


def test_each_step_applies_and_then_passes_its_check(ctx):
    for step in fullstack_lab.LAB.steps:
        assert not step.check(ctx).ok, f"{step.slug} passes before it is built"
        step.apply(ctx)
        result = step.check(ctx)
        assert result.ok, f"{step.slug}: {result.message}"
    assert ctx.outputs["table"] == "sa-unit0001-items"
    assert ctx.outputs["api_url"] == "/labs/runs/1/api" and ctx.outputs["stage"] == "prod"
    assert ctx.outputs["bucket"] == f"sa-unit0001-web-{MOTO_ACCOUNT}"
    kinds = [entry.kind for entry in ctx.recorder.ledger]
    assert kinds == ["dynamodb:table", "iam:role", "iam:role-policy", "logs:log-group", "lambda:function",
                     "apigateway:rest-api", "lambda:permission", "s3:bucket"]
    assert all(entry.status == "created" for entry in ctx.recorder.ledger)
    api_entry = next(entry for entry in ctx.recorder.ledger if entry.kind == "apigateway:rest-api")
    assert api_entry.physical_id == ctx.outputs["api_id"]


def test_resources_are_named_with_the_run_prefix_and_tagged(ctx):
    apply_through(ctx, "website")
    c = ctx.clients
    table_arn = c.dynamodb.describe_table(TableName="sa-unit0001-items")["Table"]["TableArn"]
    assert {"Key": "serverless-academy:run", "Value": "sa-unit0001"} in c.dynamodb.list_tags_of_resource(ResourceArn=table_arn)["Tags"]
    function = c.lambda_.get_function(FunctionName="sa-unit0001-items-api")
    assert function["Tags"] == {"serverless-academy:run": "sa-unit0001"}
    assert function["Configuration"]["Runtime"] == "python3.12"
    assert function["Configuration"]["Environment"]["Variables"] == {"TABLE_NAME": "sa-unit0001-items", "ALLOWED_ORIGIN": ORIGIN}
    tags = c.s3.get_bucket_tagging(Bucket=f"sa-unit0001-web-{MOTO_ACCOUNT}")["TagSet"]
    assert {"Key": "serverless-academy:run", "Value": "sa-unit0001"} in tags


def test_applying_everything_twice_creates_nothing_twice(ctx):
    apply_through(ctx, "website")
    once = counts(ctx)
    apply_through(ctx, "website")
    assert counts(ctx) == once
    assert once["deployments"] == 1 and once["permissions"] == 1 and once["resources"] == 3


def test_a_changed_function_is_updated_in_place(ctx, monkeypatch):
    apply_through(ctx, "function")
    monkeypatch.setattr(functions, "function_zip", lambda folder: b"PK\x05\x06" + b"\0" * 18)
    fullstack_steps.apply_function(ctx)
    assert len(ctx.clients.lambda_.list_functions()["Functions"]) == 1
    sha = ctx.clients.lambda_.get_function(FunctionName="sa-unit0001-items-api")["Configuration"]["CodeSha256"]
    assert sha == functions.code_sha256(b"PK\x05\x06" + b"\0" * 18)


def test_steps_out_of_order_say_what_comes_first(ctx):
    with pytest.raises(StepBlocked, match="do step 1 first"):
        fullstack_steps.apply_function(ctx)
    fullstack_steps.apply_table(ctx)
    with pytest.raises(StepBlocked, match="do step 2 first"):
        fullstack_steps.apply_api(ctx)
    assert "do step 2 first" in fullstack_steps.check_api(ctx).message


def test_table_check_explains_a_wrong_key_and_provisioned_capacity(ctx):
    ddb = ctx.clients.dynamodb
    ddb.create_table(TableName="sa-unit0001-items", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    result = fullstack_steps.check_table(ctx)
    assert not result.ok and "pk (HASH, S)" in result.message and "delete the table" in result.message
    ddb.delete_table(TableName="sa-unit0001-items")
    ddb.create_table(TableName="sa-unit0001-items", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    result = fullstack_steps.check_table(ctx)
    assert not result.ok and "on-demand (PAY_PER_REQUEST)" in result.message


def test_function_check_refuses_a_role_without_table_permission(ctx):
    apply_through(ctx, "function")
    ctx.clients.iam.delete_role_policy(RoleName="sa-unit0001-items-api-role", PolicyName=fullstack_steps.POLICY_NAME)
    result = fullstack_steps.check_function(ctx)
    assert not result.ok
    assert "does not allow dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Scan" in result.message
    assert "AccessDenied" in result.message


def test_function_check_refuses_a_role_that_reaches_every_table(ctx):
    apply_through(ctx, "function")
    ctx.clients.iam.put_role_policy(RoleName="sa-unit0001-items-api-role", PolicyName="too-much", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
    result = fullstack_steps.check_function(ctx)
    assert not result.ok and "beyond the lab's table" in result.message and "least privilege" in result.message


def test_function_check_refuses_a_role_lambda_cannot_assume(ctx):
    fullstack_steps.apply_table(ctx)
    ctx.clients.iam.create_role(RoleName="sa-unit0001-items-api-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    result = fullstack_steps.check_function(ctx)
    assert not result.ok and "does not trust lambda.amazonaws.com" in result.message


def test_function_check_explains_a_wrong_environment(ctx):
    apply_through(ctx, "function")
    ctx.clients.lambda_.update_function_configuration(
        FunctionName="sa-unit0001-items-api", Environment={"Variables": {"TABLE_NAME": "other", "ALLOWED_ORIGIN": ORIGIN}})
    result = fullstack_steps.check_function(ctx)
    assert not result.ok and "TABLE_NAME is 'other'" in result.message and "sa-unit0001-items" in result.message


def test_api_check_finds_the_missing_invoke_permission(ctx):
    apply_through(ctx, "api")
    ctx.clients.lambda_.remove_permission(FunctionName="sa-unit0001-items-api", StatementId=fullstack_steps.PERMISSION_ID)
    result = fullstack_steps.check_api(ctx)
    assert not result.ok
    assert result.message.startswith("The function exists but API Gateway has no permission to invoke it: add a "
                                     "resource-based policy for apigateway.amazonaws.com")


def test_api_check_finds_a_permission_for_another_api(ctx):
    apply_through(ctx, "api")
    c = ctx.clients.lambda_
    c.remove_permission(FunctionName="sa-unit0001-items-api", StatementId=fullstack_steps.PERMISSION_ID)
    c.add_permission(FunctionName="sa-unit0001-items-api", StatementId="other", Action="lambda:InvokeFunction",
                     Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{MOTO_ACCOUNT}:zzz999/*")
    assert "no permission to invoke it" in fullstack_steps.check_api(ctx).message


def test_api_check_finds_the_wrong_integration_type(ctx):
    apply_through(ctx, "api")
    api_id = ctx.outputs["api_id"]
    items = rest_api.resources(ctx.clients.apigateway, api_id)["/items"]["id"]
    function_arn = ctx.clients.lambda_.get_function(FunctionName="sa-unit0001-items-api")["Configuration"]["FunctionArn"]
    ctx.clients.apigateway.put_integration(restApiId=api_id, resourceId=items, httpMethod="POST", type="AWS",
                                           integrationHttpMethod="POST",
                                           uri=rest_api.integration_uri("us-east-1", function_arn))
    result = fullstack_steps.check_api(ctx)
    assert not result.ok
    assert "POST /items uses a AWS integration, not a Lambda proxy integration (AWS_PROXY)" in result.message


def test_api_check_finds_no_cors(ctx):
    apply_through(ctx, "api")
    api_id = ctx.outputs["api_id"]
    item = rest_api.resources(ctx.clients.apigateway, api_id)["/items/{id}"]["id"]
    ctx.clients.apigateway.delete_method(restApiId=api_id, resourceId=item, httpMethod="OPTIONS")
    result = fullstack_steps.check_api(ctx)
    assert not result.ok and result.message.startswith("No CORS on /items/{id}") and ORIGIN in result.message


def test_api_check_finds_cors_for_another_origin(moto_aws):
    built = make_context(origin="http://elsewhere.example")
    apply_through(built, "api")
    checked = make_context(origin=ORIGIN)
    result = fullstack_steps.check_api(checked)
    assert not result.ok and "allows the origin 'http://elsewhere.example'" in result.message


def test_api_check_finds_an_undeployed_api(ctx):
    apply_through(ctx, "api")
    ctx.clients.apigateway.delete_stage(restApiId=ctx.outputs["api_id"], stageName="prod")
    result = fullstack_steps.check_api(ctx)
    assert not result.ok and "not deployed" in result.message
    fullstack_steps.apply_api(ctx)  # applying again redeploys
    assert fullstack_steps.check_api(ctx).ok


def test_website_check_finds_a_wrong_content_type_and_a_private_bucket(ctx):
    apply_through(ctx, "website")
    bucket = ctx.outputs["bucket"]
    s3 = ctx.clients.s3
    s3.put_object(Bucket=bucket, Key="app.js", Body=b"//", ContentType="binary/octet-stream")
    result = fullstack_steps.check_website(ctx)
    assert not result.ok and "app.js is stored as 'binary/octet-stream'" in result.message
    fullstack_steps.apply_website(ctx)
    s3.delete_bucket_policy(Bucket=bucket)
    result = fullstack_steps.check_website(ctx)
    assert not result.ok and "403 Forbidden" in result.message


def test_website_check_needs_config_pointing_at_the_api(ctx):
    apply_through(ctx, "website")
    ctx.clients.s3.put_object(Bucket=ctx.outputs["bucket"], Key="config.js", Body=fullstack_steps.config_js("https://old.example"),
                              ContentType="text/javascript")
    result = fullstack_steps.check_website(ctx)
    assert not result.ok and "/labs/runs/1/api" in result.message


def test_checks_report_what_they_found_for_the_ledger(ctx):
    """A learner who builds by hand gets their resources adopted, so teardown deletes them too."""
    apply_through(ctx, "website")
    found = {item.kind for step in fullstack_lab.LAB.steps for item in step.check(ctx).found}
    assert found == {"dynamodb:table", "iam:role", "lambda:function", "logs:log-group", "apigateway:rest-api",
                     "lambda:permission", "s3:bucket"}


def test_teardown_of_the_ledger_deletes_everything_newest_first(ctx):
    apply_through(ctx, "website")
    ctx.clients.s3.put_object(Bucket=ctx.outputs["bucket"], Key="extra/by-hand.txt", Body=b"x")
    outcomes = [resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name)
                for entry in reversed(ctx.recorder.ledger)]
    assert outcomes.count(resources.DELETED) >= 7
    c = ctx.clients
    assert c.dynamodb.list_tables()["TableNames"] == []
    assert c.lambda_.list_functions()["Functions"] == []
    assert c.apigateway.get_rest_apis()["items"] == []
    assert c.s3.list_buckets()["Buckets"] == []
    assert [r for r in c.iam.list_roles()["Roles"] if r["RoleName"].startswith("sa-unit0001")] == []


def test_teardown_tolerates_what_is_already_gone(ctx):
    apply_through(ctx, "website")
    ctx.clients.lambda_.delete_function(FunctionName="sa-unit0001-items-api")
    ctx.clients.dynamodb.delete_table(TableName="sa-unit0001-items")
    outcomes = {entry.kind: resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name)
                for entry in reversed(ctx.recorder.ledger)}
    assert outcomes["lambda:function"] == resources.GONE and outcomes["dynamodb:table"] == resources.GONE
    assert outcomes["lambda:permission"] == resources.GONE  # went with its function
    assert outcomes["s3:bucket"] == resources.DELETED
    # And a second teardown finds everything gone. (moto answers DeleteRestApi on a missing API with a
    # 500 instead of AWS's NotFoundException; the end-to-end tests cover that kind on MiniStack.)
    again = {resources.delete(ctx.clients, e.kind, e.physical_id, e.name)
             for e in ctx.recorder.ledger if e.kind != "apigateway:rest-api"}
    assert again == {resources.GONE}


def test_a_rest_api_whose_id_never_reached_the_ledger_is_found_by_name(ctx):
    """The create call succeeded but the worker died before recording the id."""
    api = ctx.clients.apigateway.create_rest_api(name="sa-unit0001-items-api")
    assert resources.delete(ctx.clients, "apigateway:rest-api", "", "sa-unit0001-items-api") == resources.DELETED
    assert ctx.clients.apigateway.get_rest_apis()["items"] == []
    assert api["id"]


def test_a_role_with_policies_added_by_hand_is_still_deleted(ctx):
    apply_through(ctx, "function")
    iam = ctx.clients.iam
    arn = iam.create_policy(PolicyName="extra", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="sa-unit0001-items-api-role", PolicyArn=arn)
    assert resources.delete(ctx.clients, "iam:role", "sa-unit0001-items-api-role", "sa-unit0001-items-api-role") == resources.DELETED


def test_manual_commands_name_the_endpoint_for_a_local_sandbox():
    command = resources.manual_command("s3:bucket", "b", "b", endpoint_url="http://127.0.0.1:4566", region="us-east-1")
    assert command == "aws s3 rb s3://b --force --region us-east-1 --endpoint-url http://127.0.0.1:4566"
    role = resources.manual_command("iam:role", "r", "r")
    assert role.startswith("aws iam delete-role --role-name r") and "policies first" in role
