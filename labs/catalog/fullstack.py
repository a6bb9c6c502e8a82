"""The full-stack web app lab: static site in S3, REST API in API Gateway + Lambda, data in DynamoDB.

Four steps (table, function, API, website), each with an idempotent ``apply`` and a
``check`` that explains what is missing; then an end-to-end verify over HTTP. The function
is ``labs/functions/items_api/app.py``; the website is ``labs/sites/fullstack/``.
"""

import json
import mimetypes
import time
from pathlib import Path
from urllib.parse import unquote

from botocore.exceptions import ClientError

from labs.aws import error_code, is_not_found
from labs.lab import (
    SITES_DIR, CheckResult, Context, Found, Lab, Names, Step, StepBlocked, VerifyCheck, code_sha256, function_zip,
)

STAGE = "prod"
RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "items_api"
POLICY_NAME = "items-table-access"
PERMISSION_ID = "apigateway-invoke"
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan")
ROUTES = (("/items", "GET"), ("/items", "POST"), ("/items/{id}", "GET"), ("/items/{id}", "DELETE"))
CORS_METHODS = {"/items": "GET,POST,OPTIONS", "/items/{id}": "GET,DELETE,OPTIONS"}
CORS_HEADERS = "Content-Type"
SITE_FILES = ("index.html", "app.css", "app.js")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


# Names -------------------------------------------------------------------------------------

def table_name(names: Names) -> str:
    return names("items")


def role_name(names: Names) -> str:
    return names("items-api-role")


def function_name(names: Names) -> str:
    return names("items-api")


def api_name(names: Names) -> str:
    return names("items-api")


def bucket_name(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('web')}-{account_id}"


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "TABLE": table_name(names), "ROLE": role_name(names),
        "FUNCTION": function_name(names), "API_NAME": api_name(names), "BUCKET": bucket_name(names, account_id),
        "ORIGIN": origin,
    }


# Helpers -----------------------------------------------------------------------------------

def wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    delay, deadline = 0.05, time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise StepBlocked(f"Gave up waiting {timeout:.0f} s for {what}.")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def _missing(call, **kwargs):
    """``call(**kwargs)``, or None when the resource is not there."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def _document(value) -> dict:
    # IAM returns policy documents URL-encoded in its XML; boto3 usually decodes them.
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value or {}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _table_arn(ctx: Context) -> str:
    table = _missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name))
    if table is None:
        raise StepBlocked(f"The table {table_name(ctx.name)} does not exist yet: do step 1 first.")
    return table["Table"]["TableArn"]


def _function(ctx: Context) -> dict:
    found = _missing(ctx.clients.lambda_.get_function, FunctionName=function_name(ctx.name))
    if found is None:
        raise StepBlocked(f"The function {function_name(ctx.name)} does not exist yet: do step 2 first.")
    return found["Configuration"]


def _find_api(ctx: Context) -> dict | None:
    for page in ctx.clients.apigateway.get_paginator("get_rest_apis").paginate():
        for api in page.get("items", []):
            if api.get("name") == api_name(ctx.name):
                return api
    return None


def _resources(ctx: Context, api_id: str) -> dict:
    paginator = ctx.clients.apigateway.get_paginator("get_resources")
    return {item["path"]: item for page in paginator.paginate(restApiId=api_id) for item in page.get("items", [])}


def integration_uri(region: str, function_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def source_arn(ctx: Context, api_id: str) -> str:
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api_id}/*"


def public_api_url(ctx: Context) -> str:
    return ctx.public_api_base(ctx.outputs["api_id"], ctx.outputs["stage"])


# Step 1: the table -------------------------------------------------------------------------

def apply_table(ctx: Context) -> None:
    dynamodb, name = ctx.clients.dynamodb, table_name(ctx.name)
    table = _missing(dynamodb.describe_table, TableName=name)
    if table is None:
        with ctx.creating("dynamodb:table", name, name) as made:
            created = dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                Tags=ctx.tag_list(),
            )
            made.arn = created["TableDescription"]["TableArn"]
        status = created["TableDescription"]["TableStatus"]
    else:
        status = table["Table"]["TableStatus"]
    if status != "ACTIVE":
        wait_until(lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
                   f"table {name} to become ACTIVE")
    ctx.outputs["table"] = name


def check_table(ctx: Context) -> CheckResult:
    name = table_name(ctx.name)
    found = _missing(ctx.clients.dynamodb.describe_table, TableName=name)
    if found is None:
        return CheckResult.failed(f"There is no DynamoDB table named {name} in {ctx.region}. Create it with the "
                                  "partition key id (type String) and on-demand capacity.")
    table = found["Table"]
    keys = {(key["AttributeName"], key["KeyType"]) for key in table["KeySchema"]}
    types = {item["AttributeName"]: item["AttributeType"] for item in table.get("AttributeDefinitions", [])}
    if keys != {("id", "HASH")} or types.get("id") != "S":
        described = ", ".join(f"{attr} ({kind}, {types.get(attr, '?')})" for attr, kind in sorted(keys))
        return CheckResult.failed(f"The table's key is {described}, but the function reads and writes items by id "
                                  "(a String partition key, no sort key). A key cannot be changed: delete the table "
                                  "and create it again.")
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing != "PAY_PER_REQUEST":
        return CheckResult.failed("The table uses provisioned capacity. Switch it to on-demand (PAY_PER_REQUEST): "
                                  "you pay per request and a quiet lab costs nothing.")
    if table["TableStatus"] != "ACTIVE":
        return CheckResult.failed(f"The table is {table['TableStatus']}, not ACTIVE yet: check again in a moment.")
    ctx.outputs["table"] = name
    return CheckResult.passed(f"Table {name} is ACTIVE, keyed on id (String), on-demand.",
                              Found("dynamodb:table", name, name, table["TableArn"]))


# Step 2: the function and its role ---------------------------------------------------------

def table_policy(table_arn: str, region: str, account_id: str, function: str) -> dict:
    log_group = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{function}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ItemsTable", "Effect": "Allow", "Action": list(TABLE_ACTIONS), "Resource": table_arn},
            {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [log_group, f"{log_group}:*"]},
        ],
    }


def function_environment(ctx: Context) -> dict:
    return {"TABLE_NAME": table_name(ctx.name), "ALLOWED_ORIGIN": ctx.website_origin}


def ensure_execution_role(ctx: Context, *, role: str, description: str, policy_name: str, policy: dict) -> str:
    """Create the function's execution role once (recorded in the ledger first) and (re)write its
    inline policy; returns the role's ARN. Shared by the labs that deploy a function."""
    iam = ctx.clients.iam
    existing_role = _missing(iam.get_role, RoleName=role)
    if existing_role is None:
        with ctx.creating("iam:role", role, role) as made:
            made.arn = iam.create_role(
                RoleName=role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                Description=description, Tags=ctx.tag_list(),
            )["Role"]["Arn"]
        role_arn = made.arn
    else:
        role_arn = existing_role["Role"]["Arn"]
    with ctx.creating("iam:role-policy", f"{role}/{policy_name}", f"{role}/{policy_name}"):
        iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
    return role_arn


def apply_function(ctx: Context) -> None:
    lambda_ = ctx.clients.lambda_
    table_arn = _table_arn(ctx)
    role, function = role_name(ctx.name), function_name(ctx.name)

    role_arn = ensure_execution_role(
        ctx, role=role, description="Execution role of the full-stack lab's items function", policy_name=POLICY_NAME,
        policy=table_policy(table_arn, ctx.region, ctx.account_id, function),
    )

    package = function_zip(FUNCTION_SOURCE)
    environment = {"Variables": function_environment(ctx)}
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        # Lambda writes its logs to this group, creating it on the first invocation: it is ours to delete.
        with ctx.creating("logs:log-group", f"/aws/lambda/{function}", f"/aws/lambda/{function}"):
            pass
        with ctx.creating("lambda:function", function, function) as made:
            made.arn = _create_function(ctx, function, role_arn, package, environment)["FunctionArn"]
    else:
        config = current["Configuration"]
        if config.get("CodeSha256") != code_sha256(package):
            lambda_.update_function_code(FunctionName=function, ZipFile=package)
            _wait_updated(ctx, function)
        wanted = {"Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Environment": environment}
        have = {"Role": config.get("Role"), "Runtime": config.get("Runtime"), "Handler": config.get("Handler"),
                "Environment": {"Variables": config.get("Environment", {}).get("Variables", {})}}
        if have != wanted:
            lambda_.update_function_configuration(FunctionName=function, **wanted)
            _wait_updated(ctx, function)
    wait_until(lambda: lambda_.get_function(FunctionName=function)["Configuration"].get("State", "Active") == "Active",
               f"function {function} to become Active")
    ctx.outputs["function"] = function


