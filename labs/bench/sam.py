"""The SAM lab's benchmark baseline: the same work with bare boto3 and nothing around it. Validate
offline (the SAM transform and cfn-lint, as the lab does), package (bucket, zip, packaged template,
ValidateTemplate), a change set executed into a stack, the verify's HTTP requests through the ApiUrl
output, the version 2 update that fails and rolls back (its events read), and teardown (the stack,
its function's log group, the bucket). The engine side is ``labs.bench.fullstack.run_bench`` with
``slug="sam"``.

    python manage.py lab bench --lab sam --rounds 3
"""

import json
import time
import urllib.error
import urllib.request

from labs import aws
from labs.bench.fullstack import _timed
from labs.catalog.sam import template

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def _wait(cfn, stack: str, change_set: str = "") -> dict:
    while True:
        if change_set:
            found = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
            if found["Status"] in ("CREATE_COMPLETE", "FAILED"):
                return found
        else:
            found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
            if not found["StackStatus"].endswith("_IN_PROGRESS"):
                return found
        time.sleep(0.05)


def baseline_sam(endpoint_url: str, account_id: str, region: str = "us-east-1", origin: str = "http://127.0.0.1:8000") -> dict:
    """Deploy the full-stack template as a stack, call it, break an update, tear down. Seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("cloudformation", "s3", "lambda", "dynamodb", "logs")}
    cfn, s3 = c["cloudformation"], c["s3"]
    prefix = f"bench-{int(time.time() * 1000) % 10**8:08d}"
    bucket, stack, key = f"{prefix}-artifacts-{account_id}", f"{prefix}-stack", f"items_api/{template.package_digest()[:16]}.zip"
    phases, started = {}, time.perf_counter()

    # Validate and package, change set, execute.
    packaged = template.packaged(bucket, key)
    body = template.body(packaged)
    assert template.translate(packaged, origin, region)[1] == "" and template.lint_errors(body, region) == []
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=template.package())
    s3.put_object(Bucket=bucket, Key="packaged.template.json", Body=body.encode())
    cfn.validate_template(TemplateBody=body)
    cfn.create_change_set(StackName=stack, ChangeSetName=f"{prefix}-create", ChangeSetType="CREATE", TemplateBody=body,
                          Parameters=template.parameters(origin), Capabilities=CAPABILITIES)
    assert _wait(cfn, stack, f"{prefix}-create")["Status"] == "CREATE_COMPLETE"
    cfn.execute_change_set(StackName=stack, ChangeSetName=f"{prefix}-create")
    described = _wait(cfn, stack)
    assert described["StackStatus"] == "CREATE_COMPLETE", described["StackStatus"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    api_id = outputs["ApiUrl"].split("//")[1].split(".")[0]
    function = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="ItemsFunction")[
        "StackResourceDetail"]["PhysicalResourceId"]
    started = _timed(phases, "deploy", started)

    # The verify's requests, through the outputs.
    base = f"{endpoint_url}/_aws/execute-api/{api_id}/prod"
    auth = {"Authorization": f"AWS4-HMAC-SHA256 Credential={account_id}/20260101/{region}/execute-api/aws4_request, "
                             "SignedHeaders=host, Signature=0", "Content-Type": "application/json"}

    def call(method, path, data=None):
        request = urllib.request.Request(base + path, data=data, method=method, headers=auth)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    assert call("GET", "/items")[0] == 200
    status, answer = call("POST", "/items", b'{"title": "bench"}')
    assert status == 201, (status, answer)
    new_id = json.loads(answer)["id"]
    assert "Item" in c["dynamodb"].get_item(TableName=outputs["TableName"], Key={"id": {"S": new_id}})
    assert call("GET", f"/items/{new_id}")[0] == 200
    assert call("DELETE", f"/items/{new_id}")[0] == 204
    assert call("GET", f"/items/{new_id}")[0] == 404
    started = _timed(phases, "verify", started)

    # The update that breaks, and its rollback.
    broken = template.body(template.packaged(bucket, key, broken=True))
    cfn.create_change_set(StackName=stack, ChangeSetName=f"{prefix}-v2", ChangeSetType="UPDATE", TemplateBody=broken,
                          Parameters=template.parameters(origin), Capabilities=CAPABILITIES)
    assert _wait(cfn, stack, f"{prefix}-v2")["Status"] == "CREATE_COMPLETE"
    cfn.execute_change_set(StackName=stack, ChangeSetName=f"{prefix}-v2")
    assert _wait(cfn, stack)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    assert any(e["ResourceStatus"] == "UPDATE_FAILED" and e["LogicalResourceId"] == "ItemsFunction" for e in events)
    assert call("GET", "/items")[0] == 200
    started = _timed(phases, "rollback", started)

    # Teardown.
    stack_id = described["StackId"]
    cfn.delete_stack(StackName=stack_id)
    while cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE":
        time.sleep(0.05)
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    keys = [{"Key": o["Key"]} for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases
