"""Lab pages: the index and a lab, starting runs, the run page and its live updates, and the
front door to a local run's deployed website and API. Learners only ever reach their own runs."""

import io
import json
import re
import zipfile

import pytest
from django.urls import reverse

from labs.catalog import all_labs
from labs.models import LabRun, RunEvent
from tests.factories import LabRunFactory, LedgerEntryFactory, RunEventFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_index_lists_the_labs_and_says_when_the_sandbox_is_down(client, sandbox_down):
    html = client.get(reverse("labs:index")).content.decode()
    assert "A full-stack serverless web app" in html and 'href="/labs/fullstack/"' in html
    assert "The local sandbox is not running" in html and "python manage.py sandbox" in html and "make run" in html


def test_index_says_the_sandbox_is_up(client, sandbox_url):
    html = client.get(reverse("labs:index")).content.decode()
    assert "Local sandbox running" in html and sandbox_url in html


def test_lab_page_shows_the_diagram_steps_sam_template_and_code(client, sandbox_down):
    html = client.get(reverse("labs:detail", args=["fullstack"])).content.decode()
    assert '<svg class="diagram-svg"' in html and 'data-part="table"' in html
    for title in ("Create the DynamoDB table", "Deploy the Lambda function", "Build the REST API", "Publish the website"):
        assert title in html
    text = re.sub(r"<[^>]+>", "", html)  # the code is highlighted: tokens are wrapped in spans
    assert "AWS::Serverless::Function" in text and "def handler(event, context)" in text
    assert "Log in to start" in html
    assert client.get(reverse("labs:detail", args=["nope"])).status_code == 404


def test_start_button_is_disabled_while_the_sandbox_is_down(learner_client, sandbox_down):
    html = learner_client.get(reverse("labs:detail", args=["fullstack"])).content.decode()
    assert 'type="submit" disabled' in html
    response = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "guided", "sandbox": "local"}, follow=True)
    assert "The local sandbox is not running" in response.content.decode()
    assert not LabRun.objects.exists()


def test_starting_needs_a_login(client, sandbox_url):
    response = client.post(reverse("labs:start", args=["fullstack"]), {"mode": "guided"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_starting_a_guided_run_opens_its_page(learner_client, learner, sandbox_url):
    response = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "guided", "sandbox": "local"})
    run = LabRun.objects.get(user=learner)
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.mode == "guided" and run.status == LabRun.Status.WAITING and run.website_origin == "http://testserver"
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert "Check my progress" in html and "Do it for me" in html and "Run the rest automatically" in html
    assert f"export AWS_ACCESS_KEY_ID={run.sandbox.account_id}" in html and f"export TABLE={run.prefix}-items" in html
    assert 'hx-trigger="every 1s"' in html
    # A second run of the same lab waits until this one is over.
    again = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "auto"}, follow=True)
    assert "already have a run of this lab" in again.content.decode() and LabRun.objects.count() == 1


def test_starting_an_automatic_run_queues_it(learner_client, learner, sandbox_url, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "auto", "sandbox": "local"})
    run = LabRun.objects.get(user=learner)
    assert run.status == LabRun.Status.QUEUED and run.pending_action == "auto" and run.task_id
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get(id=run.task_id)
    assert task.task_path == "labs.engine.tasks.execute_run" and task.args_kwargs["args"] == [run.pk]


