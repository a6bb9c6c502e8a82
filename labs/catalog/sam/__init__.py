"""Deploy with AWS SAM: the full-stack app as one CloudFormation stack, from the full-stack lab's
own SAM template and function code (referenced, not copied).

Read it as a recipe: ``names`` (what it builds), ``template`` (packaging and offline validation),
``steps`` (package, change set, deploy, an update that rolls back), ``verify`` (through the stack's
outputs, over HTTP), ``sabotage`` (the grader's mistakes), ``text/`` (what the learner reads).
"""

from dataclasses import dataclass
from pathlib import Path

from labs.catalog.sam import sabotage, steps, verify
from labs.catalog.sam.names import FULLSTACK, FUNCTION_SOURCE, RUNTIME, TEMPLATE, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


@dataclass(frozen=True)
class SamLab(Lab):
    """A lab whose template and function are the full-stack lab's: it deploys them, it does not copy them."""

    @property
    def sam_template(self) -> Path:
        return TEMPLATE

    def function_folder(self, name: str) -> Path:
        return FULLSTACK / "functions" / name


LAB = SamLab(
    slug="sam",
    title="Deploy with AWS SAM and CloudFormation",
    summary="Package the full-stack app's SAM template, review a change set, deploy it as a stack, read its "
            "outputs, then watch a broken update roll back.",
    use_case=_text("use_case"),
    services=("AWS SAM", "AWS CloudFormation", "AWS Lambda", "Amazon API Gateway", "Amazon DynamoDB"),
    minutes=30,
    aws_cost="Well under US$0.01 a run: CloudFormation is free for AWS resource types, and the app bills per "
             "request (the AWS Free Tier covers it).",
    diagram="labs/diagrams/sam.svg",
    parts={"template": "SAM template", "artifacts": "Artifacts bucket", "changeset": "Change set",
           "stack": "CloudFormation stack", "api": "API Gateway", "function": "Lambda", "table": "DynamoDB",
           "events": "Stack events"},
    steps=(
        Step("package", "Validate and package the template",
             "Run the SAM transform and cfn-lint offline, upload the code, point CodeUri at it.",
             _text("step_package"), steps.apply_package, steps.check_package, parts=("template", "artifacts"),
             services=("AWS SAM",)),
        Step("changeset", "Create a change set and review it",
             "What CloudFormation would create, before it creates anything.",
             _text("step_changeset"), steps.apply_change_set, steps.check_change_set, parts=("changeset",),
             services=("AWS CloudFormation",)),
        Step("deploy", "Execute the change set and read the outputs",
             "The stack is created; its outputs name the API and the table.",
             _text("step_deploy"), steps.apply_deploy, steps.check_deploy, parts=("stack", "api", "function", "table"),
             services=("AWS CloudFormation", "AWS SAM")),
        Step("rollback", "Break an update and watch it roll back",
             "Version 2 points at a package that was never uploaded: the update fails and rolls back.",
             _text("step_rollback"), steps.apply_rollback, steps.check_rollback, parts=("events",),
             services=("AWS CloudFormation",)),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    offers_sam_app=True,
    order=50,
)
