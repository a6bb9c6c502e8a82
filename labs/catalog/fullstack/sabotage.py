"""Mistakes a learner makes in the full-stack lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.fullstack import steps
from labs.catalog.fullstack.names import PERMISSION_ID, POLICY_NAME, function_name, role_name, table_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit.functions import wait_updated


def drop_put_item(ctx: Context) -> None:
    table_arn = ctx.clients.dynamodb.describe_table(TableName=table_name(ctx.name))["Table"]["TableArn"]
    policy = steps.table_policy(table_arn, ctx.region, ctx.account_id, function_name(ctx.name))
    policy["Statement"][0]["Action"].remove("dynamodb:PutItem")
    ctx.clients.iam.put_role_policy(RoleName=role_name(ctx.name), PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))


def _configure(ctx: Context, **settings) -> None:
    ctx.clients.lambda_.update_function_configuration(FunctionName=function_name(ctx.name), **settings)
    wait_updated(ctx, function_name(ctx.name))


def wrong_handler(ctx: Context) -> None:
    _configure(ctx, Handler="lambda_function.lambda_handler")  # the console's default


def missing_table_variable(ctx: Context) -> None:
    variables = dict(steps.function_environment(ctx))
    del variables["TABLE_NAME"]
    _configure(ctx, Environment={"Variables": variables})


def no_invoke_permission(ctx: Context) -> None:
    ctx.clients.lambda_.remove_permission(FunctionName=function_name(ctx.name), StatementId=PERMISSION_ID)


CASES = (
    Sabotage("drop-put-item", "The execution role loses dynamodb:PutItem", drop_put_item,
             # The check reads the policy; the verify proves it: the function, running as its role in
             # the sandbox (MiniStack AUTH=true), gets AccessDenied writing the item.
             (("function", "does not allow dynamodb:PutItem"), ("verify:create", "AccessDenied"))),
    Sabotage("wrong-handler", "The handler is the console's default, not app.handler", wrong_handler,
             (("function", "so the handler must be app.handler"),)),
    Sabotage("missing-environment", "The function has no TABLE_NAME", missing_table_variable,
             (("function", "environment variable TABLE_NAME is None"),)),
    Sabotage("no-invoke-permission", "API Gateway may not invoke the function", no_invoke_permission,
             (("api", "API Gateway has no permission to invoke it"),)),
)
