"""The workflow lab's three steps: the task functions (and their role), the state machine's role,
and the Standard state machine. Each ``apply`` is idempotent; each ``check`` says what to fix."""

import json
from pathlib import Path

from labs.catalog.workflow.names import (
    FUNCTION_MEMORY, FUNCTION_SOURCE, FUNCTION_TIMEOUT, MACHINE_POLICY, RUNTIME, STATES_TRUST, TASKS, TASKS_POLICY,
    definition, definition_json, function_arn, machine_name, machine_role_name, tasks_role_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import iam
from labs.toolkit.calls import as_list, document, matches, missing
from labs.toolkit.functions import configuration_problem, deploy_function, wait_active

FOLDER = Path(__file__).parent


def _arns(ctx: Context) -> dict[str, str]:
    """Function name -> its ARN, for the six task functions."""
    return {ctx.name(what): function_arn(ctx.region, ctx.account_id, ctx.name(what)) for what, _, _ in TASKS}


# Step 1: the task functions ----------------------------------------------------------------

def tasks_policy(ctx: Context) -> dict:
    """The functions call no AWS service: their role may write their own logs, nothing else."""
    groups = [f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:/aws/lambda/{ctx.name(what)}" for what, _, _ in TASKS]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnLogs", "Effect": "Allow", "Action": list(iam.LOG_ACTIONS),
         "Resource": groups + [f"{group}:*" for group in groups]}]}


def apply_functions(ctx: Context) -> None:
    role_arn = iam.ensure_execution_role(
        ctx, role=tasks_role_name(ctx.name), description="Execution role of the order workflow's task functions",
        policy_name=TASKS_POLICY, policy=tasks_policy(ctx))
    made = []
    for what, handler, state in TASKS:
        deploy_function(ctx, function=ctx.name(what), folder=FOLDER / "functions" / FUNCTION_SOURCE, wait=False,
                        description=f"Order workflow: the {state} task",
                        wanted={"Role": role_arn, "Runtime": RUNTIME, "Handler": handler, "Timeout": FUNCTION_TIMEOUT,
                                "MemorySize": FUNCTION_MEMORY})
        made.append(ctx.name(what))
    for function in made:  # created together, so they become Active together
        wait_active(ctx, function)
    ctx.outputs["functions"] = made


def check_functions(ctx: Context) -> CheckResult:
    role = tasks_role_name(ctx.name)
    found_role, failure = iam.lambda_role(ctx, role)
    if failure:
        return failure
    found = [Found("iam:role", role, role, found_role["Arn"])]
    for what, handler, state in TASKS:
        function = ctx.name(what)
        current = missing(ctx.clients.lambda_.get_function, FunctionName=function)
        if current is None:
            return CheckResult.failed(f"There is no Lambda function named {function} (the {state} task). Create it "
                                      f"from the lab's code ({RUNTIME}, handler {handler}) with the role {role}.")
        config = current["Configuration"]
        problem = configuration_problem(config, runtime=RUNTIME, handler=handler, role_arn=found_role["Arn"], role=role,
                                        environment={})
        if problem:
            return CheckResult.failed(f"{function}: {problem}")
        if config.get("State", "Active") != "Active":
            return CheckResult.failed(f"{function} is {config.get('State')}, not Active yet: check again in a moment.")
        found += [Found("lambda:function", function, function, config["FunctionArn"]),
                  Found("logs:log-group", f"/aws/lambda/{function}", f"/aws/lambda/{function}")]
    ctx.outputs["functions"] = [ctx.name(what) for what, _, _ in TASKS]
    return CheckResult.passed(f"The six task functions ({', '.join(what for what, _, _ in TASKS)}) are Active and "
                              f"run as {role}.", *found)


# Step 2: the state machine's role ----------------------------------------------------------

def machine_policy(ctx: Context) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "InvokeTheOrderTasks", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": sorted(_arns(ctx).values())}]}


