"""The containers lab's benchmark: a bare boto3 script making the lab's calls, against the engine's
automatic run (``labs/bench/fullstack.py: run_bench`` alternates them and prints the figures).

The baseline deploys what the steps deploy (the file system, its access point and mount target in the
default VPC; the function's role, policy and function with the file system mounted; the task role, the
cluster, the Fargate task definition and service), makes the verify's two invocations and reads the
configuration the verify reads, then deletes everything.

    python manage.py lab bench --lab containers --rounds 3
"""

import json
import time
from pathlib import Path

from labs import aws
from labs.catalog.containers import storage
from labs.catalog.containers.fargate import task_definition
from labs.catalog.containers.names import (
    LAMBDA_TRUST, MOUNT_PATH, POSIX_GID, POSIX_UID, ROOT_PATH, SAMPLE_DAY, SAMPLE_ORDERS, SAMPLE_TOTALS, TASKS_TRUST,
)
from labs.catalog.containers.steps import ENI_ACTIONS
from labs.engine.lab import Names, function_zip

FOLDER = Path(storage.__file__).parent


def _timed(phases: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    phases[name] = now - started
    return now


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def baseline_containers(endpoint_url: str, account_id: str, region: str = "us-east-1", origin: str = "") -> dict:
    """Deploy, verify and tear down the containers lab with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("ec2", "efs", "iam", "lambda", "ecs", "logs")}
    names = Names(f"bench-{int(time.time() * 1000) % 10**8:08d}")
    phases, started = {}, time.perf_counter()

    # Deploy.
    _vpc, subnet, group = storage.default_network(c["ec2"])
    fs = c["efs"].create_file_system(CreationToken=names("reports-fs"), Encrypted=True)
    fs_id, fs_arn = fs["FileSystemId"], fs["FileSystemArn"]
    point = c["efs"].create_access_point(
        FileSystemId=fs_id, ClientToken=names("reports-ap"), PosixUser={"Uid": POSIX_UID, "Gid": POSIX_GID},
        RootDirectory={"Path": ROOT_PATH, "CreationInfo": {"OwnerUid": POSIX_UID, "OwnerGid": POSIX_GID,
                                                            "Permissions": "750"}})
    target_id = c["efs"].create_mount_target(FileSystemId=fs_id, SubnetId=subnet, SecurityGroups=[group])["MountTargetId"]
    while c["efs"].describe_mount_targets(MountTargetId=target_id)["MountTargets"][0]["LifeCycleState"] != "available":
        time.sleep(0.05)
    function, role, task_role = names("reports"), names("reports-role"), names("reader-task-role")
    efs_condition = {"StringEquals": {"elasticfilesystem:AccessPointArn": point["AccessPointArn"]}}
    role_arn = c["iam"].create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=role, PolicyName="reports-writer", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": list(ENI_ACTIONS), "Resource": "*"},
        {"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
         "Resource": fs_arn, "Condition": efs_condition}))
    c["lambda"].create_function(
        FunctionName=function, Runtime="python3.12", Handler="app.handler", Role=role_arn, Timeout=15, MemorySize=128,
        Code={"ZipFile": function_zip(FOLDER / "functions" / "reports")},
        Environment={"Variables": {"REPORTS_DIR": MOUNT_PATH}},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]},
        FileSystemConfigs=[{"Arn": point["AccessPointArn"], "LocalMountPath": MOUNT_PATH}])
    while c["lambda"].get_function(FunctionName=function)["Configuration"]["State"] != "Active":
        time.sleep(0.05)
    task_role_arn = c["iam"].create_role(RoleName=task_role,
                                         AssumeRolePolicyDocument=json.dumps(TASKS_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=task_role, PolicyName="read-reports", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount"], "Resource": fs_arn, "Condition": efs_condition}))
    cluster = names("cluster")
    c["ecs"].create_cluster(clusterName=cluster)
    registered = c["ecs"].register_task_definition(
        **task_definition(fs_id, point["AccessPointId"], task_role_arn, names("reader")))["taskDefinition"]
    c["ecs"].create_service(
        cluster=cluster, serviceName=names("reader"), taskDefinition=registered["taskDefinitionArn"], desiredCount=1,
        launchType="FARGATE", platformVersion="LATEST", networkConfiguration={"awsvpcConfiguration": {
            "subnets": [subnet], "securityGroups": [group], "assignPublicIp": "ENABLED"}})
    started = _timed(phases, "deploy", started)

    # The verify: two invocations, then the configuration it reads.
    for event in ({"action": "write", "day": SAMPLE_DAY, "orders": SAMPLE_ORDERS}, {"action": "read", "day": SAMPLE_DAY}):
        answer = json.loads(c["lambda"].invoke(FunctionName=function, Payload=json.dumps(event).encode())["Payload"].read())
        assert answer.get("mounted") is False and answer.get("totals", SAMPLE_TOTALS) == SAMPLE_TOTALS, answer
    c["lambda"].get_function_configuration(FunctionName=function)
    c["ecs"].describe_task_definition(taskDefinition=registered["taskDefinitionArn"])
    for name in (role, task_role):
        for policy in c["iam"].list_role_policies(RoleName=name)["PolicyNames"]:
            c["iam"].get_role_policy(RoleName=name, PolicyName=policy)
    started = _timed(phases, "verify", started)

    # Teardown.
    c["ecs"].update_service(cluster=cluster, service=names("reader"), desiredCount=0)
    c["ecs"].delete_service(cluster=cluster, service=names("reader"), force=True)
    c["ecs"].deregister_task_definition(taskDefinition=registered["taskDefinitionArn"])
    c["ecs"].delete_task_definitions(taskDefinitions=[registered["taskDefinitionArn"]])
    c["ecs"].delete_cluster(cluster=cluster)
    c["lambda"].delete_function(FunctionName=function)
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    for name, policy in ((task_role, "read-reports"), (role, "reports-writer")):
        c["iam"].delete_role_policy(RoleName=name, PolicyName=policy)
        c["iam"].delete_role(RoleName=name)
    c["efs"].delete_mount_target(MountTargetId=target_id)
    c["efs"].delete_access_point(AccessPointId=point["AccessPointId"])
    c["efs"].delete_file_system(FileSystemId=fs_id)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases
