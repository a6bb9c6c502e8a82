"""The edge lab: its Lambda@Edge function and CloudFront Function on realistic events, the rules
its checks hold a Lambda@Edge function to (under moto), its SAM template, the own-account
permissions it needs, the teardown of what CloudFront keeps for a while, and the whole lab through
the CLI against the real local sandbox."""

import copy
import json
import shutil
import subprocess
from types import SimpleNamespace

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from django.core.management import call_command
from samtranslator.translator.transform import transform

from labs import aws
from labs.catalog import get_lab
from labs.catalog.edge import edge_rules, steps
from labs.catalog.edge.functions.security_headers import app
from labs.catalog.edge.names import SECURITY_HEADERS
from labs.engine import resources
from labs.engine.lab import function_zip
from labs.models import LabRun
from labs.toolkit import cloudfront as cdn
from own_account import aws_role
from tests.labs.aws_world import QUIET_MOTO, aws_world  # noqa: F401 - aws_world is a fixture
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies

LAB = get_lab("edge")


def origin_response(status="200", headers=None):
    """An origin-response event as CloudFront sends it (lambda-event-structure.html)."""
    headers = headers or {"content-type": [{"key": "Content-Type", "value": "text/html"}],
                          "server": [{"key": "Server", "value": "AmazonS3"}]}
    return {"Records": [{"cf": {
        "config": {"distributionDomainName": "d111111abcdef8.cloudfront.net", "distributionId": "EDFDVBD6EXAMPLE",
                   "eventType": "origin-response", "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},
        "request": {"clientIp": "203.0.113.178", "method": "GET", "uri": "/docs/index.html", "querystring": "",
                    "headers": {"host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}]}},
        "response": {"status": status, "statusDescription": "OK", "headers": headers}}}]}


# The Lambda@Edge function --------------------------------------------------------------------

def test_the_function_adds_every_security_header_and_keeps_the_origins():
    response = app.handler(origin_response(), None)
    assert response["status"] == "200"
    assert response["headers"]["content-type"] == [{"key": "Content-Type", "value": "text/html"}]
    for name, value in SECURITY_HEADERS.items():
        [header] = response["headers"][name]
        assert header["value"] == value and header["key"].lower() == name


def test_the_function_overwrites_a_weaker_header_from_the_origin_and_handles_errors():
    weak = {"x-frame-options": [{"key": "X-Frame-Options", "value": "SAMEORIGIN"}]}
    response = app.handler(origin_response(status="403", headers=weak), None)
    assert response["headers"]["x-frame-options"] == [{"key": "X-Frame-Options", "value": "DENY"}]
    assert response["status"] == "403"  # an origin-response function may see errors; it leaves the status alone
    bare = origin_response()
    del bare["Records"][0]["cf"]["response"]["headers"]
    assert set(app.handler(bare, None)["headers"]) == set(SECURITY_HEADERS)


# The CloudFront Function (JavaScript, run by Node as MiniStack runs it) ----------------------------

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize(("uri", "expected"), [
    ("/", "/index.html"), ("/Docs", "/docs/index.html"), ("/docs/", "/docs/index.html"),
    ("/ABOUT/", "/about/index.html"), ("/site.css", "/site.css"), ("/Img/Logo.PNG", "/img/logo.png"),
    ("/docs/v2.1", "/docs/v2.1"),  # a dot in the last segment reads as a file: documented behaviour
])
def test_the_viewer_function_normalises_the_uri(uri, expected):
    code = steps.viewer_function_code().decode()
    event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "203.0.113.1"},
             "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=10, check=True).stdout
    assert json.loads(out)["uri"] == expected


def test_the_viewer_function_fits_the_cloudfront_functions_quota():
    assert len(steps.viewer_function_code()) < 10 * 1024


# The rules of Lambda@Edge, under moto -----------------------------------------------------------

@pytest.fixture
def edge_function(moto_aws):
    iam, lambda_ = boto3.client("iam", region_name="us-east-1"), boto3.client("lambda", region_name="us-east-1")
    role = iam.create_role(RoleName="sa-t-edge-role", AssumeRolePolicyDocument=json.dumps(edge_rules.EDGE_TRUST))["Role"]
    config = lambda_.create_function(FunctionName="sa-t-headers", Runtime="python3.12", Handler="app.handler",
                                     Role=role["Arn"], Code={"ZipFile": function_zip(LAB.function_folder("security_headers"))})
    return SimpleNamespace(iam=iam, lambda_=lambda_, role=role, config=config)


def test_the_trust_must_name_both_lambda_and_edgelambda(edge_function):
    assert edge_rules.trust_problem(edge_function.role, "r") == ""
    lambda_only = dict(edge_function.role, AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    assert "not trusted by edgelambda.amazonaws.com" in edge_rules.trust_problem(lambda_only, "r")


def test_environment_variables_layers_vpc_and_long_timeouts_are_refused(edge_function):
    ok = edge_function.config
    assert edge_rules.configuration_problem(ok, role_arn=edge_function.role["Arn"], role="r") == ""
    cases = {"Lambda@Edge does not support them": {"Environment": {"Variables": {"A": "1"}}},
             "layers": {"Layers": [{"Arn": "arn:aws:lambda:us-east-1:1:layer:x:1"}]},
             "VPC": {"VpcConfig": {"SubnetIds": ["subnet-1"]}},
             "at most 30 s": {"Timeout": 60},
             "us-east-1": {"FunctionArn": ok["FunctionArn"].replace("us-east-1", "eu-west-1")}}
    for says, change in cases.items():
        assert says in edge_rules.configuration_problem(dict(ok, **change), role_arn=edge_function.role["Arn"], role="r")
    assert "could not serve a viewer event" in edge_rules.viewer_limits_problem({"MemorySize": 512, "Timeout": 5})


def test_a_published_version_must_hold_the_current_code(edge_function):
    lambda_ = edge_function.lambda_
    version, problem = edge_rules.published_version(lambda_, "sa-t-headers", edge_function.config)
    assert version is None and "no published version" in problem
    published = lambda_.publish_version(FunctionName="sa-t-headers")
    version, problem = edge_rules.published_version(lambda_, "sa-t-headers", edge_function.config)
    assert problem == "" and version["Version"] == published["Version"]
    stale = dict(edge_function.config, CodeSha256="something-newer")
    assert "Publish a new version" in edge_rules.published_version(lambda_, "sa-t-headers", stale)[1]


@pytest.mark.parametrize(("qualifier", "says"), [
    ("", "unqualified"), (":$LATEST", "never $LATEST"), (":live", "an alias"), (":1", "current code is version 2"),
])
def test_the_association_must_name_the_current_numbered_version(qualifier, says):
    base = "arn:aws:lambda:us-east-1:123456789012:function:sa-t-headers"
    assert says in edge_rules.association_problem(base + qualifier, "sa-t-headers", base + ":2")
    assert edge_rules.association_problem(base + ":2", "sa-t-headers", base + ":2") == ""


# Teardown: what CloudFront makes you wait for ---------------------------------------------------

def test_a_replicated_function_is_pending_deletion_not_failed():
    error = ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": (
        "Lambda was unable to delete arn:aws:lambda:us-east-1:1:function:sa-t-headers:1 because it is a replicated "
        "function. Please see our documentation for Deleting Lambda@Edge Functions and Replicas.")}}, "DeleteFunction")

    def refuse(**kwargs):
        raise error

    clients = SimpleNamespace(lambda_=SimpleNamespace(delete_function=refuse))
    with pytest.raises(resources.Pending, match="replicas CloudFront has not deleted yet"):
        resources.delete(clients, "lambda:function", "sa-t-headers", "sa-t-headers")