def apply_role(ctx: Context) -> None:
    if missing(ctx.clients.iam.get_role, RoleName=tasks_role_name(ctx.name)) is None:
        raise StepBlocked(f"The task functions' role {tasks_role_name(ctx.name)} does not exist yet: do step 1 first.")
    iam.ensure_execution_role(ctx, role=machine_role_name(ctx.name), trust=STATES_TRUST, policy_name=MACHINE_POLICY,
                              description="Execution role of the order workflow state machine", policy=machine_policy(ctx))


def _trusts_states(role: dict) -> bool:
    trust = document(role.get("AssumeRolePolicyDocument"))
    for statement in as_list(trust.get("Statement", [])):
        principal = statement.get("Principal", {})
        if statement.get("Effect") == "Allow" and isinstance(principal, dict) and \
                "states.amazonaws.com" in as_list(principal.get("Service", [])):
            return True
    return False


def invoke_scope(statements: list[dict], arns: dict[str, str]) -> tuple[list[str], list[str]]:
    """(the lab's functions the statements do not let the role invoke, resources granted beyond them)."""
    beyond = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in as_list(statement.get("Action", []))]
        if not any(matches(a, "lambda:invokefunction") for a in actions):
            continue
        for resource in as_list(statement.get("Resource", [])):
            base = resource[:-2] if resource.endswith(":*") else resource  # its versions and aliases
            if base not in arns.values():
                beyond.append(resource)
    absent = [name for name, arn in arns.items() if not iam.allows(statements, "lambda:InvokeFunction", arn)]
    return absent, beyond


def check_role(ctx: Context) -> CheckResult:
    role = machine_role_name(ctx.name)
    found = missing(ctx.clients.iam.get_role, RoleName=role)
    if found is None:
        return CheckResult.failed(f"There is no IAM role named {role}. The state machine needs an execution role "
                                  "that Step Functions can assume (trusted entity: states.amazonaws.com).")
    if not _trusts_states(found["Role"]):
        return CheckResult.failed(f"The role {role} does not trust states.amazonaws.com, so Step Functions cannot "
                                  "assume it. Edit its trust policy to allow sts:AssumeRole for states.amazonaws.com.")
    statements, managed = iam.role_statements(ctx.clients.iam, role)
    absent, beyond = invoke_scope(statements, _arns(ctx))
    broad = [name for name in managed if "FullAccess" in name or "LambdaRole" in name]
    if beyond or broad:
        return CheckResult.failed(f"The role {role} may invoke functions beyond the lab's six "
                                  f"({', '.join(beyond + broad)}): least privilege, list each task function's ARN.")
    if absent:
        return CheckResult.failed(f"The role {role} does not allow lambda:InvokeFunction on {', '.join(absent)}, so "
                                  "those tasks would fail with AccessDenied. Allow it on each task function's ARN.")
    return CheckResult.passed(f"The role {role} trusts Step Functions and may invoke exactly the six task functions.",
                              Found("iam:role", role, role, found["Role"]["Arn"]))


# Step 3: the state machine -----------------------------------------------------------------

def _machine_arn(ctx: Context) -> str:
    return f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{machine_name(ctx.name)}"


def apply_machine(ctx: Context) -> None:
    role = missing(ctx.clients.iam.get_role, RoleName=machine_role_name(ctx.name))
    if role is None:
        raise StepBlocked(f"The role {machine_role_name(ctx.name)} does not exist yet: do step 2 first.")
    sfn, arn = ctx.clients.stepfunctions, _machine_arn(ctx)
    wanted = definition_json(ctx.name, ctx.region, ctx.account_id)
    current = missing(sfn.describe_state_machine, stateMachineArn=arn)
    if current is None:
        with ctx.creating("states:state-machine", machine_name(ctx.name), arn) as made:
            made.arn = sfn.create_state_machine(name=machine_name(ctx.name), definition=wanted, type="STANDARD",
                                                roleArn=role["Role"]["Arn"], tags=[
                                                    {"key": k, "value": v} for k, v in ctx.tags.items()])["stateMachineArn"]
    elif json.loads(current["definition"]) != json.loads(wanted) or current["roleArn"] != role["Role"]["Arn"]:
        sfn.update_state_machine(stateMachineArn=arn, definition=wanted, roleArn=role["Role"]["Arn"])
    ctx.outputs["state_machine_arn"] = arn


