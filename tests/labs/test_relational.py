"""The serverless relational lab: its function (under moto's Data API), its checks' rules, the verify's
refusal of rows that are not the note it wrote, the teardown of a cluster with its instances, the SAM
template, the own-account role, and the CLI run against the real local sandbox."""

import json

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from django.core.management import call_command

from labs.catalog import get_lab
from labs.catalog.relational import steps, verify
from labs.catalog.relational.functions.notes import app
from labs.catalog.relational.names import AUTO_PAUSE_SECONDS, MAX_CAPACITY, MIN_CAPACITY, USAGE
from labs.engine import rds_cleanup
from labs.engine.lab import Names
from labs.models import LabRun
from own_account import aws_role
from own_account.pricing import PRICES
from tests.labs.conftest import make_context
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies

LAB = get_lab("relational")
CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:sa-unit0001-db"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1234-abcdef"


@pytest.fixture
def function_env(monkeypatch, moto_aws):
    monkeypatch.setenv("CLUSTER_ARN", CLUSTER_ARN)
    monkeypatch.setenv("SECRET_ARN", SECRET_ARN)
    monkeypatch.setenv("DATABASE", "labdb")
    monkeypatch.setattr(app, "_DATA", [boto3.client("rds-data", region_name="us-east-1")])


def queue_results(*results):
    """What moto's Data API answers to the next statements, in order."""
    from moto.rdsdata.models import QueryResults, rdsdata_backends

    backend = rdsdata_backends["123456789012"]["us-east-1"]
    backend.results_queue[:0] = [QueryResults(records=records) for records in reversed(results)]


# The function ---------------------------------------------------------------------------------

def test_the_function_inserts_the_note_and_reads_it_back(function_env):
    queue_results([], [[{"longValue": 7}]], [[{"longValue": 7}, {"stringValue": "hello"}]])
    answer = app.handler({"note": "hello"}, None)
    assert answer == {"ok": True, "inserted": 7, "rows": [{"id": 7, "body": "hello"}]}


def test_the_function_refuses_an_empty_note_and_reports_the_data_apis_error(function_env, monkeypatch):
    assert app.handler({"note": "  "}, None)["error"] == "BadRequest"

    def denied(**kwargs):
        raise ClientError({"Error": {"Code": "HttpEndpointNotEnabledException", "Message": "not enabled"}},
                          "ExecuteStatement")

    monkeypatch.setattr(app._data(), "execute_statement", denied)
    answer = app.handler({"note": "hello"}, None)
    assert answer["ok"] is False and answer["error"] == "HttpEndpointNotEnabledException"


# The checks' rules and the verify's refusals ----------------------------------------------------

@pytest.mark.parametrize("scaling,says", [
    ({}, "has no Serverless v2 scaling configuration"),
    ({"MinCapacity": 0.5, "MaxCapacity": 2.0}, "set MinCapacity 0"),
    ({"MinCapacity": 0.0, "MaxCapacity": 64.0}, "keep it between 1 and 4"),
    ({"MinCapacity": 0.0, "MaxCapacity": 2.0, "SecondsUntilAutoPause": 60}, "between 300 and 86,400"),
])
def test_the_scaling_rules_name_what_is_wrong(scaling, says):
    assert says in steps.scaling_problem({"ServerlessV2ScalingConfiguration": scaling})


def test_the_labs_scaling_passes_its_own_rules():
    scaling = {"MinCapacity": MIN_CAPACITY, "MaxCapacity": MAX_CAPACITY, "SecondsUntilAutoPause": AUTO_PAUSE_SECONDS}
    assert steps.scaling_problem({"ServerlessV2ScalingConfiguration": scaling}) == ""


def answered(answer: dict):
    ctx = make_context()
    ctx.scratch["answer"] = dict(answer, note="verify-abc")
    return verify.verify_roundtrip(ctx)


def test_the_verify_refuses_rows_that_do_not_hold_its_note():
    canned = answered({"ok": True, "inserted": 1, "rows": [{"id": 1, "body": "mock_value"}]})
    assert not canned.ok and "refused" in canned.message
    assert not answered({"ok": True, "rows": []}).ok
    real = answered({"ok": True, "inserted": 3, "rows": [{"id": 3, "body": "verify-abc"}]})
    assert real.ok and "Real SQL" in real.message


def test_without_an_engine_the_verify_passes_the_path_and_claims_no_rows():
    result = answered({"ok": False, "error": "BadRequestException",
                       "message": "Unsupported SQL in RDS Data API stub mode: CREATE TABLE ..."})
    assert result.ok and "no SQL ran" in result.message and "only AWS runs" in result.message


def test_a_denied_query_fails_with_what_to_fix(monkeypatch):
    monkeypatch.setattr(verify, "log_tail", lambda ctx, function, lines=4: "")
    result = answered({"ok": False, "error": "AccessDeniedException", "message": "not authorized"})
    assert not result.ok and "rds-data:ExecuteStatement" in result.message


# Teardown: a cluster goes after its instances ---------------------------------------------------

