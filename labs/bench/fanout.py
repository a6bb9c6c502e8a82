"""The fan-out lab's benchmark: a bare boto3 script against the engine's automatic run.

The baseline (:func:`baseline_fanout`) makes the lab's calls with nothing around them: deploy
(three tables, four queues, the topic, two subscriptions and queue policies, four roles and
functions, two event source mappings, the REST API, the bus, the rule, the permissions), the verify
(the lab's own verify checks, run on the bare clients: the same HTTP requests, puts and reads),
and teardown. The engine side is an automatic run through the task queue and a real ``db_worker``,
timed from enqueue to cleaned. Rounds alternate which goes first.

    python manage.py lab bench --lab fanout --rounds 3

Both sides wait about 20 s for the poison message (three receives, a 6 s visibility timeout apart):
that wait is the lab's design, not the engine's cost, so the figures show it apart too.
"""

import json
import sys
import time


from labs import aws
from labs.catalog.fanout import function_steps as fs
from labs.catalog.fanout import names as n
from labs.catalog.fanout.verify import CHECKS
from labs.engine.endpoints import Deployment, execute_api_url
from labs.engine.lab import Context, MemoryRecorder, Names, function_zip
from labs.toolkit import iam, rest_api


def _deploy(c, ctx: Context) -> dict:
    region, account, name = ctx.region, ctx.account_id, ctx.name
    made = {"queues": {}, "functions": {}, "mappings": []}
    for what in ("orders", "billing", "shipping"):
        c.dynamodb.create_table(TableName=n.table_name(name, what), BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}])
    topic = c.sns.create_topic(Name=n.topic_name(name))["TopicArn"]
    for what in ("billing", "shipping"):
        dlq = c.sqs.create_queue(QueueName=n.dlq_name(name, what), Attributes={"MessageRetentionPeriod": "1209600"})
        dlq_arn = f"arn:aws:sqs:{region}:{account}:{n.dlq_name(name, what)}"
        arn = f"arn:aws:sqs:{region}:{account}:{n.queue_name(name, what)}"
        url = c.sqs.create_queue(QueueName=n.queue_name(name, what), Attributes={
            "VisibilityTimeout": str(n.VISIBILITY_TIMEOUT), "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(n.MAX_RECEIVES)}),
            "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})["QueueUrl"]
        made["queues"].update({what: url, f"{what}-dlq": dlq["QueueUrl"]})
        extra = {"Attributes": {"FilterPolicy": json.dumps(n.SHIPPING_FILTER)}} if what == "shipping" else {}
        c.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, **extra)
    package = function_zip(fs.CODE)
    for what in ("billing", "shipping", "api", "cancel"):
        role = n.role_name(name, what)
        role_arn = c.iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
        c.iam.put_role_policy(RoleName=role, PolicyName=n.POLICY_NAME, PolicyDocument=json.dumps(fs.role_policy(ctx, what)))
        function = n.function_name(name, what)
        made["functions"][what] = c.lambda_.create_function(
            FunctionName=function, Runtime=n.RUNTIME, Handler=n.HANDLERS[what], Role=role_arn, Code={"ZipFile": package},
            Timeout=fs.TIMEOUTS[what], MemorySize=128, Environment={"Variables": fs.environment(ctx, what)})["FunctionArn"]
    for what, arn in made["functions"].items():
        while c.lambda_.get_function(FunctionName=arn)["Configuration"]["State"] != "Active":
            time.sleep(0.05)
    for what in ("billing", "shipping"):
        made["mappings"].append(c.lambda_.create_event_source_mapping(
            FunctionName=n.function_name(name, what), EventSourceArn=fs.queue_arn(ctx, what), Enabled=True,
            **fs.MAPPING)["UUID"])
    apigw = c.apigateway
    api_id = made["api"] = apigw.create_rest_api(name=n.api_name(name), endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    orders = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    apigw.put_method(restApiId=api_id, resourceId=orders, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=orders, httpMethod="POST", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=rest_api.integration_uri(region, made["functions"]["api"]))
    c.lambda_.add_permission(FunctionName=n.function_name(name, "api"), StatementId=n.PERMISSION_ID,
                             Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                             SourceArn=rest_api.source_arn(region, account, api_id))
    apigw.create_deployment(restApiId=api_id, stageName=n.STAGE)
    bus = n.bus_name(name)
    c.events.create_event_bus(Name=bus)
    rule_arn = c.events.put_rule(Name=n.rule_name(name), EventBusName=bus, EventPattern=json.dumps(fs.PATTERN),
                                 State="ENABLED")["RuleArn"]
    c.events.put_targets(Rule=n.rule_name(name), EventBusName=bus,
                         Targets=[{"Id": "cancel-order", "Arn": made["functions"]["cancel"]}])
    c.lambda_.add_permission(FunctionName=n.function_name(name, "cancel"), StatementId=n.RULE_PERMISSION_ID,
                             Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)
    ctx.outputs.update({"api_id": api_id, "stage": n.STAGE, "topic_arn": topic})
    made["topic"] = topic
    return made


def _teardown(c, ctx: Context, made: dict) -> None:
    name = ctx.name
    for uuid in made["mappings"]:
        c.lambda_.delete_event_source_mapping(UUID=uuid)
    c.events.remove_targets(Rule=n.rule_name(name), EventBusName=n.bus_name(name), Ids=["cancel-order"])
    c.events.delete_rule(Name=n.rule_name(name), EventBusName=n.bus_name(name))
    c.events.delete_event_bus(Name=n.bus_name(name))
    c.apigateway.delete_rest_api(restApiId=made["api"])
    for what in ("billing", "shipping", "api", "cancel"):
        c.lambda_.delete_function(FunctionName=n.function_name(name, what))
        try:
            c.logs.delete_log_group(logGroupName=f"/aws/lambda/{n.function_name(name, what)}")
        except c.logs.exceptions.ResourceNotFoundException:
            pass
        c.iam.delete_role_policy(RoleName=n.role_name(name, what), PolicyName=n.POLICY_NAME)
        c.iam.delete_role(RoleName=n.role_name(name, what))
    c.sns.delete_topic(TopicArn=made["topic"])
    for url in made["queues"].values():
        c.sqs.delete_queue(QueueUrl=url)
    for what in ("orders", "billing", "shipping"):
        c.dynamodb.delete_table(TableName=n.table_name(name, what))


def baseline_fanout(endpoint_url: str, account_id: str, region: str = "us-east-1") -> dict:
    """Deploy, verify and tear down the fan-out lab with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    clients = aws.Clients(target)
    outputs: dict = {}
    ctx = Context(clients=clients, names=Names(f"bench-{int(time.time() * 1000) % 10**8:08d}"), region=region,
                  account_id=account_id, recorder=MemoryRecorder(), website_origin="", outputs=outputs,
                  public_api_base=lambda api_id, stage: execute_api_url(target, api_id, stage, "").rstrip("/"),
                  deployment=Deployment(target, clients, outputs))
    phases, started = {}, time.perf_counter()
    made = _deploy(clients, ctx)
    phases["deploy"] = time.perf_counter() - started
    started = time.perf_counter()
    for check in CHECKS:
        began = time.perf_counter()
        result = check.run(ctx)
        if check.slug == "poison":
            phases["poison wait"] = time.perf_counter() - began
        assert result.ok, (check.slug, result.message)
    phases["verify"] = time.perf_counter() - started
    started = time.perf_counter()
    _teardown(clients, ctx, made)
    phases["teardown"] = time.perf_counter() - started
    phases["total"] = phases["deploy"] + phases["verify"] + phases["teardown"]
    return phases


def run_fanout_bench(*, rounds: int, out=sys.stdout) -> dict:
    """The shared alternation (labs.bench.fullstack.run_bench) with this lab's bare script."""
    from labs.bench.fullstack import run_bench

    return run_bench(rounds=rounds, out=out, slug="fanout", limit_seconds=None, engine_timeout=180.0,
                     baseline_fn=lambda url, account, region, origin: baseline_fanout(url, account, region))
