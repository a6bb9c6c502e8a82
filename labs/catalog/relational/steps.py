"""The serverless relational lab's three steps: the Aurora Serverless v2 cluster (its writer, its
managed secret, the Data API), the RDS Proxy in front of it, and the function that queries it.
Each ``apply`` is idempotent; each ``check`` says what to fix."""

from pathlib import Path

from labs.catalog.relational.names import (
    AUTO_PAUSE_RANGE, AUTO_PAUSE_SECONDS, DATABASE, ENGINE, ENGINE_VERSION, FUNCTION_MEMORY, FUNCTION_POLICY,
    FUNCTION_SOURCE, FUNCTION_TIMEOUT, HANDLER, INSTANCE_CLASS, MASTER_USERNAME, MAX_CAPACITY, MAX_CAPACITY_LIMIT,
    MIN_CAPACITY, PROXY_POLICY, RDS_TRUST, RUNTIME, cluster_name, function_name, function_role_name, instance_name,
    proxy_name, proxy_role_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam
from labs.toolkit.calls import as_list, document, missing, wait_until
from labs.toolkit.functions import configuration_problem, deploy_function

FOLDER = Path(__file__).parent
WAIT_SECONDS = 1800  # AWS takes 5 to 15 minutes to create a cluster, its writer, or a proxy


def cluster(ctx: Context) -> dict | None:
    found = missing(ctx.clients.rds.describe_db_clusters, DBClusterIdentifier=cluster_name(ctx.name))
    return found["DBClusters"][0] if found and found.get("DBClusters") else None


def secret_arn(ctx: Context) -> str:
    """The cluster's master user secret (ManageMasterUserPassword: RDS made it, RDS rotates it)."""
    found = cluster(ctx)
    return ((found or {}).get("MasterUserSecret") or {}).get("SecretArn", "")


def _status(describe, key: str, status_key: str, **kwargs) -> str:
    found = missing(describe, **kwargs)
    return (found or {}).get(key, [{}])[0].get(status_key, "") if found and found.get(key) else ""


# Step 1: the cluster ---------------------------------------------------------------------------

def apply_database(ctx: Context) -> None:
    rds, name, writer = ctx.clients.rds, cluster_name(ctx.name), instance_name(ctx.name)
    scaling = {"MinCapacity": MIN_CAPACITY, "MaxCapacity": MAX_CAPACITY, "SecondsUntilAutoPause": AUTO_PAUSE_SECONDS}
    current = cluster(ctx)
    if current is None:
        with ctx.creating("rds:db-cluster", name, name) as made:
            made.arn = rds.create_db_cluster(
                DBClusterIdentifier=name, Engine=ENGINE, EngineVersion=ENGINE_VERSION, MasterUsername=MASTER_USERNAME,
                ManageMasterUserPassword=True, DatabaseName=DATABASE,
                ServerlessV2ScalingConfiguration=scaling, StorageEncrypted=True, Tags=ctx.tag_list(),
            )["DBCluster"]["DBClusterArn"]
    else:
        have = current.get("ServerlessV2ScalingConfiguration") or {}
        if have.get("MinCapacity") != MIN_CAPACITY or have.get("MaxCapacity") != MAX_CAPACITY:
            rds.modify_db_cluster(DBClusterIdentifier=name, ServerlessV2ScalingConfiguration=scaling,
                                  ApplyImmediately=True)
    if missing(rds.describe_db_instances, DBInstanceIdentifier=writer) is None:
        with ctx.creating("rds:db-instance", writer, writer) as made:
            made.arn = rds.create_db_instance(
                DBInstanceIdentifier=writer, DBClusterIdentifier=name, Engine=ENGINE, DBInstanceClass=INSTANCE_CLASS,
                Tags=ctx.tag_list())["DBInstance"]["DBInstanceArn"]
    wait_until(lambda: _status(rds.describe_db_instances, "DBInstances", "DBInstanceStatus",
                               DBInstanceIdentifier=writer) == "available", f"the writer {writer}", WAIT_SECONDS)
    wait_until(lambda: (cluster(ctx) or {}).get("Status") == "available", f"the cluster {name}", WAIT_SECONDS)
    if not cluster(ctx).get("HttpEndpointEnabled"):  # Serverless v2 and provisioned clusters: enabled once available
        rds.enable_http_endpoint(ResourceArn=cluster(ctx)["DBClusterArn"])


def scaling_problem(found: dict) -> str:
    scaling = found.get("ServerlessV2ScalingConfiguration") or {}
    if not scaling:
        return ("has no Serverless v2 scaling configuration: set ServerlessV2ScalingConfiguration (MinCapacity 0, "
                f"MaxCapacity {MAX_CAPACITY:g}).")
    if scaling.get("MinCapacity") != MIN_CAPACITY:
        return (f"scales down to MinCapacity {scaling.get('MinCapacity')} ACU, so it is billed every hour even when "
                "idle: set MinCapacity 0 so that it pauses.")
    if not 1 <= (scaling.get("MaxCapacity") or 0) <= MAX_CAPACITY_LIMIT:
        return (f"scales up to MaxCapacity {scaling.get('MaxCapacity')} ACU: keep it between 1 and "
                f"{MAX_CAPACITY_LIMIT:g} for this lab ({MAX_CAPACITY:g} is plenty).")
    pause = scaling.get("SecondsUntilAutoPause")
    if pause is not None and not AUTO_PAUSE_RANGE[0] <= pause <= AUTO_PAUSE_RANGE[1]:
        return f"pauses after {pause} s: SecondsUntilAutoPause must be between 300 and 86,400."
    return ""


def check_database(ctx: Context) -> CheckResult:
    rds, name, writer = ctx.clients.rds, cluster_name(ctx.name), instance_name(ctx.name)
    found = cluster(ctx)
    if found is None:
        return CheckResult.failed(f"There is no Aurora cluster named {name}. Create an {ENGINE} cluster with a "
                                  "Serverless v2 scaling configuration and an RDS-managed master password.")
    if found.get("Engine") != ENGINE:
        return CheckResult.failed(f"{name} runs {found.get('Engine')}; this lab builds an {ENGINE} cluster.")
    problem = scaling_problem(found)
    if problem:
        return CheckResult.failed(f"The cluster {name} {problem}")
    if not (found.get("MasterUserSecret") or {}).get("SecretArn"):
        return CheckResult.failed(f"The cluster {name} has no master user secret in Secrets Manager: modify it with "
                                  "ManageMasterUserPassword so that RDS keeps (and rotates) the password there.")
    if not found.get("HttpEndpointEnabled"):
        return CheckResult.failed(f"The RDS Data API is not enabled on {name}, so the function's queries would fail "
                                  f"with HttpEndpointNotEnabledException: aws rds enable-http-endpoint --resource-arn "
                                  f"{found['DBClusterArn']}")
    member = missing(rds.describe_db_instances, DBInstanceIdentifier=writer)
    instance = (member or {}).get("DBInstances", [{}])[0] if member else None
    if not instance or instance.get("DBClusterIdentifier") != name:
        return CheckResult.failed(f"The cluster {name} has no writer instance {writer}: a Serverless v2 cluster still "
                                  f"needs one DB instance, of class {INSTANCE_CLASS}, to run queries.")
    if instance.get("DBInstanceClass") != INSTANCE_CLASS:
        return CheckResult.failed(f"{writer} is a {instance.get('DBInstanceClass')}: make it {INSTANCE_CLASS} so it "
                                  "scales with the cluster's capacity range (and pauses at 0 ACU).")
    if found.get("Status") != "available" or instance.get("DBInstanceStatus") != "available":
        return CheckResult.failed(f"{name} is {found.get('Status')} and {writer} is {instance.get('DBInstanceStatus')}: "
                                  "wait until both are available (several minutes in AWS), then check again.")
    ctx.outputs.update(cluster_arn=found["DBClusterArn"], secret_arn=found["MasterUserSecret"]["SecretArn"])
    scaling = found["ServerlessV2ScalingConfiguration"]
    return CheckResult.passed(
        f"Aurora PostgreSQL cluster {name} scales between {scaling['MinCapacity']:g} and {scaling['MaxCapacity']:g} "
        f"ACU (pausing when idle), keeps its password in Secrets Manager, answers the Data API, and has its "
        f"{INSTANCE_CLASS} writer.",
        Found("rds:db-cluster", name, name, found["DBClusterArn"]),
        Found("rds:db-instance", writer, writer, instance.get("DBInstanceArn", "")))


# Step 2: the proxy -----------------------------------------------------------------------------

def proxy_policy(secret: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTheClusterSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]}


def default_subnets(ctx: Context) -> list[str]:
    """Two subnets of the default VPC, in different Availability Zones (a proxy needs two)."""
    subnets = ctx.clients.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    if len(subnets) < 2:
        subnets = ctx.clients.ec2.describe_subnets()["Subnets"]
    chosen, zones = [], set()
    for subnet in sorted(subnets, key=lambda s: s["AvailabilityZone"]):
        if subnet["AvailabilityZone"] not in zones:
            chosen.append(subnet["SubnetId"])
            zones.add(subnet["AvailabilityZone"])
    if len(chosen) < 2:
        raise StepBlocked("An RDS Proxy needs subnets in two Availability Zones; this region's default VPC has fewer.")
    return chosen[:2]


def apply_proxy(ctx: Context) -> None:
    rds, name, secret = ctx.clients.rds, proxy_name(ctx.name), secret_arn(ctx)
    if not secret:
        raise StepBlocked(f"The cluster {cluster_name(ctx.name)} (and its secret) does not exist yet: do step 1 first.")
    role_arn = iam.ensure_execution_role(ctx, role=proxy_role_name(ctx.name), trust=RDS_TRUST, policy_name=PROXY_POLICY,
                                         description="Lets the lab's RDS Proxy read the cluster's secret",
                                         policy=proxy_policy(secret))
    if missing(rds.describe_db_proxies, DBProxyName=name) is None:
        with ctx.creating("rds:db-proxy", name, name) as made:
            made.arn = rds.create_db_proxy(
                DBProxyName=name, EngineFamily="POSTGRESQL", RoleArn=role_arn, RequireTLS=True,
                Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED"}],
                VpcSubnetIds=default_subnets(ctx), Tags=ctx.tag_list())["DBProxy"]["DBProxyArn"]
    wait_until(lambda: _status(rds.describe_db_proxies, "DBProxies", "Status", DBProxyName=name) == "available",
               f"the proxy {name}", WAIT_SECONDS)
    targets = rds.describe_db_proxy_targets(DBProxyName=name).get("Targets", [])
    if not any(t.get("RdsResourceId") == cluster_name(ctx.name) for t in targets):
        rds.register_db_proxy_targets(DBProxyName=name, TargetGroupName="default",
                                      DBClusterIdentifiers=[cluster_name(ctx.name)])


