"""The SAM lab's four steps: validate and package the full-stack template, create a change set and
review it, execute it and read the outputs, then an update that fails and rolls back. Each apply is
idempotent; each check reads the stack AND the resources it claims, in their own services."""

import re

from labs.catalog.sam import template
from labs.catalog.sam.names import (
    BROKEN_DESCRIPTION, BROKEN_KEY, CAPABILITIES, EXPECTED_ADDS, FUNCTION_LOGICAL_ID, HANDLER, PACKAGED_KEY, RUNTIME,
    STABLE, STAGE, broken_change_set, bucket_name, create_change_set, package_key, stack_name,
)
from labs.engine.lab import CheckResult, Context, Found, StepBlocked
from labs.toolkit import buckets, stacks
from labs.toolkit.calls import missing


def _boundary(ctx: Context) -> str:
    return getattr(getattr(ctx.clients, "target", None), "permissions_boundary", "") or ""


def _key() -> str:
    return package_key(template.package_digest())


def _object(s3, bucket: str, key: str) -> bytes | None:
    found = missing(s3.get_object, Bucket=bucket, Key=key)
    return found["Body"].read() if found else None


# Step 1: validate and package -------------------------------------------------------------------

def apply_package(ctx: Context) -> None:
    bucket, key = bucket_name(ctx.name, ctx.account_id), _key()
    packaged = template.packaged(bucket, key, boundary=_boundary(ctx))
    translated, problem = template.translate(packaged, ctx.website_origin, ctx.region)
    if problem:
        raise StepBlocked(f"The SAM transform refuses the template: {problem}")
    text = template.body(packaged)
    errors = template.lint_errors(text, ctx.region)
    if errors:
        raise StepBlocked("cfn-lint finds errors in the template: " + "; ".join(errors))
    ctx.note(f"Validated offline: the AWS::Serverless transform makes {len(translated['Resources'])} CloudFormation "
             "resources, and cfn-lint finds no error.")
    buckets.ensure_bucket(ctx, bucket)
    buckets.ensure_private(ctx, bucket)
    s3 = ctx.clients.s3
    if _object(s3, bucket, key) != template.package():
        s3.put_object(Bucket=bucket, Key=key, Body=template.package(), ContentType="application/zip")
    if _object(s3, bucket, PACKAGED_KEY) != text.encode():
        s3.put_object(Bucket=bucket, Key=PACKAGED_KEY, Body=text.encode(), ContentType="application/json")
    ctx.clients.cloudformation.validate_template(TemplateBody=text)
    ctx.outputs.update({"artifacts_bucket": bucket, "package_key": key})


def packaged_template(ctx: Context) -> tuple[dict | None, str]:
    """The packaged template in the artifacts bucket (JSON or YAML), or (None, what is wrong)."""
    bucket = bucket_name(ctx.name, ctx.account_id)
    raw = _object(ctx.clients.s3, bucket, PACKAGED_KEY)
    if raw is None:
        return None, (f"There is no packaged template at s3://{bucket}/{PACKAGED_KEY}. Package the template (its "
                      f"CodeUri pointing at the uploaded zip) and upload it there.")
    try:
        parsed = template.parse(raw.decode("utf-8"))
    except Exception as error:  # noqa: BLE001 - any parse error is the learner's to fix
        return None, f"s3://{bucket}/{PACKAGED_KEY} is not a template ({type(error).__name__}: {error})."
    if not isinstance(parsed, dict) or FUNCTION_LOGICAL_ID not in (parsed.get("Resources") or {}):
        return None, f"s3://{bucket}/{PACKAGED_KEY} is not the packaged full-stack template (no {FUNCTION_LOGICAL_ID})."
    return parsed, ""