def _create_function(ctx: Context, function: str, role_arn: str, package: bytes, environment: dict) -> dict:
    deadline = time.monotonic() + 30
    while True:
        try:
            return ctx.clients.lambda_.create_function(
                FunctionName=function, Runtime=RUNTIME, Handler=HANDLER, Role=role_arn, Code={"ZipFile": package},
                Timeout=10, MemorySize=256, Environment=environment, Tags=ctx.tags,
                Description="Items API of the full-stack lab",
            )
        except ClientError as error:
            # A new IAM role takes a few seconds to reach Lambda in AWS.
            if error_code(error) == "InvalidParameterValueException" and "assume" in str(error) and time.monotonic() < deadline:
                time.sleep(1)
                continue
            raise


def _wait_updated(ctx: Context, function: str) -> None:
    wait_until(
        lambda: ctx.clients.lambda_.get_function(FunctionName=function)["Configuration"].get("LastUpdateStatus", "Successful") != "InProgress",
        f"the update of {function} to finish")


def _role_statements(iam, role: str) -> tuple[list[dict], list[str]]:
    statements, managed = [], []
    for policy_name in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
        document = _document(iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"])
        statements += _as_list(document.get("Statement", []))
    for attached in iam.list_attached_role_policies(RoleName=role).get("AttachedPolicies", []):
        managed.append(attached["PolicyName"])
        policy = _missing(iam.get_policy, PolicyArn=attached["PolicyArn"])
        if policy:
            version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["Policy"]["DefaultVersionId"])
            statements += _as_list(_document(version["PolicyVersion"]["Document"]).get("Statement", []))
    return statements, managed


def table_access(statements: list[dict], table_arn: str) -> tuple[set[str], list[str]]:
    """(DynamoDB actions granted on the table, resources granted too broadly)."""
    granted, broad = set(), []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = [action.lower() for action in _as_list(statement.get("Action", []))]
        dynamodb = [action for action in actions if action.startswith("dynamodb:") or action == "*"]
        if not dynamodb:
            continue
        resources = _as_list(statement.get("Resource", []))
        broad += [r for r in resources if r == "*" or r.endswith(":table/*") or ":*:" in r.split("table/")[0]]
        if table_arn in resources or "*" in resources:
            for wanted in TABLE_ACTIONS:
                if wanted.lower() in actions or "dynamodb:*" in actions or "*" in actions:
                    granted.add(wanted)
    return granted, broad


