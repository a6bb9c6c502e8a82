"""The kinds of resource a run's ledger holds: how to delete each, and how to by hand.

Each deleter takes the run's clients and one ledger entry, deletes the resource and
returns ``"deleted"``, or ``"gone"`` when it was not there (deleted by hand, never
created because the call failed, or forgotten by a restarted emulator). Anything else
raises, and the teardown records it with the command that deletes it by hand.
"""

from dataclasses import dataclass
from typing import Callable

from labs.aws import error_code, is_not_found
from labs.engine.deletion import DELETED, GONE, Pending, _gone_if_missing  # noqa: F401 - callers use resources.DELETED, ...
from labs.engine.service_deleters import (
    delete_delivery_stream, delete_event_bus, delete_event_source_mapping, delete_glue_database, delete_graphql_api,
    delete_kinesis_stream, delete_rule, delete_state_machine, delete_user_pool,
)
from labs.engine import rds_cleanup
from labs.engine import resources_containers


@dataclass(frozen=True)
class Kind:
    label: str
    delete: Callable
    manual: Callable[[str, str], str]  # (physical_id, name) -> AWS CLI command


def delete_table(clients, physical_id, name):
    return _gone_if_missing(clients.dynamodb.delete_table, TableName=physical_id)


def delete_role(clients, physical_id, name):
    iam = clients.iam
    try:
        # A role cannot be deleted while policies hang on it, including any added by hand.
        for policy in iam.list_attached_role_policies(RoleName=physical_id).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=physical_id, PolicyArn=policy["PolicyArn"])
        for policy_name in iam.list_role_policies(RoleName=physical_id).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=physical_id, PolicyName=policy_name)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(iam.delete_role, RoleName=physical_id)


def delete_role_policy(clients, physical_id, name):
    role, policy = physical_id.split("/", 1)
    return _gone_if_missing(clients.iam.delete_role_policy, RoleName=role, PolicyName=policy)


def delete_function(clients, physical_id, name):
    try:
        return _gone_if_missing(clients.lambda_.delete_function, FunctionName=physical_id)
    except Exception as error:  # noqa: BLE001
        if error_code(error) == "InvalidParameterValueException" and "replicated function" in str(error):
            # Lambda@Edge: CloudFront deletes a function's replicas hours after its last association goes.
            raise Pending(f"{physical_id} is a Lambda@Edge function whose replicas CloudFront has not deleted yet. "
                          "AWS deletes them within a few hours of the distribution's deletion; only then can the "
                          "function go. Nothing is wrong and it costs nothing meanwhile: retry the teardown later.") from error
        raise


def delete_distribution(clients, physical_id, name):
    # physical_id is the distribution's id; without it (the create call's answer never reached the ledger)
    # it is found by its Comment, which the lab sets to its name.
    from labs.toolkit import cloudfront as cdn

    found = cdn.find_distribution(clients.cloudfront, name) if not physical_id or physical_id == name else None
    distribution_id = found["Id"] if found else physical_id
    if not distribution_id or distribution_id == name:
        return GONE
    try:
        cdn.disable_and_delete(clients.cloudfront, distribution_id)
    except cdn.StillDeploying as error:
        raise Pending(f"CloudFront is still disabling distribution {distribution_id} ({error}); a distribution can "
                      "only be deleted once that is deployed. Retry the teardown in a few minutes.") from error
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return DELETED


def delete_cloudfront_function(clients, physical_id, name):
    cloudfront = clients.cloudfront
    try:
        etag = cloudfront.describe_function(Name=physical_id, Stage="DEVELOPMENT")["ETag"]
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(cloudfront.delete_function, Name=physical_id, IfMatch=etag)


def delete_origin_access_control(clients, physical_id, name):
    from labs.toolkit import cloudfront as cdn

    cloudfront = clients.cloudfront
    if not physical_id or physical_id == name:
        found = cdn.find_oac(cloudfront, name)
        if found is None:
            return GONE
        physical_id = found["Id"]
    try:
        etag = cloudfront.get_origin_access_control(Id=physical_id)["ETag"]
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(cloudfront.delete_origin_access_control, Id=physical_id, IfMatch=etag)


def delete_db_cluster(clients, physical_id, name):
    try:
        return rds_cleanup.delete_db_cluster(clients, physical_id)
    except rds_cleanup.StillDeleting as error:
        raise Pending(str(error)) from error


def delete_permission(clients, physical_id, name):
    function, statement = physical_id.split("/", 1)
    return _gone_if_missing(clients.lambda_.remove_permission, FunctionName=function, StatementId=statement)


def delete_log_group(clients, physical_id, name):
    return _gone_if_missing(clients.logs.delete_log_group, logGroupName=physical_id)


def delete_rest_api(clients, physical_id, name):
    apigateway = clients.apigateway
    ids = [physical_id] if physical_id else [
        # The create call may have succeeded without its answer reaching the ledger.
        api["id"] for page in apigateway.get_paginator("get_rest_apis").paginate() for api in page.get("items", [])
        if api.get("name") == name
    ]
    if not ids:
        return GONE
    outcomes = [_gone_if_missing(apigateway.delete_rest_api, restApiId=api_id) for api_id in ids]
    return DELETED if DELETED in outcomes else GONE


