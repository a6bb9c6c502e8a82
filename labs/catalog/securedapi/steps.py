"""The secured-API lab's first three steps: the user pool (with its app client and group), the
function that reads the caller's claims, and the REST API whose routes use a Cognito authorizer.
The GraphQL steps are in ``graphql_step``."""

from pathlib import Path

from labs.catalog.securedapi.names import (
    AUTHORIZER, CLIENT_FLOWS, FUNCTION_POLICY, FUNCTION_SOURCE, GROUP, HANDLER, PERMISSION_ID, ROUTES, RUNTIME, STAGE,
    TOKEN_MINUTES, api_name, client_name, function_name, pool_name, role_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam, rest_api
from labs.toolkit.calls import missing
from labs.toolkit.functions import (
    configuration_problem, deploy_function, ensure_invoke_permission, policy_statements, service_may_invoke,
)

FOLDER = Path(__file__).parent


def idp(ctx: Context):
    return ctx.clients["cognito-idp"]


def find_pool(ctx: Context) -> dict | None:
    """The user pool named like the lab's, described (with its Arn), or None."""
    wanted = pool_name(ctx.name)
    for page in idp(ctx).get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page.get("UserPools", []):
            if pool.get("Name") == wanted:
                return idp(ctx).describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    return None


def find_client(ctx: Context, pool_id: str) -> dict | None:
    wanted = client_name(ctx.name)
    for page in idp(ctx).get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page.get("UserPoolClients", []):
            if client.get("ClientName") == wanted:
                return idp(ctx).describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    return None


def client_settings(ctx: Context) -> dict:
    return {"ClientName": client_name(ctx.name), "ExplicitAuthFlows": list(CLIENT_FLOWS),
            "AccessTokenValidity": TOKEN_MINUTES, "IdTokenValidity": TOKEN_MINUTES,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes"},
            "PreventUserExistenceErrors": "ENABLED"}


def _pool_outputs(ctx: Context, pool: dict, client: dict) -> None:
    ctx.outputs.update({"pool_id": pool["Id"], "pool_arn": pool["Arn"], "client_id": client["ClientId"]})


# Step 1: the user pool, its app client and its group ---------------------------------------

def apply_users(ctx: Context) -> None:
    pool = find_pool(ctx)
    if pool is None:
        with ctx.creating("cognito-idp:user-pool", pool_name(ctx.name)) as made:
            pool = idp(ctx).create_user_pool(
                PoolName=pool_name(ctx.name), UserPoolTags=ctx.tags, MfaConfiguration="OFF",
                Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": False, "RequireLowercase": True,
                                             "RequireNumbers": True, "RequireSymbols": False}},
                AdminCreateUserConfig={"AllowAdminCreateUserOnly": False})["UserPool"]
            made.physical_id, made.arn = pool["Id"], pool["Arn"]
    client = find_client(ctx, pool["Id"])
    if client is None:
        client = idp(ctx).create_user_pool_client(UserPoolId=pool["Id"], GenerateSecret=False,
                                                  **client_settings(ctx))["UserPoolClient"]
    elif set(client.get("ExplicitAuthFlows") or []) != set(CLIENT_FLOWS):
        idp(ctx).update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"], **client_settings(ctx))
    if missing(idp(ctx).get_group, UserPoolId=pool["Id"], GroupName=GROUP) is None:
        idp(ctx).create_group(UserPoolId=pool["Id"], GroupName=GROUP, Description="May call GET /admin")
    _pool_outputs(ctx, pool, client)


def check_users(ctx: Context) -> CheckResult:
    pool = find_pool(ctx)
    if pool is None:
        return CheckResult.failed(f"There is no Cognito user pool named {pool_name(ctx.name)} in {ctx.region}. "
                                  "Create one (sign-in with a user name, self sign-up allowed).")
    client = find_client(ctx, pool["Id"])
    if client is None:
        return CheckResult.failed(f"The pool has no app client named {client_name(ctx.name)}. Add one without a "
                                  "client secret (a browser or phone app cannot keep a secret).")
    if client.get("ClientSecret"):
        return CheckResult.failed(f"The app client {client_name(ctx.name)} has a client secret: every sign-in "
                                  "would then need a SECRET_HASH. Make a public client (no secret).")
    flows = set(client.get("ExplicitAuthFlows") or [])
    if "ALLOW_USER_PASSWORD_AUTH" not in flows:
        return CheckResult.failed(f"The app client allows {sorted(flows) or 'no flows'}: add ALLOW_USER_PASSWORD_AUTH "
                                  "(and ALLOW_REFRESH_TOKEN_AUTH), the flow the run page signs in with.")
    if missing(idp(ctx).get_group, UserPoolId=pool["Id"], GroupName=GROUP) is None:
        return CheckResult.failed(f"The pool has no group named {GROUP}. Create it: GET /admin is for its members.")
    _pool_outputs(ctx, pool, client)
    return CheckResult.passed(
        f"User pool {pool_name(ctx.name)} ({pool['Id']}) has the public app client {client_name(ctx.name)} with "
        f"USER_PASSWORD_AUTH and the group {GROUP}.",
        Found("cognito-idp:user-pool", pool_name(ctx.name), pool["Id"], pool["Arn"]))


