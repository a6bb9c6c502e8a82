"""Deleting what the serverless relational lab builds in RDS: a proxy, an instance, and an Aurora
cluster (its instances first, waited for: a cluster cannot go while it has any)."""

import time

from labs.aws import error_code, is_not_found

DELETED = "deleted"
GONE = "gone"


class StillDeleting(Exception):
    """RDS has not finished deleting the cluster's instances: retry the teardown later."""


def _gone_if_missing(call, **kwargs) -> str:
    try:
        call(**kwargs)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return DELETED


WAIT_SECONDS = 1200  # AWS deletes a DB instance in 5 to 15 minutes


def delete_db_instance(clients, physical_id):
    return _gone_if_missing(clients.rds.delete_db_instance, DBInstanceIdentifier=physical_id, SkipFinalSnapshot=True)


def delete_db_proxy(clients, physical_id):
    return _gone_if_missing(clients.rds.delete_db_proxy, DBProxyName=physical_id)


def delete_db_cluster(clients, physical_id):
    """Its instances first (a cluster cannot go while it has any, even one made by hand), waited for,
    then the cluster, without a final snapshot; its RDS-managed secret goes with it."""
    rds = clients.rds
    try:
        cluster = rds.describe_db_clusters(DBClusterIdentifier=physical_id)["DBClusters"][0]
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    members = [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])]
    for member in members:
        try:
            rds.delete_db_instance(DBInstanceIdentifier=member, SkipFinalSnapshot=True)
        except Exception as error:  # noqa: BLE001 - already deleting, or gone
            if not is_not_found(error) and error_code(error) != "InvalidDBInstanceState":
                raise
    deadline, delay = time.monotonic() + WAIT_SECONDS, 1.0
    while members:
        members = [m for m in members if _rds_instance_exists(rds, m)]
        if not members:
            break
        if time.monotonic() > deadline:
            raise StillDeleting(f"RDS is still deleting the instances of cluster {physical_id} ({', '.join(members)}); the "
                          "cluster can only be deleted after them. Retry the teardown in a few minutes.")
        time.sleep(delay)
        delay = min(delay * 1.5, 15.0)
    return _gone_if_missing(rds.delete_db_cluster, DBClusterIdentifier=physical_id, SkipFinalSnapshot=True)


def _rds_instance_exists(rds, identifier: str) -> bool:
    try:
        rds.describe_db_instances(DBInstanceIdentifier=identifier)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return False
        raise
    return True
