"""Mistakes a learner makes in the serverless relational lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.relational import steps
from labs.catalog.relational.names import (
    FUNCTION_POLICY, MAX_CAPACITY, PROXY_POLICY, cluster_name, function_role_name, proxy_role_name,
)
from labs.engine.lab import Context, Sabotage


def never_pauses(ctx: Context) -> None:
    ctx.clients.rds.modify_db_cluster(DBClusterIdentifier=cluster_name(ctx.name), ApplyImmediately=True,
                                      ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": MAX_CAPACITY})


def data_api_off(ctx: Context) -> None:
    ctx.clients.rds.disable_http_endpoint(ResourceArn=steps.cluster(ctx)["DBClusterArn"])


def proxy_cannot_read_secret(ctx: Context) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": steps.secret_arn(ctx)}]}
    ctx.clients.iam.put_role_policy(RoleName=proxy_role_name(ctx.name), PolicyName=PROXY_POLICY,
                                    PolicyDocument=json.dumps(policy))


def function_without_data_api(ctx: Context) -> None:
    policy = steps.function_policy(ctx, steps.cluster(ctx)["DBClusterArn"], steps.secret_arn(ctx))
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "QueryTheCluster"]
    ctx.clients.iam.put_role_policy(RoleName=function_role_name(ctx.name), PolicyName=FUNCTION_POLICY,
                                    PolicyDocument=json.dumps(policy))


CASES = (
    Sabotage("never-pauses", "The cluster's minimum capacity is 0.5 ACU, so it never pauses", never_pauses,
             (("database", "set MinCapacity 0"),)),
    # The check reads the flag; the verify proves it: MiniStack's Data API refuses a cluster without it.
    Sabotage("data-api-off", "The Data API (HTTP endpoint) is disabled on the cluster", data_api_off,
             (("database", "The RDS Data API is not enabled"), ("verify:roundtrip", "HttpEndpointNotEnabledException"))),
    Sabotage("proxy-cannot-read-secret", "The proxy's role may describe the secret but not read it",
             proxy_cannot_read_secret, (("proxy", "does not allow secretsmanager:GetSecretValue"),)),
    # MiniStack evaluates the function role's policy (AUTH=true): the Data API call is denied.
    Sabotage("function-without-data-api", "The function's role lacks rds-data:ExecuteStatement",
             function_without_data_api,
             (("function", "does not allow rds-data:ExecuteStatement"), ("verify:roundtrip", "AccessDenied"))),
)
