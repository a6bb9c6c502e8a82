"""The kinds of resource a run's ledger holds: how to delete each, and how to by hand.

Each deleter takes the run's clients and one ledger entry, deletes the resource and
returns ``"deleted"``, or ``"gone"`` when it was not there (deleted by hand, never
created because the call failed, or forgotten by a restarted emulator). Anything else
raises, and the teardown records it with the command that deletes it by hand.
"""

from dataclasses import dataclass
from typing import Callable

from labs.aws import error_code, is_not_found

DELETED = "deleted"
GONE = "gone"


@dataclass(frozen=True)
class Kind:
    label: str
    delete: Callable
    manual: Callable[[str, str], str]  # (physical_id, name) -> AWS CLI command


def _gone_if_missing(call, *args, **kwargs) -> str:
    try:
        call(*args, **kwargs)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return DELETED


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
    return _gone_if_missing(clients.lambda_.delete_function, FunctionName=physical_id)


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


def delete_event_source_mapping(clients, physical_id, name):
    # physical_id is the mapping's UUID; without it (the answer never reached the ledger) it is found by
    # its function and queue: name is "<function>/<queue>".
    lambda_ = clients.lambda_
    uuids = [physical_id] if physical_id and "/" not in physical_id else []
    if not uuids:
        function, _, queue = name.partition("/")
        try:
            uuids = [m["UUID"] for page in lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=function)
                     for m in page.get("EventSourceMappings", []) if m.get("EventSourceArn", "").endswith(f":{queue}")]
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            raise
    outcomes = []
    for uuid in uuids:
        # Look first: not every implementation answers "not found" to deleting one that is gone.
        if _gone_if_missing(lambda_.get_event_source_mapping, UUID=uuid) == GONE:
            outcomes.append(GONE)
        else:
            outcomes.append(_gone_if_missing(lambda_.delete_event_source_mapping, UUID=uuid))
    return DELETED if DELETED in outcomes else GONE


def delete_event_bus(clients, physical_id, name):
    events = clients.events
    bus = physical_id or name
    try:
        events.describe_event_bus(Name=bus)
        # A bus cannot go while rules are on it: a rule made by hand is the learner's too.
        for rule in events.list_rules(EventBusName=bus).get("Rules", []):
            delete_rule(clients, f"{bus}/{rule['Name']}", rule["Name"])
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    events.delete_event_bus(Name=bus)  # answers 200 even when gone, so look first
    return DELETED


def delete_rule(clients, physical_id, name):
    events = clients.events
    bus, _, rule = physical_id.rpartition("/") if "/" in physical_id else ("default", "", physical_id or name)
    try:
        # A rule cannot be deleted while it has targets.
        targets = [t["Id"] for t in events.list_targets_by_rule(Rule=rule, EventBusName=bus).get("Targets", [])]
        if targets:
            events.remove_targets(Rule=rule, EventBusName=bus, Ids=targets)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(events.delete_rule, Name=rule, EventBusName=bus)


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
    "sns:topic": Kind("SNS topic", delete_topic,
                      lambda pid, name: f"aws sns delete-topic --topic-arn {pid or '<arn of ' + name + '>'}"),
    "lambda:event-source-mapping": Kind("Lambda event source mapping", delete_event_source_mapping,
                                        lambda pid, name: f"aws lambda delete-event-source-mapping --uuid {pid}"
                                        if pid and "/" not in pid else "aws lambda list-event-source-mappings "
                                        f"--function-name {name.partition('/')[0]}  (then delete-event-source-mapping --uuid <UUID>)"),
    "events:event-bus": Kind("EventBridge event bus", delete_event_bus,
                             lambda pid, name: f"aws events delete-event-bus --name {pid or name}  (delete its rules first)"),
    "events:rule": Kind("EventBridge rule", delete_rule,
                        lambda pid, name: "aws events delete-rule --event-bus-name {} --name {}  (remove its targets "
                        "first: aws events remove-targets)".format(*(pid.rsplit("/", 1) if "/" in pid else ("default", pid or name)))),
}


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