def test_choosing_an_aws_account_without_one_connected_leads_to_connecting_it(learner_client, sandbox_url):
    response = learner_client.post(reverse("labs:start", args=["fullstack"]), {"mode": "guided", "sandbox": "aws"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("labs:account")
    assert "Connect your AWS account first" in response.content.decode() and not LabRun.objects.exists()


def test_learner_b_gets_404_for_everything_of_learner_as_run(client, sandbox_url):
    run = LabRunFactory(outputs={"bucket": "b", "api_id": "a", "stage": "prod"})
    client.force_login(UserFactory())
    urls = [reverse("labs:run", args=[run.pk]), reverse("labs:run_live", args=[run.pk]),
            reverse("labs:run_files", args=[run.pk, "website"]), reverse("labs:run_site", args=[run.pk]),
            reverse("labs:run_site_path", args=[run.pk, "app.js"]), reverse("labs:run_api", args=[run.pk, "items"])]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in (reverse("labs:run_action", args=[run.pk]), reverse("labs:run_teardown", args=[run.pk]),
                reverse("labs:run_api", args=[run.pk, "items"])):
        assert client.post(url, {"action": "apply", "step": "table"}).status_code == 404, url
    run.refresh_from_db()
    assert run.status == LabRun.Status.WAITING and not run.abandon_requested
    assert client.get(reverse("labs:run", args=[run.pk + 1000])).status_code == 404


def test_anonymous_visitors_reach_no_run(client):
    run = LabRunFactory()
    assert client.get(reverse("labs:run", args=[run.pk])).status_code == 302
    assert client.get(reverse("labs:run_api", args=[run.pk, "items"])).status_code == 404


def test_live_updates_answer_204_when_nothing_changed(client, sandbox_down):
    run = LabRunFactory()
    client.force_login(run.user)
    event = RunEventFactory(run=run, message="First thing.")
    url = reverse("labs:run_live", args=[run.pk])
    response = client.get(url, {"after": event.pk, "v": run.updated_at.isoformat()})
    assert response.status_code == 204
    RunEventFactory(run=run, kind="check", status="ok", step="table", message="Table is fine.")
    html = client.get(url, {"after": event.pk, "v": run.updated_at.isoformat()}).content.decode()
    assert "Table is fine." in html and "First thing." not in html
    assert 'id="run-events" hx-swap-oob="beforeend"' in html and 'id="run-status" class="run-status" hx-swap-oob="true"' in html


def test_a_finished_run_stops_polling(client, sandbox_down):
    run = LabRunFactory(status=LabRun.Status.CLEANED, outcome=LabRun.Outcome.PASSED)
    client.force_login(run.user)
    html = client.get(run.get_absolute_url()).content.decode()
    assert "hx-trigger" not in html.split('id="run-poller"')[1].split(">")[0]
    assert "Start a new run" in html and "Check my progress" not in html


def test_actions_through_htmx_answer_with_the_live_parts(client, django_capture_on_commit_callbacks):
    run = LabRunFactory()
    client.force_login(run.user)
    url = reverse("labs:run_action", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "apply", "step": "table"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "You asked: Do it for me: Create the DynamoDB table." in html
    run.refresh_from_db()
    assert (run.status, run.pending_action, run.pending_step) == (LabRun.Status.QUEUED, "apply", "table")
    busy = client.post(url, {"action": "check", "step": "table"}, HTTP_HX_REQUEST="true")
    assert "busy" in json.loads(busy["HX-Trigger"])["labs:notice"]
    plain = client.post(url, {"action": "check", "step": "nope"})
    assert plain.status_code == 302


def test_teardown_button_on_a_waiting_run(client, django_capture_on_commit_callbacks):
    run = LabRunFactory()
    client.force_login(run.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("labs:run_teardown", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.pending_action, run.outcome) == (LabRun.Status.QUEUED, "teardown", LabRun.Outcome.ABANDONED)


def test_the_lab_files_for_doing_it_by_hand(client):
    run = LabRunFactory(outputs={"api_url": "/labs/runs/9/api"})
    client.force_login(run.user)
    function = zipfile.ZipFile(io.BytesIO(client.get(reverse("labs:run_files", args=[run.pk, "items_api"])).content))
    assert function.namelist() == ["app.py"]
    website = zipfile.ZipFile(io.BytesIO(client.get(reverse("labs:run_files", args=[run.pk, "website"])).content))
    assert sorted(website.namelist()) == ["app.css", "app.js", "config.js", "index.html"]
    assert b'"/labs/runs/9/api"' in website.read("config.js")
    assert client.get(reverse("labs:run_files", args=[run.pk, "secrets"])).status_code == 404


def test_the_run_page_shows_what_is_left_and_how_to_delete_it(client, sandbox_down):
    run = LabRunFactory(status=LabRun.Status.TEARDOWN_FAILED, message="Teardown could not delete everything.")
    LedgerEntryFactory(run=run, name="sa-x-items", status="delete_failed", error="connection refused")
    client.force_login(run.user)
    html = client.get(run.get_absolute_url()).content.decode()
    assert "Retry teardown" in html and "connection refused" in html
    assert "aws dynamodb delete-table --table-name sa-x-items --region us-east-1 --endpoint-url" in html


def test_dashboard_card_shows_runs_and_what_still_holds_resources(client):
    run = LabRunFactory(status=LabRun.Status.LIVE, outcome=LabRun.Outcome.PASSED)
    LedgerEntryFactory(run=run)
    LedgerEntryFactory(run=run, kind="s3:bucket")
    LabRunFactory(user=run.user, status=LabRun.Status.CLEANED, outcome=LabRun.Outcome.ABANDONED)
    LedgerEntryFactory(run=LabRunFactory(), status="created")  # someone else's
    client.force_login(run.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Still deployed:" in html and "2 resources" in html and run.prefix in html
    assert f"<strong>1</strong> <span class=\"muted\">of {len(all_labs())} labs passed</span>" in html  # every lab in the catalog
    assert html.count("run-chip status-") == 2


def test_dashboard_card_without_runs(learner_client):
    assert "No lab runs yet" in learner_client.get(reverse("dashboard")).content.decode()


# The front door, against a real MiniStack -----------------------------------------------------

@pytest.fixture
def deployed(sandbox_url, transactional_db):
    """A guided run whose four steps are built, by the real worker."""
    from labs import services
    from labs.catalog import get_lab
    from tests.labs.conftest import run_worker

    learner = UserFactory()
    run = services.lab_run_start(user=learner, lab=get_lab("fullstack"), mode="guided", website_origin="http://testserver")
    services.lab_run_request(run=run, action="auto")
    run_worker()
    run.refresh_from_db()
    assert run.status == LabRun.Status.LIVE, run.message
    yield run
    services.lab_run_teardown(run=run)
    run_worker()


@pytest.mark.django_db(transaction=True)
def test_the_site_serves_the_deployed_website_and_forwards_its_api(client, deployed):
    run = deployed
    client.force_login(run.user)
    page = client.get(reverse("labs:run_site", args=[run.pk]))
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b'id="items-app"' in page.content and "connect-src 'self'" in page["Content-Security-Policy"]
    script = client.get(reverse("labs:run_site_path", args=[run.pk, "app.js"]))
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    config = client.get(reverse("labs:run_site_path", args=[run.pk, "config.js"])).content.decode()
    assert f'"/labs/runs/{run.pk}/api"' in config
    missing = client.get(reverse("labs:run_site_path", args=[run.pk, "no/such/page"]))
    assert missing.status_code == 404 and b'id="items-app"' in missing.content  # the error document

    api = f"/labs/runs/{run.pk}/api"
    created = client.post(f"{api}/items", '{"title": "From the browser"}', content_type="application/json",
                          HTTP_ORIGIN="http://testserver")
    assert created.status_code == 201, created.content
    item = created.json()
    assert created["Access-Control-Allow-Origin"] == "http://testserver"
    listed = client.get(f"{api}/items").json()["items"]
    assert [entry["title"] for entry in listed] == ["From the browser"]
    assert client.get(f"{api}/items/{item['id']}").json()["title"] == "From the browser"
    bad = client.post(f"{api}/items", "{oops", content_type="application/json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    preflight = client.options(f"{api}/items", HTTP_ORIGIN="http://testserver", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 200 and preflight["Access-Control-Allow-Origin"] == "http://testserver"
    assert client.delete(f"{api}/items/{item['id']}").status_code == 204
    assert client.get(f"{api}/items/{item['id']}").status_code == 404

    # Another site's page cannot drive the learner's API through their session.
    hostile = client.post(f"{api}/items", '{"title": "x"}', content_type="application/json", HTTP_ORIGIN="https://evil.example")
    assert hostile.status_code == 403

    # Another learner reaches none of it.
    client.force_login(UserFactory())
    assert client.get(reverse("labs:run_site", args=[run.pk])).status_code == 404
    assert client.get(f"{api}/items").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_website_is_gone_after_teardown(client, deployed):
    from labs import services
    from tests.labs.conftest import run_worker

    client.force_login(deployed.user)
    services.lab_run_teardown(run=deployed)
    run_worker()
    response = client.get(reverse("labs:run_site", args=[deployed.pk]))
    assert response.status_code == 404 and "torn down" in response.content.decode()
    assert client.get(f"/labs/runs/{deployed.pk}/api/items").status_code == 404


def test_the_website_needs_the_sandbox(client, sandbox_down):
    run = LabRunFactory(outputs={"bucket": "b", "api_id": "a", "stage": "prod"})
    client.force_login(run.user)
    assert client.get(reverse("labs:run_site", args=[run.pk])).status_code == 503
    assert client.get(reverse("labs:run_api", args=[run.pk, "items"])).status_code == 503
    assert RunEvent.objects.count() == 0


def test_the_run_diagram_has_a_text_alternative_with_each_part_and_its_state(client, sandbox_down):
    """Issue 18: the lighting diagram makes sense without sight."""
    run = LabRunFactory(step_states={"table": "passed", "function": "failed", "api": "pending", "website": "pending"})
    client.force_login(run.user)
    html = client.get(run.get_absolute_url()).content.decode()
    start = html.index('aria-label="Architecture parts and their state"')
    listing = html[start:html.index("</ul>", start)]
    assert "built and checked" in listing and "needs attention" in listing and "not built yet" in listing
