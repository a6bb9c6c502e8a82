"""What keeps a lab from hurting a real AWS account.

- Accounts: an account whose alias contains "prod", or whose id is on ``LABS_AWS_ACCOUNT_BLOCKLIST``,
  is refused (:func:`account_refusal`); nothing deploys into an account the learner has not
  confirmed by typing its id, nor outside ``LABS_AWS_REGIONS`` (:func:`deploy_refusal`, which the
  engine checks before every action that may create something).
- Time: every run has a time-to-live (``LABS_RUN_TTL_SECONDS``, 2 hours by default, from when it
  starts). :func:`expire_runs` (a periodic task) tears down runs past it, whatever they are doing,
  and tells the learner why.
- Leftovers: teardown follows the run's ledger; then, in an AWS account, :func:`find_leftovers`
  lists what still carries the run's name prefix (and, through the tagging API, its tag: that API
  does not list every type, so it is a second look, never the only one), and
  :func:`leftovers_after_teardown` reports it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from labs import aws
from labs.engine.lab import RUN_TAG
from labs.models import LabRun, LedgerEntry, RunEvent

Status, Action, Outcome = LabRun.Status, LabRun.Action, LabRun.Outcome


# Accounts and regions -----------------------------------------------------------------------

def account_refusal(account_id: str, alias: str) -> str | None:
    """Why labs must never run in this account, or None."""
    if account_id in settings.LABS_AWS_ACCOUNT_BLOCKLIST:
        return (f"Account {account_id} is on this site's blocklist (LABS_AWS_ACCOUNT_BLOCKLIST): labs never run in "
                "it. Use a sandbox account of your own.")
    if "prod" in (alias or "").lower():
        return (f"Account {account_id} is called “{alias}”, which looks like production. Labs create and delete "
                "resources: use a separate sandbox account (an account alias without “prod”).")
    return None


def region_refusal(region: str) -> str | None:
    if region not in settings.LABS_AWS_REGIONS:
        allowed = ", ".join(settings.LABS_AWS_REGIONS)
        return f"Region {region} is not one this site deploys labs to. Choose one of: {allowed}."
    return None


def deploy_refusal(sandbox) -> str | None:
    """Why nothing may be created in this sandbox now, or None (for a local sandbox: None unless the
    site switched the local sandbox off)."""
    if sandbox.is_local:
        return None if settings.LABS_LOCAL_SANDBOX else aws.LOCAL_OFF
    if not sandbox.is_connected:
        return "Your AWS account is not connected: connect it on the labs' account page first."
    if sandbox.confirmed_at is None:
        return (f"Confirm your AWS account {sandbox.account_id} first, by typing its id on the labs' account page: "
                "nothing is deployed into an account you have not confirmed.")
    return region_refusal(sandbox.region) or account_refusal(sandbox.account_id, sandbox.account_alias)


# Time-to-live -------------------------------------------------------------------------------

def ttl_text() -> str:
    seconds = settings.LABS_RUN_TTL_SECONDS
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    return f"{round(seconds / 60)} minutes"


def expired_message() -> str:
    return (f"Time is up: this run reached its time-to-live of {ttl_text()} since it started, so it was torn down "
            "to leave nothing running (and nothing billing) in your sandbox. Start a new run to carry on.")


def expire_runs(now=None, *, enqueue) -> list[int]:
    """Tear down every run past its time-to-live. An idle run is queued for teardown (``enqueue(run_id)``
    hands it to the worker); a busy one stops after its current step and then tears down. Kept runs in
    an AWS account are torn down too."""
    now = now or timezone.now()
    message = expired_message()
    done = []
    due = LabRun.objects.filter(expires_at__lt=now)
    idle = due.filter(status__in=[Status.WAITING, Status.LIVE]) | due.filter(status=Status.KEPT, sandbox__kind="aws")
    local_up = None
    for run in idle.select_related("sandbox"):
        if run.sandbox.is_local:
            # As reap does: leave a local run for a later tick while the sandbox is not answering.
            if local_up is None:
                from labs.sandbox import health

                local_up = health().up
            if not local_up:
                continue
        with transaction.atomic():
            taken = LabRun.objects.filter(pk=run.pk, status=run.status).update(
                status=Status.QUEUED, pending_action=Action.TEARDOWN, pending_step="", outcome=Outcome.EXPIRED,
                message=message, updated_at=now)
            if taken:
                RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, status=RunEvent.Status.FAIL, message=message)
                enqueue(run.pk)
                done.append(run.pk)
    busy = due.filter(status__in=[Status.QUEUED, Status.RUNNING], abandon_requested=False).exclude(
        pending_action=Action.TEARDOWN)
    for run in busy:
        with transaction.atomic():
            if LabRun.objects.filter(pk=run.pk, abandon_requested=False).update(
                    abandon_requested=True, outcome=Outcome.EXPIRED, message=message, updated_at=now):
                RunEvent.objects.create(run=run, kind=RunEvent.Kind.RUN, status=RunEvent.Status.FAIL,
                                        message=message + " (It stops after the step it is on.)")
                done.append(run.pk)
    return done


def time_left(run: LabRun, now=None) -> timedelta | None:
    if run.expires_at is None or run.is_finished:
        return None
    return max(run.expires_at - (now or timezone.now()), timedelta(0))


# Leftovers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leftover:
    kind: str  # a ledger kind (labs.engine.resources.KINDS), or "" for a resource found only by its tag
    name: str
    physical_id: str = ""
    arn: str = ""


def _paginate(client, operation: str, key: str, **kwargs):
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _tables(clients, start):
    found = []
    for name in _paginate(clients.dynamodb, "list_tables", "TableNames"):
        if name.startswith(start):
            status = clients.dynamodb.describe_table(TableName=name)["Table"].get("TableStatus")
            if status != "DELETING":  # a deleted table is listed for a few seconds while it goes
                found.append(Leftover("dynamodb:table", name, name))
    return found


def _functions(clients, start):
    return [Leftover("lambda:function", f["FunctionName"], f["FunctionName"], f.get("FunctionArn", ""))
            for f in _paginate(clients.lambda_, "list_functions", "Functions") if f["FunctionName"].startswith(start)]


def _roles(clients, start):
    return [Leftover("iam:role", r["RoleName"], r["RoleName"], r.get("Arn", ""))
            for r in _paginate(clients.iam, "list_roles", "Roles") if r["RoleName"].startswith(start)]


def _apis(clients, start):
    return [Leftover("apigateway:rest-api", a["name"], a["id"])
            for a in _paginate(clients.apigateway, "get_rest_apis", "items") if a.get("name", "").startswith(start)]


def _buckets(clients, start):
    return [Leftover("s3:bucket", b["Name"], b["Name"], f"arn:aws:s3:::{b['Name']}")
            for b in clients.s3.list_buckets().get("Buckets", []) if b["Name"].startswith(start)]


def _log_groups(clients, start):
    prefix = f"/aws/lambda/{start}"
    return [Leftover("logs:log-group", g["logGroupName"], g["logGroupName"])
            for g in _paginate(clients.logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)]


def _streams(clients, start):
    return [Leftover("kinesis:stream", name, name) for name in _paginate(clients.kinesis, "list_streams", "StreamNames")
            if name.startswith(start)]


def _delivery_streams(clients, start):
    return [Leftover("firehose:delivery-stream", name, name)
            for name in clients.firehose.list_delivery_streams(Limit=10000).get("DeliveryStreamNames", [])
            if name.startswith(start)]


def _glue_databases(clients, start):
    start = start.replace("-", "_")  # Glue database names: sa_3f9a1c2e_clickstream
    return [Leftover("glue:database", d["Name"], d["Name"])
            for d in _paginate(clients.glue, "get_databases", "DatabaseList") if d["Name"].startswith(start)]


def _queues(clients, start):
    return [Leftover("sqs:queue", url.rsplit("/", 1)[-1], url)
            for url in clients.sqs.list_queues(QueueNamePrefix=start).get("QueueUrls", [])]


def _event_source_mappings(clients, start):
    found = []
    for mapping in _paginate(clients.lambda_, "list_event_source_mappings", "EventSourceMappings"):
        function = mapping.get("FunctionArn", "").rsplit(":function:", 1)[-1].split(":")[0]
        if function.startswith(start):
            source = mapping.get("EventSourceArn", "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            found.append(Leftover("lambda:event-source-mapping", f"{function}/{source}", mapping["UUID"],
                                  mapping.get("EventSourceMappingArn", "")))
    return found


def _state_machines(clients, start):
    return [Leftover("states:state-machine", m["name"], m["stateMachineArn"], m["stateMachineArn"])
            for m in _paginate(clients.stepfunctions, "list_state_machines", "stateMachines") if m["name"].startswith(start)]


def _user_pools(clients, start):
    return [Leftover("cognito-idp:user-pool", p["Name"], p["Id"])
            for p in _paginate(clients["cognito-idp"], "list_user_pools", "UserPools", MaxResults=60)
            if p.get("Name", "").startswith(start)]


def _graphql_apis(clients, start):
    return [Leftover("appsync:graphql-api", a["name"], a["apiId"], a.get("arn", ""))
            for a in _paginate(clients.appsync, "list_graphql_apis", "graphqlApis") if a.get("name", "").startswith(start)]


def _distributions(clients, start):
    # Distributions have ids, not names: a lab names its own in the Comment.
    from labs.toolkit.cloudfront import distributions

    return [Leftover("cloudfront:distribution", d.get("Comment", ""), d["Id"], d.get("ARN", ""))
            for d in distributions(clients.cloudfront) if (d.get("Comment") or "").startswith(start)]


def _cloudfront_functions(clients, start):
    items = clients.cloudfront.list_functions().get("FunctionList", {}).get("Items", []) or []
    return [Leftover("cloudfront:function", f["Name"], f["Name"], f.get("FunctionMetadata", {}).get("FunctionARN", ""))
            for f in items if f["Name"].startswith(start)]


def _origin_access_controls(clients, start):
    items = clients.cloudfront.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", []) or []
    return [Leftover("cloudfront:origin-access-control", o["Name"], o["Id"]) for o in items if o["Name"].startswith(start)]
def _stacks(clients, start):
    # Every status but DELETE_COMPLETE: a stack that failed to create or roll back still holds resources.
    live = [status for status in clients.cloudformation.meta.service_model.shape_for("StackStatus").enum
            if status != "DELETE_COMPLETE"]
    return [Leftover("cloudformation:stack", s["StackName"], s["StackId"], s["StackId"])
            for s in _paginate(clients.cloudformation, "list_stacks", "StackSummaries", StackStatusFilter=live)
            if s["StackName"].startswith(start)]


def _topics(clients, start):
    return [Leftover("sns:topic", t["TopicArn"].rsplit(":", 1)[-1], t["TopicArn"], t["TopicArn"])
            for t in _paginate(clients.sns, "list_topics", "Topics") if t["TopicArn"].rsplit(":", 1)[-1].startswith(start)]


def _event_buses(clients, start):
    return [Leftover("events:event-bus", b["Name"], b["Name"], b.get("Arn", ""))
            for b in clients.events.list_event_buses(NamePrefix=start).get("EventBuses", [])]


def _db_clusters(clients, start):
    return [Leftover("rds:db-cluster", c["DBClusterIdentifier"], c["DBClusterIdentifier"], c.get("DBClusterArn", ""))
            for c in _paginate(clients.rds, "describe_db_clusters", "DBClusters")
            if c["DBClusterIdentifier"].startswith(start)]


def _db_instances(clients, start):
    return [Leftover("rds:db-instance", i["DBInstanceIdentifier"], i["DBInstanceIdentifier"], i.get("DBInstanceArn", ""))
            for i in _paginate(clients.rds, "describe_db_instances", "DBInstances")
            if i["DBInstanceIdentifier"].startswith(start)]


def _db_proxies(clients, start):
    return [Leftover("rds:db-proxy", p["DBProxyName"], p["DBProxyName"], p.get("DBProxyArn", ""))
            for p in _paginate(clients.rds, "describe_db_proxies", "DBProxies") if p["DBProxyName"].startswith(start)]


def _file_systems(clients, start):
    return [Leftover("efs:file-system", fs.get("CreationToken") or fs.get("Name", ""), fs["FileSystemId"],
                     fs.get("FileSystemArn", ""))
            for fs in _paginate(clients.efs, "describe_file_systems", "FileSystems")
            if (fs.get("CreationToken") or fs.get("Name") or "").startswith(start)
            and fs.get("LifeCycleState") not in ("deleting", "deleted")]


def _ecs_clusters(clients, start):
    arns = [arn for arn in _paginate(clients.ecs, "list_clusters", "clusterArns") if arn.rsplit("/", 1)[-1].startswith(start)]
    described = clients.ecs.describe_clusters(clusters=arns).get("clusters", []) if arns else []
    return [Leftover("ecs:cluster", c["clusterName"], c["clusterName"], c["clusterArn"])
            for c in described if c.get("status") == "ACTIVE"]


def _task_definition_families(clients, start):
    def active(family):  # a family whose revisions are all deregistered may still be listed (moto ignores status)
        arns = clients.ecs.list_task_definitions(familyPrefix=family, status="ACTIVE").get("taskDefinitionArns", [])
        return any(arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family for arn in arns)

    return [Leftover("ecs:task-definition", family, family)
            for family in _paginate(clients.ecs, "list_task_definition_families", "families", familyPrefix=start,
                                    status="ACTIVE") if active(family)]


LISTERS = (("DynamoDB tables", _tables), ("Lambda functions", _functions), ("IAM roles", _roles),
           ("API Gateway REST APIs", _apis), ("S3 buckets", _buckets), ("CloudWatch log groups", _log_groups),
           ("Kinesis data streams", _streams), ("Firehose streams", _delivery_streams),
           ("Glue databases", _glue_databases), ("SQS queues", _queues),
           ("Lambda event source mappings", _event_source_mappings),
           ("Step Functions state machines", _state_machines),
           ("Cognito user pools", _user_pools), ("AppSync GraphQL APIs", _graphql_apis),
           ("CloudFront distributions", _distributions), ("CloudFront Functions", _cloudfront_functions),
           ("CloudFront origin access controls", _origin_access_controls),
           ("SNS topics", _topics), ("EventBridge event buses", _event_buses),
           ("CloudFormation stacks", _stacks),
           ("RDS Proxies", _db_proxies), ("RDS DB instances", _db_instances), ("Aurora DB clusters", _db_clusters),
           ("EFS file systems", _file_systems), ("ECS clusters", _ecs_clusters),
           ("ECS task definitions", _task_definition_families))
# Services whose resources the listers above already find by name.
LISTED_BY_NAME = {"dynamodb", "lambda", "iam", "apigateway", "s3", "logs", "states", "cognito-idp", "appsync", "cloudfront", "cloudformation", "rds",
                  "elasticfilesystem", "ecs"}
# Services the listers find by name too, but whose resources a learner may tag with the run under
# another name: a tagged one is skipped only when its name carries the run's prefix.
LISTED_WHEN_NAMED = {"sqs", "sns", "events"}


def find_leftovers(clients, prefix: str) -> tuple[list[Leftover], list[str]]:
    """What in the account still carries ``prefix`` (``sa-<token>``) in its name or tag, and what
    could not be checked (each a sentence)."""
    start = f"{prefix}-"
    found, unchecked = [], []
    for label, lister in LISTERS:
        try:
            found += lister(clients, start)
        except Exception as error:  # noqa: BLE001 - one kind that cannot be listed must not hide the others
            unchecked.append(f"Could not list {label}: {aws.error_message(error)}")
    try:
        mappings = _paginate(clients.resourcegroupstaggingapi, "get_resources", "ResourceTagMappingList",
                             TagFilters=[{"Key": RUN_TAG, "Values": [prefix]}])
        named = {item.name for item in found}
        for mapping in mappings:
            arn = mapping["ResourceARN"]
            service, names = arn.split(":")[2], arn.split(":", 5)[-1].replace(":", "/").split("/")
            if service in LISTED_WHEN_NAMED and any(name.startswith(start) for name in names):
                continue
            # A stream, a mapping, ... the listers found by name is not reported twice.
            if service not in LISTED_BY_NAME and arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1] not in named:
                found.append(Leftover("", arn, arn, arn))
    except Exception as error:  # noqa: BLE001
        unchecked.append(f"Could not search by the run's tag: {aws.error_message(error)}")
    return found, unchecked


NOT_CHECKED = "- Not checked: "


def leftovers_after_teardown(run: LabRun, clients, recorder) -> tuple[list[LedgerEntry], list[str]]:
    """After a teardown in an AWS account: look for anything of the run's that is still there.

    A leftover of a kind the ledger knows becomes a ledger entry that could not be deleted (so the
    run is listed as holding resources, and *Retry teardown* deletes it); one found only by its tag
    is reported by ARN. Returns (those entries, report lines for the others)."""
    found, unchecked = find_leftovers(clients, run.prefix)
    for line in unchecked:
        recorder.event(RunEvent.Kind.TEARDOWN, line, status=RunEvent.Status.FAIL)
    # A kind that could not be listed may still hold something: the run cannot be called cleaned.
    unchecked_lines = [f"{NOT_CHECKED}{line}. Look for {run.prefix}-… there in the console, or retry the teardown."
                       for line in unchecked]
    already = {(entry.kind, entry.name) for entry in run.ledger.filter(status=LedgerEntry.Status.DELETE_FAILED)}
    entries, lines = [], []
    for item in found:
        if (item.kind, item.name) in already:
            continue  # its failed deletion is already reported
        if not item.kind:
            lines.append(f"- {item.arn}: tagged with this run, of a kind the labs do not delete; delete it in the "
                         "AWS console")
            continue
        entry, _ = LedgerEntry.objects.update_or_create(
            run=run, kind=item.kind, name=item.name,
            defaults={"physical_id": item.physical_id or item.name, "arn": item.arn, "region": run.sandbox.region,
                      "status": LedgerEntry.Status.DELETE_FAILED, "leftover": True,
                      "error": "Still there after teardown: found by the run's name prefix. Retry the teardown to "
                               "delete it, or delete it by hand."})
        entries.append(entry)
    lines += unchecked_lines
    if entries or len(lines) > len(unchecked_lines):
        recorder.event(RunEvent.Kind.TEARDOWN, f"Checked the account after teardown: {len(entries) + len(lines) - len(unchecked_lines)} "
                       f"resource(s) named {run.prefix}-… or tagged with the run are still there.",
                       status=RunEvent.Status.FAIL)
    else:
        recorder.event(RunEvent.Kind.TEARDOWN, f"Checked the account after teardown: nothing named {run.prefix}-… "
                       "or tagged with the run is left" + (" (some kinds could not be listed: see above)." if unchecked
                                                            else "."), status=RunEvent.Status.OK)
    return entries, lines


def aws_website_origin(run: LabRun) -> str:
    """The origin of a run's S3 website in AWS, when its lab publishes one (its ``BUCKET`` variable)."""
    from labs.engine.lab import Names

    bucket = run.lab.variables(Names(run.prefix), run.sandbox.account_id, run.sandbox.region, "").get("BUCKET")
    return f"http://{bucket}.s3-website-{run.sandbox.region}.amazonaws.com" if bucket else ""