def definition_problem(found: dict, expected: dict) -> str:
    """What differs from the lab's workflow, in words a learner can act on; "" if nothing."""
    from labs.catalog.workflow.history import walk

    have = {name: state for name, state, _ in walk(found.get("States", {}))}
    want = {name: state for name, state, _ in walk(expected["States"])}
    if found.get("StartAt") != expected["StartAt"]:
        return f"The workflow starts at {found.get('StartAt')!r}; it must start at {expected['StartAt']}."
    for name, state in want.items():
        if name not in have:
            return f"The definition has no state named {name} (a {state['Type']} state)."
        if have[name].get("Type") != state["Type"]:
            return f"{name} is a {have[name].get('Type')} state; it must be a {state['Type']} state."
        if state["Type"] == "Task" and have[name].get("Resource") != state["Resource"]:
            return f"{name} invokes {have[name].get('Resource')!r}; it must invoke {state['Resource']}."
    charge = have["ChargePayment"]
    retriers = charge.get("Retry") or []
    if not retriers:
        return ("ChargePayment has no Retry: a payment provider that times out once would fail the order. Retry it "
                "with exponential backoff (IntervalSeconds 1, BackoffRate 2, MaxAttempts 2).")
    backoff = [r for r in retriers if r.get("MaxAttempts", 3) > 0]
    if not backoff or not any(r.get("BackoffRate", 2.0) > 1 for r in backoff):
        return "ChargePayment's Retry has no exponential backoff: set a BackoffRate above 1."
    if any(r.get("IntervalSeconds", 1) > 5 for r in backoff):
        return "ChargePayment's Retry waits more than 5 s before its first retry: keep IntervalSeconds small (1)."
    if max(r.get("MaxAttempts", 3) for r in backoff) < 2:
        return "ChargePayment's Retry gives up before a second retry: set MaxAttempts to 2."
    catch = have["ProcessOrder"].get("Catch") or []
    if not any(c.get("Next") == "ReleaseStock" for c in catch):
        return ("ProcessOrder (the Parallel state) has no Catch that goes to ReleaseStock: a failed payment would end "
                "the execution without releasing the stock. Add a Catch on States.ALL with Next ReleaseStock.")
    if have["PackItems"].get("ItemsPath") != "$.items":
        return "PackItems must iterate over the order's items: set its ItemsPath to $.items."
    return ""


def check_machine(ctx: Context) -> CheckResult:
    sfn, name = ctx.clients.stepfunctions, machine_name(ctx.name)
    role = missing(ctx.clients.iam.get_role, RoleName=machine_role_name(ctx.name))
    if role is None:
        return CheckResult.failed(f"The role {machine_role_name(ctx.name)} is missing: do step 2 first.")
    current = missing(sfn.describe_state_machine, stateMachineArn=_machine_arn(ctx))
    if current is None:
        return CheckResult.failed(f"There is no state machine named {name}. Create a Standard state machine with the "
                                  f"lab's definition and the role {machine_role_name(ctx.name)}.")
    if current.get("type") != "STANDARD":
        return CheckResult.failed(f"{name} is an {current.get('type')} state machine; this lab builds a STANDARD one "
                                  "(its execution history is what the verify reads).")
    if current.get("roleArn") != role["Role"]["Arn"]:
        return CheckResult.failed(f"{name} runs as {current.get('roleArn')}, not as {machine_role_name(ctx.name)}.")
    try:
        found = json.loads(current["definition"])
    except ValueError:
        return CheckResult.failed(f"The definition of {name} is not JSON.")
    problem = definition_problem(found, definition(ctx.name, ctx.region, ctx.account_id))
    if problem:
        return CheckResult.failed(problem)
    ctx.outputs["state_machine_arn"] = current["stateMachineArn"]
    return CheckResult.passed(f"Standard state machine {name}: validate, choice, parallel reserve and charge (retried "
                              "with backoff, caught into compensation), map over the items.",
                              Found("states:state-machine", name, current["stateMachineArn"], current["stateMachineArn"]))
