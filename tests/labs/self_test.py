"""The grader self-test's harness, generic over the catalog: a lab in a fresh emulated account of
the real local sandbox, with its ledger in memory, its steps and checks, its verify, a teardown
that follows the ledger the way the engine does, and an inventory of the whole account."""

import secrets
import time
from dataclasses import dataclass, field

from labs import aws
from labs.engine import quiesce, resources
from labs.engine.endpoints import Deployment, execute_api_url
from labs.engine.lab import CheckResult, Context, MemoryRecorder, Names, StepBlocked

ORIGIN = "http://127.0.0.1:8000"


@dataclass
class Trial:
    lab: object
    ctx: Context
    recorder: MemoryRecorder
    target: aws.Target
    results: dict = field(default_factory=dict)
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000) - 60_000)

    def check(self, step) -> CheckResult:
        self.ctx.step = step.slug
        try:
            return step.check(self.ctx)
        except StepBlocked as error:  # a check that raises instead of explaining is itself a grader bug
            raise AssertionError(f"{self.lab.slug}/{step.slug}: its check raised StepBlocked({error})") from error

    def checks(self) -> dict[str, CheckResult]:
        return {step.slug: self.check(step) for step in self.lab.steps}

    def apply(self, step) -> None:
        self.ctx.step = step.slug
        step.apply(self.ctx)

    def verify(self, until: str | None = None) -> dict[str, CheckResult]:
        self.ctx.scratch.clear()
        results = {}
        for check in self.lab.verify:
            results[check.slug] = check.run(self.ctx)
            if check.slug == until:
                break
        return results

    def ledger(self) -> list[tuple[str, str]]:
        return [(entry.kind, entry.name) for entry in self.recorder.ledger]

    def teardown(self) -> list[str]:
        """Stop what invokes the functions and wait for invocations in flight (as the engine's teardown
        does: a batch retried against a failing function would otherwise log after its log group is
        gone), then delete the ledger newest first, with a second pass for what depends on others;
        what failed."""
        entries = list(self.recorder.ledger)
        quiesce.stop_event_sources(self.ctx.clients, entries, self.recorder)
        lab_work = None
        if self.lab.in_flight is not None:  # as the engine's teardown does (the video lab's uploads)
            lab_work = lambda: self.lab.in_flight(self.ctx.clients, self.ctx.name, self.ctx.account_id,  # noqa: E731
                                                  self.started_ms)
        quiesce.wait_for_invocations(self.ctx.clients, entries, self.recorder, self.started_ms, lab_work)
        failed = []
        for entry in reversed(self.recorder.ledger):
            try:
                resources.delete(self.ctx.clients, entry.kind, entry.physical_id, entry.name)
            except Exception:  # noqa: BLE001 - retried below, as the engine does
                failed.append(entry)
        if failed:
            time.sleep(1)
        left = []
        for entry in failed:
            try:
                resources.delete(self.ctx.clients, entry.kind, entry.physical_id, entry.name)
            except Exception as error:  # noqa: BLE001
                left.append(f"{entry.kind} {entry.name}: {error}")
        self.look_again([entry.physical_id or entry.name for entry in entries if entry.kind == "lambda:function"])
        return left

    def look_again(self, functions: list[str], grace: float = 1.5, quiet: int = 2, looks: int = 8) -> None:
        """The engine's second look after a grace period. MiniStack writes an invocation's log lines
        (START to REPORT) only when it ends, so the wait above cannot see an invocation that was running
        when its source was stopped (a retried batch of a failing consumer, an S3 notification's retry):
        its lines land after the deletion and bring the log group back. Delete it again until ``quiet``
        looks in a row find nothing (one quiet look was not enough under a load average of 10: a
        failing transcoder's invocation outlasted it)."""
        logs, calm = self.ctx.clients.logs, 0
        for _ in range(looks if functions else 0):
            time.sleep(grace)
            back = [name for name in functions if any(
                group["logGroupName"] == f"/aws/lambda/{name}" for group in
                logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}").get("logGroups", []))]
            calm = 0 if back else calm + 1
            if calm >= quiet:
                return
            for name in back:
                resources.delete(self.ctx.clients, "logs:log-group", f"/aws/lambda/{name}", f"/aws/lambda/{name}")


def fresh_trial(lab, sandbox_url: str) -> Trial:
    """The lab in an emulated account nobody has used (a new 12-digit id)."""
    account = str(100000000000 + secrets.randbelow(899999999999))
    target = aws.local_target(account, endpoint_url=sandbox_url)
    recorder = MemoryRecorder()
    clients = aws.Clients(target)
    outputs = {}
    ctx = Context(clients=clients, names=Names(f"sa-{secrets.token_hex(4)}"), region=target.region,
                  account_id=account, recorder=recorder, website_origin=ORIGIN, outputs=outputs,
                  public_api_base=lambda api_id, stage: execute_api_url(target, api_id, stage, "").rstrip("/"),
                  deployment=Deployment(target, clients, outputs))
    return Trial(lab, ctx, recorder, target)


def inventory(target: aws.Target) -> dict[str, list[str]]:
    """Everything in the account, of every kind the toolkit builds."""
    clients = aws.Clients(target)
    lambda_ = clients.lambda_
    found = {
        "tables": clients.dynamodb.list_tables()["TableNames"],
        "functions": [f["FunctionName"] for f in lambda_.list_functions()["Functions"]],
        "layers": [layer["LayerName"] for layer in lambda_.list_layers().get("Layers", [])],
        "event source mappings": [m["UUID"] for m in lambda_.list_event_source_mappings().get("EventSourceMappings", [])],
        "roles": [r["RoleName"] for r in clients.iam.list_roles()["Roles"]],
        "rest apis": [a["name"] for a in clients.apigateway.get_rest_apis()["items"]],
        "buckets": [b["Name"] for b in clients.s3.list_buckets().get("Buckets", [])],
        "log groups": [g["logGroupName"] for g in clients.logs.describe_log_groups()["logGroups"]],
        "queues": clients.sqs.list_queues().get("QueueUrls", []),
        "topics": [t["TopicArn"] for t in clients.sns.list_topics().get("Topics", [])],
        "kinesis streams": clients.kinesis.list_streams().get("StreamNames", []),
        "firehose streams": clients.firehose.list_delivery_streams().get("DeliveryStreamNames", []),
        "glue databases": [d["Name"] for d in clients.glue.get_databases().get("DatabaseList", [])],
        "state machines": [m["name"] for m in clients.stepfunctions.list_state_machines().get("stateMachines", [])],
        "user pools": [p["Name"] for p in clients["cognito-idp"].list_user_pools(MaxResults=60).get("UserPools", [])],
        "graphql apis": [a["name"] for a in clients.appsync.list_graphql_apis().get("graphqlApis", [])],
        "distributions": [d["Id"] for d in clients.cloudfront.list_distributions().get("DistributionList", {}).get(
            "Items", []) or []],
        "cloudfront functions": [f["Name"] for f in clients.cloudfront.list_functions().get("FunctionList", {}).get(
            "Items", []) or []],
        "origin access controls": [o["Id"] for o in clients.cloudfront.list_origin_access_controls().get(
            "OriginAccessControlList", {}).get("Items", []) or []],
        "subscriptions": [s["SubscriptionArn"] for s in clients.sns.list_subscriptions().get("Subscriptions", [])],
        "event buses": [b["Name"] for b in clients.events.list_event_buses().get("EventBuses", [])
                        if b["Name"] != "default"],
        "rules": [r["Name"] for r in clients.events.list_rules().get("Rules", [])],
        "stacks": [s["StackName"] for s in clients.cloudformation.list_stacks()["StackSummaries"]
                   if s["StackStatus"] != "DELETE_COMPLETE"],
        "db clusters": [c["DBClusterIdentifier"] for c in clients.rds.describe_db_clusters().get("DBClusters", [])],
        "db instances": [i["DBInstanceIdentifier"] for i in clients.rds.describe_db_instances().get("DBInstances", [])],
        "db proxies": [p["DBProxyName"] for p in clients.rds.describe_db_proxies().get("DBProxies", [])],
        "secrets": [s["Name"] for s in clients.secretsmanager.list_secrets().get("SecretList", [])],
        "efs file systems": [f["FileSystemId"] for f in clients.efs.describe_file_systems().get("FileSystems", [])],
        "ecs clusters": [arn for arn in clients.ecs.list_clusters().get("clusterArns", [])],
        "ecs task definitions": clients.ecs.list_task_definitions(status="ACTIVE").get("taskDefinitionArns", []),
    }
    return {kind: names for kind, names in found.items() if names}
