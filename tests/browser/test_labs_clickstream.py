"""A learner opens the clickstream lab in real Chromium against a real MiniStack: the lab page
(diagram, the sandbox's "runs vs stores" table), a guided run, "Do it for me" on the first step
(the Kinesis stream) and "Check my progress", then the rest automatically with the 1,000-event
verify, then teardown. The worker runs between clicks (see test_labs_flow.py for why)."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import ministack  # noqa: F401 - ministack is a fixture
from tests.labs.self_test import inventory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_builds_the_stream_then_runs_and_tears_down_the_clickstream_lab(page, lab_site, shot, settings):
    settings.LABS_CLICKSTREAM_WAIT_SECONDS = 60
    base = lab_site.url
    log_in(page, base, "ada")
    page.goto(f"{base}/labs/")
    page.get_by_role("link", name="Clickstream analytics").click()
    expect(page.get_by_role("heading", name="Clickstream analytics", level=1)).to_be_visible()
    expect(page.locator('[data-part="stream"]')).to_be_visible()
    expect(page.get_by_text("What the local sandbox runs, and what it only stores")).to_be_visible()
    shot(page, "labs-clickstream-detail", full_page=True)
    expect(page.get_by_label("Guided")).to_be_checked()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="ada")

    page.locator("#step-stream-apply").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-stream-state")).to_contain_text("Passed")
    expect(page.locator("#step-stream-state .check-message")).to_contain_text(f"Stream {run.prefix}-clicks is ACTIVE")
    expect(page.locator('[data-part="stream"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("kinesis CreateStream")

    page.locator("#step-counter-check").click()  # not built yet: the check says what to do
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-counter-state .check-message")).to_contain_text(f"{run.prefix}-page-views")

    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=30_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(6)
    expect(page.locator("#run-verify")).to_contain_text("matches the generated data exactly")
    shot(page, "labs-clickstream-verified")

    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=30_000)
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    assert inventory(aws.target_for(run.sandbox)) == {}