def delete_bucket(clients, physical_id, name):
    s3 = clients.s3
    try:
        # A bucket must be empty before it can go: every version and delete marker too.
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=physical_id):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=physical_id, Delete={"Objects": doomed, "Quiet": True})
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=physical_id):
            doomed = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if doomed:
                s3.delete_objects(Bucket=physical_id, Delete={"Objects": doomed, "Quiet": True})
    except Exception as error:  # noqa: BLE001
        if is_not_found(error) or error_code(error) == "NoSuchBucket":
            return GONE
        raise
    return _gone_if_missing(s3.delete_bucket, Bucket=physical_id)


def delete_layer_version(clients, physical_id, name):
    # physical_id is the LayerVersionArn (arn:...:layer:NAME:VERSION). Without it (the publish call's
    # answer never reached the ledger), the versions are found by the digest the name carries.
    lambda_ = clients.lambda_
    if physical_id.startswith("arn:"):
        layer, version = physical_id.rsplit(":", 1)
        targets = [(layer, int(version))]
    else:
        layer, _, digest = name.partition(" ")
        targets = [(layer, v["Version"]) for page in lambda_.get_paginator("list_layer_versions").paginate(LayerName=layer)
                   for v in page.get("LayerVersions", []) if digest and digest in (v.get("Description") or "")]
    outcomes = []
    for layer, version in targets:
        try:
            lambda_.get_layer_version(LayerName=layer, VersionNumber=version)
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                outcomes.append(GONE)
                continue
            raise
        lambda_.delete_layer_version(LayerName=layer, VersionNumber=version)  # answers 204 even when gone
        outcomes.append(DELETED)
    return DELETED if DELETED in outcomes else GONE


def delete_queue(clients, physical_id, name):
    # physical_id is the queue's URL; without it (the answer never reached the ledger) it is found by name.
    url = physical_id
    if not url.startswith("http"):
        try:
            url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            raise
    return _gone_if_missing(clients.sqs.delete_queue, QueueUrl=url)


def delete_topic(clients, physical_id, name):
    sns = clients.sns
    arn = physical_id if physical_id.startswith("arn:") else next(
        (t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page.get("Topics", [])
         if t["TopicArn"].rsplit(":", 1)[-1] == name), None)
    if arn is None:
        return GONE
    try:
        sns.get_topic_attributes(TopicArn=arn)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    sns.delete_topic(TopicArn=arn)  # answers 200 even when gone, so look first
    return DELETED


def delete_stack(clients, physical_id, name):
    # Deleting a stack deletes what it made; the wait (for DELETE_COMPLETE) is in the toolkit.
    from labs.toolkit.stacks import delete_and_wait

    return DELETED if delete_and_wait(clients.cloudformation, physical_id or name) else GONE