def check_package(ctx: Context) -> CheckResult:
    s3, bucket = ctx.clients.s3, bucket_name(ctx.name, ctx.account_id)
    if not buckets.exists(s3, bucket):
        return CheckResult.failed(f"There is no S3 bucket named {bucket}. Create it (private) in {ctx.region}: the "
                                  "function's package and the packaged template go there.")
    packaged, problem = packaged_template(ctx)
    if problem:
        return CheckResult.failed(problem)
    uri = packaged["Resources"][FUNCTION_LOGICAL_ID].get("Properties", {}).get("CodeUri")
    if not isinstance(uri, str) or not uri.startswith(f"s3://{bucket}/"):
        return CheckResult.failed(f"The packaged template's {FUNCTION_LOGICAL_ID} has CodeUri {uri!r}, not an object in "
                                  f"s3://{bucket}/: CloudFormation could not find the code. Package it again.")
    key = uri[len(f"s3://{bucket}/"):]
    code = _object(s3, bucket, key)
    if code is None:
        return CheckResult.failed(f"The function's package is missing: the packaged template names {uri}, which is not "
                                  "there. Zip labs/catalog/fullstack/functions/items_api/ and upload it under that key.")
    if not template.is_items_package(code):
        return CheckResult.failed(f"{uri} is not the items function's package (no app.py, or not the full-stack "
                                  "lab's). Package labs/catalog/fullstack/functions/items_api/ again.")
    translated, problem = template.translate(packaged, ctx.website_origin, ctx.region)
    if problem:
        return CheckResult.failed(f"The SAM transform refuses the packaged template: {problem}")
    try:
        validated = ctx.clients.cloudformation.validate_template(TemplateBody=template.body(packaged))
    except Exception as error:  # noqa: BLE001 - its message is what the learner needs
        return CheckResult.failed(f"CloudFormation's ValidateTemplate refuses the packaged template: {error}")
    ctx.outputs.update({"artifacts_bucket": bucket, "package_key": key})
    return CheckResult.passed(
        f"{uri} holds the function's package; the packaged template points CodeUri at it, the SAM transform turns it "
        f"into {len(translated['Resources'])} resources, and ValidateTemplate accepts it "
        f"(transforms {', '.join(validated.get('DeclaredTransforms', [])) or 'none'}).",
        Found("s3:bucket", bucket, bucket, f"arn:aws:s3:::{bucket}"))


# Step 2: the change set -------------------------------------------------------------------------

def apply_change_set(ctx: Context) -> None:
    cfn, stack, change = ctx.clients.cloudformation, stack_name(ctx.name), create_change_set(ctx.name)
    packaged, problem = packaged_template(ctx)
    if problem:
        raise StepBlocked(f"{problem} Do step 1 first.")
    found = stacks.stack(cfn, stack)
    if found is not None and found["StackStatus"] != "REVIEW_IN_PROGRESS":
        return  # executed already
    described = stacks.change_set(cfn, stack, change) if found is not None else None
    if described is not None and described["Status"] == "FAILED":
        cfn.delete_change_set(StackName=stack, ChangeSetName=change)
        described = None
    if described is None:
        with ctx.creating("cloudformation:stack", stack) as made:
            answer = cfn.create_change_set(
                StackName=stack, ChangeSetName=change, ChangeSetType="CREATE", TemplateBody=template.body(packaged),
                Parameters=template.parameters(ctx.website_origin), Capabilities=CAPABILITIES, Tags=ctx.tag_list(),
                Description="The full-stack app, version 1")
            made.physical_id = made.arn = answer["StackId"]
    described = stacks.wait_change_set(ctx, stack, change)
    if described["Status"] == "FAILED":
        raise StepBlocked(f"The change set {change} failed: {described.get('StatusReason')}")
    ctx.note(f"Change set {change} would: {stacks.changes_text(stacks.changes(described))}")


