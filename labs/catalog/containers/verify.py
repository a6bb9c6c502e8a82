"""The containers lab's end-to-end verify.

What runs where (MiniStack 1.5.33, read in its source): the reports function really runs (a local
subprocess), so its report is computed for real; but the sandbox only stores a function's
FileSystemConfigs and mounts nothing (``lambda_svc.py``: "The emulator doesn't actually mount"), and
EFS there is control plane only ("In-memory only — no real filesystem"). The function refuses to write
where nothing is mounted, so locally the verify checks that it computed the report and refused
honestly; in AWS it checks the report was written to EFS and reads it back. ECS tasks run only through
Docker: the Fargate side is checked by configuration (``fargate.py``)."""

import json

from labs.catalog.containers import storage
from labs.catalog.containers.fargate import latest_task_definition
from labs.catalog.containers.names import (
    MOUNT_PATH, SAMPLE_DAY, SAMPLE_ORDERS, SAMPLE_TOTALS, family, function_name, role_name, task_role_name,
)
from labs.catalog.containers.steps import _fs_arn
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit import iam
from labs.toolkit.functions import log_tail

LOCAL_NOTE = ("The local sandbox stores the function's file system configuration but mounts nothing: only AWS "
              "mounts EFS into the function.")


def _local(ctx: Context) -> bool:
    deployment = getattr(ctx, "deployment", None)
    return bool(deployment and deployment.target.is_local)


def invoke(ctx: Context, event: dict) -> tuple[dict | None, str]:
    name = function_name(ctx.name)
    answer = ctx.clients.lambda_.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = answer["Payload"].read()
    if answer.get("FunctionError"):
        return None, f"The function {name} failed: {body[:300].decode(errors='replace')} {log_tail(ctx, name)}"
    try:
        return json.loads(body or b"null"), ""
    except ValueError:
        return None, f"The function {name} answered something that is not JSON: {body[:200]!r}."


def verify_report(ctx: Context) -> CheckResult:
    got, why = invoke(ctx, {"action": "write", "day": SAMPLE_DAY, "orders": SAMPLE_ORDERS})
    if got is None:
        return CheckResult.failed(why)
    if got.get("error"):
        return CheckResult.failed(f"The function refused the sample orders: {got['error']}")
    if got.get("totals") != SAMPLE_TOTALS:
        return CheckResult.failed(f"The report's totals are {got.get('totals')}, expected {SAMPLE_TOTALS} (orders, "
                                  "revenue and revenue by region, two decimals): deploy the lab's reports.zip.")
    ctx.scratch["written"] = bool(got.get("written"))
    if got.get("written"):
        return CheckResult.passed(f"The function computed the report for {SAMPLE_DAY} and wrote it to {got['path']} on EFS.")
    if _local(ctx) and got.get("mounted") is False:
        return CheckResult.passed(f"The function ran for real and computed the report (revenue {SAMPLE_TOTALS['revenue']}), "
                                  f"and refused to write it: nothing is mounted at {MOUNT_PATH}. {LOCAL_NOTE}")
    return CheckResult.failed(f"The function computed the report but did not write it: {got.get('reason', got)}. Check "
                              "its file system configuration and the mount target's security group (NFS, port 2049).")


def verify_read_back(ctx: Context) -> CheckResult:
    got, why = invoke(ctx, {"action": "read", "day": SAMPLE_DAY})
    if got is None:
        return CheckResult.failed(why)
    if _local(ctx) and not ctx.scratch.get("written"):
        if got.get("mounted") is False:
            return CheckResult.passed("Reading back was refused as it should be where nothing is mounted: no report "
                                      f"was faked. {LOCAL_NOTE} In AWS this check reads {SAMPLE_DAY}.json back.")
        return CheckResult.failed(f"The function claims a file system at {MOUNT_PATH} that the sandbox does not mount "
                                  f"({got}): deploy the lab's reports.zip.")
    if not got.get("found") or {k: v for k, v in (got.get("report") or {}).items() if k != "day"} != SAMPLE_TOTALS:
        return CheckResult.failed(f"Reading {SAMPLE_DAY}.json back from {MOUNT_PATH} gave {got}: the report written "
                                  "a moment ago should be there, on the shared file system.")
    return CheckResult.passed(f"A second invocation read {SAMPLE_DAY}.json back from EFS: the same totals. The "
                              "Fargate task reads the same file through the same access point.")


def verify_shared(ctx: Context) -> CheckResult:
    """The writer and the reader share one access point; only the writer may write."""
    fs = storage.file_system(ctx)
    point = fs and storage.access_point(ctx, fs["FileSystemId"])
    have = latest_task_definition(ctx.clients.ecs, family(ctx.name))
    if not fs or not point or have is None:
        return CheckResult.failed("Build every step first: the file system, the function and the task definition.")
    config = ctx.clients.lambda_.get_function_configuration(FunctionName=function_name(ctx.name))
    mounted = [m.get("Arn") for m in config.get("FileSystemConfigs") or []]
    volumes = [v["efsVolumeConfiguration"] for v in have.get("volumes") or [] if v.get("efsVolumeConfiguration")]
    task_point = volumes and (volumes[0].get("authorizationConfig") or {}).get("accessPointId")
    if mounted != [point["AccessPointArn"]] or task_point != point["AccessPointId"]:
        return CheckResult.failed(f"The function mounts {mounted} and the task {task_point}: both must use the access "
                                  f"point {point['AccessPointId']}, or the task will never see the function's reports.")
    fs_arn = _fs_arn(ctx, fs)
    task_statements, _ = iam.role_statements(ctx.clients.iam, task_role_name(ctx.name))
    if iam.allows(task_statements, "elasticfilesystem:ClientWrite", fs_arn):
        return CheckResult.failed(f"The task role {task_role_name(ctx.name)} may write the file system "
                                  "(elasticfilesystem:ClientWrite): the reader only reads. Remove ClientWrite (and keep "
                                  "its mount point read-only: without a file system policy, EFS's default one lets "
                                  "any client that reaches a mount target write).")
    function_statements, _ = iam.role_statements(ctx.clients.iam, role_name(ctx.name))
    if not iam.allows(function_statements, "elasticfilesystem:ClientWrite", fs_arn):
        return CheckResult.failed(f"The function's role {role_name(ctx.name)} may not write the file system.")
    return CheckResult.passed(f"The function (writer) and the Fargate task (reader) share the access point "
                              f"{point['AccessPointId']}; only the function's role may write. (Configuration: the "
                              "local sandbox enforces neither EFS IAM authorization nor the mount.)")


CHECKS = (
    VerifyCheck("report", "The function computes a day's report and writes it to EFS", verify_report),
    VerifyCheck("read-back", "A second invocation reads the report back", verify_read_back),
    VerifyCheck("shared", "Writer and reader share one access point; only the writer may write", verify_shared),
)
