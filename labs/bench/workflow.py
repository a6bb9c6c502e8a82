"""The workflow lab's benchmark: a bare boto3 script making the lab's calls, against the engine's
automatic run (``labs/bench/fullstack.py: run_bench`` alternates them and prints the figures).

The baseline deploys what the steps deploy (the functions' role and policy, six functions waited
Active together, the state machine's role and policy, the Standard state machine), starts the
verify's four executions together, waits for each and reads its history, then deletes everything.

    python manage.py lab bench --lab workflow --rounds 3
"""

import json
import time

from labs import aws
from labs.catalog.workflow import verify as workflow_verify
from labs.catalog.workflow.names import STATES_TRUST, TASKS, definition_json
from labs.engine.lab import Names, function_zip
from labs.toolkit import iam

FOLDER = workflow_verify.__file__.rsplit("/", 1)[0]


def _timed(phases: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    phases[name] = now - started
    return now


def baseline_workflow(endpoint_url: str, account_id: str, region: str = "us-east-1", origin: str = "") -> dict:
    """Deploy, execute and tear down the order workflow with bare boto3. Returns seconds per phase."""
    from pathlib import Path

    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("iam", "lambda", "stepfunctions", "logs")}
    names = Names(f"bench-{int(time.time() * 1000) % 10**8:08d}")
    tasks_role, machine_role, machine = names("tasks-role"), names("machine-role"), names("order-workflow")
    phases, started = {}, time.perf_counter()

    # Deploy.
    role_arn = c["iam"].create_role(RoleName=tasks_role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=tasks_role, PolicyName="own-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(iam.LOG_ACTIONS),
                                                "Resource": f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{names.prefix}-*"}]}))
    package = function_zip(Path(FOLDER) / "functions" / "order_tasks")
    arns = []
    for what, handler, _ in TASKS:
        arns.append(c["lambda"].create_function(
            FunctionName=names(what), Runtime="python3.12", Handler=handler, Role=role_arn, Code={"ZipFile": package},
            Timeout=10, MemorySize=128)["FunctionArn"])
    for what, _, _ in TASKS:
        while c["lambda"].get_function(FunctionName=names(what))["Configuration"]["State"] != "Active":
            time.sleep(0.05)
    machine_role_arn = c["iam"].create_role(RoleName=machine_role, AssumeRolePolicyDocument=json.dumps(STATES_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=machine_role, PolicyName="invoke-order-tasks", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arns}]}))
    machine_arn = c["stepfunctions"].create_state_machine(
        name=machine, definition=definition_json(names, region, account_id), roleArn=machine_role_arn,
        type="STANDARD")["stateMachineArn"]
    started = _timed(phases, "deploy", started)

    # The verify's executions, together; each read back.
    stamp = f"{int(time.time() * 1000) % 10**10:010d}"
    executions = {scenario: c["stepfunctions"].start_execution(
        stateMachineArn=machine_arn, name=f"bench-{scenario}-{stamp}",
        input=json.dumps(workflow_verify.order(None, scenario, stamp)))["executionArn"]
        for scenario in workflow_verify.SCENARIOS}
    wanted = {"happy": ("SUCCEEDED", None), "flaky": ("SUCCEEDED", None), "unavailable": ("FAILED", "OrderFailed"),
              "invalid": ("FAILED", "OrderInvalid")}
    for scenario, arn in executions.items():
        delay = 0.1
        while (described := c["stepfunctions"].describe_execution(executionArn=arn))["status"] == "RUNNING":
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        assert (described["status"], described.get("error")) == wanted[scenario], (scenario, described)
        events = c["stepfunctions"].get_execution_history(executionArn=arn)["events"]
        assert events[-1]["type"] in ("ExecutionSucceeded", "ExecutionFailed")
    started = _timed(phases, "verify", started)

    # Teardown.
    c["stepfunctions"].delete_state_machine(stateMachineArn=machine_arn)
    for what, _, _ in TASKS:
        c["lambda"].delete_function(FunctionName=names(what))
        try:
            c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{names(what)}")
        except c["logs"].exceptions.ResourceNotFoundException:
            pass
    for role, policy in ((machine_role, "invoke-order-tasks"), (tasks_role, "own-logs")):
        c["iam"].delete_role_policy(RoleName=role, PolicyName=policy)
        c["iam"].delete_role(RoleName=role)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases
