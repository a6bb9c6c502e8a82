"""A learner opens the serverless relational lab in real Chromium against a real MiniStack, reads
that the local sandbox has no PostgreSQL engine (only AWS runs the SQL), starts it guided and has the
first step (the Aurora cluster) done for them, then abandons the run, which tears it down."""

import re

import pytest
from playwright.sync_api import expect

from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Serverless relational: Aurora Serverless v2, RDS Proxy and the Data API"


def test_learner_opens_the_relational_lab_and_builds_its_first_step(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "rosalind")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Labs").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # The page says plainly that the local sandbox runs no SQL.
    expect(page.get_by_text("only AWS runs the SQL", exact=False).first).to_be_visible()
    diagram = page.locator('svg[aria-labelledby="rel-diagram-title rel-diagram-desc"]')
    expect(diagram.locator('[data-part="cluster"]')).to_be_visible()
    shot(page, "labs-relational-detail", full_page=True)

    expect(page.get_by_label("Guided")).to_be_checked()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="rosalind")
    page.locator("#step-database-apply").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-database-state")).to_contain_text("Passed")
    expect(page.locator("#step-database-state .check-message")).to_contain_text(f"cluster {run.prefix}-db")
    expect(page.locator('[data-part="cluster"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("rds CreateDBCluster")
    shot(page, "labs-relational-step1")

    expect(page.get_by_text("Put an RDS Proxy in front of it").first).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # "Delete everything this run created and end it?"
    page.get_by_role("button", name="Abandon and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=15_000)