def check_function(ctx: Context) -> CheckResult:
    iam, lambda_ = ctx.clients.iam, ctx.clients.lambda_
    role, function = role_name(ctx.name), function_name(ctx.name)
    table_arn = _table_arn_or_none(ctx)
    if table_arn is None:
        return CheckResult.failed(f"The table {table_name(ctx.name)} is missing: do step 1 first.")
    found_role = _missing(iam.get_role, RoleName=role)
    if found_role is None:
        return CheckResult.failed(f"There is no IAM role named {role}. The function needs an execution role that "
                                  "Lambda can assume (trusted entity: lambda.amazonaws.com).")
    trust = _document(found_role["Role"].get("AssumeRolePolicyDocument"))
    principals = [s.get("Principal", {}) for s in _as_list(trust.get("Statement", [])) if s.get("Effect") == "Allow"]
    services = {service for p in principals if isinstance(p, dict) for service in _as_list(p.get("Service", []))}
    if "lambda.amazonaws.com" not in services:
        return CheckResult.failed(f"The role {role} does not trust lambda.amazonaws.com, so Lambda cannot assume it. "
                                  "Edit its trust policy to allow sts:AssumeRole for lambda.amazonaws.com.")
    statements, managed = _role_statements(iam, role)
    granted, broad = table_access(statements, table_arn)
    if broad or any("FullAccess" in name for name in managed):
        what = ", ".join(broad or [name for name in managed if "FullAccess" in name])
        return CheckResult.failed(f"The role grants DynamoDB access beyond the lab's table ({what}). Scope it to "
                                  f"{table_arn} and to the four actions the function uses: least privilege.")
    missing = [action for action in TABLE_ACTIONS if action not in granted]
    if missing:
        return CheckResult.failed(f"The role {role} does not allow {', '.join(missing)} on the table, so the function "
                                  f"would get AccessDenied. Add an inline policy allowing {', '.join(TABLE_ACTIONS)} "
                                  f"on {table_arn}.")
    current = _missing(lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role is ready, but there is no Lambda function named {function}. Create it "
                                  f"({RUNTIME}, handler {HANDLER}) with the role {role}.")
    config = current["Configuration"]
    if config.get("Runtime") != RUNTIME:
        return CheckResult.failed(f"The function runs {config.get('Runtime')}; this lab's code targets {RUNTIME}.")
    if config.get("Handler") != HANDLER:
        return CheckResult.failed(f"The function's handler is {config.get('Handler')!r}: the code is app.py and "
                                  f"its entry point handler(), so the handler must be {HANDLER}.")
    if config.get("Role") != found_role["Role"]["Arn"]:
        return CheckResult.failed(f"The function runs as {config.get('Role')}, not as {role}: change its execution role.")
    variables = config.get("Environment", {}).get("Variables", {})
    for key, value in function_environment(ctx).items():
        if variables.get(key) != value:
            return CheckResult.failed(f"The function's environment variable {key} is {variables.get(key)!r}; set it "
                                      f"to {value!r}.")
    if config.get("State", "Active") != "Active":
        return CheckResult.failed(f"The function is {config.get('State')}, not Active yet: check again in a moment.")
    ctx.outputs["function"] = function
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"Function {function} ({RUNTIME}) is Active and runs as {role}, which may use just the table.",
        Found("iam:role", role, role, found_role["Role"]["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group),
    )


def _table_arn_or_none(ctx: Context) -> str | None:
    try:
        return _table_arn(ctx)
    except StepBlocked:
        return None


# Step 3: the REST API ----------------------------------------------------------------------

def apply_api(ctx: Context) -> None:
    apigateway, lambda_ = ctx.clients.apigateway, ctx.clients.lambda_
    function_arn = _function(ctx)["FunctionArn"]
    changed = False
    api = _find_api(ctx)
    if api is None:
        with ctx.creating("apigateway:rest-api", api_name(ctx.name)) as made:
            api = apigateway.create_rest_api(
                name=api_name(ctx.name), description="Items API of the full-stack lab",
                endpointConfiguration={"types": ["REGIONAL"]}, tags=ctx.tags,
            )
            made.physical_id = api["id"]
            made.arn = f"arn:aws:apigateway:{ctx.region}::/restapis/{api['id']}"
        changed = True
    api_id = api["id"]
    resources = _resources(ctx, api_id)
    for parent, part, path in (("/", "items", "/items"), ("/items", "{id}", "/items/{id}")):
        if path not in resources:
            resources[path] = apigateway.create_resource(restApiId=api_id, parentId=resources[parent]["id"], pathPart=part)
            changed = True

    uri = integration_uri(ctx.region, function_arn)
    for path, method in ROUTES:
        resource_id = resources[path]["id"]
        existing = _missing(apigateway.get_method, restApiId=api_id, resourceId=resource_id, httpMethod=method)
        if existing is None:
            parameters = {"method.request.path.id": True} if "{id}" in path else {}
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                  authorizationType="NONE", requestParameters=parameters)
            existing, changed = {}, True
        integration = existing.get("methodIntegration") or {}
        if integration.get("type") != "AWS_PROXY" or integration.get("uri") != uri:
            apigateway.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                       type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
            changed = True
    for path, allowed in CORS_METHODS.items():
        changed |= _ensure_cors(ctx, api_id, resources[path]["id"], allowed)

    _ensure_permission(ctx, lambda_, api_id)
    if changed or _missing(apigateway.get_stage, restApiId=api_id, stageName=STAGE) is None:
        apigateway.create_deployment(restApiId=api_id, stageName=STAGE, description="Deployed by the lab")
    ctx.outputs.update({"api_id": api_id, "stage": STAGE})
    ctx.outputs["api_url"] = public_api_url(ctx)


