"""The containers lab: its reports function (on a real directory standing in for the mount), its
SAM template (translated offline), its steps and checks under moto, the teardown of what they
built, the own-account role, and the whole lab through the CLI in the real local sandbox."""

import json

import pytest
import yaml
from django.core.management import call_command
from samtranslator.translator.transform import transform

from labs import aws
from labs.catalog import get_lab
from labs.catalog.containers import fargate, storage
from labs.catalog.containers.functions.reports import app
from labs.catalog.containers.names import MOUNT_PATH, SAMPLE_ORDERS, SAMPLE_TOTALS, USAGE
from labs.engine import resources
from labs.models import LabRun
from own_account import aws_role
from own_account.pricing import PRICES
from tests.labs.conftest import make_context
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies

LAB = get_lab("containers")


# The function --------------------------------------------------------------------------------

@pytest.fixture
def mounted_dir(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    monkeypatch.setenv("REPORTS_DIR", str(folder))
    monkeypatch.setattr(app, "mounted", lambda path: path == str(folder))
    return folder


def test_the_function_writes_a_report_that_a_second_invocation_reads_back(mounted_dir):
    written = app.handler({"action": "write", "day": "2026-12-04", "orders": SAMPLE_ORDERS}, None)
    assert written["written"] and written["totals"] == SAMPLE_TOTALS
    assert json.loads((mounted_dir / "2026-12-04.json").read_text()) == {"day": "2026-12-04", **SAMPLE_TOTALS}
    assert not list(mounted_dir.glob("*.tmp"))  # written under a temporary name, then renamed
    read = app.handler({"action": "read", "day": "2026-12-04"}, None)
    assert read["found"] and read["report"]["revenue"] == "55.00"
    assert app.handler({"action": "list"}, None)["reports"] == ["2026-12-04.json"]
    assert app.handler({"action": "read", "day": "2026-12-05"}, None)["found"] is False


def test_the_function_refuses_to_write_where_nothing_is_mounted(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    monkeypatch.setenv("REPORTS_DIR", str(folder))  # a plain directory, not a mount point
    answer = app.handler({"action": "write", "day": "2026-12-04", "orders": SAMPLE_ORDERS}, None)
    assert answer["mounted"] is False and answer["written"] is False and answer["totals"] == SAMPLE_TOTALS
    assert not list(folder.iterdir())
    assert app.handler({"action": "read", "day": "2026-12-04"}, None)["mounted"] is False


@pytest.mark.parametrize(("event", "says"), [
    ({"action": "write", "day": "04/12/2026", "orders": []}, "day must look like"),
    ({"action": "write", "day": "2026-12-04", "orders": [{"id": "x", "amount": "abc"}]}, "no valid amount"),
    ({"action": "delete"}, "action must be one of"),
])
def test_the_function_explains_bad_events(event, says, mounted_dir):
    assert says in app.handler(event, None)["error"]


def test_money_is_added_in_decimals():
    assert app.totals([{"amount": "0.10"}, {"amount": "0.20"}])["revenue"] == "0.30"  # 0.1 + 0.2 in floats is not


# The SAM template ----------------------------------------------------------------------------

def test_the_sam_template_mounts_the_access_point_in_the_function_and_read_only_in_the_task(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(LAB.sam_source, Loader=CloudFormationLoader)
    template["Resources"]["ReportsFunction"]["Properties"]["CodeUri"] = "s3://lab-artifacts/reports.zip"
    out = transform(template, {"SubnetId": "subnet-1", "SecurityGroupId": "sg-1"}, NoManagedPolicies())["Resources"]
    types = {resource["Type"] for resource in out.values()}
    assert {"AWS::EFS::FileSystem", "AWS::EFS::AccessPoint", "AWS::EFS::MountTarget", "AWS::Lambda::Function",
            "AWS::ECS::Cluster", "AWS::ECS::TaskDefinition", "AWS::ECS::Service", "AWS::IAM::Role"} <= types
    function = out["ReportsFunction"]["Properties"]
    assert function["FileSystemConfigs"] == [{"Arn": {"Fn::GetAtt": ["ReportsAccessPoint", "Arn"]},
                                              "LocalMountPath": MOUNT_PATH}]
    assert function["Environment"]["Variables"]["REPORTS_DIR"] == MOUNT_PATH and function["VpcConfig"]["SubnetIds"]
    task = out["ReaderTaskDefinition"]["Properties"]
    assert task["RequiresCompatibilities"] == ["FARGATE"] and task["NetworkMode"] == "awsvpc"
    assert task["ContainerDefinitions"][0]["MountPoints"][0]["ReadOnly"] is True
    efs = task["Volumes"][0]["EFSVolumeConfiguration"]
    assert efs["TransitEncryption"] == "ENABLED" and efs["AuthorizationConfig"]["IAM"] == "ENABLED"
    reader = out["ReaderTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in reader] == [["elasticfilesystem:ClientMount"]]  # the reader may not write
    assert out["ReaderService"]["Properties"]["LaunchType"] == "FARGATE"


# The steps and their checks, against moto ----------------------------------------------------
# (moto 5 drops a function's FileSystemConfigs: tests/labs/conftest.py's moto_aws keeps them, as AWS does.)

def test_the_steps_build_what_their_checks_accept_and_teardown_deletes_it(moto_aws):
    ctx = make_context()
    assert [step.check(ctx).ok for step in LAB.steps] == [False, False, False]
    for step in LAB.steps:
        step.apply(ctx)
        assert step.check(ctx).ok, step.check(ctx).message
    kinds = [entry.kind for entry in ctx.recorder.ledger]
    for kind in ("efs:file-system", "efs:access-point", "efs:mount-target", "lambda:function", "ecs:cluster",
                 "ecs:task-definition", "ecs:service"):
        assert kind in kinds, kinds
    ledger = [(e.kind, e.name) for e in ctx.recorder.ledger]
    for step in LAB.steps:
        step.apply(ctx)
    assert [(e.kind, e.name) for e in ctx.recorder.ledger] == ledger, "applying again created something twice"

    # What the fargate check catches in the task definition.
    fs = storage.file_system(ctx)
    point = storage.access_point(ctx, fs["FileSystemId"])
    have = fargate.latest_task_definition(ctx.clients.ecs, f"{ctx.name.prefix}-reader")
    role_arn = have["taskRoleArn"]
    assert fargate.task_definition_problem(have, fs["FileSystemId"], point["AccessPointId"], role_arn) == ""
    unencrypted = json.loads(json.dumps(have))
    unencrypted["volumes"][0]["efsVolumeConfiguration"]["transitEncryption"] = "DISABLED"
    assert "transit encryption off" in fargate.task_definition_problem(
        unencrypted, fs["FileSystemId"], point["AccessPointId"], role_arn)
    ec2_only = dict(have, requiresCompatibilities=["EC2"])
    assert "not for Fargate" in fargate.task_definition_problem(ec2_only, fs["FileSystemId"], point["AccessPointId"],
                                                                role_arn)

    for entry in reversed(ctx.recorder.ledger):
        assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) in (resources.DELETED,
                                                                                             resources.GONE)
    assert storage.file_system(ctx) is None
    assert [step.check(ctx).ok for step in LAB.steps] == [False, False, False]


# Cost and the own-account role ----------------------------------------------------------------

def test_the_usage_is_priced_and_the_role_may_do_what_the_lab_does():
    assert set(USAGE) <= set(PRICES)
    statements = {s["Sid"]: s for s in aws_role.access_policy()["Statement"]}
    assert statements["LabFileSystemsTaggedByARun"]["Condition"]["Null"] == {
        f"aws:RequestTag/{aws_role.RUN_TAG}": "false"}
    clusters = statements["LabClustersAndServices"]
    assert all(r["Fn::Sub"].split("}:")[-1].startswith(("cluster/sa-", "service/sa-", "task-definition/sa-"))
               for r in clusters["Resource"])
    assert statements["PassLabRolesToEcsTasks"]["Condition"]["StringEquals"]["iam:PassedToService"] == \
        "ecs-tasks.amazonaws.com"
    boundary = {s["Sid"]: s for s in aws_role.boundary_policy()["Statement"]}
    assert set(boundary["LabFileSystemClients"]["Action"]) == {"elasticfilesystem:ClientMount",
                                                               "elasticfilesystem:ClientWrite"}
    assert not any(a in ("*", "ecs:*", "elasticfilesystem:*") for s in statements.values()
                   for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))


# The whole lab, through the CLI, in the real local sandbox -------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_cli_runs_the_containers_lab_to_a_clean_pass(sandbox_url, capsys):
    call_command("lab", "run", "containers", "--user", "containers-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out, out
    run = LabRun.objects.get(user__username="containers-learner")
    verified = {event.step: event.message for event in run.events.filter(kind="verify", status="ok").exclude(step="")}
    assert set(verified) == {check.slug for check in LAB.verify}
    assert "ran for real" in verified["report"] and "mounts nothing" in verified["report"]
    clients = aws.Clients(aws.target_for(run.sandbox))
    assert not [f for f in clients.efs.describe_file_systems()["FileSystems"] if run.prefix in f.get("CreationToken", "")]
    assert not clients.ecs.list_clusters()["clusterArns"]
