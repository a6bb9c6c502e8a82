"""Mistakes a learner makes in the secured-API lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

from labs.catalog.securedapi import steps
from labs.catalog.securedapi.graphql_step import find_graphql
from labs.catalog.securedapi.names import GROUP, api_name, function_name, graphql_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit import rest_api
from labs.toolkit.functions import wait_updated


def open_route(ctx: Context) -> None:
    """GET /me loses its authorizer (authorization NONE) and the API is deployed again."""
    apigateway = ctx.clients.apigateway
    api_id = rest_api.find_api(apigateway, api_name(ctx.name))["id"]
    resource = rest_api.resources(apigateway, api_id)["/me"]
    apigateway.update_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "NONE"}])
    apigateway.create_deployment(restApiId=api_id, stageName="prod")


def no_admin_group(ctx: Context) -> None:
    """The function loses ADMIN_GROUP, so it lets nobody into /admin."""
    ctx.clients.lambda_.update_function_configuration(FunctionName=function_name(ctx.name),
                                                      Environment={"Variables": {}})
    wait_updated(ctx, function_name(ctx.name))


def no_group(ctx: Context) -> None:
    pool = steps.find_pool(ctx)
    ctx.clients["cognito-idp"].delete_group(UserPoolId=pool["Id"], GroupName=GROUP)


def no_api_key_mode(ctx: Context) -> None:
    """The GraphQL API keeps only the user pool: the public notice needs a sign-in."""
    appsync = ctx.clients.appsync
    api = find_graphql(appsync, graphql_name(ctx.name))
    appsync.update_graphql_api(apiId=api["apiId"], name=api["name"], authenticationType="AMAZON_COGNITO_USER_POOLS",
                               userPoolConfig=api["userPoolConfig"], additionalAuthenticationProviders=[])


CASES = (
    Sabotage("open-route", "GET /me has no authorizer", open_route,
             (("rest", "does not use the Cognito authorizer"), ("verify:no-token", "the function did"))),
    Sabotage("no-admin-group", "The function does not know which group /admin needs", no_admin_group,
             (("function", "environment variable ADMIN_GROUP is None"), ("verify:group", "Is ADMIN_GROUP set"))),
    Sabotage("no-group", f"The pool has no {GROUP} group", no_group,
             (("users", f"no group named {GROUP}"),)),
    Sabotage("no-api-key-mode", "The GraphQL API accepts no API key", no_api_key_mode,
             (("graphql", "has no API_KEY authorization mode"), ("verify:public", "The notice query with the API key "
                                                                                 "answered 401"))),
)