def cors_parameters(origin: str, methods: str) -> dict:
    return {
        "method.response.header.Access-Control-Allow-Origin": f"'{origin}'",
        "method.response.header.Access-Control-Allow-Methods": f"'{methods}'",
        "method.response.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }


def _ensure_cors(ctx: Context, api_id: str, resource_id: str, methods: str) -> bool:
    """An OPTIONS method answering the browser's preflight for the website's origin."""
    apigateway = ctx.clients.apigateway
    wanted = cors_parameters(ctx.website_origin, methods)
    changed = False
    existing = _missing(apigateway.get_method, restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS")
    if existing is None:
        apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", authorizationType="NONE")
        existing, changed = {}, True
    integration = existing.get("methodIntegration") or {}
    if integration.get("type") != "MOCK":
        apigateway.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", type="MOCK",
                                   requestTemplates={"application/json": '{"statusCode": 200}'})
        integration, changed = {}, True
    if "200" not in (existing.get("methodResponses") or {}):
        apigateway.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS", statusCode="200",
                                       responseParameters={name: False for name in wanted})
        changed = True
    current = ((integration.get("integrationResponses") or {}).get("200") or {}).get("responseParameters") or {}
    if any(current.get(name) != value for name, value in wanted.items()):
        apigateway.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS",
                                            statusCode="200", responseParameters=wanted,
                                            responseTemplates={"application/json": ""})
        changed = True
    return changed


def _policy_statements(lambda_, function: str) -> list[dict]:
    policy = _missing(lambda_.get_policy, FunctionName=function)
    return _as_list(json.loads(policy["Policy"]).get("Statement", [])) if policy else []


def _ensure_permission(ctx: Context, lambda_, api_id: str) -> None:
    function = function_name(ctx.name)
    wanted = source_arn(ctx, api_id)
    for statement in _policy_statements(lambda_, function):
        if statement.get("Sid") == PERMISSION_ID:
            if json.dumps(statement.get("Condition", {})).find(wanted) != -1:
                return
            lambda_.remove_permission(FunctionName=function, StatementId=PERMISSION_ID)
    with ctx.creating("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"):
        lambda_.add_permission(FunctionName=function, StatementId=PERMISSION_ID, Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com", SourceArn=wanted)


def _invoke_allowed(statements: list[dict], api_id: str) -> bool:
    for statement in statements:
        principal = statement.get("Principal", {})
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else [principal]
        actions = _as_list(statement.get("Action", []))
        if statement.get("Effect") != "Allow" or "apigateway.amazonaws.com" not in services:
            continue
        if not {"lambda:InvokeFunction", "lambda:*"} & set(actions):
            continue
        condition = statement.get("Condition", {})
        arns = [arn for test in condition.values() for arn in _as_list(test.get("AWS:SourceArn", []))]
        if not arns or any(f":{api_id}/" in arn or arn.endswith(f":{api_id}") for arn in arns):
            return True
    return False


def check_api(ctx: Context) -> CheckResult:
    apigateway = ctx.clients.apigateway
    function = function_name(ctx.name)
    current = _missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The function {function} is missing: do step 2 first.")
    function_arn = current["Configuration"]["FunctionArn"]
    api = _find_api(ctx)
    if api is None:
        return CheckResult.failed(f"There is no REST API named {api_name(ctx.name)}. Create a REST API (not an HTTP API) "
                                  "with that name.")
    api_id = api["id"]
    resources = _resources(ctx, api_id)
    for path in ("/items", "/items/{id}"):
        if path not in resources:
            return CheckResult.failed(f"The API has no {path} resource. Create it"
                                      + (" under /items, with the path part {id}." if "{id}" in path else " under /."))
    for path, method in ROUTES:
        existing = _missing(apigateway.get_method, restApiId=api_id, resourceId=resources[path]["id"], httpMethod=method)
        if existing is None:
            return CheckResult.failed(f"{path} has no {method} method. Add it, integrated with the function.")
        integration = existing.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind is None:
            return CheckResult.failed(f"{method} {path} has no integration: connect it to the function as a Lambda "
                                      "proxy integration.")
        if kind != "AWS_PROXY":
            return CheckResult.failed(
                f"{method} {path} uses a {kind} integration, not a Lambda proxy integration (AWS_PROXY). The function "
                "reads the whole HTTP request and returns its own status code and headers, which only a proxy "
                "integration passes through: turn on \"Use Lambda proxy integration\".")
        if function_arn not in (integration.get("uri") or ""):
            return CheckResult.failed(f"{method} {path} invokes {integration.get('uri')}, not the function {function}.")
    if not _invoke_allowed(_policy_statements(ctx.clients.lambda_, function), api_id):
        return CheckResult.failed(
            f"The function exists but API Gateway has no permission to invoke it: add a resource-based policy for "
            f"apigateway.amazonaws.com (lambda:InvokeFunction) with source ARN {source_arn(ctx, api_id)}.")
    for path, methods in CORS_METHODS.items():
        options = _missing(apigateway.get_method, restApiId=api_id, resourceId=resources[path]["id"], httpMethod="OPTIONS")
        if options is None:
            return CheckResult.failed(
                f"No CORS on {path}: the browser's preflight (OPTIONS {path}) finds no method, so the website at "
                f"{ctx.website_origin} cannot call the API. Enable CORS on {path} for that origin.")
        response = ((options.get("methodIntegration") or {}).get("integrationResponses") or {}).get("200") or {}
        allowed = (response.get("responseParameters") or {}).get("method.response.header.Access-Control-Allow-Origin")
        if allowed not in (f"'{ctx.website_origin}'", "'*'"):
            return CheckResult.failed(
                f"The CORS preflight on {path} allows the origin {allowed or 'none'}, not the website's "
                f"{ctx.website_origin}: set Access-Control-Allow-Origin to '{ctx.website_origin}'.")
    variables = current["Configuration"].get("Environment", {}).get("Variables", {})
    if variables.get("ALLOWED_ORIGIN") != ctx.website_origin:
        return CheckResult.failed(
            f"The preflight allows {ctx.website_origin}, but the function answers with Access-Control-Allow-Origin "
            f"{variables.get('ALLOWED_ORIGIN')!r}, so the browser would drop its responses: set its ALLOWED_ORIGIN.")
    stage = _missing(apigateway.get_stage, restApiId=api_id, stageName=STAGE)
    if stage is None:
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
    files = []
    for name in SITE_FILES:
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        files.append((name, (SITES_DIR / "fullstack" / name).read_bytes(), content_type))
    files.append(("config.js", config_js(api_url), "text/javascript; charset=utf-8"))
    return files


def public_read_policy(bucket: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicReadForWebsite", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}


def apply_website(ctx: Context) -> None:
    s3 = ctx.clients.s3
    if "api_id" not in ctx.outputs:
        api = _find_api(ctx)
        if api is None:
            raise StepBlocked(f"The API {api_name(ctx.name)} does not exist yet: do step 3 first.")
        ctx.outputs.update({"api_id": api["id"], "stage": STAGE})
    api_url = public_api_url(ctx)
    bucket = bucket_name(ctx.name, ctx.account_id)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if not is_not_found(error):
            raise
        with ctx.creating("s3:bucket", bucket, bucket) as made:
            options = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
            s3.create_bucket(Bucket=bucket, **options)
            made.arn = f"arn:aws:s3:::{bucket}"
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ctx.tag_list()})
    # New buckets block public access; a website bucket must let everyone read its objects.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "index.html"}})
    for key, body, content_type in website_files(api_url):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl="no-cache")
    ctx.outputs["bucket"] = bucket
    ctx.outputs["website_url"] = f"http://{bucket}.s3-website-{ctx.region}.amazonaws.com/"


