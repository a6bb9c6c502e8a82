"""Mistakes made around a SAM deployment, and what the grader must say about each (run by
tests/labs/test_self_test.py against the local sandbox)."""


from labs.catalog.sam import steps, template
from labs.catalog.sam.names import CAPABILITIES, stack_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit import stacks
from labs.toolkit.functions import wait_updated


def _function(ctx: Context) -> str:
    return stacks.resources(ctx.clients.cloudformation, stack_name(ctx.name))["ItemsFunction"]["PhysicalResourceId"]


def package_deleted(ctx: Context) -> None:
    ctx.clients.s3.delete_object(Bucket=ctx.outputs["artifacts_bucket"], Key=ctx.outputs["package_key"])


def handler_drift(ctx: Context) -> None:
    function = _function(ctx)
    ctx.clients.lambda_.update_function_configuration(FunctionName=function, Handler="lambda_function.lambda_handler")
    wait_updated(ctx, function)


def table_deleted_by_hand(ctx: Context) -> None:
    table = stacks.resources(ctx.clients.cloudformation, stack_name(ctx.name))["ItemsTable"]["PhysicalResourceId"]
    ctx.clients.dynamodb.delete_table(TableName=table)


def update_that_works(ctx: Context) -> None:
    """A good update (a new description) instead of the broken one: the stack ends UPDATE_COMPLETE."""
    packaged, _ = steps.packaged_template(ctx)
    packaged["Resources"]["ItemsFunction"]["Properties"]["Description"] = "Items API, version 1.1"
    ctx.clients.cloudformation.update_stack(
        StackName=stack_name(ctx.name), TemplateBody=template.body(packaged), Capabilities=CAPABILITIES,
        Parameters=template.parameters(ctx.website_origin), Tags=ctx.tag_list())
    stacks.wait_stack(ctx, stack_name(ctx.name))
    wait_updated(ctx, _function(ctx))


CASES = (
    Sabotage("package-deleted", "The function's package is deleted from the artifacts bucket", package_deleted,
             (("package", "The function's package is missing"),)),
    Sabotage("handler-drift", "The function's handler is changed by hand, outside CloudFormation", handler_drift,
             (("deploy", "changed outside CloudFormation (drift)"), ("verify:outputs", "GET /items"))),
    Sabotage("table-deleted", "The stack's table is deleted by hand", table_deleted_by_hand,
             (("deploy", "DynamoDB has no such table"),)),
    Sabotage("update-succeeds", "The update works, so nothing rolls back", update_that_works,
             (("rollback", "its last update succeeded"),)),
)
