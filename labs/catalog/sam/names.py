"""What the SAM lab builds, by name: the artifacts bucket, the stack, its two change sets. The
stack deploys the full-stack lab's own SAM template and function code (not a copy of them)."""

from pathlib import Path

from labs.engine.lab import Names

FULLSTACK = Path(__file__).resolve().parent.parent / "fullstack"  # the template and code this lab deploys
TEMPLATE = FULLSTACK / "template.sam.yaml"
FUNCTION_SOURCE = "items_api"
FUNCTION_LOGICAL_ID = "ItemsFunction"
RUNTIME = "python3.12"
HANDLER = "app.handler"
STAGE = "prod"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # what `sam deploy` acknowledges
PACKAGED_KEY = "packaged.yaml"  # JSON is YAML too: what `aws cloudformation package` writes fits
# Version 2 of the code, whose package is never uploaded: the update that breaks.
BROKEN_KEY = f"{FUNCTION_SOURCE}/v2-never-uploaded.zip"
BROKEN_DESCRIPTION = "Items API of the full-stack lab, version 2"
# What the first change set must add: the logical ids the SAM transform makes from the template.
EXPECTED_ADDS = ("ItemsTable", "ItemsFunction", "ItemsFunctionRole", "ItemsApi", "ItemsApiStage", "WebsiteBucket")
STABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
# What one run uses in AWS, for its cost estimate (CloudFormation itself is free for AWS:: resource types).
USAGE = {
    "lambda_requests": 40, "lambda_gb_seconds": 40 * 0.25 * 0.2,  # 256 MB, 200 ms
    "apigateway_rest": 40, "dynamodb_writes": 20, "dynamodb_reads": 40,
    "s3_writes": 20, "s3_reads": 40, "s3_storage": 0.0001 * 2 / 730,  # a few KB of package for 2 hours
    "logs_ingest": 0.001,
}


def bucket_name(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('artifacts')}-{account_id}"


def stack_name(names: Names) -> str:
    return names("stack")


def create_change_set(names: Names) -> str:
    return names("create")


def broken_change_set(names: Names) -> str:
    return names("v2")


def package_key(digest: str) -> str:
    """Where the code goes: named by its content, as `sam package` names what it uploads."""
    return f"{FUNCTION_SOURCE}/{digest[:16]}.zip"


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "BUCKET": bucket_name(names, account_id), "STACK": stack_name(names),
        "CHANGE_SET": create_change_set(names), "BROKEN_CHANGE_SET": broken_change_set(names), "ORIGIN": origin,
    }
