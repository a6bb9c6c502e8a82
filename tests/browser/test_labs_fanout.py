"""A learner opens the order fan-out lab in real Chromium against a real MiniStack: the lab page
(its diagram with a text alternative, the Python tab, what the local sandbox really runs for these
services), then the guided first step ("Do it for me" on the tables, from the keyboard), its check,
the diagram lighting up, and teardown."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_opens_the_fanout_lab_builds_the_tables_and_tears_down(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "ada")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labs").click()
    page.get_by_role("link", name="Order events fan-out").click()
    expect(page.get_by_role("heading", name="Order events fan-out", level=1)).to_be_visible()
    # The diagram names every part for a screen reader.
    diagram = page.locator("svg.diagram-svg")
    expect(diagram.locator("title")).to_contain_text("SNS topic")
    for part in ("client", "api", "topic", "queues", "dlq", "consumers", "tables", "bus", "cancel", "roles"):
        expect(page.locator(f'[data-part="{part}"]')).to_have_count(1)
    # What the local sandbox really runs for SNS, SQS and EventBridge, and what it only stores.
    expect(page.get_by_text("The local sandbox really runs:")).to_be_attached()
    expect(page.get_by_text("MaximumBatchingWindowInSeconds: stored", exact=False)).to_be_attached()
    shot(page, "labs-fanout-detail", full_page=True)

    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="ada")
    expect(page.locator("#run-status")).to_contain_text("Waiting for you")
    python_tab = page.locator(".run-steps .tabbed-labels > label", has_text="Python (boto3)").first
    python_tab.click()
    expect(page.locator(".step-instructions").first).to_contain_text("boto3.client(\"dynamodb\")")

    # "Do it for me" on step 1, from the keyboard.
    page.locator("#step-tables-apply").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-tables-state")).to_contain_text("Passed")
    expect(page.locator("#step-tables-state .check-message")).to_contain_text(f"{run.prefix}-orders")
    expect(page.locator('[data-part="tables"]')).to_have_class(re.compile("part--built"))
    expect(page.locator('[data-part="topic"]')).not_to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("dynamodb CreateTable")

    # "Check my progress" on step 2 before building it says what to build.
    page.locator("#step-queues-check").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-queues-state .check-message")).to_contain_text(f"{run.prefix}-billing-dlq")
    shot(page, "labs-fanout-step1")

    page.on("dialog", lambda dialog: dialog.accept())  # "Delete everything this run created and end it?"
    page.locator("#run-teardown").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=15_000)
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