def _trusts_rds(role: dict) -> bool:
    for statement in as_list(document(role.get("AssumeRolePolicyDocument")).get("Statement", [])):
        principal = statement.get("Principal", {})
        if statement.get("Effect") == "Allow" and isinstance(principal, dict) and \
                "rds.amazonaws.com" in as_list(principal.get("Service", [])):
            return True
    return False


def check_proxy(ctx: Context) -> CheckResult:
    rds, name, role, secret = ctx.clients.rds, proxy_name(ctx.name), proxy_role_name(ctx.name), secret_arn(ctx)
    if not secret:
        return CheckResult.failed(f"The cluster {cluster_name(ctx.name)} or its secret is missing: do step 1 first.")
    found_role = missing(ctx.clients.iam.get_role, RoleName=role)
    if found_role is None:
        return CheckResult.failed(f"There is no IAM role named {role}. The proxy needs a role that RDS can assume "
                                  "(trusted entity: rds.amazonaws.com) to read the cluster's secret.")
    if not _trusts_rds(found_role["Role"]):
        return CheckResult.failed(f"The role {role} does not trust rds.amazonaws.com, so the proxy cannot assume it.")
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    if not iam.allows(statements, "secretsmanager:GetSecretValue", secret):
        return CheckResult.failed(f"The role {role} does not allow secretsmanager:GetSecretValue on the cluster's "
                                  f"secret ({secret}), so the proxy cannot log in to the database for its clients. "
                                  "Allow it on that secret's ARN.")
    described = missing(rds.describe_db_proxies, DBProxyName=name)
    if described is None:
        return CheckResult.failed(f"There is no RDS Proxy named {name}. Create one (engine family POSTGRESQL, TLS "
                                  f"required) that authenticates with the cluster's secret and runs as {role}.")
    proxy = described["DBProxies"][0]
    if proxy.get("EngineFamily") != "POSTGRESQL":
        return CheckResult.failed(f"{name} is a {proxy.get('EngineFamily')} proxy: it must be POSTGRESQL.")
    if proxy.get("RoleArn") != found_role["Role"]["Arn"]:
        return CheckResult.failed(f"{name} runs as {proxy.get('RoleArn')}, not as {role}.")
    if not any(auth.get("SecretArn") == secret for auth in proxy.get("Auth", [])):
        return CheckResult.failed(f"{name} does not authenticate with the cluster's secret ({secret}): set its Auth "
                                  "to that secret (AuthScheme SECRETS).")
    if not proxy.get("RequireTLS"):
        return CheckResult.failed(f"{name} accepts connections without TLS: set RequireTLS.")
    targets = rds.describe_db_proxy_targets(DBProxyName=name).get("Targets", [])
    if not any(t.get("RdsResourceId") == cluster_name(ctx.name) for t in targets):
        return CheckResult.failed(f"{name} has no target: register the cluster {cluster_name(ctx.name)} in its "
                                  "default target group (aws rds register-db-proxy-targets).")
    ctx.outputs["proxy_endpoint"] = proxy.get("Endpoint", "")
    return CheckResult.passed(f"RDS Proxy {name} ({proxy.get('Endpoint')}) requires TLS, logs in with the cluster's "
                              f"secret through {role}, and targets {cluster_name(ctx.name)}.",
                              Found("iam:role", role, role, found_role["Role"]["Arn"]),
                              Found("rds:db-proxy", name, name, proxy.get("DBProxyArn", "")))