def check_change_set(ctx: Context) -> CheckResult:
    cfn, stack, change = ctx.clients.cloudformation, stack_name(ctx.name), create_change_set(ctx.name)
    found = stacks.stack(cfn, stack)
    if found is None:
        return CheckResult.failed(f"There is no stack named {stack}. Create a change set named {change} of type CREATE "
                                  "for it from the packaged template (capabilities CAPABILITY_IAM and "
                                  "CAPABILITY_AUTO_EXPAND).")
    record = Found("cloudformation:stack", stack, found["StackId"], found["StackId"])
    if found["StackStatus"] != "REVIEW_IN_PROGRESS":
        return CheckResult.passed(f"The change set was executed: stack {stack} is {found['StackStatus']}.", record)
    described = stacks.change_set(cfn, stack, change)
    if described is None:
        return CheckResult.failed(f"Stack {stack} is waiting for review but has no change set named {change}: "
                                  "create it (type CREATE) from the packaged template.")
    if described["Status"] != "CREATE_COMPLETE":
        return CheckResult.failed(f"The change set {change} is {described['Status']}: "
                                  f"{described.get('StatusReason') or 'check again in a moment'}.")
    listed = stacks.changes(described)
    added = {logical for action, logical, _, _ in listed if action == "Add"}
    absent = [logical for logical in EXPECTED_ADDS if logical not in added]
    if absent:
        return CheckResult.failed(f"The change set {change} does not add {', '.join(absent)}: was it made from the "
                                  f"packaged full-stack template? It would: {stacks.changes_text(listed)}")
    return CheckResult.passed(f"Change set {change} is ready ({described['ExecutionStatus']}) and would add "
                              f"{len(listed)} resources: {stacks.changes_text(listed)}", record)


# Step 3: execute it, read the outputs ------------------------------------------------------------

def apply_deploy(ctx: Context) -> None:
    cfn, stack, change = ctx.clients.cloudformation, stack_name(ctx.name), create_change_set(ctx.name)
    found = stacks.blocked_unless(stacks.stack(cfn, stack), stack, "do step 2 first.")
    if found["StackStatus"] == "REVIEW_IN_PROGRESS":
        described = stacks.change_set(cfn, stack, change)
        if described is None or described["ExecutionStatus"] != "AVAILABLE":
            raise StepBlocked(f"The change set {change} is not ready to execute: do step 2 first.")
        cfn.execute_change_set(StackName=stack, ChangeSetName=change)
    found = stacks.wait_stack(ctx, stack)
    if found is None or found["StackStatus"] not in STABLE:
        why = stacks.why_failed(cfn, stack)
        raise StepBlocked(f"The stack ended {found['StackStatus'] if found else 'deleted'}"
                          + (f": {why}" if why else "") + ". Delete it and start again from step 2.")
    read_outputs(ctx, found)
    function = stacks.resources(cfn, stack)[FUNCTION_LOGICAL_ID]["PhysicalResourceId"]
    with ctx.creating("logs:log-group", f"/aws/lambda/{function}"):
        pass  # Lambda makes it on the first invocation; it is not part of the stack, so the ledger keeps it


def read_outputs(ctx: Context, found: dict) -> str:
    """Point the run at the API the stack's ApiUrl output names; its id."""
    url = stacks.outputs(found).get("ApiUrl", "")
    matched = re.match(r"https://([a-z0-9]+)\.execute-api\.[^/]+/([^/]+)", url)
    if matched:
        ctx.outputs.update({"stack": found["StackName"], "api_id": matched[1], "stage": matched[2],
                            "api_url": ctx.public_api_base(matched[1], matched[2])})
        return matched[1]
    return ""


def _stack_problem(ctx: Context, found: dict | None, stack: str) -> str:
    if found is None:
        return f"There is no stack named {stack}: do step 2 first."
    status = found["StackStatus"]
    if status == "REVIEW_IN_PROGRESS":
        return f"The change set {create_change_set(ctx.name)} has not been executed: execute it."
    if stacks.IN_PROGRESS in status:
        return f"Stack {stack} is {status}: check again in a moment."
    if status not in STABLE:
        why = stacks.why_failed(ctx.clients.cloudformation, stack)
        return f"Stack {stack} is {status}" + (f" because {why}" if why else "") + ". Delete it and start again from step 2."
    return ""


def deployed_function(ctx: Context) -> tuple[dict | None, dict, str]:
    """(the function's configuration, the stack's resources, what is wrong) for a deployed stack."""
    cfn, stack = ctx.clients.cloudformation, stack_name(ctx.name)
    problem = _stack_problem(ctx, stacks.stack(cfn, stack), stack)
    if problem:
        return None, {}, problem
    found = stacks.resources(cfn, stack)
    physical = found.get(FUNCTION_LOGICAL_ID, {}).get("PhysicalResourceId", "")
    current = missing(ctx.clients.lambda_.get_function, FunctionName=physical) if physical else None
    if current is None:
        return None, found, (f"The stack lists {FUNCTION_LOGICAL_ID} as {physical or 'nothing'}, but Lambda has no such "
                             "function: it was deleted outside CloudFormation. Delete the stack and deploy again.")
    return current["Configuration"], found, ""


def code_problem(ctx: Context, config: dict) -> str:
    """Lambda's own copy of the function's code (downloaded, not the stack's word) must be the items package."""
    location = ctx.clients.lambda_.get_function(FunctionName=config["FunctionName"]).get("Code", {}).get("Location", "")
    if not template.is_items_package(template.deployed_code(location) if location else None):
        return (f"Function {config['FunctionName']} does not hold the items function's code (CodeSha256 "
                f"{config['CodeSha256']}, CodeSize {config.get('CodeSize')}): the stack did not deploy the package.")
    return ""


def check_deploy(ctx: Context) -> CheckResult:
    cfn, stack = ctx.clients.cloudformation, stack_name(ctx.name)
    config, found, problem = deployed_function(ctx)
    if problem:
        return CheckResult.failed(problem)
    described = stacks.stack(cfn, stack)
    api_id = read_outputs(ctx, described)
    if not api_id:
        return CheckResult.failed(f"Stack {stack} has no ApiUrl output naming an execute-api URL: read the outputs "
                                  "of the full-stack template (ApiUrl, WebsiteUrl, TableName).")
    if found.get("ItemsApi", {}).get("PhysicalResourceId") != api_id:
        return CheckResult.failed(f"The ApiUrl output names API {api_id}, which is not the stack's ItemsApi.")
    table = found.get("ItemsTable", {}).get("PhysicalResourceId", "")
    if missing(ctx.clients.dynamodb.describe_table, TableName=table) is None:
        return CheckResult.failed(f"The stack lists ItemsTable as {table!r}, but DynamoDB has no such table: it was "
                                  "deleted outside CloudFormation. Delete the stack and deploy again.")
    if missing(ctx.clients.apigateway.get_stage, restApiId=api_id, stageName=STAGE) is None:
        return CheckResult.failed(f"API {api_id} has no stage {STAGE}: the stack's API is not deployed.")
    problem = code_problem(ctx, config)
    if problem:
        return CheckResult.failed(problem)
    wanted = {"Handler": HANDLER, "Runtime": RUNTIME}
    for setting, value in wanted.items():
        if config.get(setting) != value:
            return CheckResult.failed(
                f"Function {config['FunctionName']} has {setting} {config.get(setting)!r}, but the stack's template says "
                f"{value!r}: it was changed outside CloudFormation (drift). Set it back, or update the stack.")
    if config.get("Environment", {}).get("Variables", {}).get("TABLE_NAME") != table:
        return CheckResult.failed(f"Function {config['FunctionName']}'s TABLE_NAME is not the stack's table {table}.")
    return CheckResult.passed(
        f"Stack {stack} is {described['StackStatus']}; its outputs point at API {api_id} (stage {STAGE}), and the "
        f"resources it lists are real: function {config['FunctionName']} runs the uploaded package, table {table} "
        "exists.", Found("logs:log-group", f"/aws/lambda/{config['FunctionName']}", f"/aws/lambda/{config['FunctionName']}"))


# Step 4: an update that fails and rolls back -------------------------------------------------------