def make_cluster(rds, name="sa-unit0001-db"):
    rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", EngineVersion="16.8",
                          MasterUsername="postgres", ManageMasterUserPassword=True,
                          ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 2})
    rds.create_db_instance(DBInstanceIdentifier=f"{name}-writer", DBClusterIdentifier=name,
                           Engine="aurora-postgresql", DBInstanceClass="db.serverless")


def test_a_cluster_is_deleted_after_its_instances_and_twice_is_gone(moto_aws):
    ctx = make_context()
    make_cluster(ctx.clients.rds)
    assert rds_cleanup.delete_db_cluster(ctx.clients, "sa-unit0001-db") == rds_cleanup.DELETED
    assert ctx.clients.rds.describe_db_clusters()["DBClusters"] == []
    assert ctx.clients.rds.describe_db_instances()["DBInstances"] == []
    assert rds_cleanup.delete_db_cluster(ctx.clients, "sa-unit0001-db") == rds_cleanup.GONE


def test_a_cluster_whose_instances_are_still_deleting_is_pending(moto_aws, monkeypatch):
    from labs.engine import resources

    ctx = make_context()
    make_cluster(ctx.clients.rds)
    monkeypatch.setattr(rds_cleanup, "WAIT_SECONDS", 0)
    monkeypatch.setattr(rds_cleanup, "_rds_instance_exists", lambda rds, identifier: True)
    with pytest.raises(resources.Pending, match="still deleting the instances"):
        resources.delete(ctx.clients, "rds:db-cluster", "sa-unit0001-db", "sa-unit0001-db")


# The SAM template, the price table, the own-account role -----------------------------------------

def test_the_sam_template_translates_to_the_labs_database_proxy_and_function(monkeypatch):
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(LAB.sam_source, Loader=CloudFormationLoader)
    template["Resources"]["NotesFunction"]["Properties"]["CodeUri"] = "s3://lab-artifacts/notes.zip"
    resources = transform(template, {}, NoManagedPolicies())["Resources"]
    cluster = resources["Cluster"]["Properties"]
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": MIN_CAPACITY, "MaxCapacity": MAX_CAPACITY,
                                                           "SecondsUntilAutoPause": AUTO_PAUSE_SECONDS}
    assert cluster["ManageMasterUserPassword"] is True and cluster["EnableHttpEndpoint"] is True
    assert "MasterUserPassword" not in cluster
    assert resources["Writer"]["Properties"]["DBInstanceClass"] == "db.serverless"
    proxy = resources["Proxy"]["Properties"]
    assert proxy["EngineFamily"] == "POSTGRESQL" and proxy["RequireTLS"] is True
    assert proxy["Auth"][0]["SecretArn"] == {"Fn::GetAtt": ["Cluster", "MasterUserSecret.SecretArn"]}
    function = resources["NotesFunction"]["Properties"]
    assert (function["Runtime"], function["Handler"], function["Timeout"]) == (LAB.runtime, "app.handler", 30)
    role = next(r["Properties"] for name, r in resources.items() if name == "NotesFunctionRole")
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert {json.dumps(s["Action"]) for s in statements} == {'"rds-data:ExecuteStatement"',
                                                             '"secretsmanager:GetSecretValue"'}


def test_the_usage_is_priced():
    assert set(USAGE) <= set(PRICES)


def test_the_own_account_role_lets_the_lab_run_and_its_roles_reach_only_rds_managed_secrets():
    access = json.dumps(aws_role.access_policy())
    for action in ("rds:CreateDBCluster", "rds:CreateDBInstance", "rds:EnableHttpEndpoint", "rds:CreateDBProxy",
                   "rds:RegisterDBProxyTargets", "rds:DeleteDBCluster", "rds:DeleteDBProxy", "rds:DescribeDBProxies",
                   "ec2:DescribeSubnets", "secretsmanager:CreateSecret"):
        assert f'"{action}"' in access, action
    passing = next(s for s in aws_role.access_policy()["Statement"] if s["Sid"] == "PassLabRolesToRds")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "rds.amazonaws.com"}}
    boundary = aws_role.boundary_policy()["Statement"]
    data_api = next(s for s in boundary if s["Sid"] == "LabClustersThroughTheDataApi")
    assert data_api["Resource"]["Fn::Sub"].endswith(":cluster:sa-*")
    secrets = next(s for s in boundary if s["Sid"] == "RdsManagedMasterSecretsRead")
    assert secrets["Resource"]["Fn::Sub"].endswith(":secret:rds!cluster-*") and secrets["Action"] == [
        "secretsmanager:GetSecretValue"]


# End to end on the real local sandbox ------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_cli_runs_the_relational_lab_to_a_clean_pass(sandbox_url, capsys):
    call_command("lab", "run", "relational", "--user", "relational-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out, out
    run = LabRun.objects.get(user__username="relational-learner")
    verified = run.events.get(kind="verify", status="ok", step="roundtrip").message
    assert "no SQL ran" in verified  # MiniStack has no PostgreSQL engine here: the verify says so
    assert not any(entry.status != "deleted" for entry in run.ledger.all() if entry.kind.startswith("rds:"))
