"""Step 2 of the containers lab: the reports function with the file system mounted (step 1 is
``storage.py``, step 3 ``fargate.py``), and the helpers steps 2 and 3 share (the storage a step needs,
the EFS statement of a role). ``apply`` is idempotent; ``check`` explains what is wrong."""

from pathlib import Path

from labs.catalog.containers import storage
from labs.catalog.containers.names import (
    FUNCTION_POLICY, FUNCTION_SOURCE, HANDLER, LAMBDA_TRUST, MEMORY, MOUNT_PATH, RUNTIME, TIMEOUT, function_name,
    role_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam
from labs.toolkit.calls import missing
from labs.toolkit.functions import configuration_problem, deploy_function, wait_updated

FOLDER = Path(__file__).parent
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")


def _storage_or_blocked(ctx: Context) -> tuple[dict, dict, list[dict]]:
    found = storage.file_system(ctx)
    point = found and storage.access_point(ctx, found["FileSystemId"])
    targets = found and storage.mount_targets(ctx, found["FileSystemId"])
    if not found or not point or not targets:
        raise StepBlocked("Do step 1 first: the file system, its access point and a mount target.")
    return found, point, targets


def efs_statement(fs_arn: str, ap_arn: str, actions: tuple[str, ...]) -> dict:
    """NFS clients that use IAM authorization need these actions on the file system, through the access point."""
    return {"Sid": "ReportsFileSystem", "Effect": "Allow", "Action": list(actions), "Resource": fs_arn,
            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ap_arn}}}


def function_policy(ctx: Context, fs_arn: str, ap_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        iam.logs_statement(ctx.region, ctx.account_id, function_name(ctx.name)),
        {"Sid": "VpcNetworkInterfaces", "Effect": "Allow", "Action": list(ENI_ACTIONS), "Resource": "*"},
        efs_statement(fs_arn, ap_arn, ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")),
    ]}


def _fs_arn(ctx: Context, fs: dict) -> str:
    return fs.get("FileSystemArn") or f"arn:aws:elasticfilesystem:{ctx.region}:{ctx.account_id}:file-system/{fs['FileSystemId']}"


# Step 2: the reports function, with the file system mounted ----------------------------------

def wanted_function(role_arn: str, point: dict, subnet: str, group: str) -> dict:
    return {"Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "MemorySize": MEMORY, "Timeout": TIMEOUT,
            "Environment": {"Variables": {"REPORTS_DIR": MOUNT_PATH}},
            "VpcConfig": {"SubnetIds": [subnet], "SecurityGroupIds": [group]},
            "FileSystemConfigs": [{"Arn": point["AccessPointArn"], "LocalMountPath": MOUNT_PATH}]}


def apply_function(ctx: Context) -> None:
    fs, point, targets = _storage_or_blocked(ctx)
    subnet, groups = targets[0]["SubnetId"], _target_groups(ctx, targets[0])
    role_arn = iam.ensure_execution_role(
        ctx, role=role_name(ctx.name), description="Containers lab: the reports function's execution role",
        policy_name=FUNCTION_POLICY, policy=function_policy(ctx, _fs_arn(ctx, fs), point["AccessPointArn"]),
        trust=LAMBDA_TRUST)
    wanted = wanted_function(role_arn, point, subnet, groups[0])
    name = function_name(ctx.name)
    ctx.outputs["function_arn"] = deploy_function(ctx, function=name, folder=FOLDER / "functions" / FUNCTION_SOURCE,
                                                  description="Containers lab: writes and reads reports on EFS",
                                                  wanted=wanted)
    config = ctx.clients.lambda_.get_function_configuration(FunctionName=name)
    if mount_problem(config, point["AccessPointArn"], targets):
        ctx.clients.lambda_.update_function_configuration(
            FunctionName=name, VpcConfig=wanted["VpcConfig"], FileSystemConfigs=wanted["FileSystemConfigs"])
        wait_updated(ctx, name)


def _target_groups(ctx: Context, target: dict) -> list[str]:
    groups = ctx.clients.efs.describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])
    return groups.get("SecurityGroups", [])


def mount_problem(config: dict, ap_arn: str, targets: list[dict]) -> str:
    """What keeps the function from mounting the lab's access point at MOUNT_PATH; "" if nothing."""
    mounts = config.get("FileSystemConfigs") or []
    if not mounts:
        return ("The function has no file system configured. Add one: the lab's EFS access point, local mount path "
                f"{MOUNT_PATH}.")
    if len(mounts) != 1 or mounts[0].get("Arn") != ap_arn:
        return (f"The function mounts {mounts[0].get('Arn')}, not the lab's access point {ap_arn}. Change its file "
                "system configuration.")
    if mounts[0].get("LocalMountPath") != MOUNT_PATH:
        return (f"The function mounts the file system at {mounts[0].get('LocalMountPath')}, but its code writes to "
                f"{MOUNT_PATH} (REPORTS_DIR). Mount it at {MOUNT_PATH}: Lambda requires a path under /mnt/.")
    vpc = config.get("VpcConfig") or {}
    if not vpc.get("SubnetIds"):
        return "The function is not connected to a VPC, so it cannot reach the mount target. Connect it to the default VPC."
    reachable = {t["SubnetId"] for t in targets}
    if not set(vpc["SubnetIds"]) & reachable:
        return (f"The function's subnets ({', '.join(vpc['SubnetIds'])}) have no mount target of the file system "
                f"(it has one in {', '.join(sorted(reachable))}). Use that subnet, or add a mount target in yours.")
    return ""


def check_function(ctx: Context) -> CheckResult:
    name, role = function_name(ctx.name), role_name(ctx.name)
    found = storage.file_system(ctx)
    point = found and storage.access_point(ctx, found["FileSystemId"])
    if not found or not point:
        return CheckResult.failed(f"Do step 1 first: there is no file system {found and found['FileSystemId'] or ''} "
                                  f"with the access point the function {name} mounts.")
    config = missing(ctx.clients.lambda_.get_function_configuration, FunctionName=name)
    if config is None:
        return CheckResult.failed(f"There is no Lambda function named {name}. Create it from reports.zip "
                                  f"({RUNTIME}, handler {HANDLER}).")
    role_found, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=role_found["Arn"], role=role,
                                    environment={"REPORTS_DIR": MOUNT_PATH})
    problem = problem or mount_problem(config, point["AccessPointArn"], storage.mount_targets(ctx, found["FileSystemId"]))
    if problem:
        return CheckResult.failed(problem)
    statements, _managed = iam.role_statements(ctx.clients.iam, role)
    fs_arn = _fs_arn(ctx, found)
    for action in ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"):
        if not iam.allows(statements, action, fs_arn):
            return CheckResult.failed(f"The role {role} does not allow {action} on {fs_arn}: the function could mount "
                                      "nothing (or only read). Add it to the role's policy.")
    if not iam.allows(statements, "ec2:CreateNetworkInterface", "*"):
        return CheckResult.failed(f"The role {role} does not allow ec2:CreateNetworkInterface: a function in a VPC "
                                  "needs it (AWSLambdaVPCAccessExecutionRole grants it).")
    ctx.outputs["function_arn"] = config["FunctionArn"]
    return CheckResult.passed(
        f"Function {name} mounts access point {point['AccessPointId']} at {MOUNT_PATH} from subnet "
        f"{', '.join(config['VpcConfig']['SubnetIds'])}, and its role may mount and write the file system.",
        Found("lambda:function", name, name, config["FunctionArn"]), Found("iam:role", role, role, role_found["Arn"]))