def rolled_back(ctx: Context) -> tuple[str, str]:
    """(the failure that rolled the last update back, "") or ("", what is wrong)."""
    cfn, stack = ctx.clients.cloudformation, stack_name(ctx.name)
    found = stacks.stack(cfn, stack)
    problem = _stack_problem(ctx, found, stack)
    if problem:
        return "", problem
    status = found["StackStatus"]
    if status == "CREATE_COMPLETE":
        return "", (f"Stack {stack} has not been updated yet. Create a change set ({broken_change_set(ctx.name)}) "
                    f"whose {FUNCTION_LOGICAL_ID} CodeUri is s3://{bucket_name(ctx.name, ctx.account_id)}/{BROKEN_KEY} "
                    "(a package never uploaded) and execute it.")
    if status != "UPDATE_ROLLBACK_COMPLETE":
        return "", (f"Stack {stack} is {status}: its last update succeeded, so nothing rolled back. Execute an update "
                    f"that fails (CodeUri s3://{bucket_name(ctx.name, ctx.account_id)}/{BROKEN_KEY}).")
    failed = stacks.failures(stacks.last_operation(stacks.events(cfn, stack), stack))
    if not failed:
        return "", (f"Stack {stack} is UPDATE_ROLLBACK_COMPLETE, but no resource event of its last update says why it "
                    "failed: look at the stack's events.")
    first = failed[0]
    return f"{first['LogicalResourceId']} {first['ResourceStatus']}: {first['ResourceStatusReason']}", ""


def apply_rollback(ctx: Context) -> None:
    cfn, stack, change = ctx.clients.cloudformation, stack_name(ctx.name), broken_change_set(ctx.name)
    reason, problem = rolled_back(ctx)
    if reason:
        return
    found = stacks.stack(cfn, stack)
    if found is None or found["StackStatus"] not in STABLE:
        raise StepBlocked(f"{problem} (Do step 3 first.)")
    described = stacks.change_set(cfn, stack, change)
    if described is not None and (described["Status"] == "FAILED" or described["ExecutionStatus"] != "AVAILABLE"):
        cfn.delete_change_set(StackName=stack, ChangeSetName=change)
        described = None
    if described is None:
        bucket = bucket_name(ctx.name, ctx.account_id)
        broken = template.packaged(bucket, _key(), boundary=_boundary(ctx), broken=True)
        cfn.create_change_set(StackName=stack, ChangeSetName=change, ChangeSetType="UPDATE",
                              TemplateBody=template.body(broken), Parameters=template.parameters(ctx.website_origin),
                              Capabilities=CAPABILITIES, Tags=ctx.tag_list(), Description=BROKEN_DESCRIPTION)
    described = stacks.wait_change_set(ctx, stack, change)
    if described["Status"] == "FAILED":
        raise StepBlocked(f"The change set {change} failed: {described.get('StatusReason')}")
    ctx.note(f"Change set {change} would: {stacks.changes_text(stacks.changes(described))}")
    cfn.execute_change_set(StackName=stack, ChangeSetName=change)
    stacks.wait_stack(ctx, stack)
    reason, problem = rolled_back(ctx)
    ctx.note(f"The update failed and rolled back: {reason}" if reason else problem,
             status="info" if reason else "fail")


def check_rollback(ctx: Context) -> CheckResult:
    reason, problem = rolled_back(ctx)
    if problem:
        return CheckResult.failed(problem)
    config, _, problem = deployed_function(ctx)
    if problem:
        return CheckResult.failed(problem)
    if code_problem(ctx, config) or config.get("Description") == BROKEN_DESCRIPTION:
        return CheckResult.failed(f"Stack {stack_name(ctx.name)} says it rolled back, but function "
                                  f"{config['FunctionName']} does not run version 1 (CodeSha256 {config['CodeSha256']}).")
    return CheckResult.passed(f"The update failed and CloudFormation rolled the stack back to UPDATE_ROLLBACK_COMPLETE. "
                              f"Why, from the stack's events: {reason}. The function still runs version 1.")
