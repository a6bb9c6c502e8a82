"""Mistakes a learner makes in the workflow lab, and what the grader must say about each
(run by tests/labs/test_self_test.py against the local sandbox)."""

import json

from labs.catalog.workflow import steps
from labs.catalog.workflow.names import MACHINE_POLICY, definition, machine_arn, machine_role_name
from labs.engine.lab import Context, Sabotage
from labs.toolkit.functions import wait_updated


def invoke_any_function(ctx: Context) -> None:
    policy = steps.machine_policy(ctx)
    policy["Statement"][0]["Resource"] = "*"  # the console's quick fix for AccessDenied
    ctx.clients.iam.put_role_policy(RoleName=machine_role_name(ctx.name), PolicyName=MACHINE_POLICY,
                                    PolicyDocument=json.dumps(policy))


def _redefine(ctx: Context, change) -> None:
    changed = definition(ctx.name, ctx.region, ctx.account_id)
    change(changed["States"])
    ctx.clients.stepfunctions.update_state_machine(stateMachineArn=machine_arn(ctx.region, ctx.account_id, ctx.name),
                                                   definition=json.dumps(changed))


def no_retry(ctx: Context) -> None:
    _redefine(ctx, lambda states: states["ProcessOrder"]["Branches"][1]["States"]["ChargePayment"].pop("Retry"))


def no_catch(ctx: Context) -> None:
    _redefine(ctx, lambda states: states["ProcessOrder"].pop("Catch"))


def wrong_handler(ctx: Context) -> None:
    function = ctx.name("charge-payment")
    ctx.clients.lambda_.update_function_configuration(FunctionName=function, Handler="lambda_function.lambda_handler")
    wait_updated(ctx, function)


CASES = (
    Sabotage("invoke-any-function", "The state machine's role may invoke every function (Resource *)",
             invoke_any_function, (("role", "may invoke functions beyond the lab's six"),)),
    Sabotage("no-retry", "ChargePayment has no Retry", no_retry,
             # The check reads the definition; the verify runs it: the flaky payment now fails the order.
             (("machine", "ChargePayment has no Retry"), ("verify:retries", "should be retried and SUCCEED"))),
    Sabotage("no-catch", "The Parallel state has no Catch, so nothing compensates", no_catch,
             (("machine", "has no Catch that goes to ReleaseStock"),
              ("verify:compensation", "Check the Parallel state's Catch"))),
    Sabotage("wrong-handler", "The payment function's handler is the console's default", wrong_handler,
             (("functions", "so the handler must be app.charge_payment"),)),
)
