"""Mistakes a learner makes in the containers lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import io
import json
import zipfile
from pathlib import Path

from labs.catalog.containers import storage
from labs.catalog.containers.fargate import latest_task_definition, task_definition
from labs.catalog.containers.names import (
    FUNCTION_SOURCE, TASK_POLICY, cluster_name, family, function_name, service_name, task_role_name,
)
from labs.catalog.containers.steps import _fs_arn, efs_statement
from labs.engine.lab import Context, Sabotage
from labs.toolkit.functions import wait_updated

APP = Path(__file__).parent / "functions" / FUNCTION_SOURCE / "app.py"


def unmounted_function(ctx: Context) -> None:
    ctx.clients.lambda_.update_function_configuration(FunctionName=function_name(ctx.name), FileSystemConfigs=[])
    wait_updated(ctx, function_name(ctx.name))


def float_money(ctx: Context) -> None:
    """Code that adds money as floats: every configuration check passes, only running it shows it."""
    source = APP.read_text().replace("str(revenue.quantize(cents))", "str(float(revenue))")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", source)
    ctx.clients.lambda_.update_function_code(FunctionName=function_name(ctx.name), ZipFile=package.getvalue())
    wait_updated(ctx, function_name(ctx.name))


def writable_task_role(ctx: Context) -> None:
    fs = storage.file_system(ctx)
    point = storage.access_point(ctx, fs["FileSystemId"])
    policy = {"Version": "2012-10-17", "Statement": [efs_statement(
        _fs_arn(ctx, fs), point["AccessPointArn"], ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"))]}
    ctx.clients.iam.put_role_policy(RoleName=task_role_name(ctx.name), PolicyName=TASK_POLICY,
                                    PolicyDocument=json.dumps(policy))


def read_write_mount(ctx: Context) -> None:
    ecs = ctx.clients.ecs
    have = latest_task_definition(ecs, family(ctx.name))
    wanted = {key: have[key] for key in task_definition("", "", "", "") if key in have}
    wanted["containerDefinitions"][0]["mountPoints"][0]["readOnly"] = False
    arn = ecs.register_task_definition(**wanted)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster_name(ctx.name), service=service_name(ctx.name), taskDefinition=arn)


CASES = (
    Sabotage("unmounted-function", "The function loses its file system configuration", unmounted_function,
             (("function", "no file system configured"),)),
    # MiniStack runs the function's code: the wrong totals show in the report it computes.
    Sabotage("float-money", "The function adds money as floats", float_money,
             (("verify:report", "The report's totals are"),)),
    Sabotage("writable-task-role", "The reader task's role may also write the file system", writable_task_role,
             (("verify:shared", "may write the file system"),)),
    Sabotage("read-write-mount", "The task definition mounts the reports read-write", read_write_mount,
             (("fargate", "mounts the reports read-write"),)),
)
