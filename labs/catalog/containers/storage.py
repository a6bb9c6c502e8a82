"""Step 1 of the containers lab: the EFS file system, its access point and a mount target in the
default VPC. Also the look-ups the later steps share (the network, the file system, the access point)."""

from labs.catalog.containers.names import (
    POSIX_GID, POSIX_UID, ROOT_PATH, ROOT_PERMISSIONS, access_point_name, file_system_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit.calls import wait_until


def default_network(ec2) -> tuple[str, str, str] | None:
    """(VPC id, the subnet in its first Availability Zone, its default security group), or None."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}]).get("Vpcs", [])
    if not vpcs:
        return None
    vpc = vpcs[0]["VpcId"]
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}]).get("Subnets", []),
                     key=lambda s: (s["AvailabilityZone"], s["SubnetId"]))
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "group-name", "Values": ["default"]}]).get("SecurityGroups", [])
    if not subnets or not groups:
        return None
    return vpc, subnets[0]["SubnetId"], groups[0]["GroupId"]


def network_or_blocked(ctx: Context) -> tuple[str, str, str]:
    found = default_network(ctx.clients.ec2)
    if found is None:
        raise StepBlocked(f"The region {ctx.region} has no default VPC with a subnet and its default security group. "
                          "Create one (aws ec2 create-default-vpc) and try again.")
    return found


def file_system(ctx: Context) -> dict | None:
    systems = ctx.clients.efs.describe_file_systems(CreationToken=file_system_name(ctx.name)).get("FileSystems", [])
    alive = [fs for fs in systems if fs.get("LifeCycleState") not in ("deleting", "deleted")]
    return alive[0] if alive else None


def access_point(ctx: Context, fs_id: str) -> dict | None:
    points = ctx.clients.efs.describe_access_points(FileSystemId=fs_id).get("AccessPoints", [])
    ours = [p for p in points if p.get("Name") == access_point_name(ctx.name)
            or {"Key": "Name", "Value": access_point_name(ctx.name)} in p.get("Tags", [])]
    return ours[0] if ours else None


def mount_targets(ctx: Context, fs_id: str) -> list[dict]:
    return ctx.clients.efs.describe_mount_targets(FileSystemId=fs_id).get("MountTargets", [])


def apply_storage(ctx: Context) -> None:
    efs, ec2 = ctx.clients.efs, ctx.clients.ec2
    _vpc, subnet, group = network_or_blocked(ctx)
    name = file_system_name(ctx.name)
    found = file_system(ctx)
    if found is None:
        with ctx.creating("efs:file-system", name, name) as made:
            created = efs.create_file_system(CreationToken=name, PerformanceMode="generalPurpose", Encrypted=True,
                                             Tags=[{"Key": "Name", "Value": name}, *ctx.tag_list()])
            made.physical_id, made.arn = created["FileSystemId"], created.get("FileSystemArn", "")
        fs_id = created["FileSystemId"]
    else:
        fs_id = found["FileSystemId"]
    wait_until(lambda: file_system(ctx)["LifeCycleState"] == "available", f"file system {fs_id} to become available")
    if access_point(ctx, fs_id) is None:
        ap_name = access_point_name(ctx.name)
        with ctx.creating("efs:access-point", ap_name, ap_name) as made:
            created = efs.create_access_point(
                ClientToken=ap_name, FileSystemId=fs_id, PosixUser={"Uid": POSIX_UID, "Gid": POSIX_GID},
                RootDirectory={"Path": ROOT_PATH, "CreationInfo": {"OwnerUid": POSIX_UID, "OwnerGid": POSIX_GID,
                                                                    "Permissions": ROOT_PERMISSIONS}},
                Tags=[{"Key": "Name", "Value": ap_name}, *ctx.tag_list()])
            made.physical_id, made.arn = created["AccessPointId"], created["AccessPointArn"]
    if not any(t["SubnetId"] == subnet for t in mount_targets(ctx, fs_id)):
        with ctx.creating("efs:mount-target", f"{name}/{subnet}", f"{name}/{subnet}") as made:
            made.physical_id = efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet,
                                                       SecurityGroups=[group])["MountTargetId"]
    # A mount target takes a minute or two in AWS; Lambda refuses a file system it cannot reach yet.
    wait_until(lambda: all(t["LifeCycleState"] == "available" for t in mount_targets(ctx, fs_id)),
               f"the mount target of {fs_id} to become available", timeout=300)
    ctx.outputs["file_system_id"] = fs_id


def check_storage(ctx: Context) -> CheckResult:
    name = file_system_name(ctx.name)
    found = file_system(ctx)
    if found is None:
        return CheckResult.failed(f"There is no EFS file system with the creation token {name}. Create it in "
                                  f"{ctx.region} (encrypted at rest, General Purpose) with the tag Name={name}.")
    fs_id = found["FileSystemId"]
    if not found.get("Encrypted"):
        return CheckResult.failed(f"The file system {fs_id} is not encrypted at rest. Encryption can only be chosen "
                                  "when a file system is created: delete it and create it again with encryption on.")
    point = access_point(ctx, fs_id)
    if point is None:
        return CheckResult.failed(f"The file system {fs_id} has no access point named {access_point_name(ctx.name)}. "
                                  f"Create one with the POSIX user {POSIX_UID}:{POSIX_GID} and the root directory "
                                  f"{ROOT_PATH}.")
    posix, root = point.get("PosixUser") or {}, point.get("RootDirectory") or {}
    if (posix.get("Uid"), posix.get("Gid")) != (POSIX_UID, POSIX_GID):
        return CheckResult.failed(f"The access point {point['AccessPointId']} does not enforce the POSIX user "
                                  f"{POSIX_UID}:{POSIX_GID}. Access points cannot be edited: delete it and create it "
                                  "again with that user.")
    creation = root.get("CreationInfo") or {}
    if root.get("Path") != ROOT_PATH or (creation.get("OwnerUid"), creation.get("OwnerGid")) != (POSIX_UID, POSIX_GID):
        return CheckResult.failed(f"The access point {point['AccessPointId']} must root clients at {ROOT_PATH}, "
                                  f"created for owner {POSIX_UID}:{POSIX_GID} (CreationInfo), or the directory will "
                                  "not exist for the function to write in. Create the access point again.")
    targets = mount_targets(ctx, fs_id)
    if not targets:
        return CheckResult.failed(f"The file system {fs_id} has no mount target, so nothing in the VPC can reach it. "
                                  "Create one in a subnet of the default VPC, with its default security group.")
    if any(t["LifeCycleState"] != "available" for t in targets):
        return CheckResult.failed(f"A mount target of {fs_id} is not available yet ({targets[0]['LifeCycleState']}): "
                                  "wait a minute and check again.")
    ctx.outputs["file_system_id"] = fs_id
    return CheckResult.passed(
        f"File system {fs_id} is encrypted, its access point {point['AccessPointId']} roots clients at {ROOT_PATH} as "
        f"{POSIX_UID}:{POSIX_GID}, and it has {len(targets)} mount target(s) in subnet "
        f"{', '.join(t['SubnetId'] for t in targets)}. (The local sandbox stores these; it mounts nothing.)",
        Found("efs:file-system", name, fs_id, found.get("FileSystemArn", "")),
        Found("efs:access-point", access_point_name(ctx.name), point["AccessPointId"], point["AccessPointArn"]))
