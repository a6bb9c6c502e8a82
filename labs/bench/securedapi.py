"""How much the lab engine costs for the secured-API lab: a bare boto3 script against the
engine's automatic run.

The baseline (:func:`baseline_securedapi`) makes the lab's calls with nothing around them: deploy
(user pool, app client, group; the function's role and the function; the REST API with its
Cognito authorizer, two routes, the invoke permission, a stage; the table and AppSync's role; the
GraphQL API with its key, schema, three data sources and four resolvers), the verify's requests
(two sign-ups and sign-ins, the REST calls with no, forged and good tokens, the GraphQL calls with
a token, none, a forged one and the API key), and teardown. The engine side is an automatic run
started as the site starts one and timed from enqueue to cleaned while a real ``db_worker`` does
all of it with its checks, events and ledger. Rounds alternate which goes first.

    python manage.py lab bench --lab securedapi --rounds 3
"""

import json
import os
import sys
import time


from labs import aws
from labs.bench.fullstack import _timed
from labs.catalog.securedapi import LAB, graphql_step, steps, users
from labs.catalog.securedapi.names import APPSYNC_JS, CLIENT_FLOWS, GROUP, RESOLVERS
from labs.engine.endpoints import graphql_call, token_call
from labs.engine.lab import function_zip
from labs.toolkit import iam, rest_api