# Step 2: the function and its role ---------------------------------------------------------

def function_policy(region: str, account_id: str, function: str) -> dict:
    # The function reads what API Gateway hands it; it calls no AWS service, so: its logs, nothing else.
    return {"Version": "2012-10-17", "Statement": [iam.logs_statement(region, account_id, function)]}


def function_environment() -> dict:
    return {"ADMIN_GROUP": GROUP}


def apply_function(ctx: Context) -> None:
    role, function = role_name(ctx.name), function_name(ctx.name)
    role_arn = iam.ensure_execution_role(
        ctx, role=role, description="Execution role of the secured-API lab's claims function",
        policy_name=FUNCTION_POLICY, policy=function_policy(ctx.region, ctx.account_id, function))
    deploy_function(ctx, function=function, folder=FOLDER / "functions" / FUNCTION_SOURCE,
                    description="Returns the caller's claims (secured-API lab)", wanted={
                        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLER, "Timeout": 10, "MemorySize": 128,
                        "Environment": {"Variables": function_environment()}})
    ctx.outputs["function"] = function


def check_function(ctx: Context) -> CheckResult:
    role, function = role_name(ctx.name), function_name(ctx.name)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"There is no Lambda function named {function}. Create it ({RUNTIME}, handler "
                                  f"{HANDLER}) from the lab's claims code, with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLER, role_arn=found_role["Arn"], role=role,
                                    environment=function_environment())
    if problem:
        return CheckResult.failed(problem)
    if config.get("State", "Active") != "Active":
        return CheckResult.failed(f"The function is {config.get('State')}, not Active yet: check again in a moment.")
    ctx.outputs["function"] = function
    log_group = f"/aws/lambda/{function}"
    return CheckResult.passed(
        f"Function {function} ({RUNTIME}) is Active, runs as {role} and knows the group {GROUP}.",
        Found("iam:role", role, role, found_role["Arn"]),
        Found("lambda:function", function, function, config["FunctionArn"]),
        Found("logs:log-group", log_group, log_group))


# Step 3: the REST API and its Cognito authorizer -------------------------------------------

def _sample_call(ctx: Context, api_id: str) -> str:
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api_id}/{STAGE}/GET/me"


def find_authorizer(apigateway, api_id: str) -> dict | None:
    return next((a for a in apigateway.get_authorizers(restApiId=api_id).get("items", []) if a.get("name") == AUTHORIZER),
                None)


def ensure_authorizer(ctx: Context, api_id: str, pool_arn: str) -> tuple[str, bool]:
    apigateway = ctx.clients.apigateway
    found = find_authorizer(apigateway, api_id)
    if found is None:
        return apigateway.create_authorizer(restApiId=api_id, name=AUTHORIZER, type="COGNITO_USER_POOLS",
                                            providerARNs=[pool_arn],
                                            identitySource="method.request.header.Authorization")["id"], True
    if found.get("providerARNs") != [pool_arn] or found.get("type") != "COGNITO_USER_POOLS":
        # An authorizer in use cannot be deleted: take it off the routes first (they are put back after).
        for path, method in ROUTES:
            resource = rest_api.resources(apigateway, api_id).get(path)
            got = resource and missing(apigateway.get_method, restApiId=api_id, resourceId=resource["id"],
                                       httpMethod=method)
            if got and got.get("authorizerId") == found["id"]:
                apigateway.delete_method(restApiId=api_id, resourceId=resource["id"], httpMethod=method)
        apigateway.delete_authorizer(restApiId=api_id, authorizerId=found["id"])
        return ensure_authorizer(ctx, api_id, pool_arn)
    return found["id"], False


def ensure_secured_routes(ctx: Context, api_id: str, found: dict, authorizer_id: str, function_arn: str) -> bool:
    """GET /me and GET /admin: Cognito-authorized methods with a Lambda proxy integration."""
    apigateway, changed = ctx.clients.apigateway, False
    uri = rest_api.integration_uri(ctx.region, function_arn)
    for path, method in ROUTES:
        resource_id = found[path]["id"]
        existing = missing(apigateway.get_method, restApiId=api_id, resourceId=resource_id, httpMethod=method)
        if existing is not None and (existing.get("authorizationType") != "COGNITO_USER_POOLS"
                                     or existing.get("authorizerId") != authorizer_id):
            apigateway.delete_method(restApiId=api_id, resourceId=resource_id, httpMethod=method)
            existing = None
        if existing is None:
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                  authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer_id)
            existing, changed = {}, True
        integration = existing.get("methodIntegration") or {}
        if integration.get("type") != "AWS_PROXY" or integration.get("uri") != uri:
            apigateway.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                       type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
            changed = True
    return changed


