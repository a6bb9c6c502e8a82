"""The full-stack lab's four steps (table, function, API, website), each an idempotent ``apply``
built from the toolkit and a ``check`` that explains what is missing."""

import json
from pathlib import Path

from labs.catalog.fullstack.names import (
    CORS_METHODS, FUNCTION_SOURCE, HANDLER, PERMISSION_ID, POLICY_NAME, ROUTES, RUNTIME, SITE_FILES, STAGE,
    TABLE_ACTIONS, api_name, bucket_name, function_name, role_name, table_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets, iam, rest_api, tables
from labs.toolkit.calls import as_list, missing
from labs.toolkit.functions import (
    configuration_problem, deploy_function, ensure_invoke_permission, policy_statements, service_may_invoke,
)

FOLDER = Path(__file__).parent


def public_api_url(ctx: Context) -> str:
    return ctx.public_api_base(ctx.outputs["api_id"], ctx.outputs["stage"])


def _table_arn(ctx: Context) -> str | None:
    table = missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name))
    return table["Table"]["TableArn"] if table else None


# Step 1: the table -------------------------------------------------------------------------

def apply_table(ctx: Context) -> None:
    tables.ensure_table(ctx, table_name(ctx.name))
    ctx.outputs["table"] = table_name(ctx.name)


def check_table(ctx: Context) -> CheckResult:
    result = tables.check_table(ctx, table_name(ctx.name))
    if result.ok:
        ctx.outputs["table"] = table_name(ctx.name)
    return result


# Step 2: the function and its role ---------------------------------------------------------

def table_policy(table_arn: str, region: str, account_id: str, function: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ItemsTable", "Effect": "Allow", "Action": list(TABLE_ACTIONS), "Resource": table_arn},
        iam.logs_statement(region, account_id, function),
    ]}


def function_environment(ctx: Context) -> dict:
    return {"TABLE_NAME": table_name(ctx.name), "ALLOWED_ORIGIN": ctx.website_origin}


def apply_function(ctx: Context) -> None:
    table_arn = _table_arn(ctx)
    if table_arn is None:
        raise StepBlocked(f"The table {table_name(ctx.name)} does not exist yet: do step 1 first.")
    role, function = role_name(ctx.name), function_name(ctx.name)
    role_arn = iam.ensure_execution_role(
        ctx, role=role, description="Execution role of the full-stack lab's items function", policy_name=POLICY_NAME,
        policy=table_policy(table_arn, ctx.region, ctx.account_id, function))
    deploy_function(ctx, function=function, folder=FOLDER / "functions" / FUNCTION_SOURCE,
                    description="Items API of the full-stack lab", wanted={
                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": 10, "MemorySize": 256,
                        "Environment": {"Variables": function_environment(ctx)}})
    ctx.outputs["function"] = function


def table_access(statements: list[dict], table_arn: str) -> tuple[set[str], list[str]]:
    """(DynamoDB actions granted on the table, resources granted too broadly)."""
    broad = []
    for statement in statements:
        actions = [action.lower() for action in as_list(statement.get("Action", []))]
        if statement.get("Effect") == "Allow" and any(a.startswith("dynamodb:") or a == "*" for a in actions):
            resources = as_list(statement.get("Resource", []))
            broad += [r for r in resources if r == "*" or r.endswith(":table/*") or ":*:" in r.split("table/")[0]]
    return {action for action in TABLE_ACTIONS if iam.allows(statements, action, table_arn)}, broad


def check_function(ctx: Context) -> CheckResult:
    role, function = role_name(ctx.name), function_name(ctx.name)
    table_arn = _table_arn(ctx)
    if table_arn is None:
        return CheckResult.failed(f"The table {table_name(ctx.name)} is missing: do step 1 first.")
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    statements, managed = iam.role_statements(ctx.clients.iam, role)
    granted, broad = table_access(statements, table_arn)
    if broad or any("FullAccess" in name for name in managed):
        what = ", ".join(broad or [name for name in managed if "FullAccess" in name])
        return CheckResult.failed(f"The role grants DynamoDB access beyond the lab's table ({what}). Scope it to "
                                  f"{table_arn} and to the four actions the function uses: least privilege.")
    absent = [action for action in TABLE_ACTIONS if action not in granted]
    if absent:
        return CheckResult.failed(f"The role {role} does not allow {', '.join(absent)} on the table, so the function "
                                  f"would get AccessDenied. Add an inline policy allowing {', '.join(TABLE_ACTIONS)} "
                                  f"on {table_arn}.")
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role is ready, but there is no Lambda function named {function}. Create it "
                                  f"({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=found_role["Arn"], role=role,
                                    environment=function_environment(ctx))
    if problem:
        return CheckResult.failed(problem)
    if config.get("State", "Active") != "Active":
        return CheckResult.failed(f"The function is {config.get('State')}, not Active yet: check again in a moment.")
    ctx.outputs["function"] = function
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"Function {function} ({RUNTIME}) is Active and runs as {role}, which may use just the table.",
        Found("iam:role", role, role, found_role["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
    )


# Step 3: the REST API ----------------------------------------------------------------------

def _sample_call(ctx: Context, api_id: str) -> str:
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api_id}/{STAGE}/GET/items"


