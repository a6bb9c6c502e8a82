"""How much the lab engine costs: a bare boto3 script against the engine's automatic run.

The baseline (:func:`baseline_fullstack`) makes the full-stack lab's calls with nothing around
them: deploy (table, role and policy, function, REST API with four routes, CORS, the invoke
permission, a stage, the website bucket and its files), the verify's HTTP requests, teardown.
The engine side starts an automatic run the way the site does (a ``LabRun``, a task in the
database queue) and waits until a real ``db_worker`` process has deployed, checked every
step, verified, and torn down. Rounds alternate which goes first.

    python manage.py lab bench --rounds 5
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack

from django.conf import settings
from django.utils import timezone

from labs import aws, sandbox
from labs.catalog import fullstack as fullstack_lab
from labs.catalog.fullstack import steps as fullstack_steps
from labs.toolkit import buckets, iam, rest_api
from labs.engine.lab import function_zip



def _timed(phases: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    phases[name] = now - started
    return now


def baseline_fullstack(endpoint_url: str, account_id: str, region: str = "us-east-1", origin: str = "http://127.0.0.1:8000") -> dict:
    """Deploy, call and tear down the full-stack app with bare boto3. Returns seconds per phase."""
    target = aws.local_target(account_id, region, endpoint_url)
    c = {name: aws.client(target, name) for name in ("dynamodb", "iam", "lambda", "apigateway", "s3", "logs")}
    prefix = f"bench-{int(time.time() * 1000) % 10**8:08d}"
    table, role, function, bucket = f"{prefix}-items", f"{prefix}-role", f"{prefix}-fn", f"{prefix}-web-{account_id}"
    phases, started = {}, time.perf_counter()

    # Deploy.
    table_arn = c["dynamodb"].create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    role_arn = c["iam"].create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST))["Role"]["Arn"]
    c["iam"].put_role_policy(RoleName=role, PolicyName="table", PolicyDocument=json.dumps(
        fullstack_steps.table_policy(table_arn, region, account_id, function)))
    function_arn = c["lambda"].create_function(
        FunctionName=function, Runtime="python3.12", Handler="app.handler", Role=role_arn,
        Code={"ZipFile": function_zip(fullstack_lab.LAB.function_folder("items_api"))}, Timeout=10, MemorySize=256,
        Environment={"Variables": {"TABLE_NAME": table, "ALLOWED_ORIGIN": origin}},
    )["FunctionArn"]
    while c["lambda"].get_function(FunctionName=function)["Configuration"]["State"] != "Active":
        time.sleep(0.05)
    apigw = c["apigateway"]
    api_id = apigw.create_rest_api(name=prefix, endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    uri = rest_api.integration_uri(region, function_arn)
    for resource, method in ((items, "GET"), (items, "POST"), (item, "GET"), (item, "DELETE")):
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri)
    for resource, methods in ((items, "GET,POST,OPTIONS"), (item, "GET,DELETE,OPTIONS")):
        wanted = rest_api.cors_parameters(origin, methods)
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="OPTIONS", authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="OPTIONS", type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="OPTIONS", statusCode="200",
                                  responseParameters={name: False for name in wanted})
        apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="OPTIONS", statusCode="200",
                                       responseParameters=wanted, responseTemplates={"application/json": ""})
    c["lambda"].add_permission(FunctionName=function, StatementId="apigw", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               SourceArn=f"arn:aws:execute-api:{region}:{account_id}:{api_id}/*")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    s3 = c["s3"]
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(buckets.public_read_policy(bucket)))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    for key, body, content_type in fullstack_steps.website_files("/api"):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    started = _timed(phases, "deploy", started)

    # The verify's requests.
    base = f"{endpoint_url}/_aws/execute-api/{api_id}/prod"
    auth = {"Authorization": f"AWS4-HMAC-SHA256 Credential={account_id}/20260101/{region}/execute-api/aws4_request, "
                             "SignedHeaders=host, Signature=0", "Content-Type": "application/json"}

    def call(method, path, body=None, headers=None):
        request = urllib.request.Request(base + path, data=body, method=method, headers={**auth, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    assert b"items-app" in s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
    status, body = call("POST", "/items", b'{"title": "bench"}')
    assert status == 201, (status, body)
    new_id = json.loads(body)["id"]
    assert "Item" in c["dynamodb"].get_item(TableName=table, Key={"id": {"S": new_id}})
    assert call("GET", "/items")[0] == 200
    assert call("GET", f"/items/{new_id}")[0] == 200
    assert call("DELETE", f"/items/{new_id}")[0] == 204
    assert call("GET", f"/items/{new_id}")[0] == 404
    assert "Item" not in c["dynamodb"].get_item(TableName=table, Key={"id": {"S": new_id}})
    assert call("POST", "/items", b"{not json")[0] == 400
    assert call("POST", "/items", b'{"done": false}')[0] == 400
    assert call("OPTIONS", "/items", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})[0] == 200
    started = _timed(phases, "verify", started)

    # Teardown.
    keys = [{"Key": o["Key"]} for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)
    apigw.delete_rest_api(restApiId=api_id)
    c["lambda"].delete_function(FunctionName=function)
    try:
        c["logs"].delete_log_group(logGroupName=f"/aws/lambda/{function}")
    except c["logs"].exceptions.ResourceNotFoundException:
        pass
    c["iam"].delete_role_policy(RoleName=role, PolicyName="table")
    c["iam"].delete_role(RoleName=role)
    c["dynamodb"].delete_table(TableName=table)
    _timed(phases, "teardown", started)
    phases["total"] = sum(phases.values())
    return phases


def engine_fullstack(user, sandbox_row, *, timeout: float = 60.0, slug: str = "fullstack") -> dict:
    """One automatic run of lab ``slug`` through the task queue, timed from enqueue to cleaned."""
    from labs import services
    from labs.catalog import get_lab
    from labs.models import LabRun

    started_at, started = timezone.now(), time.perf_counter()
    run = services.lab_run_start(user=user, lab=get_lab(slug), mode=LabRun.Mode.AUTO, sandbox=sandbox_row,
                                 website_origin=settings.LABS_SITE_ORIGIN, explore_seconds=0)
    while LabRun.objects.filter(pk=run.pk, status__in=LabRun.FINISHED).count() == 0:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"run {run.pk} did not finish within {timeout:.0f} s")
        time.sleep(0.01)
    total = time.perf_counter() - started
    run.refresh_from_db()
    if run.outcome != LabRun.Outcome.PASSED or run.status != LabRun.Status.CLEANED:
        raise RuntimeError(f"run {run.pk} ended {run.outcome}/{run.status}: {run.message}")
    events = list(run.events.order_by("id"))
    first_step = next(e.at for e in events if e.kind == "step")
    verify_start = next(e.at for e in events if e.kind == "verify")
    teardown_start = next(e.at for e in events if e.kind == "teardown")
    phases = {
        "queue": (first_step - started_at).total_seconds(),
        "deploy": (verify_start - first_step).total_seconds(),
        "verify": (teardown_start - verify_start).total_seconds(),
        "teardown": (events[-1].at - teardown_start).total_seconds(),
        "total": total,
        "events": len(events),
    }
    return phases


def run_bench(*, rounds: int, out=sys.stdout, slug: str = "fullstack", baseline_fn=None,
              limit_seconds: float | None = 5.0, engine_fn=None, engine_timeout: float = 60.0) -> dict:
    """Alternate baseline and engine ``rounds`` times (after one warm-up round each); print and return figures.
    Another lab passes its ``slug`` and its bare script (``baseline_fn(url, account, region, origin)``), and
    ``engine_fn(user, sandbox_row)`` when it times its automatic run its own way."""
    from django.contrib.auth import get_user_model

    from labs.models import LabRun, Sandbox

    with ExitStack() as stack:
        url = settings.LABS_SANDBOX_URL
        if not sandbox.health(url).up:
            local = stack.enter_context(sandbox.LocalSandbox(sandbox.free_port()))
            url = local.url
            out.write(f"Started a MiniStack for the benchmark at {url}\n")
        env = {**os.environ, "LABS_SANDBOX_URL": url}
        worker_args = [arg for arg in settings.SITE_PROCESSES["worker"]]
        worker = subprocess.Popen([sys.executable, "manage.py", *worker_args, "--no-startup-delay", "-v", "0"],
                                  cwd=settings.BASE_DIR, env=env)
        stack.callback(lambda: (worker.terminate(), worker.wait(10)))
        settings.LABS_SANDBOX_URL = url
        user, _ = get_user_model().objects.get_or_create(username="lab-bench", defaults={"is_active": False})
        sandbox_row = Sandbox.local_for(user)
        out.write(f"Worker: manage.py {' '.join(worker_args)} (pid {worker.pid}); sandbox account {sandbox_row.account_id}\n")

        def baseline():
            return (baseline_fn or baseline_fullstack)(url, sandbox_row.account_id, sandbox_row.region,
                                                       settings.LABS_SITE_ORIGIN)

        def engine():
            if engine_fn is not None:
                return engine_fn(user, sandbox_row)
            return engine_fullstack(user, sandbox_row, slug=slug, timeout=engine_timeout)

        baseline(), engine()  # warm-up: imports, first Lambda worker, first queries
        results = {"baseline": [], "engine": []}
        for number in range(1, rounds + 1):
            order = (("baseline", baseline), ("engine", engine)) if number % 2 else (("engine", engine), ("baseline", baseline))
            for name, measure in order:
                phases = measure()
                results[name].append(phases)
                shown = "  ".join(f"{key} {value:.2f}" for key, value in phases.items() if key not in ("total", "events"))
                extra = f"  ({phases['events']} events)" if "events" in phases else ""
                out.write(f"round {number}  {name:8}  {shown}  total {phases['total']:.2f} s{extra}\n")
        LabRun.objects.filter(user=user).delete()

    base = statistics.median(p["total"] for p in results["baseline"])
    eng = statistics.median(p["total"] for p in results["engine"])
    ratio = eng / base
    verdict = "OK" if ratio <= 1.5 and (limit_seconds is None or eng < limit_seconds) else "OVER BUDGET"
    budget = "within 1.5x" + (f" and under {limit_seconds:g} s" if limit_seconds is not None else "")
    out.write(f"median of {rounds}: baseline {base:.2f} s, engine {eng:.2f} s, ratio {ratio:.2f}x "
              f"(budget: {budget}): {verdict}\n")
    return {"baseline": base, "engine": eng, "ratio": ratio, "rounds": results}
