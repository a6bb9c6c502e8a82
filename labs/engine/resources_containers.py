"""Deleters for the containers lab's kinds of resource (EFS and ECS), registered in
``labs.engine.resources.KINDS`` by :func:`kinds` (a factory, so this module imports nothing of the
engine's and makes no import cycle). Each returns "deleted" or "gone", or raises ``Pending`` when AWS
must finish something first (a mount target being deleted, a service draining its tasks)."""

from labs.aws import error_code, is_not_found

DELETED, GONE = "deleted", "gone"


def _quietly(call, **kwargs) -> str:
    try:
        call(**kwargs)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return DELETED


def _file_system_ids(efs, physical_id: str, name: str) -> list[str]:
    if physical_id.startswith("fs-"):
        return [physical_id]
    return [fs["FileSystemId"] for fs in efs.describe_file_systems(CreationToken=name).get("FileSystems", [])]


def kinds(Kind, Pending) -> dict:  # noqa: N803 - the engine's classes, passed in
    def delete_file_system(clients, physical_id, name):
        # Its access points and mount targets go first; a file system with mount targets cannot be deleted,
        # and deleting a mount target takes AWS a little while.
        efs = clients.efs
        outcomes = []
        for fs_id in _file_system_ids(efs, physical_id, name):
            try:
                for point in efs.describe_access_points(FileSystemId=fs_id).get("AccessPoints", []):
                    _quietly(efs.delete_access_point, AccessPointId=point["AccessPointId"])
                targets = efs.describe_mount_targets(FileSystemId=fs_id).get("MountTargets", [])
                for target in targets:
                    if target.get("LifeCycleState") != "deleting":
                        _quietly(efs.delete_mount_target, MountTargetId=target["MountTargetId"])
                outcomes.append(_quietly(efs.delete_file_system, FileSystemId=fs_id))
            except Exception as error:  # noqa: BLE001
                if is_not_found(error):
                    outcomes.append(GONE)
                elif error_code(error) == "FileSystemInUse":
                    raise Pending(f"EFS is still deleting the mount targets of {fs_id}; the file system can be "
                                  "deleted once they are gone (a minute or two).") from error
                else:
                    raise
        return DELETED if DELETED in outcomes else GONE

    def delete_access_point(clients, physical_id, name):
        if not physical_id.startswith("fsap-"):
            return GONE  # never created (the create call's answer never reached the ledger): the file system's deleter finds it
        return _quietly(clients.efs.delete_access_point, AccessPointId=physical_id)

    def delete_mount_target(clients, physical_id, name):
        if not physical_id.startswith("fsmt-"):
            return GONE
        return _quietly(clients.efs.delete_mount_target, MountTargetId=physical_id)

    def delete_service(clients, physical_id, name):
        # physical_id is "<cluster>/<service>": scaled to 0, then deleted (force: even with tasks running).
        cluster, service = physical_id.split("/", 1)
        ecs = clients.ecs
        try:
            found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            raise
        if not any(s.get("status") == "ACTIVE" for s in found):
            return GONE
        ecs.update_service(cluster=cluster, service=service, desiredCount=0)
        return _quietly(ecs.delete_service, cluster=cluster, service=service, force=True)

    def delete_task_definition(clients, physical_id, name):
        # Every revision of the family: deregistered (INACTIVE), then deleted where the API offers it.
        ecs = clients.ecs
        arns = []
        for status in ("ACTIVE", "INACTIVE"):
            for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=physical_id, status=status):
                arns += [a for a in page.get("taskDefinitionArns", []) if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == physical_id]
        if not arns:
            return GONE
        for arn in arns:
            _quietly(ecs.deregister_task_definition, taskDefinition=arn)
        for start in range(0, len(arns), 10):
            try:
                ecs.delete_task_definitions(taskDefinitions=arns[start:start + 10])
            except Exception as error:  # noqa: BLE001 - older endpoints lack DeleteTaskDefinitions
                if error_code(error) not in ("InvalidAction", "UnknownOperationException", "NotImplemented"):
                    raise
        return DELETED

    def delete_cluster(clients, physical_id, name):
        ecs = clients.ecs
        try:
            found = ecs.describe_clusters(clusters=[physical_id]).get("clusters", [])
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            raise
        if not any(c.get("status") == "ACTIVE" for c in found):
            return GONE
        for page in ecs.get_paginator("list_services").paginate(cluster=physical_id):
            for arn in page.get("serviceArns", []):
                delete_service(clients, f"{physical_id}/{arn.rsplit('/', 1)[-1]}", name)
        try:
            ecs.delete_cluster(cluster=physical_id)
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            if error_code(error) in ("ClusterContainsServicesException", "ClusterContainsTasksException"):
                raise Pending(f"The cluster {physical_id} still drains its services' tasks; delete it once they "
                              "have stopped.") from error
            raise
        return DELETED

    return {
        "efs:file-system": Kind("EFS file system (and its access points and mount targets)", delete_file_system,
                                lambda pid, name: f"aws efs delete-file-system --file-system-id {pid}  (delete its "
                                                  "mount targets and access points first)"),
        "efs:access-point": Kind("EFS access point", delete_access_point,
                                 lambda pid, name: f"aws efs delete-access-point --access-point-id {pid}"),
        "efs:mount-target": Kind("EFS mount target", delete_mount_target,
                                 lambda pid, name: f"aws efs delete-mount-target --mount-target-id {pid}"),
        "ecs:service": Kind("ECS service", delete_service,
                            lambda pid, name: "aws ecs delete-service --cluster {} --service {} --force".format(
                                *pid.split("/", 1))),
        "ecs:task-definition": Kind("ECS task definition (every revision)", delete_task_definition,
                                    lambda pid, name: f"aws ecs deregister-task-definition --task-definition {pid}:<N>  "
                                                      "(each revision, then aws ecs delete-task-definitions)"),
        "ecs:cluster": Kind("ECS cluster", delete_cluster,
                            lambda pid, name: f"aws ecs delete-cluster --cluster {pid}"),
    }
