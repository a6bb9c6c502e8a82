"""A learner opens the edge lab in real Chromium against a real MiniStack, reads what the local
sandbox runs and what only AWS runs, starts it guided and has the first step done for them, then
abandons the run, which tears it down."""

import re

import pytest
from playwright.sync_api import expect

from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "At the edge: CloudFront, CloudFront Functions and Lambda@Edge"


def test_learner_opens_the_edge_lab_and_builds_its_first_step(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "edgar")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labs").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # The page says plainly what the local sandbox runs and what only AWS runs.
    expect(page.get_by_text("stored only", exact=False).first).to_be_visible()
    expect(page.get_by_text("Only AWS runs the association", exact=False).first).to_be_visible()
    diagram = page.locator('svg[aria-labelledby="edge-diagram-title edge-diagram-desc"]')
    expect(diagram.locator('[data-part="edge_function"]')).to_be_visible()
    shot(page, "labs-edge-detail", full_page=True)

    expect(page.get_by_label("Guided")).to_be_checked()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="edgar")
    page.locator("#step-origin-apply").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-origin-state")).to_contain_text("Passed")
    expect(page.locator("#step-origin-state .check-message")).to_contain_text(f"Bucket {run.prefix}-site-")
    expect(page.locator('[data-part="bucket"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("s3 CreateBucket")
    shot(page, "labs-edge-step1")

    expect(page.get_by_text("Publish the origin-response Lambda@Edge function").first).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # "Delete everything this run created and end it?"
    page.get_by_role("button", name="Abandon and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=15_000)
