"""The order fan-out lab's steps 4 to 6: the two queue consumers (functions, roles, event source
mappings with ReportBatchItemFailures), the POST /orders API that publishes to the topic, and the
cancellation (a custom EventBridge bus, a rule, its function). All four functions are one code
package (``functions/orders``) with a handler each."""

from pathlib import Path

from labs.catalog.fanout.names import (
    BATCH_SIZE, BATCHING_WINDOW, CANCELLED, CONSUMER_TIMEOUT, HANDLERS, ORDER_SOURCE, PERMISSION_ID, POLICY_NAME,
    QUEUE_ACTIONS, RULE_PERMISSION_ID, RUNTIME, STAGE, api_name, bus_name, function_name, queue_name, role_name,
    rule_name, table_name, topic_name,
)
from labs.catalog.fanout.steps import CONSUMERS
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import events, iam, messaging, rest_api
from labs.toolkit.calls import missing
from labs.toolkit.functions import (
    configuration_problem, deploy_function, ensure_invoke_permission, policy_statements, service_may_invoke,
)

FOLDER = Path(__file__).parent
CODE = FOLDER / "functions" / "orders"
ROUTES = (("/orders", "POST"),)
PATTERN = {"source": [ORDER_SOURCE], "detail-type": [CANCELLED]}
MAPPING = {"BatchSize": BATCH_SIZE, "MaximumBatchingWindowInSeconds": BATCHING_WINDOW,
           "FunctionResponseTypes": ["ReportBatchItemFailures"]}
TIMEOUTS = {"api": 10, "billing": CONSUMER_TIMEOUT, "shipping": CONSUMER_TIMEOUT, "cancel": 10}


def table_arn(ctx: Context, what: str) -> str:
    return f"arn:aws:dynamodb:{ctx.region}:{ctx.account_id}:table/{table_name(ctx.name, what)}"


def queue_arn(ctx: Context, what: str) -> str:
    return f"arn:aws:sqs:{ctx.region}:{ctx.account_id}:{queue_name(ctx.name, what)}"


def topic_arn(ctx: Context) -> str:
    return f"arn:aws:sns:{ctx.region}:{ctx.account_id}:{topic_name(ctx.name)}"


def grants(ctx: Context, what: str) -> list[tuple[tuple[str, ...], str]]:
    """(actions, resource) each function's role needs: least privilege."""
    if what in CONSUMERS:
        return [(QUEUE_ACTIONS, queue_arn(ctx, what)),
                (("dynamodb:PutItem", "dynamodb:UpdateItem"), table_arn(ctx, what))]
    if what == "api":
        return [(("sns:Publish",), topic_arn(ctx)), (("dynamodb:PutItem",), table_arn(ctx, "orders"))]
    return [(("dynamodb:UpdateItem",), table_arn(ctx, "orders"))]


def role_policy(ctx: Context, what: str) -> dict:
    statements = [{"Sid": f"Grant{index}", "Effect": "Allow", "Action": list(actions), "Resource": resource}
                  for index, (actions, resource) in enumerate(grants(ctx, what))]
    return {"Version": "2012-10-17",
            "Statement": statements + [iam.logs_statement(ctx.region, ctx.account_id, function_name(ctx.name, what))]}


def environment(ctx: Context, what: str) -> dict:
    if what in CONSUMERS:
        return {"TABLE_NAME": table_name(ctx.name, what)}
    if what == "api":
        return {"ORDERS_TABLE": table_name(ctx.name, "orders"), "TOPIC_ARN": topic_arn(ctx)}
    return {"ORDERS_TABLE": table_name(ctx.name, "orders")}


def deploy(ctx: Context, what: str, description: str) -> str:
    role, function = role_name(ctx.name, what), function_name(ctx.name, what)
    role_arn = iam.ensure_execution_role(ctx, role=role, description=f"Execution role of {function}",
                                         policy_name=POLICY_NAME, policy=role_policy(ctx, what))
    return deploy_function(ctx, function=function, folder=CODE, description=description, wanted={
        "Role": role_arn, "Runtime": RUNTIME, "Handler": HANDLERS[what], "Timeout": TIMEOUTS[what],
        "MemorySize": 128, "Environment": {"Variables": environment(ctx, what)}})


