"""The order workflow lab: a Standard state machine in AWS Step Functions that validates an order,
reserves stock and charges the payment in parallel (the payment retried with exponential backoff),
compensates when processing fails, and packs each item with a Map.

Read it as a recipe: ``names`` (what it builds, the definition), ``steps`` (task functions, the state
machine's role, the state machine), ``verify`` (four real executions, read from their history with
``history``), ``text/``, ``template.sam.yaml`` and ``functions/order_tasks/app.py``. The run page's
panel (``labs/workflow_views.py``) draws the state machine lit up from the latest execution.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from labs.catalog.workflow import sabotage, steps, verify
from labs.catalog.workflow.names import (
    EXPRESS_MEMORY_MB, EXPRESS_SECONDS, FUNCTION_SOURCE, RUNTIME, SCENARIOS, TRANSITIONS_HAPPY_PATH, USAGE, variables,
)
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


def _machine_text() -> str:
    """The state machine step's text, with the lab's definition in its CLI tab (placeholders that sed fills)."""
    from labs.engine.lab import Names
    from labs.catalog.workflow.names import definition_json

    shown = definition_json(Names("__PREFIX__"), "__REGION__", "__ACCOUNT__")
    return _text("step_machine").replace("{{DEFINITION}}", "\n".join("    " + line for line in shown.splitlines()))


def per_million() -> dict:
    """What a million executions of the happy path cost in Step Functions alone (us-east-1), from the
    price table (own_account.pricing.PRICES), so the page and the estimate never disagree."""
    from own_account.pricing import PRICES

    def cost(key: str, quantity) -> Decimal:
        price = PRICES[key]
        return price.usd * Decimal(str(quantity)) / price.per

    gb_seconds = Decimal(str(EXPRESS_SECONDS)) * Decimal(EXPRESS_MEMORY_MB) / 1024
    standard = cost("sfn_standard_transitions", TRANSITIONS_HAPPY_PATH * 1_000_000)
    requests = cost("sfn_express_requests", 1_000_000)
    duration = cost("sfn_express_gb_seconds", gb_seconds * 1_000_000)
    return {"standard": standard, "express_requests": requests, "express_duration": duration,
            "express": requests + duration, "gb_seconds": gb_seconds,
            "transition": PRICES["sfn_standard_transitions"].usd / PRICES["sfn_standard_transitions"].per}


def _comparison_markdown() -> str:
    money = per_million()
    return f"""

## The same flow as an Express workflow

An **Express** state machine runs the same definition, and `StartSyncExecution` runs it *synchronously*: the
caller (an API Gateway route, a function) gets the output in the response. Behind an API that answers an order
in about half a second, that is the usual choice. What changes ([Standard vs Express](https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html)):

| | Standard (this lab) | Express, `StartSyncExecution` |
|---|---|---|
| longest execution | one year | five minutes |
| how often a state runs | exactly once (unless Retry says otherwise) | at most once for a synchronous run (at least once when started asynchronously) |
| execution history | `GetExecutionHistory`, kept 90 days after the execution ends | none through the API: enable logging to CloudWatch Logs |
| billed for | each state transition, retries included | each request, plus duration × memory (rounded up to 100 ms, memory in 64 MB chunks) |

What **one million** orders cost in Step Functions alone, with the prices of the
[Step Functions pricing page](https://aws.amazon.com/step-functions/pricing/) (US East, N. Virginia; the free tier's
4,000 transitions a month left out; the Lambda invocations cost the same either way):

| | how it adds up | per million executions |
|---|---|---|
| Standard | {TRANSITIONS_HAPPY_PATH} state transitions × US${money['transition']:.6f} | **US${money['standard']:,.2f}** |
| Express (sync) | 1 request × US$1.00 per million, plus {EXPRESS_SECONDS} s × {EXPRESS_MEMORY_MB} MB = {money['gb_seconds']:.5f} GB-s × US$0.00001667 | **US${money['express']:,.2f}** (US${money['express_requests']:.2f} + US${money['express_duration']:.2f}) |

Each retry adds a transition to a Standard execution (the flaky payment: 2 more) and adds its backoff (1 s, then
2 s) to an Express execution's duration, which the caller of `StartSyncExecution` also waits for. Keep Standard
for long or auditable flows (an order that waits for a warehouse, a human approval); choose Express for short,
high-volume ones, where its per-request price wins by two orders of magnitude.
"""


@dataclass(frozen=True)
class WorkflowLab(Lab):
    """The lab, plus the run page's panel: the state machine lit up from the latest execution."""

    run_panel: str = "labs/workflow/_panel.html"
    scenarios: tuple = SCENARIOS  # the sample orders the panel's form offers
    verify_intro: str = "Verifying the workflow end to end: four real executions, read back from their history"
    verified_message: str = "Verified: the workflow succeeds, retries, compensates and rejects as designed."
    verify_summary: str = ("Four real executions of the state machine, each read back with GetExecutionHistory: a "
                           "good order, a payment that fails twice, a payment provider that never answers, an order "
                           "with no items.")


LAB = WorkflowLab(
    slug="workflow",
    title="An order workflow with Step Functions",
    summary="Orchestrate an order with a Standard state machine: validate, reserve stock and charge the payment in "
            "parallel with retries, compensate on failure, then pack each item.",
    use_case=_text("use_case") + _comparison_markdown(),
    services=("AWS Step Functions", "AWS Lambda", "AWS IAM"),
    minutes=30,
    aws_cost="Well under US$0.01 a run: Step Functions bills per state transition (4,000 a month are free) and "
             "Lambda per request; the AWS Free Tier covers it.",
    diagram="labs/diagrams/workflow.svg",
    parts={"client": "You (start an execution)", "machine": "State machine", "machine_role": "State machine role",
           "functions": "Task functions", "tasks_role": "Functions' role"},
    steps=(
        Step("functions", "Deploy the six task functions", "validate, reserve, charge, release, refund, pack: one "
             "package, six handlers, with a role that may only write their logs.", _text("step_functions"),
             steps.apply_functions, steps.check_functions, parts=("functions", "tasks_role")),
        Step("role", "Give the state machine a role", "Trusted by Step Functions, allowed to invoke just the six "
             "functions.", _text("step_role"), steps.apply_role, steps.check_role, parts=("machine_role",)),
        Step("machine", "Create the Standard state machine", "Choice, Parallel with Retry and Catch, compensation, "
             "Map, Succeed and Fail.", _machine_text(), steps.apply_machine, steps.check_machine,
             parts=("machine", "client")),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=40,
)
