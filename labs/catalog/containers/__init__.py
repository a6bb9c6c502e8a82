"""The containers lab: an EFS file system with an access point, a Lambda function that mounts it and
writes daily reports, and a Fargate service whose task mounts the same access point read-only to read
them.

Read it as a recipe: ``names`` (what it builds), ``storage`` (step 1: file system, access point, mount
target), ``steps`` (step 2: the function), ``fargate`` (step 3: cluster, task definition, service),
``verify``, ``text/``, ``template.sam.yaml`` and ``functions/reports/app.py``.

What the local sandbox runs: the function's code, for real; EFS and ECS only as configuration (no
mount, no containers). Each step's text and check says so.
"""

from dataclasses import dataclass
from pathlib import Path

from labs.catalog.containers import fargate, sabotage, steps, storage, verify
from labs.catalog.containers.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


@dataclass(frozen=True)
class ContainersLab(Lab):
    verify_intro: str = ("Verifying end to end: the function computes a day's report and writes it to EFS, a second "
                         "invocation reads it back, and only the writer may write")


LAB = ContainersLab(
    slug="containers",
    title="Containers and shared storage: Fargate, EFS and Lambda",
    summary="A Lambda function writes daily reports to an EFS file system through an access point; a Fargate "
            "service mounts the same access point read-only to read them.",
    use_case=_text("use_case"),
    services=("Amazon EFS", "AWS Lambda", "Amazon ECS", "AWS Fargate", "AWS IAM"),
    minutes=35,
    aws_cost="A few US cents a run if you tear down within the hour: the Fargate task (0.25 vCPU, 0.5 GB) bills "
             "per second while the service keeps it running (about US$0.012 an hour), EFS bills the few KB stored, "
             "Lambda is within the free tier. A mount target takes a minute or two to become available.",
    diagram="labs/diagrams/containers.svg",
    parts={"you": "You (invoke)", "function": "Lambda function", "function_role": "Function's role",
           "file_system": "EFS file system", "access_point": "Access point", "mount_target": "Mount target",
           "cluster": "ECS cluster", "service": "Fargate service", "task_role": "Task role"},
    steps=(
        Step("storage", "Create the file system and its access point",
             "An encrypted EFS file system, an access point rooted at /reports as user 1000, a mount target in the "
             "default VPC.", _text("step_storage"), storage.apply_storage, storage.check_storage,
             parts=("file_system", "access_point", "mount_target"), services=("Amazon EFS",)),
        Step("function", "Deploy the reports function with the file system mounted",
             "Python in the default VPC, the access point mounted at /mnt/reports, a role that may mount and write.",
             _text("step_function"), steps.apply_function, steps.check_function,
             parts=("function", "function_role", "you"), services=("AWS Lambda", "Amazon EFS", "AWS IAM")),
        Step("fargate", "Run a Fargate service that reads the reports",
             "A cluster, a task definition that mounts the access point read-only, a service with one task.",
             _text("step_fargate"), fargate.apply_fargate, fargate.check_fargate,
             parts=("cluster", "service", "task_role"), services=("Amazon ECS", "AWS Fargate", "Amazon EFS", "AWS IAM")),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=90,
)
