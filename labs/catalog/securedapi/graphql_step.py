"""The secured-API lab's GraphQL steps: the notes table with the role AppSync uses to reach it and
the function, then the AppSync API (user pool as the default mode, API key as an extra one), its
schema, data sources and resolvers."""

import json
import re
import time
from pathlib import Path

from botocore.exceptions import ClientError

from labs.aws import error_code
from labs.catalog.securedapi.names import (
    API_KEY_DAYS, APPSYNC_JS, DATA_POLICY, DATA_SOURCES, RESOLVERS, TABLE_ACTIONS, api_key_description, data_role_name,
    function_name, graphql_name, pool_name, table_name,
)
from labs.catalog.securedapi.steps import find_pool
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam, tables
from labs.toolkit.calls import as_list, document, missing, wait_until

FOLDER = Path(__file__).parent / "graphql"
APPSYNC_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "appsync.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
FIELDS = ("listNotes", "whoAmI", "notice", "addNote")


def schema_text() -> str:
    return (FOLDER / "schema.graphql").read_text()


def resolver_code(field: str) -> str:
    return (FOLDER / f"{field}.js").read_text()


def _arns(ctx: Context) -> tuple[str | None, str | None]:
    table = missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name))
    function = missing(ctx.clients.lambda_.get_function, FunctionName=function_name(ctx.name))
    return (table["Table"]["TableArn"] if table else None,
            function["Configuration"]["FunctionArn"] if function else None)


def data_policy(table_arn: str, function_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "NotesTable", "Effect": "Allow", "Action": list(TABLE_ACTIONS), "Resource": table_arn},
        {"Sid": "ClaimsResolver", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": [function_arn, f"{function_arn}:*"]}]}


# Step 4: the notes table and AppSync's role ------------------------------------------------

def apply_notes(ctx: Context) -> None:
    _, function_arn = _arns(ctx)
    if function_arn is None:
        raise StepBlocked(f"The function {function_name(ctx.name)} does not exist yet: do step 2 first.")
    table_arn = tables.ensure_table(ctx, table_name(ctx.name))
    role = data_role_name(ctx.name)
    client = ctx.clients.iam
    if missing(client.get_role, RoleName=role) is None:
        with ctx.creating("iam:role", role, role) as made:
            made.arn = client.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(APPSYNC_TRUST),
                                          Description="AppSync's role for the secured-API lab's data sources",
                                          Tags=ctx.tag_list())["Role"]["Arn"]
    with ctx.creating("iam:role-policy", f"{role}/{DATA_POLICY}", f"{role}/{DATA_POLICY}"):
        client.put_role_policy(RoleName=role, PolicyName=DATA_POLICY,
                               PolicyDocument=json.dumps(data_policy(table_arn, function_arn)))
    ctx.outputs["table"] = table_name(ctx.name)


def check_notes(ctx: Context) -> CheckResult:
    table_arn, function_arn = _arns(ctx)
    if function_arn is None:
        return CheckResult.failed(f"The function {function_name(ctx.name)} is missing: do step 2 first.")
    result = tables.check_table(ctx, table_name(ctx.name), used_by="the GraphQL resolvers")
    if not result.ok:
        return result
    role = data_role_name(ctx.name)
    found = missing(ctx.clients.iam.get_role, RoleName=role)
    if found is None:
        return CheckResult.failed(f"There is no IAM role named {role}. AppSync needs one to reach the table and the "
                                  "function (trusted entity: appsync.amazonaws.com).")
    trust = document(found["Role"].get("AssumeRolePolicyDocument"))
    services = {service for s in as_list(trust.get("Statement", [])) if s.get("Effect") == "Allow"
                for service in as_list((s.get("Principal") or {}).get("Service", []))}
    if "appsync.amazonaws.com" not in services:
        return CheckResult.failed(f"The role {role} does not trust appsync.amazonaws.com, so AppSync cannot use it.")
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    absent = [action for action in TABLE_ACTIONS if not iam.allows(statements, action, table_arn)]
    if absent:
        return CheckResult.failed(f"The role {role} does not allow {', '.join(absent)} on {table_arn}: the resolvers "
                                  f"would get AccessDenied. Allow {', '.join(TABLE_ACTIONS)} on the table.")
    if iam.allows(statements, "dynamodb:DeleteTable", table_arn) or iam.allows(statements, "dynamodb:PutItem", "*"):
        return CheckResult.failed(f"The role {role} grants more than the resolvers use: keep it to "
                                  f"{', '.join(TABLE_ACTIONS)} on {table_arn} (least privilege).")
    if not iam.allows(statements, "lambda:InvokeFunction", function_arn):
        return CheckResult.failed(f"The role {role} does not allow lambda:InvokeFunction on {function_arn}: the "
                                  "whoAmI resolver could not call the function.")
    ctx.outputs["table"] = table_name(ctx.name)
    return CheckResult.passed(
        f"Table {table_name(ctx.name)} is ready, and AppSync's role {role} may write and scan it and invoke the "
        "function, nothing more.",
        Found("dynamodb:table", table_name(ctx.name), table_name(ctx.name), table_arn),
        Found("iam:role", role, role, found["Role"]["Arn"]))


