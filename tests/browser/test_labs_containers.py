"""A learner runs the containers lab in real Chromium against a real MiniStack: the lab page says what
the local sandbox runs and what only AWS runs, the guided first step from the keyboard, the rest
automatically, the verify's three checks, then teardown.

As in test_labs_flow.py, the worker runs between clicks in this thread."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Containers and shared storage: Fargate, EFS and Lambda"


def test_learner_runs_the_containers_lab_and_sees_what_only_aws_runs(page, lab_site, shot):  # noqa: F811
    base = lab_site.url
    log_in(page, base, "grace")
    page.goto(base + "/labs/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text("What the local sandbox runs, and what only AWS runs")).to_be_visible()
    expect(page.locator(".prose table").first).to_contain_text("nothing is mounted")
    shot(page, "labs-containers-detail", full_page=True)
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="grace")

    # The guided first step, from the keyboard.
    page.locator("#step-storage-apply").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-storage-state")).to_contain_text("Passed")
    expect(page.locator('[data-part="file_system"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#step-storage")).to_contain_text("only AWS runs this", ignore_case=True)

    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")  # the request is in: now the worker has it
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=30_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(3)
    expect(page.locator("#run-verify")).to_contain_text("mounts nothing")
    shot(page, "labs-containers-run-1280-light")

    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=20_000)
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