def check_website(ctx: Context) -> CheckResult:
    s3 = ctx.clients.s3
    bucket = bucket_name(ctx.name, ctx.account_id)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if is_not_found(error):
            return CheckResult.failed(f"There is no S3 bucket named {bucket}. Create it in {ctx.region}.")
        raise
    website = _missing(s3.get_bucket_website, Bucket=bucket)
    if website is None:
        return CheckResult.failed(f"Static website hosting is off for {bucket}. Turn it on with index.html as the "
                                  "index document.")
    index = website.get("IndexDocument", {}).get("Suffix")
    if index != "index.html":
        return CheckResult.failed(f"The website's index document is {index!r}; set it to index.html.")
    for key in SITE_FILES + ("config.js",):
        head = _missing(s3.head_object, Bucket=bucket, Key=key)
        if head is None:
            return CheckResult.failed(f"{key} is not in the bucket. Upload the lab's website files: "
                                      "index.html, app.css, app.js and config.js.")
        expected = (mimetypes.guess_type(key)[0] or "").split("/")[-1]
        if expected and expected not in head.get("ContentType", ""):
            return CheckResult.failed(f"{key} is stored as {head.get('ContentType')!r}, so browsers will not use it "
                                      f"as {expected}. Upload it again with Content-Type {mimetypes.guess_type(key)[0]}.")
    policy = _missing(s3.get_bucket_policy, Bucket=bucket)
    statements = _as_list(json.loads(policy["Policy"]).get("Statement", [])) if policy else []
    if not any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
               and "s3:GetObject" in _as_list(s.get("Action", [])) for s in statements):
        return CheckResult.failed(f"The bucket is not readable by everyone, so its website answers 403 Forbidden. Add a "
                                  f"bucket policy allowing s3:GetObject on arn:aws:s3:::{bucket}/* to Principal \"*\".")
    api = _find_api(ctx)
    if api is None:
        return CheckResult.failed(f"The API {api_name(ctx.name)} is missing: do step 3 first.")
    ctx.outputs.update({"api_id": api["id"], "stage": STAGE})
    expected_url = public_api_url(ctx)
    config = s3.get_object(Bucket=bucket, Key="config.js")["Body"].read().decode("utf-8", "replace")
    if json.dumps(expected_url) not in config:
        return CheckResult.failed(f"config.js does not point the app at your API. It should set apiUrl to {expected_url}.")
    ctx.outputs["bucket"] = bucket
    ctx.outputs["website_url"] = f"http://{bucket}.s3-website-{ctx.region}.amazonaws.com/"
    return CheckResult.passed(f"Bucket {bucket} hosts the website (index.html, app.css, app.js, config.js) and "
                              "points it at the API.", Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"))


# Verify: the deployed system, end to end over HTTP -----------------------------------------

def _json(result):
    try:
        return result.json()
    except ValueError:
        return None


def verify_website(ctx: Context) -> CheckResult:
    page = ctx.deployment.website("/")
    if page.status != 200 or "text/html" not in page.content_type:
        return CheckResult.failed(f"The website's / answered {page.status} ({page.content_type or 'no content type'}), "
                                  "not the index page.")
    if b'id="items-app"' not in page.body:
        return CheckResult.failed("The website's index page is not the lab's app (no items-app element).")
    return CheckResult.passed(f"The website serves its index page ({len(page.body)} bytes of text/html).")


def verify_create(ctx: Context) -> CheckResult:
    title = f"Verify {ctx.name.prefix}"
    created = ctx.deployment.api("POST", "/items", json_body={"title": title})
    body = _json(created)
    if created.status != 201 or not isinstance(body, dict) or "id" not in body:
        return CheckResult.failed(f"POST /items answered {created.status}: {created.body[:300].decode('utf-8', 'replace')}")
    stored = ctx.clients.dynamodb.get_item(TableName=table_name(ctx.name), Key={"id": {"S": body["id"]}}).get("Item")
    if not stored or stored.get("title", {}).get("S") != title:
        return CheckResult.failed(f"POST /items answered 201 with id {body['id']}, but the table has no such item.")
    ctx.scratch["item"] = body
    return CheckResult.passed(f"POST /items created item {body['id']} (201), and it is in the table.")


def verify_list(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    listed = ctx.deployment.api("GET", "/items", headers={"Origin": ctx.website_origin})
    body = _json(listed) or {}
    ids = [entry.get("id") for entry in body.get("items", [])] if isinstance(body, dict) else []
    if listed.status != 200 or item["id"] not in ids:
        return CheckResult.failed(f"GET /items answered {listed.status} without the new item.")
    origin = listed.headers.get("access-control-allow-origin")
    if origin != ctx.website_origin:
        return CheckResult.failed(f"GET /items lists the item, but answers Access-Control-Allow-Origin {origin!r}, "
                                  f"so the browser at {ctx.website_origin} cannot read it.")
    return CheckResult.passed(f"GET /items lists it ({len(ids)} item(s)), readable from {ctx.website_origin}.")


def verify_get(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    got = ctx.deployment.api("GET", f"/items/{item['id']}")
    body = _json(got)
    if got.status != 200 or not isinstance(body, dict) or body.get("title") != item["title"]:
        return CheckResult.failed(f"GET /items/{item['id']} answered {got.status}: {got.body[:300].decode('utf-8', 'replace')}")
    return CheckResult.passed(f"GET /items/{item['id']} returns it.")


def verify_delete(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    deleted = ctx.deployment.api("DELETE", f"/items/{item['id']}")
    if deleted.status != 204:
        return CheckResult.failed(f"DELETE /items/{item['id']} answered {deleted.status}, not 204.")
    again = ctx.deployment.api("GET", f"/items/{item['id']}")
    if again.status != 404:
        return CheckResult.failed(f"After DELETE, GET /items/{item['id']} answered {again.status}, not 404.")
    stored = ctx.clients.dynamodb.get_item(TableName=table_name(ctx.name), Key={"id": {"S": item["id"]}}).get("Item")
    if stored:
        return CheckResult.failed("DELETE answered 204, but the item is still in the table.")
    return CheckResult.passed("DELETE removes it (204); the table no longer has it and GET now answers 404.")


def verify_bad_input(ctx: Context) -> CheckResult:
    for label, body in (("a malformed body", b"{not json"), ("a missing title", b'{"done": false}')):
        answer = ctx.deployment.api("POST", "/items", raw_body=body, headers={"Content-Type": "application/json"})
        error = (_json(answer) or {}) if answer.body else {}
        if answer.status != 400 or not isinstance(error, dict) or "error" not in error:
            return CheckResult.failed(f"POST /items with {label} answered {answer.status}, not 400 with a JSON error"
                                      + (" (a 502 means the function raised)" if answer.status == 502 else "") + ".")
    return CheckResult.passed("A malformed body and a missing title each get 400 with a JSON error, not a 502.")


def verify_cors(ctx: Context) -> CheckResult:
    preflight = ctx.deployment.api("OPTIONS", "/items", headers={
        "Origin": ctx.website_origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    allowed = preflight.headers.get("access-control-allow-origin")
    methods = preflight.headers.get("access-control-allow-methods", "")
    if preflight.status >= 300 or allowed not in (ctx.website_origin, "*") or "POST" not in methods:
        return CheckResult.failed(f"The CORS preflight for {ctx.website_origin} answered {preflight.status} with "
                                  f"Allow-Origin {allowed!r} and Allow-Methods {methods!r}.")
    return CheckResult.passed(f"The CORS preflight answers for {ctx.website_origin} (methods {methods}).")


INSTRUCTIONS_DIR = Path(__file__).parent / "fullstack_text"


def _instructions(name: str) -> str:
    return (INSTRUCTIONS_DIR / f"{name}.md").read_text()


LAB = Lab(
    slug="fullstack",
    title="A full-stack serverless web app",
    summary="Put a single-page app in S3, give it a REST API with API Gateway and Lambda, keep its data in DynamoDB.",
    use_case=_instructions("use_case"),
    services=("Amazon S3", "Amazon API Gateway", "AWS Lambda", "Amazon DynamoDB", "AWS IAM"),
    minutes=25,
    aws_cost="Well under US$0.01 a run: each service bills per request or per GB, and the AWS Free Tier covers it.",
    diagram="labs/diagrams/fullstack.svg",
    parts={"browser": "Browser", "website": "S3 website", "api": "API Gateway", "function": "Lambda",
           "role": "IAM role", "table": "DynamoDB"},
    steps=(
        Step("table", "Create the DynamoDB table", "Where the items live: on-demand, keyed by id.",
             _instructions("step_table"), apply_table, check_table, parts=("table",)),
        Step("function", "Deploy the Lambda function", "The code behind the API, with a role that may use just the table.",
             _instructions("step_function"), apply_function, check_function, parts=("function", "role")),
        Step("api", "Build the REST API", "/items routes as Lambda proxy integrations, the invoke permission, CORS, a stage.",
             _instructions("step_api"), apply_api, check_api, parts=("api",)),
        Step("website", "Publish the website", "An S3 bucket with website hosting, serving the app.",
             _instructions("step_website"), apply_website, check_website, parts=("website",)),
    ),
    verify=(
        VerifyCheck("website", "The website serves its index page", verify_website),
        VerifyCheck("create", "POST creates an item that lands in the table", verify_create),
        VerifyCheck("list", "GET lists it, readable from the website's origin", verify_list),
        VerifyCheck("get", "GET by id returns it", verify_get),
        VerifyCheck("delete", "DELETE removes it", verify_delete),
        VerifyCheck("bad-input", "Bad bodies get 400, never 502", verify_bad_input),
        VerifyCheck("cors", "The CORS preflight answers for the website", verify_cors),
    ),
    sam_template=Path(__file__).parent / "fullstack.sam.yaml",
    variables=variables,
    functions=(FUNCTION_SOURCE,),
)