def check_function(ctx: Context, what: str) -> CheckResult:
    """The function's role (trusting Lambda, granting what it needs) and its configuration."""
    role, function = role_name(ctx.name, what), function_name(ctx.name, what)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    statements, _ = iam.role_statements(ctx.clients.iam, role)
    for actions, resource in grants(ctx, what):
        absent = [action for action in actions if not iam.allows(statements, action, resource)]
        if absent:
            return CheckResult.failed(f"The role {role} does not allow {', '.join(absent)} on {resource}, which "
                                      f"{function} needs. Add it to the role's policy (on that resource only).")
    current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
    if current is None:
        return CheckResult.failed(f"The role {role} is ready, but there is no Lambda function named {function}. "
                                  f"Create it ({RUNTIME}, handler {HANDLERS[what]}) with the role {role}.")
    config = current["Configuration"]
    problem = configuration_problem(config, runtime=RUNTIME, handler=HANDLERS[what], role_arn=found_role["Arn"],
                                    role=role, environment=environment(ctx, what))
    if problem:
        return CheckResult.failed(problem.replace("app.py and its entry point handler()",
                                                  f"app.py and its entry point {HANDLERS[what].split('.')[1]}()"))
    if config.get("State", "Active") != "Active":
        return CheckResult.failed(f"The function {function} is {config.get('State')}, not Active yet: check again.")
    group = f"/aws/lambda/{function}"
    return CheckResult.passed(f"{function} runs as {role}.", Found("iam:role", role, role, found_role["Arn"]),
                              Found("lambda:function", function, function, config["FunctionArn"]),
                              Found("logs:log-group", group, group))


def _all(results: list[CheckResult], message: str) -> CheckResult:
    return CheckResult.passed(message, *[found for result in results for found in result.found])


# Step 4: the consumers -------------------------------------------------------------------------

def apply_consumers(ctx: Context) -> None:
    sqs = ctx.clients.sqs
    for what in CONSUMERS:
        if missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name, what)) is None:
            raise StepBlocked(f"The table {table_name(ctx.name, what)} does not exist yet: do step 1 first.")
        if messaging.queue_url(sqs, queue_name(ctx.name, what)) is None:
            raise StepBlocked(f"The queue {queue_name(ctx.name, what)} does not exist yet: do step 2 first.")
    for what in CONSUMERS:
        deploy(ctx, what, f"Order {what} consumer of the fan-out lab")
        messaging.ensure_queue_mapping(ctx, function=function_name(ctx.name, what), queue=queue_name(ctx.name, what),
                                       queue_arn_=queue_arn(ctx, what), settings=MAPPING)


def check_consumers(ctx: Context) -> CheckResult:
    sqs, results = ctx.clients.sqs, []
    for what in CONSUMERS:
        if messaging.queue_url(sqs, queue_name(ctx.name, what)) is None:
            return CheckResult.failed(f"The queue {queue_name(ctx.name, what)} is missing: do step 2 first.")
    for what in CONSUMERS:
        result = check_function(ctx, what)
        if not result.ok:
            return result
        mapping = messaging.check_queue_mapping(ctx, function=function_name(ctx.name, what),
                                                queue=queue_name(ctx.name, what), queue_arn_=queue_arn(ctx, what),
                                                response_types=("ReportBatchItemFailures",))
        if not mapping.ok:
            return mapping
        results += [result, mapping]
    return _all(results, f"{function_name(ctx.name, 'billing')} and {function_name(ctx.name, 'shipping')} poll their "
                         "queues in batches and report each failed message (ReportBatchItemFailures).")


# Step 5: POST /orders --------------------------------------------------------------------------

def _sample_call(ctx: Context, api_id: str) -> str:
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api_id}/{STAGE}/POST/orders"


def apply_api(ctx: Context) -> None:
    if messaging.topic_arn(ctx.clients.sns, topic_name(ctx.name)) is None:
        raise StepBlocked(f"The topic {topic_name(ctx.name)} does not exist yet: do step 3 first.")
    if missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name, "orders")) is None:
        raise StepBlocked(f"The table {table_name(ctx.name, 'orders')} does not exist yet: do step 1 first.")
    function_arn = deploy(ctx, "api", "POST /orders of the fan-out lab: stores the order, publishes it")
    api, changed = rest_api.ensure_api(ctx, api_name(ctx.name), "Orders API of the fan-out lab")
    api_id = api["id"]
    found, created = rest_api.ensure_resources(ctx, api_id, ("/orders",))
    changed |= created
    changed |= rest_api.ensure_proxy_routes(ctx, api_id, found, ROUTES, function_arn)
    ensure_invoke_permission(ctx, function=function_name(ctx.name, "api"), statement_id=PERMISSION_ID,
                             service="apigateway.amazonaws.com",
                             source_arn=rest_api.source_arn(ctx.region, ctx.account_id, api_id),
                             sample_source=_sample_call(ctx, api_id))
    rest_api.ensure_stage(ctx, api_id, STAGE, changed)
    ctx.outputs.update({"api_id": api_id, "stage": STAGE, "api_url": ctx.public_api_base(api_id, STAGE)})