def apply_rest(ctx: Context) -> None:
    function = function_name(ctx.name)
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        raise StepBlocked(f"The function {function} does not exist yet: do step 2 first.")
    pool = find_pool(ctx)
    if pool is None:
        raise StepBlocked(f"The user pool {pool_name(ctx.name)} does not exist yet: do step 1 first.")
    api, changed = rest_api.ensure_api(ctx, api_name(ctx.name), "Secured API of the secured-API lab")
    api_id = api["id"]
    found, created = rest_api.ensure_resources(ctx, api_id, tuple(path for path, _ in ROUTES))
    authorizer_id, made = ensure_authorizer(ctx, api_id, pool["Arn"])
    changed |= created | made
    changed |= ensure_secured_routes(ctx, api_id, found, authorizer_id, current["Configuration"]["FunctionArn"])
    ensure_invoke_permission(ctx, function=function, statement_id=PERMISSION_ID, service="apigateway.amazonaws.com",
                             source_arn=rest_api.source_arn(ctx.region, ctx.account_id, api_id),
                             sample_source=_sample_call(ctx, api_id))
    rest_api.ensure_stage(ctx, api_id, STAGE, changed)
    ctx.outputs.update({"api_id": api_id, "stage": STAGE, "api_url": ctx.public_api_base(api_id, STAGE)})


def authorizer_problem(apigateway, api_id: str, found: dict, pool: dict) -> str:
    authorizer = find_authorizer(apigateway, api_id)
    if authorizer is None:
        return (f"The API has no authorizer named {AUTHORIZER}. Create a Cognito user pool authorizer "
                f"(COGNITO_USER_POOLS) for the pool {pool['Id']}, token source the Authorization header.")
    if authorizer.get("type") != "COGNITO_USER_POOLS":
        return f"The authorizer {AUTHORIZER} is of type {authorizer.get('type')}, not COGNITO_USER_POOLS."
    if pool["Arn"] not in (authorizer.get("providerARNs") or []):
        return (f"The authorizer {AUTHORIZER} trusts {authorizer.get('providerARNs')}, not the lab's user pool "
                f"{pool['Arn']}: tokens from your pool would be refused.")
    if (authorizer.get("identitySource") or "").lower() != "method.request.header.authorization":
        return (f"The authorizer reads the token from {authorizer.get('identitySource')}; the lab's callers send it "
                "in the Authorization header (method.request.header.Authorization).")
    for path, method in ROUTES:
        got = missing(apigateway.get_method, restApiId=api_id, resourceId=found[path]["id"], httpMethod=method)
        if got is None:
            return f"{path} has no {method} method. Add it, integrated with the function."
        if got.get("authorizationType") != "COGNITO_USER_POOLS" or got.get("authorizerId") != authorizer["id"]:
            return (f"{method} {path} does not use the Cognito authorizer (authorization is "
                    f"{got.get('authorizationType')}): anyone could call it. Set its authorization to {AUTHORIZER} "
                    "and deploy again.")
    return ""


def check_rest(ctx: Context) -> CheckResult:
    apigateway, function = ctx.clients.apigateway, function_name(ctx.name)
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The function {function} is missing: do step 2 first.")
    pool = find_pool(ctx)
    if pool is None:
        return CheckResult.failed(f"The user pool {pool_name(ctx.name)} is missing: do step 1 first.")
    api = rest_api.find_api(apigateway, api_name(ctx.name))
    if api is None:
        return CheckResult.failed(f"There is no REST API named {api_name(ctx.name)}. Create a REST API (not an HTTP "
                                  "API) with that name.")
    api_id = api["id"]
    found = rest_api.resources(apigateway, api_id)
    problem = rest_api.routes_problem(apigateway, api_id, found, ROUTES, current["Configuration"]["FunctionArn"],
                                      function) or authorizer_problem(apigateway, api_id, found, pool)
    if problem:
        return CheckResult.failed(problem)
    if not service_may_invoke(policy_statements(ctx.clients.lambda_, function), "apigateway.amazonaws.com",
                              _sample_call(ctx, api_id)):
        return CheckResult.failed(
            f"The function exists but API Gateway has no permission to invoke it: add a resource-based policy for "
            f"apigateway.amazonaws.com (lambda:InvokeFunction) with source ARN "
            f"{rest_api.source_arn(ctx.region, ctx.account_id, api_id)}.")
    if missing(apigateway.get_stage, restApiId=api_id, stageName=STAGE) is None:
        return CheckResult.failed(f"The API is not deployed: deploy it to a stage named {STAGE}.")
    ctx.outputs.update({"api_id": api_id, "stage": STAGE, "api_url": ctx.public_api_base(api_id, STAGE)})
    return CheckResult.passed(
        f"REST API {api_name(ctx.name)}: GET /me and GET /admin go through the Cognito authorizer {AUTHORIZER} "
        f"to the function, which API Gateway may invoke; deployed to {STAGE}.",
        Found("apigateway:rest-api", api_name(ctx.name), api_id),
        Found("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"))