# Step 5: the GraphQL API ---------------------------------------------------------------------

def find_graphql(appsync, name: str) -> dict | None:
    for page in appsync.get_paginator("list_graphql_apis").paginate():
        for api in page.get("graphqlApis", []):
            if api.get("name") == name:
                return api
    return None


def api_settings(ctx: Context, pool_id: str) -> dict:
    return {"authenticationType": "AMAZON_COGNITO_USER_POOLS",
            "userPoolConfig": {"userPoolId": pool_id, "awsRegion": ctx.region, "defaultAction": "ALLOW"},
            "additionalAuthenticationProviders": [{"authenticationType": "API_KEY"}]}


def live_api_key(appsync, api_id: str) -> dict | None:
    """A key of the API valid for at least another hour."""
    keys = appsync.list_api_keys(apiId=api_id).get("apiKeys", [])
    return next((key for key in keys if int(key.get("expires", 0)) > time.time() + 3600), None)


def current_schema(appsync, api_id: str) -> str:
    try:
        got = missing(appsync.get_introspection_schema, apiId=api_id, format="SDL", includeDirectives=True)
    except ClientError as error:
        if error_code(error) in ("GraphQLSchemaException", "BadRequestException"):  # no schema yet
            return ""
        raise
    return got["schema"].read().decode("utf-8", "replace") if got else ""


def schema_problem(sdl: str) -> str:
    if not sdl:
        return "The API has no schema: upload the lab's schema.graphql."
    absent = [field for field in FIELDS if not re.search(rf"\b{field}\b", sdl)]
    if absent:
        return f"The schema has no {', '.join(absent)}: upload the lab's schema.graphql."
    if not re.search(r"\bnotice\b[^\n]*@aws_api_key", sdl):
        return ("Query.notice has no @aws_api_key directive: with the user pool as the default mode, a field "
                "without it refuses API-key callers. Mark notice (and its type Notice) @aws_api_key "
                "@aws_cognito_user_pools.")
    if re.search(r"\baddNote\b[^\n]*@aws_api_key", sdl) or re.search(r"\blistNotes\b[^\n]*@aws_api_key", sdl):
        return "addNote or listNotes is marked @aws_api_key: anyone holding the public key could read or write notes."
    return ""


def _data_source_wanted(ctx: Context, name: str, role_arn: str, table_arn: str, function_arn: str) -> dict:
    if name == "notes":
        return {"type": "AMAZON_DYNAMODB", "serviceRoleArn": role_arn,
                "dynamodbConfig": {"tableName": table_name(ctx.name), "awsRegion": ctx.region}}
    if name == "claims":
        return {"type": "AWS_LAMBDA", "serviceRoleArn": role_arn, "lambdaConfig": {"lambdaFunctionArn": function_arn}}
    return {"type": "NONE"}


def _differs(have: dict, wanted: dict) -> bool:
    return any(have.get(key) != value if not isinstance(value, dict)
               else any((have.get(key) or {}).get(k) != v for k, v in value.items()) for key, value in wanted.items())


def _resolver_wanted(type_name: str, field: str, source: str) -> dict:
    if source == "claims":  # a direct Lambda resolver: no code, AppSync sends the standard event
        return {"dataSourceName": source}
    return {"dataSourceName": source, "runtime": APPSYNC_JS, "code": resolver_code(field)}