def _deploy(c, target, prefix: str, region: str, account_id: str) -> dict:
    idp, apigw, appsync = c["cognito-idp"], c["apigateway"], c["appsync"]
    pool = idp.create_user_pool(PoolName=f"{prefix}-users", Policies={"PasswordPolicy": {
        "MinimumLength": 10, "RequireLowercase": True, "RequireNumbers": True, "RequireUppercase": False,
        "RequireSymbols": False}})["UserPool"]
    client_id = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName=f"{prefix}-web", GenerateSecret=False,
                                            ExplicitAuthFlows=list(CLIENT_FLOWS))["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool["Id"], GroupName=GROUP)
    role, function = f"{prefix}-role", f"{prefix}-fn"
    role_arn = c["iam"].create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=role, PolicyName="logs",
                             PolicyDocument=json.dumps(steps.function_policy(region, account_id, function)))
    function_arn = c["lambda"].create_function(
        FunctionName=function, Runtime="python3.12", Handler="app.handler", Role=role_arn, Timeout=10, MemorySize=128,
        Code={"ZipFile": function_zip(LAB.function_folder("claims"))},
        Environment={"Variables": steps.function_environment()})["FunctionArn"]
    while c["lambda"].get_function(FunctionName=function)["Configuration"]["State"] != "Active":
        time.sleep(0.05)
    api_id = apigw.create_rest_api(name=f"{prefix}-api", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    authorizer = apigw.create_authorizer(restApiId=api_id, name="users", type="COGNITO_USER_POOLS",
                                         providerARNs=[pool["Arn"]],
                                         identitySource="method.request.header.Authorization")["id"]
    for part in ("me", "admin"):
        resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                         authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer)
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=rest_api.integration_uri(region, function_arn))
    c["lambda"].add_permission(FunctionName=function, StatementId="apigw", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               SourceArn=rest_api.source_arn(region, account_id, api_id))
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    table = f"{prefix}-notes"
    table_arn = c["dynamodb"].create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    data_role = f"{prefix}-appsync"
    data_role_arn = c["iam"].create_role(RoleName=data_role, AssumeRolePolicyDocument=json.dumps(
        graphql_step.APPSYNC_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=data_role, PolicyName="data",
                             PolicyDocument=json.dumps(graphql_step.data_policy(table_arn, function_arn)))
    graphql = appsync.create_graphql_api(
        name=f"{prefix}-gql", authenticationType="AMAZON_COGNITO_USER_POOLS",
        userPoolConfig={"userPoolId": pool["Id"], "awsRegion": region, "defaultAction": "ALLOW"},
        additionalAuthenticationProviders=[{"authenticationType": "API_KEY"}])["graphqlApi"]
    key = appsync.create_api_key(apiId=graphql["apiId"], expires=(int(time.time()) // 3600 + 168) * 3600)["apiKey"]["id"]
    appsync.start_schema_creation(apiId=graphql["apiId"], definition=graphql_step.schema_text().encode())
    while appsync.get_schema_creation_status(apiId=graphql["apiId"])["status"] not in ("SUCCESS", "FAILED"):
        time.sleep(0.05)
    appsync.create_data_source(apiId=graphql["apiId"], name="notes", type="AMAZON_DYNAMODB", serviceRoleArn=data_role_arn,
                               dynamodbConfig={"tableName": table, "awsRegion": region})
    appsync.create_data_source(apiId=graphql["apiId"], name="claims", type="AWS_LAMBDA", serviceRoleArn=data_role_arn,
                               lambdaConfig={"lambdaFunctionArn": function_arn})
    appsync.create_data_source(apiId=graphql["apiId"], name="public", type="NONE")
    for type_name, field, source in RESOLVERS:
        code = {} if source == "claims" else {"runtime": APPSYNC_JS, "code": graphql_step.resolver_code(field)}
        appsync.create_resolver(apiId=graphql["apiId"], typeName=type_name, fieldName=field, dataSourceName=source, **code)
    return {"pool": pool["Id"], "client": client_id, "role": role, "function": function, "api": api_id, "table": table,
            "data_role": data_role, "graphql": graphql["apiId"], "graphql_url": graphql["uris"]["GRAPHQL"], "key": key}


def _verify(c, target, d: dict) -> None:
    idp = c["cognito-idp"]
    tokens = {}
    for username, groups in (("member", ()), ("admin", (GROUP,))):
        password = f"Bench-{os.urandom(4).hex()}-7q"
        users.sign_up(idp, d["client"], username, password)
        users.confirm(idp, d["pool"], username)
        for group in groups:
            idp.admin_add_user_to_group(UserPoolId=d["pool"], Username=username, GroupName=group)
        tokens[username] = users.sign_in(idp, d["client"], username, password)

    def rest(path, token=""):
        return token_call(target, d["api"], "prod", "GET", path, token=token).status

    def gql(query, token="", key=""):
        return graphql_call(target, d["graphql"], d["graphql_url"], query, token=token, api_key=key)

    member = tokens["member"]["IdToken"]
    assert rest("/me") == 401
    assert rest("/admin", users.tampered(member, **{"cognito:groups": [GROUP]})) == 401
    assert rest("/me", users.tampered(member, exp=9999999999)) == 401 and rest("/me", "not-a-token") == 401
    assert rest("/me", member) == 200 and rest("/me", tokens["member"]["AccessToken"]) == 200
    assert rest("/admin", member) == 403 and rest("/admin", tokens["admin"]["IdToken"]) == 200
    added = gql('mutation { addNote(text: "bench") { id text author } }', member).json()["data"]["addNote"]
    assert any(i["id"]["S"] == added["id"] for i in c["dynamodb"].scan(TableName=d["table"])["Items"])
    assert added["id"] in {n["id"] for n in gql("{ listNotes { id } }", member).json()["data"]["listNotes"]}
    assert gql("{ whoAmI { sub } }", member).json()["data"]["whoAmI"]["sub"]
    assert gql("{ listNotes { id } }").status == 401
    gql("{ listNotes { id } }", users.tampered(member, sub="x"))
    assert gql("{ notice { message } }", key=d["key"]).json()["data"]["notice"]["message"]
    gql('mutation { addNote(text: "k") { id } }', key=d["key"])


def _teardown(c, d: dict) -> None:
    c["appsync"].delete_graphql_api(apiId=d["graphql"])
    c["iam"].delete_role_policy(RoleName=d["data_role"], PolicyName="data")
    c["iam"].delete_role(RoleName=d["data_role"])
    c["dynamodb"].delete_table(TableName=d["table"])
    c["apigateway"].delete_rest_api(restApiId=d["api"])
    c["lambda"].delete_function(FunctionName=d["function"])
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{d['function']}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    c["iam"].delete_role_policy(RoleName=d["role"], PolicyName="logs")
    c["iam"].delete_role(RoleName=d["role"])
    c["cognito-idp"].delete_user_pool(UserPoolId=d["pool"])


def baseline_securedapi(endpoint_url: str, account_id: str, region: str = "us-east-1") -> dict:
    """Deploy, call and tear down the secured API with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in
         ("cognito-idp", "iam", "lambda", "apigateway", "dynamodb", "appsync", "logs")}
    prefix = f"bench-{int(time.time() * 1000) % 10**8:08d}"
    phases, started = {}, time.perf_counter()
    deployed = _deploy(c, target, prefix, region, account_id)
    started = _timed(phases, "deploy", started)
    _verify(c, target, deployed)
    started = _timed(phases, "verify", started)
    _teardown(c, deployed)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases


def run_securedapi_bench(*, rounds: int, out=sys.stdout) -> dict:
    """The shared alternation (labs.bench.fullstack.run_bench) with this lab's bare script."""
    from labs.bench.fullstack import run_bench

    return run_bench(rounds=rounds, out=out, slug="securedapi", limit_seconds=None, engine_timeout=90.0,
                     baseline_fn=lambda url, account, region, origin: baseline_securedapi(url, account, region))
