"""The SAM lab's verify: the stack's outputs lead to a working API (over HTTP, through the ApiUrl
output), the data lands in the table its TableName output names, and after the failed update the
stack's events say why and version 1 still serves."""

import json

from labs.catalog.sam import steps
from labs.catalog.sam.names import BROKEN_KEY, FUNCTION_LOGICAL_ID, stack_name
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit import stacks
from labs.toolkit.functions import log_tail


def _json(result):
    try:
        return result.json()
    except ValueError:
        return None


def _stack(ctx: Context) -> dict | None:
    return stacks.stack(ctx.clients.cloudformation, stack_name(ctx.name))


def verify_outputs(ctx: Context) -> CheckResult:
    found = _stack(ctx)
    if found is None:
        return CheckResult.failed(f"There is no stack named {stack_name(ctx.name)}.")
    api_id = steps.read_outputs(ctx, found)
    if not api_id:
        return CheckResult.failed("The stack has no ApiUrl output naming its API.")
    listed = ctx.deployment.api("GET", "/items", headers={"Origin": ctx.website_origin})
    body = _json(listed)
    if listed.status != 200 or not isinstance(body, dict) or not isinstance(body.get("items"), list):
        function = stacks.resources(ctx.clients.cloudformation, found["StackName"])[FUNCTION_LOGICAL_ID]["PhysicalResourceId"]
        why = f" {log_tail(ctx, function)}" if listed.status >= 500 else ""
        return CheckResult.failed(f"GET /items through the ApiUrl output (API {api_id}) answered {listed.status}: "
                                  f"{listed.body[:300].decode('utf-8', 'replace')}{why}")
    ctx.scratch["table"] = stacks.outputs(found).get("TableName", "")
    return CheckResult.passed(f"The ApiUrl output leads to API {api_id}: GET /items answers 200 with "
                              f"{len(body['items'])} item(s).")


def verify_create(ctx: Context) -> CheckResult:
    table = ctx.scratch.get("table")
    if not table:
        return CheckResult.failed("Skipped: the stack's outputs did not lead to the API (or name no TableName).")
    title = f"Deployed by CloudFormation {ctx.name.prefix}"
    created = ctx.deployment.api("POST", "/items", json_body={"title": title})
    body = _json(created)
    if created.status != 201 or not isinstance(body, dict) or "id" not in body:
        return CheckResult.failed(f"POST /items answered {created.status}: {created.body[:300].decode('utf-8', 'replace')}")
    stored = ctx.clients.dynamodb.get_item(TableName=table, Key={"id": {"S": body["id"]}}).get("Item")
    if not stored or stored.get("title", {}).get("S") != title:
        return CheckResult.failed(f"POST /items answered 201, but the table {table} (the TableName output) has no such item.")
    ctx.scratch["item"] = body
    return CheckResult.passed(f"POST /items created item {body['id']} (201), and it is in {table}, the table the "
                              "TableName output names.")


def verify_get_delete(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    got = ctx.deployment.api("GET", f"/items/{item['id']}")
    if got.status != 200 or (_json(got) or {}).get("title") != item["title"]:
        return CheckResult.failed(f"GET /items/{item['id']} answered {got.status}.")
    deleted = ctx.deployment.api("DELETE", f"/items/{item['id']}")
    again = ctx.deployment.api("GET", f"/items/{item['id']}")
    if deleted.status != 204 or again.status != 404:
        return CheckResult.failed(f"DELETE /items/{item['id']} answered {deleted.status} and a GET after it "
                                  f"{again.status} (expected 204, then 404).")
    return CheckResult.passed("GET by id returns it; DELETE removes it (204), and GET then answers 404.")


def verify_rollback_reason(ctx: Context) -> CheckResult:
    cfn, stack = ctx.clients.cloudformation, stack_name(ctx.name)
    reason, problem = steps.rolled_back(ctx)
    if problem:
        return CheckResult.failed(problem)
    operation = stacks.last_operation(stacks.events(cfn, stack), stack)
    statuses = [event["ResourceStatus"] for event in reversed(operation)
                if event["ResourceType"] == "AWS::CloudFormation::Stack"]
    if "UPDATE_ROLLBACK_IN_PROGRESS" not in statuses or statuses[-1] != "UPDATE_ROLLBACK_COMPLETE":
        return CheckResult.failed(f"The stack's last update did not roll back in its events: {', '.join(statuses)}.")
    return CheckResult.passed(f"DescribeStackEvents tells the story: {' -> '.join(statuses)}; the cause: {reason}")


def verify_old_version(ctx: Context) -> CheckResult:
    cfn, stack = ctx.clients.cloudformation, stack_name(ctx.name)
    body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    text = body if isinstance(body, str) else json.dumps(body)
    if BROKEN_KEY in text:
        return CheckResult.failed("The stack's template still names the version 2 package: it did not roll back.")
    config, _, problem = steps.deployed_function(ctx)
    if problem:
        return CheckResult.failed(problem)
    if steps.code_problem(ctx, config):
        return CheckResult.failed(f"Function {config['FunctionName']} no longer runs version 1: {steps.code_problem(ctx, config)}")
    listed = ctx.deployment.api("GET", "/items")
    if listed.status != 200:
        return CheckResult.failed(f"After the rollback GET /items answered {listed.status}.")
    return CheckResult.passed("After the rollback the stack's template is version 1 again, the function runs the "
                              "version 1 package, and the API still answers 200.")


CHECKS = (
    VerifyCheck("outputs", "The stack's ApiUrl output leads to the working API", verify_outputs),
    VerifyCheck("create", "POST creates an item in the table the TableName output names", verify_create),
    VerifyCheck("get-delete", "GET by id returns it, DELETE removes it", verify_get_delete),
    VerifyCheck("rollback-reason", "The stack events say why the update failed and that it rolled back",
                verify_rollback_reason),
    VerifyCheck("old-version", "Version 1 still serves after the rollback", verify_old_version),
)
