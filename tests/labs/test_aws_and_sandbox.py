"""The session factory and the local sandbox process: accounts per learner, adaptive retries,
MiniStack bound to 127.0.0.1 only and started without the site's secrets."""

import io
import json
import os
import signal
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from labs import aws
from labs import sandbox as local
from labs.models import Sandbox
from tests.factories import SandboxFactory, UserFactory


@pytest.mark.django_db
def test_each_learner_gets_a_local_sandbox_with_an_account_of_their_own():
    alice, bob = UserFactory(), UserFactory()
    first = Sandbox.local_for(alice)
    assert Sandbox.local_for(alice) == first  # one per learner
    other = Sandbox.local_for(bob)
    for sandbox in (first, other):
        assert len(sandbox.account_id) == 12 and sandbox.account_id.isdigit() and sandbox.account_id[0] != "0"
    assert first.account_id != other.account_id


@pytest.mark.django_db
def test_a_local_target_signs_as_the_learners_account(settings):
    settings.LABS_SANDBOX_URL = "http://127.0.0.1:4999"
    sandbox = SandboxFactory(account_id="314159265358", region="eu-west-1")
    target = aws.target_for(sandbox)
    assert (target.access_key_id, target.region, target.endpoint_url) == ("314159265358", "eu-west-1", "http://127.0.0.1:4999")
    client = aws.client(target, "dynamodb")
    assert client.meta.config.retries["mode"] == "adaptive"
    assert client.meta.endpoint_url == "http://127.0.0.1:4999" and client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == "314159265358"
    assert aws.client(target, "s3").meta.config.s3["addressing_style"] == "path"


@pytest.mark.django_db
def test_an_aws_account_sandbox_is_refused_until_it_is_connected():
    sandbox = SandboxFactory(kind=Sandbox.Kind.AWS)
    with pytest.raises(aws.SandboxUnavailable, match="not connected"):
        aws.target_for(sandbox)


def test_clients_report_every_call(ministack):
    calls = []
    target = aws.local_target("271828182845", "us-east-1", ministack.url)
    clients = aws.Clients(target, on_call=lambda *call: calls.append(call))
    clients.dynamodb.list_tables()
    with pytest.raises(Exception):
        clients.lambda_.get_function(FunctionName="missing")
    assert calls[0][:3] == ("dynamodb", "ListTables", 200) and isinstance(calls[0][3], int)
    assert calls[1][:3] == ("lambda", "GetFunction", 404) and calls[1][4] == "ResourceNotFoundException"


def test_health_says_plainly_when_nothing_answers():
    status = local.health(f"http://127.0.0.1:{local.free_port()}")
    assert not status.up and "nothing answers at http://127.0.0.1:" in status.detail


def test_the_sandbox_environment_is_minimal(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/academy")
    env = local.ministack_env(4600)
    assert env["BIND_HOST"] == "127.0.0.1" and env["GATEWAY_PORT"] == "4600"
    assert env["IOT_MTLS_ENABLED"] == "0" and env["SFTP_ENABLED"] == "0"
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env
    assert set(env) <= {"PATH", "HOME", "LANG", "TMPDIR", "GATEWAY_PORT", "BIND_HOST", "IOT_MTLS_ENABLED",
                        "SFTP_ENABLED", "LOG_LEVEL", "MINISTACK_REGION", "PYTHONUNBUFFERED", "AUTH",
                        "AWS_SECRET_ACCESS_KEY"}
    # The IAM evaluator is on, and the only secret is the sandbox's own root secret (a constant of the
    # site's local sandbox, replaced by each function's role session in the function's environment).
    assert env["AUTH"] == "true" and env["AWS_SECRET_ACCESS_KEY"] == aws.LOCAL_SECRET


def _listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process (and its children) listen on."""
    inodes = set()
    pids = {pid} | {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    for each in pids:
        for fd in Path(f"/proc/{each}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                address, port = fields[1].split(":")
                found.add((address, int(port, 16)))
    return found


def test_ministack_listens_on_127_0_0_1_only(ministack):
    sockets = _listening(ministack.process.pid)
    assert sockets == {("0100007F", ministack.port)}, sockets  # 127.0.0.1 in /proc's byte order; no 0.0.0.0:8883


def test_the_sandbox_command_reuses_a_running_sandbox(ministack, settings, monkeypatch, capsys):
    """`make run` starts `manage.py sandbox`; with one already up it must not die (the supervisor would stop the site)."""
    settings.LABS_SANDBOX_URL = ministack.url
    ticks = iter([None, None])

    def sleep(_):
        if next(ticks, "stop") == "stop":
            os.kill(os.getpid(), signal.SIGTERM)  # the command's handler turns this into a clean stop

    previous = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    monkeypatch.setattr("labs.management.commands.sandbox.time.sleep", sleep)
    try:
        call_command("sandbox", "--port", str(ministack.port))
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert "already answers" in capsys.readouterr().out


def test_lambda_functions_do_not_see_the_sites_environment(monkeypatch, tmp_path):
    """MiniStack runs functions as its children: started from a site holding secrets, none reach them."""
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/academy")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "import json, os\ndef handler(event, context):\n    return sorted(os.environ)\n")
    with local.LocalSandbox(local.free_port()) as sandbox:
        clients = aws.Clients(aws.local_target("161803398874", "us-east-1", sandbox.url))
        role = clients.iam.create_role(RoleName="env-probe", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        clients.lambda_.create_function(FunctionName="env-probe", Runtime="python3.12", Handler="app.handler", Role=role,
                                        Code={"ZipFile": code.getvalue()})
        while clients.lambda_.get_function(FunctionName="env-probe")["Configuration"]["State"] != "Active":
            pass
        seen = json.loads(clients.lambda_.invoke(FunctionName="env-probe")["Payload"].read())
    assert "AWS_LAMBDA_FUNCTION_NAME" in seen
    assert "SECRET_KEY" not in seen and "DATABASE_URL" not in seen