def test_a_distribution_is_disabled_deployed_then_deleted_with_etags(moto_aws):
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    config = {"CallerReference": "sa-t-cdn", "Comment": "sa-t-cdn", "Enabled": True, "Origins": {"Quantity": 1, "Items": [
        {"Id": "o", "DomainName": "sa-t-site.s3.us-east-1.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    # (moto deletes an enabled distribution; AWS and MiniStack answer DistributionNotDisabled, and a wrong
    # If-Match PreconditionFailed: the CLI run below goes through MiniStack's refusal.)
    clients = SimpleNamespace(cloudfront=cloudfront)
    assert resources.delete(clients, "cloudfront:distribution", "", "sa-t-cdn") == resources.DELETED  # found by comment
    assert cdn.find_distribution(cloudfront, "sa-t-cdn") is None
    assert resources.delete(clients, "cloudfront:distribution", distribution["Id"], "sa-t-cdn") == resources.GONE


def test_a_distribution_still_deploying_is_pending(monkeypatch):
    calls = []
    cloudfront = SimpleNamespace(
        get_distribution_config=lambda Id: {"DistributionConfig": {"Enabled": True}, "ETag": "E1"},
        update_distribution=lambda **kw: calls.append(kw) or {"ETag": "E2"},
        get_distribution=lambda Id: {"Distribution": {"Status": "InProgress"}, "ETag": "E2"})
    monkeypatch.setattr(cdn, "DEPLOY_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(cdn.disable_and_delete, "__defaults__", (0.3,))
    with pytest.raises(resources.Pending, match="still disabling"):
        resources.delete(SimpleNamespace(cloudfront=cloudfront), "cloudfront:distribution", "E123", "sa-t-cdn")
    assert calls[0]["IfMatch"] == "E1" and calls[0]["DistributionConfig"]["Enabled"] is False


# The SAM template and the own-account permissions --------------------------------------------

def test_the_sam_template_publishes_a_version_for_cloudfront(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(LAB.sam_source, Loader=CloudFormationLoader)
    packaged = copy.deepcopy(template)
    packaged["Resources"]["SecurityHeadersFunction"]["Properties"]["CodeUri"] = "s3://lab-artifacts/security_headers.zip"
    resources_ = transform(packaged, {}, NoManagedPolicies())["Resources"]
    types = [resource["Type"] for resource in resources_.values()]
    for wanted in ("AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::CloudFront::Distribution",
                   "AWS::CloudFront::Function", "AWS::CloudFront::OriginAccessControl", "AWS::S3::BucketPolicy"):
        assert wanted in types
    function = resources_["SecurityHeadersFunction"]["Properties"]
    assert function["Runtime"] == LAB.runtime and "Environment" not in function
    [version] = [name for name, resource in resources_.items() if resource["Type"] == "AWS::Lambda::Version"]
    behaviour = resources_["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    [association] = behaviour["LambdaFunctionAssociations"]
    assert association == {"EventType": "origin-response", "LambdaFunctionARN": {"Ref": version}}
    trust = resources_["EdgeFunctionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert set(trust["Principal"]["Service"]) == {"lambda.amazonaws.com", "edgelambda.amazonaws.com"}
    code = resources_["NormaliseUrlFunction"]["Properties"]["FunctionCode"]
    assert code.strip() == steps.viewer_function_code().decode().split("\n", 2)[2].strip()  # the lab's code


def test_the_role_may_do_what_the_edge_lab_does_and_no_more():
    statements = {s["Sid"]: s for s in aws_role.access_policy()["Statement"]}
    functions = statements["LabCloudFrontFunctions"]
    assert functions["Resource"]["Fn::Sub"].endswith(":function/sa-*")
    assert "cloudfront:PublishFunction" in functions["Action"]
    assert {"lambda:PublishVersion", "lambda:EnableReplication*"} <= set(statements["LabFunctions"]["Action"])
    linked = statements["LambdaEdgeServiceLinkedRoles"]
    assert linked["Action"] == "iam:CreateServiceLinkedRole"
    assert set(linked["Condition"]["StringEquals"]["iam:AWSServiceName"]) == {
        "replicator.lambda.amazonaws.com", "logger.cloudfront.amazonaws.com"}
    assert not any(a.startswith("cloudfront:") and a.endswith("*") for s in statements.values()
                   for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))


# The whole lab, through the CLI, in the real local sandbox ----------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_cli_runs_the_edge_lab_to_a_clean_pass(sandbox_url, capsys):
    call_command("lab", "run", "edge", "--user", "edge-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out, out
    run = LabRun.objects.get(user__username="edge-learner")
    verified = {event.step: event.message for event in run.events.filter(kind="verify", status="ok").exclude(step="")}
    assert set(verified) == {check.slug for check in LAB.verify}
    assert "MiniStack ran the published function in Node" in verified["rewrite"]
    assert "Only AWS runs the association" in verified["security-headers"]
    clients = aws.Clients(aws.target_for(run.sandbox))
    assert cdn.find_distribution(clients.cloudfront, f"{run.prefix}-cdn") is None
    assert not [f for f in clients.lambda_.list_functions()["Functions"] if run.prefix in f["FunctionName"]]


# The teardown in a (mocked) AWS account, while CloudFront still holds the function's replicas ------------

@QUIET_MOTO
@pytest.mark.django_db
def test_teardown_reports_the_edge_function_as_pending_then_a_retry_deletes_it(aws_world, learner, monkeypatch, client):
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    from labs.models import LedgerEntry
    from tests.labs.test_guardrails import act, start, tear_down

    run = start(learner, aws_world.connect(learner), lab=LAB)
    for step in LAB.steps:
        run = act(run, "apply", step.slug)
    assert run.step_states == {step.slug: "passed" for step in LAB.steps}, run.message
    real_delete = LambdaBackend.delete_function

    def replicated(self, function_name, qualifier=None):
        raise InvalidParameterValueException(
            f"Lambda was unable to delete arn:aws:lambda:us-east-1:1:function:{function_name}:1 because it is a "
            "replicated function. Please see our documentation for Deleting Lambda@Edge Functions and Replicas.")

    monkeypatch.setattr(LambdaBackend, "delete_function", replicated)
    run = tear_down(run)
    assert run.status == LabRun.Status.TEARDOWN_FAILED
    assert run.message.startswith("Teardown is waiting on AWS, nothing failed"), run.message
    entry = run.ledger.get(kind="lambda:function")
    assert entry.status == LedgerEntry.Status.DELETE_FAILED and entry.error.startswith("Pending deletion:")
    assert run.events.filter(kind="teardown", status="info", message__startswith="Deletion pending").exists()
    # Everything else went, the distribution first (disabled, then deleted with its ETag).
    assert run.ledger.get(kind="cloudfront:distribution").status == LedgerEntry.Status.DELETED
    assert run.ledger.filter(status=LedgerEntry.Status.DELETE_FAILED).count() == 1
    assert run.teardown_pending
    client.force_login(learner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Deletion pending at AWS" in page and "Teardown failed" not in page

    monkeypatch.setattr(LambdaBackend, "delete_function", real_delete)  # hours later: the replicas are gone
    run = tear_down(run)
    assert run.status == LabRun.Status.CLEANED, run.message
    assert not run.teardown_pending


# By hand: each step's AWS CLI tab, and in another run its Python tab, run as written -------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tab", ["AWS CLI", "Python (boto3)"])
def test_the_edge_lab_built_by_hand_from_a_tab_passes_its_checks_and_verify(sandbox_url, tab, tmp_path):
    from labs import services
    from tests.factories import UserFactory
    from tests.labs.test_by_hand import as_shell, request, tab_code

    run = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.GUIDED,
                                 website_origin="http://testserver", explore_seconds=0)
    for step in LAB.steps:
        call_command("lab", "shell", str(run.pk), "-c", as_shell(tab, tab_code(step.instructions, tab)),
                     "--dir", str(tmp_path / step.slug))
        run = request(run, LabRun.Action.CHECK, step.slug)
        assert run.step_states[step.slug] == "passed", (
            f"{tab}, step {step.slug}: " + run.events.filter(step=step.slug).order_by("-id").first().message)
    run = request(run, LabRun.Action.VERIFY)
    assert run.verify_state == "passed", run.message
    call_command("lab", "teardown", str(run.pk))
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED, run.message
    clients = aws.Clients(aws.target_for(run.sandbox))
    assert cdn.find_distribution(clients.cloudfront, f"{run.prefix}-cdn") is None
    assert not [f for f in clients.cloudfront.list_functions().get("FunctionList", {}).get("Items", []) or []
                if f["Name"].startswith(run.prefix)]