# Step 3: the function ----------------------------------------------------------------------------

def function_policy(ctx: Context, cluster_arn: str, secret: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        iam.logs_statement(ctx.region, ctx.account_id, function_name(ctx.name)),
        {"Sid": "QueryTheCluster", "Effect": "Allow", "Action": "rds-data:ExecuteStatement", "Resource": cluster_arn},
        {"Sid": "UseTheClusterSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]}


def environment(found: dict, secret: str, proxy_endpoint: str) -> dict:
    return {"CLUSTER_ARN": found["DBClusterArn"], "SECRET_ARN": secret, "DATABASE": DATABASE,
            "PROXY_ENDPOINT": proxy_endpoint}


def _proxy_endpoint(ctx: Context) -> str:
    found = missing(ctx.clients.rds.describe_db_proxies, DBProxyName=proxy_name(ctx.name))
    return found["DBProxies"][0].get("Endpoint", "") if found else ""


def apply_function(ctx: Context) -> None:
    found, secret = cluster(ctx), secret_arn(ctx)
    if found is None or not secret:
        raise StepBlocked(f"The cluster {cluster_name(ctx.name)} does not exist yet: do step 1 first.")
    role_arn = iam.ensure_execution_role(ctx, role=function_role_name(ctx.name), policy_name=FUNCTION_POLICY,
                                         description="Execution role of the lab's notes function",
                                         policy=function_policy(ctx, found["DBClusterArn"], secret))
    deploy_function(ctx, function=function_name(ctx.name), folder=FOLDER / "functions" / FUNCTION_SOURCE,
                    description="Writes and reads notes in Aurora through the RDS Data API",
                    wanted={"Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": FUNCTION_TIMEOUT,
                            "MemorySize": FUNCTION_MEMORY,
                            "Environment": {"Variables": environment(found, secret, _proxy_endpoint(ctx))}})


def check_function(ctx: Context) -> CheckResult:
    found, secret, role, function = cluster(ctx), secret_arn(ctx), function_role_name(ctx.name), function_name(ctx.name)
    if found is None or not secret:
        return CheckResult.failed(f"The cluster {cluster_name(ctx.name)} or its secret is missing: do step 1 first.")
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    if not iam.allows(statements, "rds-data:ExecuteStatement", found["DBClusterArn"]):
        return CheckResult.failed(f"The role {role} does not allow rds-data:ExecuteStatement on the cluster "
                                  f"({found['DBClusterArn']}), so every query is refused with AccessDenied. Allow it "
                                  "on the cluster's ARN.")
    if not iam.allows(statements, "secretsmanager:GetSecretValue", secret):
        return CheckResult.failed(f"The role {role} does not allow secretsmanager:GetSecretValue on the cluster's "
                                  "secret: the Data API reads it with the caller's permissions. Allow it on the "
                                  "secret's ARN.")
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"There is no Lambda function named {function}. Create it from the lab's code "
                                  f"({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=found_role["Arn"], role=role,
                                    environment={"CLUSTER_ARN": found["DBClusterArn"], "SECRET_ARN": secret,
                                                 "DATABASE": DATABASE})
    if problem:
        return CheckResult.failed(f"{function}: {problem}")
    if (config.get("Timeout") or 3) < 20:
        return CheckResult.failed(f"{function} times out after {config.get('Timeout')} s, before a paused cluster "
                                  "resumes (about 15 s): give it a timeout of 30 s.")
    return CheckResult.passed(f"{function} queries {cluster_name(ctx.name)} through the Data API as {role}, which may "
                              "call rds-data:ExecuteStatement on that cluster and read its secret, and nothing else.",
                              Found("iam:role", role, role, found_role["Arn"]),
                              Found("lambda:function", function, function, config["FunctionArn"]),
                              Found("logs:log-group", f"/aws/lambda/{function}", f"/aws/lambda/{function}"))
