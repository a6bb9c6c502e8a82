"""Lab fixtures: moto for unit tests of steps, a real MiniStack process for end-to-end runs."""

import pytest
from django.core.management import call_command

from labs import aws
from labs import sandbox as local
from labs.engine.lab import Context, MemoryRecorder, Names

MOTO_ACCOUNT = "123456789012"  # moto's default account: ARNs it builds name it
ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(scope="session")
def ministack():
    """A real MiniStack on a free port, bound to 127.0.0.1, for the whole session; stopped after."""
    with local.LocalSandbox(local.free_port()) as running:
        yield running


@pytest.fixture
def sandbox_url(ministack, settings):
    settings.LABS_SANDBOX_URL = ministack.url
    local.forget_status()
    yield ministack.url
    local.forget_status()


@pytest.fixture
def sandbox_down(settings):
    settings.LABS_SANDBOX_URL = f"http://127.0.0.1:{local.free_port()}"
    local.forget_status()
    yield settings.LABS_SANDBOX_URL
    local.forget_status()


@pytest.fixture
def moto_aws(monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    aws.forget_sessions()  # a session made before moto was imported would miss its hooks
    keep_file_system_configs(monkeypatch)
    with mock_aws():
        yield
    aws.forget_sessions()


def keep_file_system_configs(monkeypatch):
    """moto (5.x) drops a function's FileSystemConfigs; AWS (and MiniStack) keep them (the containers lab)."""
    from moto.awslambda.models import LambdaFunction

    real_init, real_get, real_update = (LambdaFunction.__init__, LambdaFunction.get_configuration,
                                        LambdaFunction.update_configuration)

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        spec = kwargs.get("spec", args[1] if len(args) > 1 else {})
        self.file_system_configs = list(spec.get("FileSystemConfigs") or [])

    def get_configuration(self, *args, **kwargs):
        config = real_get(self, *args, **kwargs)
        if getattr(self, "file_system_configs", None):
            config["FileSystemConfigs"] = self.file_system_configs
        return config

    def update_configuration(self, updates):
        if "FileSystemConfigs" in updates:
            self.file_system_configs = list(updates["FileSystemConfigs"] or [])
        return real_update(self, updates)

    monkeypatch.setattr(LambdaFunction, "__init__", init)
    monkeypatch.setattr(LambdaFunction, "get_configuration", get_configuration)
    monkeypatch.setattr(LambdaFunction, "update_configuration", update_configuration)


def make_context(*, prefix="sa-unit0001", account=MOTO_ACCOUNT, origin=ORIGIN, target=None, recorder=None):
    target = target or aws.Target(access_key_id="testing", secret_access_key="testing", region="us-east-1")
    recorder = recorder or MemoryRecorder()
    clients = aws.Clients(target)
    return Context(
        clients=clients, names=Names(prefix), region=target.region, account_id=account, recorder=recorder,
        website_origin=origin, public_api_base=lambda api_id, stage: f"/labs/runs/1/api", outputs={},
    )


@pytest.fixture
def ctx(moto_aws):
    """A step context on moto, recording events and the ledger in memory."""
    return make_context()


def run_worker():
    """Process every queued task with the real db_worker command, then return."""
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", verbosity=0)


def leftovers(target: aws.Target, prefix: str) -> dict:
    """Everything in the sandbox account whose name carries ``prefix``."""
    clients = aws.Clients(target)
    found = {
        "tables": [t for t in clients.dynamodb.list_tables()["TableNames"] if prefix in t],
        "functions": [f["FunctionName"] for f in clients.lambda_.list_functions()["Functions"] if prefix in f["FunctionName"]],
        "roles": [r["RoleName"] for r in clients.iam.list_roles()["Roles"] if prefix in r["RoleName"]],
        "apis": [a["name"] for a in clients.apigateway.get_rest_apis()["items"] if prefix in a["name"]],
        "buckets": [b["Name"] for b in clients.s3.list_buckets().get("Buckets", []) if prefix in b["Name"]],
        "log_groups": [g["logGroupName"] for g in clients.logs.describe_log_groups()["logGroups"] if prefix in g["logGroupName"]],
        "state_machines": [m["name"] for m in clients.stepfunctions.list_state_machines()["stateMachines"] if prefix in m["name"]],
        "file_systems": [f["FileSystemId"] for f in clients.efs.describe_file_systems()["FileSystems"]
                         if prefix in f.get("CreationToken", "")],
        "clusters": [c for c in clients.ecs.list_clusters()["clusterArns"] if prefix in c],
        "task_definitions": [t for t in clients.ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] if prefix in t],
    }
    return {kind: names for kind, names in found.items() if names}
