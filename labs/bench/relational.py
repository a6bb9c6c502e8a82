"""The serverless relational lab's benchmark: a bare boto3 script making the lab's calls, against the
engine's automatic run (``labs/bench/fullstack.py: run_bench`` alternates them and prints the figures).

The baseline deploys what the steps deploy (the Aurora Serverless v2 cluster with its managed secret
and its db.serverless writer, the Data API switched on, the proxy's role and the proxy with its
target, the function's role and the function), invokes the function once as the verify does, then
deletes everything (the proxy, the writer, then the cluster).

    python manage.py lab bench --lab relational --rounds 3
"""

import json
import time
from pathlib import Path

from labs import aws
from labs.catalog.relational.names import (
    AUTO_PAUSE_SECONDS, DATABASE, ENGINE, ENGINE_VERSION, MAX_CAPACITY, MIN_CAPACITY, RDS_TRUST,
)
from labs.engine.lab import Names, function_zip
from labs.toolkit import iam

FOLDER = Path(__file__).resolve().parent.parent / "catalog" / "relational" / "functions" / "notes"


def _timed(phases: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    phases[name] = now - started
    return now


def _until(predicate) -> None:
    while not predicate():
        time.sleep(0.05)


def baseline_relational(endpoint_url: str, account_id: str, region: str = "us-east-1", origin: str = "") -> dict:
    """Deploy, query and tear down the relational lab with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("iam", "lambda", "rds", "ec2", "logs")}
    names = Names(f"bench-{int(time.time() * 1000) % 10**8:08d}")
    cluster, writer, proxy = names("db"), names("db-writer"), names("proxy")
    proxy_role, function_role, function = names("proxy-role"), names("notes-role"), names("notes")
    phases, started = {}, time.perf_counter()
    rds = c["rds"]

    # Deploy.
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine=ENGINE, EngineVersion=ENGINE_VERSION,
                          MasterUsername="postgres", ManageMasterUserPassword=True, DatabaseName=DATABASE,
                          StorageEncrypted=True, ServerlessV2ScalingConfiguration={
                              "MinCapacity": MIN_CAPACITY, "MaxCapacity": MAX_CAPACITY,
                              "SecondsUntilAutoPause": AUTO_PAUSE_SECONDS})
    rds.create_db_instance(DBInstanceIdentifier=writer, DBClusterIdentifier=cluster, Engine=ENGINE,
                           DBInstanceClass="db.serverless")
    _until(lambda: rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["DBInstanceStatus"] == "available")
    described = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
    rds.enable_http_endpoint(ResourceArn=described["DBClusterArn"])
    cluster_arn, secret = described["DBClusterArn"], described["MasterUserSecret"]["SecretArn"]
    proxy_role_arn = c["iam"].create_role(RoleName=proxy_role, AssumeRolePolicyDocument=json.dumps(RDS_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=proxy_role, PolicyName="read-db-secret", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]}))
    subnets = c["ec2"].describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    rds.create_db_proxy(DBProxyName=proxy, EngineFamily="POSTGRESQL", RoleArn=proxy_role_arn, RequireTLS=True,
                        VpcSubnetIds=[s["SubnetId"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])[:2]],
                        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED"}])
    _until(lambda: rds.describe_db_proxies(DBProxyName=proxy)["DBProxies"][0]["Status"] == "available")
    rds.register_db_proxy_targets(DBProxyName=proxy, TargetGroupName="default", DBClusterIdentifiers=[cluster])
    role_arn = c["iam"].create_role(RoleName=function_role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=function_role, PolicyName="data-api", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            iam.logs_statement(region, account_id, function),
            {"Effect": "Allow", "Action": "rds-data:ExecuteStatement", "Resource": cluster_arn},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]}))
    c["lambda"].create_function(FunctionName=function, Runtime="python3.12", Handler="app.handler", Role=role_arn,
                                Code={"ZipFile": function_zip(FOLDER)}, Timeout=30, MemorySize=128,
                                Environment={"Variables": {"CLUSTER_ARN": cluster_arn, "SECRET_ARN": secret,
                                                           "DATABASE": DATABASE}})
    _until(lambda: c["lambda"].get_function(FunctionName=function)["Configuration"]["State"] == "Active")
    started = _timed(phases, "deploy", started)

    # The verify: one invocation, a note written and read back (or, locally, the Data API's refusal).
    answer = json.loads(c["lambda"].invoke(FunctionName=function, Payload=b'{"note": "bench"}')["Payload"].read())
    assert answer.get("ok") or "stub mode" in answer.get("message", ""), answer
    started = _timed(phases, "verify", started)

    # Teardown.
    c["lambda"].delete_function(FunctionName=function)
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    rds.delete_db_proxy(DBProxyName=proxy)
    rds.delete_db_instance(DBInstanceIdentifier=writer, SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    for role, policy in ((function_role, "data-api"), (proxy_role, "read-db-secret")):
        c["iam"].delete_role_policy(RoleName=role, PolicyName=policy)
        c["iam"].delete_role(RoleName=role)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases
