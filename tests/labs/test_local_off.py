"""LABS_LOCAL_SANDBOX=off, for hosted deployments: anything that reaches the sandbox's port can run
code as the site's user, so an operator can switch it off. The labs pages then offer only the
learner's own AWS account, nothing starts or reaches a local sandbox, and `make run` does not
start the emulator."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from labs import aws, services
from labs.catalog import get_lab
from labs.models import LabRun, Sandbox
from tests.factories import LabRunFactory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def local_off(settings, sandbox_url):
    """The sandbox is up and answering: only the setting keeps the site away from it."""
    settings.LABS_LOCAL_SANDBOX = False
    return settings


def site_processes(value: str | None) -> dict:
    env = {key: val for key, val in os.environ.items() if key != "LABS_LOCAL_SANDBOX"}
    if value is not None:
        env["LABS_LOCAL_SANDBOX"] = value
    code = "import django; django.setup(); from django.conf import settings; import json; print(json.dumps(sorted(settings.SITE_PROCESSES)))"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "courseware.settings"},
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_make_run_starts_the_emulator_only_when_the_local_sandbox_is_on():
    assert "sandbox" in site_processes(None) and "sandbox" in site_processes("on")
    for off in ("off", "OFF", "0", "false"):
        assert site_processes(off) == ["periodic", "web", "worker"]


def test_the_pages_offer_only_the_own_account_path(local_off, learner_client):
    index = learner_client.get(reverse("labs:index")).content.decode()
    assert "Local sandbox running" not in index and "not running" not in index
    page = learner_client.get(reverse("labs:detail", args=["fullstack"])).content.decode()
    assert 'value="local"' not in page and "Cost in the local sandbox" not in page
    assert "its local sandbox is switched off" in page and "Connect your AWS account" in page


def test_starting_a_local_run_is_refused_and_points_at_the_account_page(local_off, learner_client, learner):
    response = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "auto", "sandbox": "local"})
    assert response.status_code == 302 and response.url == reverse("labs:account")
    assert not LabRun.objects.exists()
    with pytest.raises(aws.SandboxUnavailable, match="LABS_LOCAL_SANDBOX=off"):
        services.lab_run_start(user=learner, lab=get_lab("fullstack"), mode="auto", website_origin="http://testserver")
    with pytest.raises(aws.SandboxUnavailable, match="switched off"):
        aws.target_for(Sandbox.local_for(learner))
    with pytest.raises(CommandError, match="switched off"):
        call_command("sandbox")


def test_an_earlier_local_run_is_not_served_through_the_front_door(local_off, learner_client, learner):
    run = LabRunFactory(user=learner, status=LabRun.Status.LIVE,
                        outputs={"bucket": "sa-x-web", "api_id": "abc", "stage": "prod"})
    site = learner_client.get(reverse("labs:run_site_path", args=[run.pk, "index.html"]))
    api = learner_client.get(reverse("labs:run_api", args=[run.pk, "items"]))
    assert site.status_code == 404 and b"switched off" in site.content
    assert api.status_code == 404 and b"switched off" in api.content


def test_with_the_local_sandbox_on_the_choice_is_there(settings, sandbox_url, learner_client):
    settings.LABS_LOCAL_SANDBOX = True
    page = learner_client.get(reverse("labs:detail", args=["fullstack"])).content.decode()
    assert 'value="local"' in page and "Local sandbox running" in page


def test_the_lab_page_lists_what_the_local_sandbox_enforces(settings, sandbox_url, client):
    settings.LABS_LOCAL_SANDBOX = True
    page = client.get(reverse("labs:detail", args=["video"])).content.decode()
    assert "What the local sandbox enforces" in page
    assert "A function runs as its execution role" in page and "Resource-based policies on functions" in page
    settings.LABS_LOCAL_SANDBOX = False
    assert "What the local sandbox enforces" not in client.get(reverse("labs:detail", args=["video"])).content.decode()