def apply_graphql(ctx: Context) -> None:
    appsync = ctx.clients.appsync
    pool = find_pool(ctx)
    table_arn, function_arn = _arns(ctx)
    role = missing(ctx.clients.iam.get_role, RoleName=data_role_name(ctx.name))
    if pool is None or function_arn is None or table_arn is None or role is None:
        raise StepBlocked("The user pool, the function, the table or AppSync's role is missing: do steps 1, 2 and 4 "
                          "first.")
    settings = api_settings(ctx, pool["Id"])
    api = find_graphql(appsync, graphql_name(ctx.name))
    if api is None:
        with ctx.creating("appsync:graphql-api", graphql_name(ctx.name)) as made:
            api = appsync.create_graphql_api(name=graphql_name(ctx.name), tags=ctx.tags, **settings)["graphqlApi"]
            made.physical_id, made.arn = api["apiId"], api["arn"]
    elif _differs(api, settings):
        appsync.update_graphql_api(apiId=api["apiId"], name=graphql_name(ctx.name), **settings)
    api_id = api["apiId"]
    if live_api_key(appsync, api_id) is None:
        expires = (int(time.time()) // 3600 + 24 * API_KEY_DAYS) * 3600  # AWS rounds down to the hour
        appsync.create_api_key(apiId=api_id, description=api_key_description(ctx.name), expires=expires)
    if schema_problem(current_schema(appsync, api_id)):
        appsync.start_schema_creation(apiId=api_id, definition=schema_text().encode())
        wait_until(lambda: appsync.get_schema_creation_status(apiId=api_id)["status"] in ("SUCCESS", "ACTIVE", "FAILED"),
                   "the schema to compile")
        status = appsync.get_schema_creation_status(apiId=api_id)
        if status["status"] == "FAILED":
            raise StepBlocked(f"AppSync refused the schema: {status.get('details')}")
    for name in DATA_SOURCES:
        wanted = _data_source_wanted(ctx, name, role["Role"]["Arn"], table_arn, function_arn)
        have = missing(appsync.get_data_source, apiId=api_id, name=name)
        if have is None:
            appsync.create_data_source(apiId=api_id, name=name, **wanted)
        elif _differs(have["dataSource"], wanted):
            appsync.update_data_source(apiId=api_id, name=name, **wanted)
    for type_name, field, source in RESOLVERS:
        wanted = _resolver_wanted(type_name, field, source)
        have = missing(appsync.get_resolver, apiId=api_id, typeName=type_name, fieldName=field)
        if have is None:
            appsync.create_resolver(apiId=api_id, typeName=type_name, fieldName=field, **wanted)
        elif _differs(have["resolver"], wanted):
            appsync.update_resolver(apiId=api_id, typeName=type_name, fieldName=field, **wanted)
    ctx.outputs.update({"graphql_id": api_id, "graphql_url": api.get("uris", {}).get("GRAPHQL", "")})


def graphql_problem(ctx: Context, appsync, api: dict, pool: dict, role_arn: str, table_arn: str,
                    function_arn: str) -> str:
    api_id = api["apiId"]
    if api.get("authenticationType") != "AMAZON_COGNITO_USER_POOLS":
        return (f"The API's default authorization mode is {api.get('authenticationType')}, not the Cognito user pool "
                "(AMAZON_COGNITO_USER_POOLS).")
    if (api.get("userPoolConfig") or {}).get("userPoolId") != pool["Id"]:
        return (f"The API trusts the user pool {(api.get('userPoolConfig') or {}).get('userPoolId')}, not the lab's "
                f"{pool['Id']} ({pool_name(ctx.name)}).")
    extra = [p.get("authenticationType") for p in api.get("additionalAuthenticationProviders") or []]
    if "API_KEY" not in extra:
        return ("The API has no API_KEY authorization mode besides the user pool, so the public notice cannot be "
                "read without signing in. Add API key as an additional authorization mode.")
    if live_api_key(appsync, api_id) is None:
        return "The API has no API key valid for another hour: create one (it expires after 7 days by default)."
    problem = schema_problem(current_schema(appsync, api_id))
    if problem:
        return problem
    for name in DATA_SOURCES:
        have = missing(appsync.get_data_source, apiId=api_id, name=name)
        wanted = _data_source_wanted(ctx, name, role_arn, table_arn, function_arn)
        if have is None or _differs(have["dataSource"], wanted):
            return f"The data source {name} is missing or not as the lab needs it: {wanted['type']}" + (
                f" with the role {data_role_name(ctx.name)}" if "serviceRoleArn" in wanted else "") + "."
    for type_name, field, source in RESOLVERS:
        have = missing(appsync.get_resolver, apiId=api_id, typeName=type_name, fieldName=field)
        if have is None:
            return f"{type_name}.{field} has no resolver: attach one to the data source {source}."
        if have["resolver"].get("dataSourceName") != source:
            return f"{type_name}.{field} resolves through {have['resolver'].get('dataSourceName')}, not {source}."
        if source != "claims" and (have["resolver"].get("runtime") or {}).get("name") != "APPSYNC_JS":
            return f"{type_name}.{field} is not an APPSYNC_JS resolver: use the lab's {field}.js."
    return ""


def check_graphql(ctx: Context) -> CheckResult:
    appsync = ctx.clients.appsync
    pool = find_pool(ctx)
    table_arn, function_arn = _arns(ctx)
    role = missing(ctx.clients.iam.get_role, RoleName=data_role_name(ctx.name))
    if pool is None or function_arn is None or table_arn is None or role is None:
        return CheckResult.failed("The user pool, the function, the table or AppSync's role is missing: do steps 1, 2 "
                                  "and 4 first.")
    api = find_graphql(appsync, graphql_name(ctx.name))
    if api is None:
        return CheckResult.failed(f"There is no AppSync GraphQL API named {graphql_name(ctx.name)}. Create it with "
                                  "the user pool as its default authorization mode and an API key as an extra one.")
    problem = graphql_problem(ctx, appsync, api, pool, role["Role"]["Arn"], table_arn, function_arn)
    if problem:
        return CheckResult.failed(problem)
    ctx.outputs.update({"graphql_id": api["apiId"], "graphql_url": api.get("uris", {}).get("GRAPHQL", "")})
    return CheckResult.passed(
        f"GraphQL API {graphql_name(ctx.name)}: user pool by default, API key for the public notice; notes in "
        "DynamoDB through APPSYNC_JS resolvers, whoAmI through the function.",
        Found("appsync:graphql-api", graphql_name(ctx.name), api["apiId"], api.get("arn", "")))
