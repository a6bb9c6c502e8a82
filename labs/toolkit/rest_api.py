"""A REST API (API Gateway v1) whose routes are Lambda proxy integrations, with CORS preflights
for the website's origin, deployed to a stage; and the checks that read it back."""

from labs.engine.lab import Context
from labs.toolkit.calls import missing

CORS_HEADERS = "Content-Type"


def integration_uri(region: str, function_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def source_arn(region: str, account_id: str, api_id: str) -> str:
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/*"


def find_api(apigateway, name: str) -> dict | None:
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page.get("items", []):
            if api.get("name") == name:
                return api
    return None


def resources(apigateway, api_id: str) -> dict:
    paginator = apigateway.get_paginator("get_resources")
    return {item["path"]: item for page in paginator.paginate(restApiId=api_id) for item in page.get("items", [])}


def ensure_api(ctx: Context, name: str, description: str) -> tuple[dict, bool]:
    """The REST API named ``name``, created (recorded first) if missing; (api, created)."""
    apigateway = ctx.clients.apigateway
    api = find_api(apigateway, name)
    if api is not None:
        return api, False
    with ctx.creating("apigateway:rest-api", name) as made:
        api = apigateway.create_rest_api(name=name, description=description,
                                         endpointConfiguration={"types": ["REGIONAL"]}, tags=ctx.tags)
        made.physical_id = api["id"]
        made.arn = f"arn:aws:apigateway:{ctx.region}::/restapis/{api['id']}"
    return api, True


def ensure_resources(ctx: Context, api_id: str, paths: tuple[str, ...]) -> tuple[dict, bool]:
    """Every resource of ``paths`` (parents first); (path -> resource, whether any was created)."""
    apigateway = ctx.clients.apigateway
    found, changed = resources(apigateway, api_id), False
    for path in sorted(paths, key=lambda p: p.count("/")):
        if path not in found:
            parent, _, part = path.rpartition("/")
            found[path] = apigateway.create_resource(restApiId=api_id, parentId=found[parent or "/"]["id"],
                                                     pathPart=part)
            changed = True
    return found, changed


def ensure_proxy_routes(ctx: Context, api_id: str, found: dict, routes: tuple[tuple[str, str], ...],
                        function_arn: str) -> bool:
    """Each (path, method) integrated with the function as a Lambda proxy; whether anything changed."""
    apigateway, changed = ctx.clients.apigateway, False
    uri = integration_uri(ctx.region, function_arn)
    for path, method in routes:
        resource_id = found[path]["id"]
        existing = missing(apigateway.get_method, restApiId=api_id, resourceId=resource_id, httpMethod=method)
        if existing is None:
            parameters = {f"method.request.path.{part[1:-1]}": True for part in path.split("/") if part.startswith("{")}
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                  authorizationType="NONE", requestParameters=parameters)
            existing, changed = {}, True
        integration = existing.get("methodIntegration") or {}
        if integration.get("type") != "AWS_PROXY" or integration.get("uri") != uri:
            apigateway.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                       type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
            changed = True
    return changed


def cors_parameters(origin: str, methods: str) -> dict:
    return {
        "method.response.header.Access-Control-Allow-Origin": f"'{origin}'",
        "method.response.header.Access-Control-Allow-Methods": f"'{methods}'",
        "method.response.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }


def ensure_cors(ctx: Context, api_id: str, resource_id: str, methods: str) -> bool:
    """An OPTIONS method answering the browser's preflight for the website's origin."""
    apigateway = ctx.clients.apigateway
    wanted = cors_parameters(ctx.website_origin, methods)
    changed = False
    existing = missing(apigateway.get_method, restApiId=api_id, resourceId=resource_id, httpMethod="OPTIONS")
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


def ensure_stage(ctx: Context, api_id: str, stage: str, changed: bool) -> None:
    """Deploy to ``stage`` when something changed or the stage does not exist."""
    apigateway = ctx.clients.apigateway
    if changed or missing(apigateway.get_stage, restApiId=api_id, stageName=stage) is None:
        apigateway.create_deployment(restApiId=api_id, stageName=stage, description="Deployed by the lab")


def routes_problem(apigateway, api_id: str, found: dict, routes, function_arn: str, function: str) -> str:
    """What keeps each (path, method) from reaching the function as a proxy integration; "" if nothing."""
    for path in dict.fromkeys(path for path, _ in routes):
        if path not in found:
            parent, _, part = path.rpartition("/")
            return f"The API has no {path} resource. Create it under {parent or '/'}" + (
                f", with the path part {part}." if part.startswith("{") else ".")
    for path, method in routes:
        existing = missing(apigateway.get_method, restApiId=api_id, resourceId=found[path]["id"], httpMethod=method)
        if existing is None:
            return f"{path} has no {method} method. Add it, integrated with the function."
        integration = existing.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind is None:
            return f"{method} {path} has no integration: connect it to the function as a Lambda proxy integration."
        if kind != "AWS_PROXY":
            return (f"{method} {path} uses a {kind} integration, not a Lambda proxy integration (AWS_PROXY). The "
                    "function reads the whole HTTP request and returns its own status code and headers, which only "
                    "a proxy integration passes through: turn on \"Use Lambda proxy integration\".")
        if function_arn not in (integration.get("uri") or ""):
            return f"{method} {path} invokes {integration.get('uri')}, not the function {function}."
    return ""


def cors_problem(apigateway, api_id: str, found: dict, cors_methods: dict, origin: str) -> str:
    for path in cors_methods:
        options = missing(apigateway.get_method, restApiId=api_id, resourceId=found[path]["id"], httpMethod="OPTIONS")
        if options is None:
            return (f"No CORS on {path}: the browser's preflight (OPTIONS {path}) finds no method, so the website at "
                    f"{origin} cannot call the API. Enable CORS on {path} for that origin.")
        response = ((options.get("methodIntegration") or {}).get("integrationResponses") or {}).get("200") or {}
        allowed = (response.get("responseParameters") or {}).get("method.response.header.Access-Control-Allow-Origin")
        if allowed not in (f"'{origin}'", "'*'"):
            return (f"The CORS preflight on {path} allows the origin {allowed or 'none'}, not the website's "
                    f"{origin}: set Access-Control-Allow-Origin to '{origin}'.")
    return ""
