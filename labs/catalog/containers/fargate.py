"""Step 3 of the containers lab: an ECS cluster, a Fargate task definition that mounts the reports
(read-only, through the access point, encrypted in transit, with IAM authorization) and a service
that keeps one reader task running.

The local sandbox (MiniStack 1.5.33) runs ECS tasks only through Docker: without it, it marks a task
RUNNING at once and runs nothing. So this check reads configuration only, never runningCount."""

from labs.catalog.containers import storage
from labs.catalog.containers.names import (
    COMMAND, CONTAINER, CONTAINER_PATH, IMAGE, PLATFORM_VERSION, TASK_CPU, TASK_MEMORY, TASK_POLICY, TASKS_TRUST,
    cluster_name, family, service_name, task_role_name,
)
from labs.catalog.containers.steps import _fs_arn, _storage_or_blocked, _target_groups, efs_statement
from labs.engine.lab import CheckResult, Context, Found
from labs.toolkit import iam
from labs.toolkit.calls import as_list, document, missing

VOLUME = "reports"


def task_definition(fs_id: str, ap_id: str, role_arn: str, fam: str) -> dict:
    return {
        "family": fam, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
        "cpu": TASK_CPU, "memory": TASK_MEMORY, "taskRoleArn": role_arn,
        "containerDefinitions": [{
            "name": CONTAINER, "image": IMAGE, "essential": True, "command": COMMAND,
            "mountPoints": [{"sourceVolume": VOLUME, "containerPath": CONTAINER_PATH, "readOnly": True}]}],
        "volumes": [{"name": VOLUME, "efsVolumeConfiguration": {
            "fileSystemId": fs_id, "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": ap_id, "iam": "ENABLED"}}}],
    }


def latest_task_definition(ecs, fam: str) -> dict | None:
    arns = ecs.list_task_definitions(familyPrefix=fam, status="ACTIVE", sort="DESC").get("taskDefinitionArns", [])
    arns = [arn for arn in arns if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == fam]
    return ecs.describe_task_definition(taskDefinition=arns[0])["taskDefinition"] if arns else None


def service(ecs, cluster: str, name: str) -> dict | None:
    found = missing(ecs.describe_services, cluster=cluster, services=[name])
    alive = [s for s in (found or {}).get("services", []) if s.get("status") != "INACTIVE"]
    return alive[0] if alive else None


def _same(have: dict, wanted: dict) -> bool:
    return all(have.get(key) == value for key, value in wanted.items() if key != "family")


def apply_fargate(ctx: Context) -> None:
    fs, point, targets = _storage_or_blocked(ctx)
    ecs = ctx.clients.ecs
    role = task_role_name(ctx.name)
    policy = {"Version": "2012-10-17", "Statement": [
        efs_statement(_fs_arn(ctx, fs), point["AccessPointArn"], ("elasticfilesystem:ClientMount",))]}
    role_arn = iam.ensure_execution_role(ctx, role=role, description="Containers lab: the reader task's role",
                                         policy_name=TASK_POLICY, policy=policy, trust=TASKS_TRUST)
    cluster = cluster_name(ctx.name)
    clusters = ecs.describe_clusters(clusters=[cluster]).get("clusters", [])
    if not any(c.get("status") == "ACTIVE" for c in clusters):
        with ctx.creating("ecs:cluster", cluster, cluster) as made:
            made.arn = ecs.create_cluster(clusterName=cluster, tags=_ecs_tags(ctx))["cluster"]["clusterArn"]
    fam = family(ctx.name)
    wanted = task_definition(fs["FileSystemId"], point["AccessPointId"], role_arn, fam)
    current = latest_task_definition(ecs, fam)
    if current is None or not _same(current, wanted):
        with ctx.creating("ecs:task-definition", fam, fam):
            current = ecs.register_task_definition(**wanted, tags=_ecs_tags(ctx))["taskDefinition"]
    network = {"awsvpcConfiguration": {"subnets": [targets[0]["SubnetId"]],
                                       "securityGroups": _target_groups(ctx, targets[0])[:1],
                                       "assignPublicIp": "ENABLED"}}  # to pull the public image in the default VPC
    name = service_name(ctx.name)
    found = service(ecs, cluster, name)
    if found is None:
        with ctx.creating("ecs:service", f"{cluster}/{name}", f"{cluster}/{name}") as made:
            made.arn = ecs.create_service(
                cluster=cluster, serviceName=name, taskDefinition=current["taskDefinitionArn"], desiredCount=1,
                launchType="FARGATE", platformVersion=PLATFORM_VERSION, networkConfiguration=network,
                tags=_ecs_tags(ctx))["service"]["serviceArn"]
    elif found.get("taskDefinition") != current["taskDefinitionArn"] or found.get("desiredCount") != 1:
        ecs.update_service(cluster=cluster, service=name, taskDefinition=current["taskDefinitionArn"], desiredCount=1)


def _ecs_tags(ctx: Context) -> list[dict]:
    return [{"key": key, "value": value} for key, value in ctx.tags.items()]


