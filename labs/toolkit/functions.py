"""A Lambda function from a lab's ``functions/<name>/`` folder: zipped reproducibly, created or
brought up to date, waited for; its resource policy; and the configuration checks labs share."""

import json
import time
from pathlib import Path

from botocore.exceptions import ClientError

from labs.aws import error_code
from labs.engine.lab import Context, code_sha256, function_zip
from labs.toolkit.calls import as_list, matches, missing, wait_until

COMPARED = ("Role", "Runtime", "Handler", "MemorySize", "Timeout", "EphemeralStorage", "Environment", "Layers")


def configuration(config: dict) -> dict:
    """A function's configuration in the shape ``create_function`` takes, for comparison."""
    return {
        "Role": config.get("Role"), "Runtime": config.get("Runtime"), "Handler": config.get("Handler"),
        "MemorySize": config.get("MemorySize"), "Timeout": config.get("Timeout"),
        "EphemeralStorage": {"Size": (config.get("EphemeralStorage") or {}).get("Size", 512)},
        "Environment": {"Variables": (config.get("Environment") or {}).get("Variables", {})},
        "Layers": [layer["Arn"] for layer in config.get("Layers") or []],
    }


def deploy_function(ctx: Context, *, function: str, folder: Path, description: str, wanted: dict,
                    wait: bool = True) -> str:
    """Create ``function`` from ``folder`` with the settings in ``wanted`` (Role, Runtime, Handler,
    MemorySize, Timeout, Environment, ...), or bring its code and settings up to date; wait until
    it is Active (``wait=False``: the caller waits, so several functions become Active together).
    Returns its ARN."""
    lambda_ = ctx.clients.lambda_
    package = function_zip(folder)
    current = missing(lambda_.get_function, FunctionName=function)
    if current is None:
        # Lambda writes its logs to this group, creating it on the first invocation: it is ours to delete.
        with ctx.creating("logs:log-group", f"/aws/lambda/{function}", f"/aws/lambda/{function}"):
            pass
        with ctx.creating("lambda:function", function, function) as made:
            made.arn = _create(ctx, function, package, wanted, description)["FunctionArn"]
        arn = made.arn
    else:
        config = current["Configuration"]
        arn = config["FunctionArn"]
        if config.get("CodeSha256") != code_sha256(package):
            lambda_.update_function_code(FunctionName=function, ZipFile=package)
            wait_updated(ctx, function)
        have = configuration(config)
        if any(have[key] != value for key, value in wanted.items() if key in COMPARED):
            lambda_.update_function_configuration(FunctionName=function, **wanted)
            wait_updated(ctx, function)
    if wait:
        wait_active(ctx, function)
    return arn


def wait_active(ctx: Context, function: str) -> None:
    lambda_ = ctx.clients.lambda_
    wait_until(lambda: lambda_.get_function(FunctionName=function)["Configuration"].get("State", "Active") == "Active",
               f"function {function} to become Active")


def _create(ctx: Context, function: str, package: bytes, wanted: dict, description: str) -> dict:
    deadline = time.monotonic() + 30
    options = {key: value for key, value in wanted.items() if not (key == "Layers" and not value)}
    while True:
        try:
            return ctx.clients.lambda_.create_function(FunctionName=function, Code={"ZipFile": package},
                                                       Tags=ctx.tags, Description=description, **options)
        except ClientError as error:
            # A new IAM role takes a few seconds to reach Lambda in AWS.
            if error_code(error) == "InvalidParameterValueException" and "assume" in str(error) and time.monotonic() < deadline:
                time.sleep(1)
                continue
            raise


def wait_updated(ctx: Context, function: str) -> None:
    wait_until(
        lambda: ctx.clients.lambda_.get_function(FunctionName=function)["Configuration"].get("LastUpdateStatus", "Successful") != "InProgress",
        f"the update of {function} to finish")


def configuration_problem(config: dict, *, runtime: str, handler: str, role_arn: str, role: str,
                          environment: dict) -> str:
    """What is wrong with the function's runtime, handler, role or environment, in words a learner
    can act on; "" if nothing."""
    if config.get("Runtime") != runtime:
        return f"The function runs {config.get('Runtime')}; this lab's code targets {runtime}."
    if config.get("Handler") != handler:
        return (f"The function's handler is {config.get('Handler')!r}: the code is app.py and its entry point "
                f"handler(), so the handler must be {handler}.")
    if config.get("Role") != role_arn:
        return f"The function runs as {config.get('Role')}, not as {role}: change its execution role."
    variables = (config.get("Environment") or {}).get("Variables", {})
    for key, value in environment.items():
        if variables.get(key) != value:
            return f"The function's environment variable {key} is {variables.get(key)!r}; set it to {value!r}."
    return ""


# Its resource-based policy: who may invoke it -------------------------------------------------

def policy_statements(lambda_, function: str) -> list[dict]:
    policy = missing(lambda_.get_policy, FunctionName=function)
    return as_list(json.loads(policy["Policy"]).get("Statement", [])) if policy else []


def service_may_invoke(statements: list[dict], service: str, source_arn: str) -> bool:
    """Whether a statement lets ``service`` invoke the function for a call from ``source_arn``."""
    for statement in statements:
        principal = statement.get("Principal", {})
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else [principal]
        actions = as_list(statement.get("Action", []))
        if statement.get("Effect") != "Allow" or service not in services:
            continue
        if not {"lambda:InvokeFunction", "lambda:*"} & set(actions):
            continue
        condition = statement.get("Condition", {})
        arns = [arn for test in condition.values() for arn in as_list(test.get("AWS:SourceArn", []))]
        if not arns or any(matches(arn, source_arn) for arn in arns):
            return True
    return False


def ensure_invoke_permission(ctx: Context, *, function: str, statement_id: str, service: str, source_arn: str,
                             sample_source: str, source_account: str | None = None) -> None:
    """Let ``service`` invoke ``function`` from ``source_arn``, unless a statement already does."""
    lambda_ = ctx.clients.lambda_
    statements = policy_statements(lambda_, function)
    if service_may_invoke(statements, service, sample_source):
        return
    if any(s.get("Sid") == statement_id for s in statements):
        lambda_.remove_permission(FunctionName=function, StatementId=statement_id)
    extra = {"SourceAccount": source_account} if source_account else {}
    with ctx.creating("lambda:permission", f"{function}/{statement_id}", f"{function}/{statement_id}"):
        lambda_.add_permission(FunctionName=function, StatementId=statement_id, Action="lambda:InvokeFunction",
                               Principal=service, SourceArn=source_arn, **extra)


def log_tail(ctx: Context, function: str, lines: int = 6, never_invoked: str = "") -> str:
    """The function's latest log lines, to say why it failed (best effort): an AccessDenied its role
    got, a traceback."""
    group = f"/aws/lambda/{function}"
    hint = f", so {never_invoked}" if never_invoked else ""
    try:
        streams = ctx.clients.logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime",
                                                        descending=True, limit=1).get("logStreams", [])
        if not streams:
            return f"The log group {group} has no streams: the function was never invoked{hint}."
        events = ctx.clients.logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"],
                                                 limit=lines, startFromHead=False).get("events", [])
    except Exception as error:  # noqa: BLE001 - a missing group says the same thing
        return f"No logs in {group} ({type(error).__name__}): the function was never invoked{hint}."
    text = " | ".join(event["message"].strip()[:200] for event in events if event.get("message", "").strip())
    return f"The function's last log lines ({group}): {text}" if text else f"{group} has no log lines yet."
