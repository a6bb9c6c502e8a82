"""IAM in the local sandbox (MiniStack 1.5.33 with AUTH=true, one emulated account per learner):
what it enforces and what it does not, tried against the real process. docs/labs.md and the lab
page (labs.sandbox.ENFORCED / NOT_ENFORCED) say the same; a MiniStack upgrade that changes any of
it fails here first. The labs' own sabotage cases prove the enforcement end to end too
(tests/labs/test_self_test.py: a role without dynamodb:PutItem makes the verify report the
function's AccessDeniedException)."""

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from labs import aws
from labs.catalog import get_lab
from labs.catalog.fullstack import names
from tests.labs.self_test import fresh_trial


@pytest.fixture
def deployed(sandbox_url, settings):
    """The full-stack lab built in a fresh account; torn down after."""
    lab = get_lab("fullstack")
    trial = fresh_trial(lab, sandbox_url)
    for step in lab.steps:
        trial.apply(step)
    yield trial
    assert trial.teardown() == []


def test_the_sandbox_runs_with_the_iam_evaluator_on(sandbox_url):
    with urllib.request.urlopen(f"{sandbox_url}/_ministack/health") as response:
        assert json.loads(response.read())["auth"] == "enabled"


def test_a_functions_role_decides_its_calls_deny_and_boundary_included(deployed):
    iam, role = deployed.ctx.clients.iam, names.role_name(deployed.ctx.name)
    post = lambda: deployed.ctx.deployment.api("POST", "/items", json_body={"title": "t"}).status  # noqa: E731
    assert post() == 201
    iam.put_role_policy(RoleName=role, PolicyName="deny-put", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"}]}))
    assert post() == 500  # the function's PutItem is refused
    iam.delete_role_policy(RoleName=role, PolicyName="deny-put")
    boundary = iam.create_policy(PolicyName=f"{deployed.ctx.name.prefix}-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "logs:*"],
                                                "Resource": "*"}]}))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    assert post() == 500  # the boundary caps the role below its own policy
    iam.delete_role_permissions_boundary(RoleName=role)
    iam.delete_policy(PolicyArn=boundary)
    assert post() == 201


def test_an_iam_users_key_is_checked_and_its_policy_enforced(sandbox_url):
    trial = fresh_trial(get_lab("fullstack"), sandbox_url)
    iam = trial.ctx.clients.iam
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    iam.put_user_policy(UserName="reader", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))

    def client(service, secret):
        return boto3.client(service, endpoint_url=sandbox_url, region_name="us-east-1",
                            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=secret)

    client("s3", key["SecretAccessKey"]).list_buckets()
    with pytest.raises(ClientError, match="AccessDenied"):
        client("dynamodb", key["SecretAccessKey"]).list_tables()
    with pytest.raises(ClientError):
        client("s3", "not-the-secret").list_buckets()
    iam.delete_user_policy(UserName="reader", PolicyName="list")
    iam.delete_access_key(UserName="reader", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="reader")


def test_not_enforced_resource_policies_bucket_policies_and_root_secrets(deployed, sandbox_url):
    ctx = deployed.ctx
    # A function's resource-based policy: API Gateway still invokes it without a permission.
    ctx.clients.lambda_.remove_permission(FunctionName=names.function_name(ctx.name), StatementId=names.PERMISSION_ID)
    assert ctx.deployment.api("GET", "/items").status == 200
    # An S3 bucket policy's explicit Deny does not stop the account's root.
    bucket = names.bucket_name(ctx.name, ctx.account_id)
    ctx.clients.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert ctx.clients.s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
    # The account's root key (its 12-digit id) is accepted with any secret.
    stranger = boto3.client("dynamodb", endpoint_url=sandbox_url, region_name="us-east-1",
                            aws_access_key_id=ctx.account_id, aws_secret_access_key="anything")
    assert names.table_name(ctx.name) in stranger.list_tables()["TableNames"]
    assert aws.LOCAL_SECRET != "anything"
