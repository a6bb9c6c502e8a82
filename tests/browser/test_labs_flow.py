"""A learner runs the full-stack lab in real Chromium against a real MiniStack: guided mode,
"Do it for me" on one step (from the keyboard), "Check my progress" on it, the rest
automatically, then the deployed website through the site (adding an item), then teardown.

The task worker is the real one (django-tasks-db's db_worker), run between the clicks in this
thread. With SQLite in memory the live server's request threads share this thread's database
connection, and one SQLite connection cannot serve two statements at once ("database table is
locked"), so requests and worker runs take turns here; on a real site each has its own."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.keyboard import tab_to
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_builds_checks_runs_opens_and_tears_down_the_fullstack_lab(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "grace")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labs").click()
    expect(page.get_by_text("Local sandbox running")).to_be_visible()
    shot(page, "labs-index", full_page=True)

    page.get_by_role("link", name="A full-stack serverless web app").click()
    expect(page.get_by_role("heading", name="A full-stack serverless web app", level=1)).to_be_visible()
    shot(page, "labs-detail", full_page=True)
    expect(page.get_by_label("Guided")).to_be_checked()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="grace")
    expect(page.locator("#run-status")).to_contain_text("Waiting for you")
    # The local sandbox has no console: each step opens on its AWS CLI tab (issue 14).
    cli = page.locator(".run-steps .tabbed-labels > label", has_text="AWS CLI").first
    expect(page.locator("#" + cli.get_attribute("for"))).to_be_checked()
    # Every command block has a Copy button.
    blocks = page.locator(".step-instructions .prose div.highlight")
    assert blocks.count() > 0 and blocks.count() == page.locator(".step-instructions .code-copy").count()
    # A Python (boto3) tab beside Console and CLI; choosing it shows the boto3 code.
    boto3_tab = page.locator("#step-table .tabbed-labels > label", has_text="Python (boto3)")
    boto3_tab.click()
    expect(page.locator("#step-table .tabbed-block").nth(2)).to_contain_text('boto3.client("dynamodb")')
    # One command opens a shell set up for the run.
    page.get_by_text("Work in your sandbox yourself").click()
    expect(page.locator("#cli-shell")).to_have_text(f".venv/bin/python manage.py lab shell {run.pk}")

    # "Do it for me" on step 1, from the keyboard.
    tab_to(page, "#step-table-apply")  # Tab stops from the top of the page, each with a visible focus
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_contain_text("Queued")
    shot(page, "labs-run-queued")
    run_worker()
    expect(page.locator("#step-table-state")).to_contain_text("Passed")
    expect(page.locator("#step-table-state .check-message")).to_contain_text(f"Table {run.prefix}-items is ACTIVE")
    expect(page.locator('[data-part="table"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("dynamodb CreateTable")

    # "Check my progress" on the same step.
    page.locator("#step-table-check").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-events")).to_contain_text("Checking step 1: Create the DynamoDB table")
    expect(page.locator("#step-table-state")).to_contain_text("Passed")
    shot(page, "labs-run-step1")

    # The rest, automatically, then the end-to-end verify.
    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=15_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(7)
    expect(page.locator('[data-part="browser"]')).to_have_class(re.compile("part--verified"))
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "labs-run-verified")

    # The deployed website, through the site: add an item.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Open your app")).click()
    app = opened.value
    expect(app).to_have_url(re.compile(rf"/labs/runs/{run.pk}/site/$"))
    expect(app.locator("#status")).to_contain_text("No items yet")
    app.get_by_label("New item").fill("Ship the full-stack lab")
    app.get_by_role("button", name="Add").click()
    expect(app.locator(".items li")).to_have_count(1)
    expect(app.locator(".items li .title")).to_have_text("Ship the full-stack lab")
    shot(app, "labs-deployed-app")
    app.reload()
    expect(app.locator(".items li .title")).to_have_text("Ship the full-stack lab")  # it is in DynamoDB
    app.close()

    # Dark theme and a phone, while it is live.
    page.get_by_role("button", name="Switch to dark theme").click()
    page.wait_for_timeout(400)  # the diagram's colours fade over .3 s
    shot(page, "labs-run-verified-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the run page scrolls sideways on a phone ({width}px)"
    shot(page, "labs-run-phone-dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Switch to light theme").click()

    # Tear down.
    page.get_by_role("button", name="Finish and tear down").click()
    # The click's request must have queued the teardown before the worker looks for it.
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=15_000)
    expect(page.locator("#run-ledger summary")).to_contain_text("0 deployed")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "labs-run-cleaned")
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