KINDS: dict[str, Kind] = {
    "dynamodb:table": Kind("DynamoDB table", delete_table,
                           lambda pid, name: f"aws dynamodb delete-table --table-name {pid}"),
    "iam:role": Kind("IAM role", delete_role,
                     lambda pid, name: f"aws iam delete-role --role-name {pid}  (detach and delete its policies first)"),
    "iam:role-policy": Kind("IAM inline policy", delete_role_policy,
                            lambda pid, name: "aws iam delete-role-policy --role-name {} --policy-name {}".format(*pid.split("/", 1))),
    "lambda:function": Kind("Lambda function", delete_function,
                            lambda pid, name: f"aws lambda delete-function --function-name {pid}"),
    "lambda:permission": Kind("Lambda permission", delete_permission,
                              lambda pid, name: "aws lambda remove-permission --function-name {} --statement-id {}".format(*pid.split("/", 1))),
    "logs:log-group": Kind("CloudWatch log group", delete_log_group,
                           lambda pid, name: f"aws logs delete-log-group --log-group-name {pid}"),
    "apigateway:rest-api": Kind("API Gateway REST API", delete_rest_api,
                                lambda pid, name: f"aws apigateway delete-rest-api --rest-api-id {pid or '<id of ' + name + '>'}"),
    "s3:bucket": Kind("S3 bucket", delete_bucket,
                      lambda pid, name: f"aws s3 rb s3://{pid} --force"),
    "lambda:layer-version": Kind("Lambda layer version", delete_layer_version,
                                 lambda pid, name: "aws lambda delete-layer-version --layer-name {} --version-number {}".format(
                                     *pid.rsplit(":", 1)) if pid.startswith("arn:") else
                                 f"aws lambda delete-layer-version --layer-name {name.split()[0]} --version-number <N>"),
    "sqs:queue": Kind("SQS queue", delete_queue,
                      lambda pid, name: f"aws sqs delete-queue --queue-url {pid or '$(aws sqs get-queue-url --queue-name ' + name + ' --query QueueUrl --output text)'}"),
    "cognito-idp:user-pool": Kind("Cognito user pool", delete_user_pool,
                                  lambda pid, name: f"aws cognito-idp delete-user-pool --user-pool-id {pid or '<id of ' + name + '>'}"),
    "appsync:graphql-api": Kind("AppSync GraphQL API", delete_graphql_api,
                                lambda pid, name: f"aws appsync delete-graphql-api --api-id {pid or '<id of ' + name + '>'}"),
    "sns:topic": Kind("SNS topic", delete_topic,
                      lambda pid, name: f"aws sns delete-topic --topic-arn {pid or '<arn of ' + name + '>'}"),
    "lambda:event-source-mapping": Kind("Lambda event source mapping", delete_event_source_mapping,
                                        lambda pid, name: f"aws lambda delete-event-source-mapping --uuid {pid}"
                                        if pid and "/" not in pid and pid != name else "aws lambda list-event-source-mappings "
                                        f"--function-name {name.partition('/')[0]}  (then delete-event-source-mapping --uuid <UUID>)"),
    "kinesis:stream": Kind("Kinesis data stream", delete_kinesis_stream,
                           lambda pid, name: f"aws kinesis delete-stream --stream-name {pid} --enforce-consumer-deletion"),
    "firehose:delivery-stream": Kind("Firehose stream", delete_delivery_stream,
                                     lambda pid, name: f"aws firehose delete-delivery-stream --delivery-stream-name {pid}"),
    "glue:database": Kind("Glue database (and its tables)", delete_glue_database,
                          lambda pid, name: f"aws glue delete-database --name {pid}"),
    "states:state-machine": Kind("Step Functions state machine", delete_state_machine,
                                 lambda pid, name: f"aws stepfunctions delete-state-machine --state-machine-arn {pid}"),
    "cloudfront:distribution": Kind(
        "CloudFront distribution", delete_distribution,
        lambda pid, name: f"aws cloudfront delete-distribution --id {pid} --if-match <ETag>  (first disable it: "
                          f"get-distribution-config, set Enabled to false, update-distribution --if-match <ETag>, "
                          f"aws cloudfront wait distribution-deployed --id {pid})"),
    "cloudfront:function": Kind(
        "CloudFront Function", delete_cloudfront_function,
        lambda pid, name: f"aws cloudfront delete-function --name {pid} --if-match <ETag>  (the ETag from "
                          f"aws cloudfront describe-function --name {pid})"),
    "cloudfront:origin-access-control": Kind(
        "CloudFront origin access control", delete_origin_access_control,
        lambda pid, name: f"aws cloudfront delete-origin-access-control --id {pid} --if-match <ETag>  (the ETag "
                          f"from aws cloudfront get-origin-access-control --id {pid})"),
    "events:event-bus": Kind("EventBridge event bus", delete_event_bus,
                             lambda pid, name: f"aws events delete-event-bus --name {pid or name}  (delete its rules first)"),
    "events:rule": Kind("EventBridge rule", delete_rule,
                        lambda pid, name: "aws events delete-rule --event-bus-name {} --name {}  (remove its targets "
                        "first: aws events remove-targets)".format(*(pid.rsplit("/", 1) if "/" in pid else ("default", pid or name)))),
    "cloudformation:stack": Kind("CloudFormation stack", delete_stack,
                                 lambda pid, name: f"aws cloudformation delete-stack --stack-name {pid or name}"),
    "rds:db-cluster": Kind("Aurora DB cluster (and its instances)", delete_db_cluster,
                           lambda pid, name: f"aws rds delete-db-cluster --db-cluster-identifier {pid} "
                                             f"--skip-final-snapshot  (first delete its instances)"),
    "rds:db-instance": Kind("RDS DB instance", lambda clients, pid, name: rds_cleanup.delete_db_instance(clients, pid),
                            lambda pid, name: f"aws rds delete-db-instance --db-instance-identifier {pid} "
                                              f"--skip-final-snapshot"),
    "rds:db-proxy": Kind("RDS Proxy", lambda clients, pid, name: rds_cleanup.delete_db_proxy(clients, pid),
                         lambda pid, name: f"aws rds delete-db-proxy --db-proxy-name {pid}"),
}


KINDS.update(resources_containers.kinds(Kind, Pending))  # EFS and ECS (the containers lab)


def delete(clients, kind: str, physical_id: str, name: str) -> str:
    return KINDS[kind].delete(clients, physical_id, name)


def manual_command(kind: str, physical_id: str, name: str, *, endpoint_url: str | None = None, region: str = "",
                   account: str = "") -> str:
    """The AWS CLI command that deletes it, complete: in the local sandbox the endpoint and the
    credentials that select the run's emulated account (else it acts on the emulator's default one)."""
    command = KINDS[kind].manual(physical_id, name)
    if endpoint_url and account:
        command = f"AWS_ACCESS_KEY_ID={account} AWS_SECRET_ACCESS_KEY=sandbox {command}"
    options = []
    if region:
        options.append(f"--region {region}")
    if endpoint_url:
        options.append(f"--endpoint-url {endpoint_url}")
    head, _, rest = command.partition("  (")
    return " ".join([head, *options]) + (f"  ({rest}" if rest else "")