def task_definition_problem(have: dict, fs_id: str, ap_id: str, role_arn: str) -> str:
    """What differs from a Fargate task that mounts the reports read-only through the access point; "" if nothing."""
    name = f"{have.get('family')}:{have.get('revision')}"
    if "FARGATE" not in (have.get("requiresCompatibilities") or []) or have.get("networkMode") != "awsvpc":
        return f"The task definition {name} is not for Fargate: require FARGATE compatibility and the awsvpc network mode."
    if have.get("taskRoleArn") != role_arn:
        return (f"The task definition {name} has the task role {have.get('taskRoleArn')}; give it {role_arn}, which "
                "may mount the file system (IAM authorization is on).")
    volumes = [v for v in have.get("volumes") or [] if v.get("efsVolumeConfiguration")]
    if not volumes:
        return f"The task definition {name} has no EFS volume. Add one for the file system {fs_id}."
    efs = volumes[0]["efsVolumeConfiguration"]
    auth = efs.get("authorizationConfig") or {}
    if efs.get("fileSystemId") != fs_id or auth.get("accessPointId") != ap_id:
        return f"The task definition {name}'s EFS volume must use the file system {fs_id} through its access point {ap_id}."
    if efs.get("transitEncryption") != "ENABLED":
        return (f"The task definition {name}'s EFS volume has transit encryption off. Turn it on: an access point "
                "and IAM authorization both require it.")
    if auth.get("iam") != "ENABLED":
        return f"The task definition {name}'s EFS volume does not use IAM authorization: turn it on (iam ENABLED)."
    containers = have.get("containerDefinitions") or []
    mounts = [m for c in containers for m in c.get("mountPoints") or [] if m.get("sourceVolume") == volumes[0]["name"]]
    if not mounts:
        return f"No container of the task definition {name} mounts the EFS volume. Mount it at {CONTAINER_PATH}."
    if not mounts[0].get("readOnly"):
        return (f"The task definition {name} mounts the reports read-write. The reader only reads: mount it "
                "read-only (least privilege; the function is the only writer).")
    return ""


def check_fargate(ctx: Context) -> CheckResult:
    ecs, cluster, fam, name = ctx.clients.ecs, cluster_name(ctx.name), family(ctx.name), service_name(ctx.name)
    fs = storage.file_system(ctx)
    point = fs and storage.access_point(ctx, fs["FileSystemId"])
    if not fs or not point:
        return CheckResult.failed(f"Do step 1 first: the task definition {fam} mounts its file system and access point.")
    clusters = [c for c in ecs.describe_clusters(clusters=[cluster]).get("clusters", []) if c.get("status") == "ACTIVE"]
    if not clusters:
        return CheckResult.failed(f"There is no ECS cluster named {cluster}. Create it (Fargate needs no instances).")
    role = task_role_name(ctx.name)
    found_role = missing(ctx.clients.iam.get_role, RoleName=role)
    if found_role is None:
        return CheckResult.failed(f"There is no IAM role named {role}: the task's role, trusted by ecs-tasks.amazonaws.com.")
    trust = document(found_role["Role"].get("AssumeRolePolicyDocument"))
    trusted = {svc for s in as_list(trust.get("Statement", [])) for svc in as_list((s.get("Principal") or {}).get("Service", []))}
    if "ecs-tasks.amazonaws.com" not in trusted:
        return CheckResult.failed(f"The role {role} does not trust ecs-tasks.amazonaws.com, so tasks cannot assume it.")
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    if not iam.allows(statements, "elasticfilesystem:ClientMount", _fs_arn(ctx, fs)):
        return CheckResult.failed(f"The role {role} does not allow elasticfilesystem:ClientMount on the file system.")
    have = latest_task_definition(ecs, fam)
    if have is None:
        return CheckResult.failed(f"There is no active task definition in the family {fam}. Register one for Fargate.")
    problem = task_definition_problem(have, fs["FileSystemId"], point["AccessPointId"], found_role["Role"]["Arn"])
    if problem:
        return CheckResult.failed(problem)
    running = service(ecs, cluster, name)
    if running is None:
        return CheckResult.failed(f"There is no service {name} in the cluster {cluster}. Create it (launch type Fargate, "
                                  f"task definition {fam}, 1 task).")
    return _service_result(ctx, running, have, cluster, fs)


def _service_result(ctx: Context, running: dict, have: dict, cluster: str, fs: dict) -> CheckResult:
    name = running["serviceName"]
    if running.get("launchType") != "FARGATE" and not any(
            p.get("capacityProvider", "").startswith("FARGATE") for p in running.get("capacityProviderStrategy") or []):
        return CheckResult.failed(f"The service {name} does not run on Fargate. Create it with the launch type FARGATE.")
    if running.get("taskDefinition") != have["taskDefinitionArn"]:
        return CheckResult.failed(f"The service {name} runs {running.get('taskDefinition')}, not the latest revision "
                                  f"{have['taskDefinitionArn']}. Update the service to it.")
    if (running.get("desiredCount") or 0) < 1:
        return CheckResult.failed(f"The service {name} wants {running.get('desiredCount')} tasks: nothing would read "
                                  "the reports. Set its desired count to 1.")
    subnets = ((running.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets", [])
    reachable = {t["SubnetId"] for t in storage.mount_targets(ctx, fs["FileSystemId"])}
    if not set(subnets) & reachable:
        return CheckResult.failed(f"The service {name}'s subnets ({', '.join(subnets)}) have no mount target of the "
                                  f"file system (it has one in {', '.join(sorted(reachable))}): the task could not mount it.")
    return CheckResult.passed(
        f"Service {name} asks Fargate for 1 task of {have['family']}:{have['revision']}, which mounts the reports "
        f"read-only through the access point. (Configuration only: the local sandbox runs no containers, so the "
        "task count it reports is not checked.)",
        Found("ecs:cluster", cluster, cluster, running.get("clusterArn", "")),
        Found("ecs:service", f"{cluster}/{name}", f"{cluster}/{name}", running.get("serviceArn", "")))