def check_api(ctx: Context) -> CheckResult:
    if messaging.topic_arn(ctx.clients.sns, topic_name(ctx.name)) is None:
        return CheckResult.failed(f"The topic {topic_name(ctx.name)} is missing: do step 3 first.")
    result = check_function(ctx, "api")
    if not result.ok:
        return result
    apigateway, function = ctx.clients.apigateway, function_name(ctx.name, "api")
    api = rest_api.find_api(apigateway, api_name(ctx.name))
    if api is None:
        return CheckResult.failed(f"There is no REST API named {api_name(ctx.name)}. Create a REST API (not an HTTP "
                                  "API) with that name.")
    api_id = api["id"]
    function_arn = result.found[1].arn
    problem = rest_api.routes_problem(apigateway, api_id, rest_api.resources(apigateway, api_id), ROUTES,
                                      function_arn, function)
    if problem:
        return CheckResult.failed(problem)
    if not service_may_invoke(policy_statements(ctx.clients.lambda_, function), "apigateway.amazonaws.com",
                              _sample_call(ctx, api_id)):
        return CheckResult.failed(
            f"API Gateway has no permission to invoke {function}: add a resource-based policy statement for "
            f"apigateway.amazonaws.com (lambda:InvokeFunction) with source ARN "
            f"{rest_api.source_arn(ctx.region, ctx.account_id, api_id)}.")
    if missing(apigateway.get_stage, restApiId=api_id, stageName=STAGE) is None:
        return CheckResult.failed(f"The API is not deployed: deploy it to a stage named {STAGE}.")
    ctx.outputs.update({"api_id": api_id, "stage": STAGE, "api_url": ctx.public_api_base(api_id, STAGE)})
    return CheckResult.passed(f"POST /orders on {api_name(ctx.name)} ({STAGE}) runs {function}, which may publish to "
                              "the topic.", *result.found, Found("apigateway:rest-api", api_name(ctx.name), api_id),
                              Found("lambda:permission", f"{function}/{PERMISSION_ID}", f"{function}/{PERMISSION_ID}"))


# Step 6: the cancellation ----------------------------------------------------------------------

def apply_cancellation(ctx: Context) -> None:
    if missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name, "orders")) is None:
        raise StepBlocked(f"The table {table_name(ctx.name, 'orders')} does not exist yet: do step 1 first.")
    function = function_name(ctx.name, "cancel")
    function_arn = deploy(ctx, "cancel", "Marks an order cancelled on an order.cancelled event (fan-out lab)")
    bus = bus_name(ctx.name)
    events.ensure_bus(ctx, bus)
    rule_arn = events.ensure_rule(ctx, bus=bus, rule=rule_name(ctx.name), pattern=PATTERN, target_id="cancel-order",
                                  target_arn=function_arn, description="order.cancelled events to the cancel function")
    ensure_invoke_permission(ctx, function=function, statement_id=RULE_PERMISSION_ID, service="events.amazonaws.com",
                             source_arn=rule_arn, sample_source=rule_arn)
    ctx.outputs["bus"] = bus


def check_cancellation(ctx: Context) -> CheckResult:
    if missing(ctx.clients.dynamodb.describe_table, TableName=table_name(ctx.name, "orders")) is None:
        return CheckResult.failed(f"The table {table_name(ctx.name, 'orders')} is missing: do step 1 first.")
    result = check_function(ctx, "cancel")
    if not result.ok:
        return result
    function, function_arn = function_name(ctx.name, "cancel"), result.found[1].arn
    bus, rule = bus_name(ctx.name), rule_name(ctx.name)
    routed = events.check_rule(ctx, bus=bus, rule=rule, pattern=PATTERN, target_arn=function_arn, function=function)
    if not routed.ok:
        return routed
    rule_arn = routed.found[1].arn
    if not service_may_invoke(policy_statements(ctx.clients.lambda_, function), "events.amazonaws.com", rule_arn):
        return CheckResult.failed(f"EventBridge has no permission to invoke {function}: add a resource-based policy "
                                  f"statement for events.amazonaws.com (lambda:InvokeFunction) with source ARN {rule_arn}.")
    ctx.outputs["bus"] = bus
    return CheckResult.passed(f"{CANCELLED} events from {ORDER_SOURCE} on {bus} reach {function}.", *result.found,
                              *routed.found, Found("lambda:permission", f"{function}/{RULE_PERMISSION_ID}",
                                                   f"{function}/{RULE_PERMISSION_ID}"))