def apply_api(ctx: Context) -> None:
    function = function_name(ctx.name)
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        raise StepBlocked(f"The function {function} does not exist yet: do step 2 first.")
    api, changed = rest_api.ensure_api(ctx, api_name(ctx.name), "Items API of the full-stack lab")
    api_id = api["id"]
    found, created = rest_api.ensure_resources(ctx, api_id, tuple(CORS_METHODS))
    changed |= created
    changed |= rest_api.ensure_proxy_routes(ctx, api_id, found, ROUTES, current["Configuration"]["FunctionArn"])
    for path, allowed in CORS_METHODS.items():
        changed |= rest_api.ensure_cors(ctx, api_id, found[path]["id"], allowed)
    ensure_invoke_permission(ctx, function=function, statement_id=PERMISSION_ID, service="apigateway.amazonaws.com",
                             source_arn=rest_api.source_arn(ctx.region, ctx.account_id, api_id),
                             sample_source=_sample_call(ctx, api_id))
    rest_api.ensure_stage(ctx, api_id, STAGE, changed)
    ctx.outputs.update({"api_id": api_id, "stage": STAGE})
    ctx.outputs["api_url"] = public_api_url(ctx)


def check_api(ctx: Context) -> CheckResult:
    apigateway, function = ctx.clients.apigateway, function_name(ctx.name)
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The function {function} is missing: do step 2 first.")
    api = rest_api.find_api(apigateway, api_name(ctx.name))
    if api is None:
        return CheckResult.failed(f"There is no REST API named {api_name(ctx.name)}. Create a REST API (not an HTTP API) "
                                  "with that name.")
    api_id = api["id"]
    found = rest_api.resources(apigateway, api_id)
    problem = rest_api.routes_problem(apigateway, api_id, found, ROUTES, current["Configuration"]["FunctionArn"], function)
    if problem:
        return CheckResult.failed(problem)
    if not service_may_invoke(policy_statements(ctx.clients.lambda_, function), "apigateway.amazonaws.com",
                              _sample_call(ctx, api_id)):
        return CheckResult.failed(
            f"The function exists but API Gateway has no permission to invoke it: add a resource-based policy for "
            f"apigateway.amazonaws.com (lambda:InvokeFunction) with source ARN "
            f"{rest_api.source_arn(ctx.region, ctx.account_id, api_id)}.")
    problem = rest_api.cors_problem(apigateway, api_id, found, CORS_METHODS, ctx.website_origin)
    if problem:
        return CheckResult.failed(problem)
    variables = current["Configuration"].get("Environment", {}).get("Variables", {})
    if variables.get("ALLOWED_ORIGIN") != ctx.website_origin:
        return CheckResult.failed(
            f"The preflight allows {ctx.website_origin}, but the function answers with Access-Control-Allow-Origin "
            f"{variables.get('ALLOWED_ORIGIN')!r}, so the browser would drop its responses: set its ALLOWED_ORIGIN.")
    if missing(apigateway.get_stage, restApiId=api_id, stageName=STAGE) is None:
        return CheckResult.failed(f"The API is not deployed: nothing answers until you deploy it to a stage. Deploy it "
                                  f"to a stage named {STAGE}.")
    ctx.outputs.update({"api_id": api_id, "stage": STAGE})
    ctx.outputs["api_url"] = public_api_url(ctx)
    return CheckResult.passed(
        f"REST API {api_name(ctx.name)} routes GET/POST /items and GET/DELETE /items/{{id}} to the function "
        f"(proxy), may invoke it, answers CORS for {ctx.website_origin}, and is deployed to {STAGE}.",
        Found("apigateway:rest-api", api_name(ctx.name), api_id),
        Found("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"),
    )


# Step 4: the website -----------------------------------------------------------------------

def config_js(api_url: str) -> bytes:
    return f"window.LAB_CONFIG = {json.dumps({'apiUrl': api_url})};\n".encode()


def website_files(api_url: str) -> list[tuple[str, bytes, str]]:
    return buckets.site_files(FOLDER / "site", SITE_FILES) + [
        ("config.js", config_js(api_url), "text/javascript; charset=utf-8")]


def _api_outputs(ctx: Context) -> bool:
    api = rest_api.find_api(ctx.clients.apigateway, api_name(ctx.name))
    if api is not None:
        ctx.outputs.update({"api_id": api["id"], "stage": STAGE})
    return api is not None


def apply_website(ctx: Context) -> None:
    if "api_id" not in ctx.outputs and not _api_outputs(ctx):
        raise StepBlocked(f"The API {api_name(ctx.name)} does not exist yet: do step 3 first.")
    bucket = bucket_name(ctx.name, ctx.account_id)
    ctx.outputs["website_url"] = buckets.ensure_website(ctx, bucket, website_files(public_api_url(ctx)))
    ctx.outputs["bucket"] = bucket


def check_website(ctx: Context) -> CheckResult:
    s3, bucket = ctx.clients.s3, bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(s3, bucket):
        return CheckResult.failed(f"There is no S3 bucket named {bucket}. Create it in {ctx.region}.")
    problem = buckets.website_problem(s3, bucket, SITE_FILES + ("config.js",))
    if problem:
        return CheckResult.failed(problem)
    if not _api_outputs(ctx):
        return CheckResult.failed(f"The API {api_name(ctx.name)} is missing: do step 3 first.")
    expected_url = public_api_url(ctx)
    config = s3.get_object(Bucket=bucket, Key="config.js")["Body"].read().decode("utf-8", "replace")
    if json.dumps(expected_url) not in config:
        return CheckResult.failed(f"config.js does not point the app at your API. It should set apiUrl to {expected_url}.")
    ctx.outputs["bucket"] = bucket
    ctx.outputs["website_url"] = f"http://{bucket}.s3-website-{ctx.region}.amazonaws.com/"
    return CheckResult.passed(f"Bucket {bucket} hosts the website (index.html, app.css, app.js, config.js) and "
                              "points it at the API.", Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"))
