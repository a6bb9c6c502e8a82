"""A learner opens the SAM lab in real Chromium against a real MiniStack: the lab page says what the
local sandbox emulates, the guided first step (validate and package) is done for them and checked,
the rest runs automatically (change set, stack, the update that rolls back), and teardown deletes
the stack. Requests and worker runs take turns (see tests/browser/labs_support.py)."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from labs.toolkit import stacks
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_packages_then_deploys_breaks_and_tears_down_the_sam_stack(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "margaret")
    page.goto(base + "/labs/sam/")
    expect(page.get_by_role("heading", name="Deploy with AWS SAM and CloudFormation", level=1)).to_be_visible()
    expect(page.get_by_text("What the local sandbox emulates, and what only AWS does")).to_be_visible()
    expect(page.locator('[data-part="stack"]')).to_have_count(1)
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="margaret")

    # The guided first step: "Do it for me", then its check.
    page.locator("#step-package-apply").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-package-state")).to_contain_text("Passed")
    expect(page.locator("#step-package-state .check-message")).to_contain_text("ValidateTemplate accepts it")
    expect(page.locator('[data-part="artifacts"]')).to_have_class(re.compile("part--built"))
    expect(page.locator("#run-events")).to_contain_text("cfn-lint finds no error")
    shot(page, "labs-sam-step1")

    # The rest automatically: the change set's changes and the rollback's reason are on the page.
    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=30_000)
    expect(page.locator("#run-events")).to_contain_text("Add ItemsFunction (AWS::Lambda::Function)")
    expect(page.locator("#step-rollback-state .check-message")).to_contain_text("UPDATE_ROLLBACK_COMPLETE")
    expect(page.locator("#run-verify .is-ok")).to_have_count(5)
    shot(page, "labs-sam-verified", full_page=True)

    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=30_000)
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    target = aws.target_for(run.sandbox)
    assert leftovers(target, run.prefix) == {}
    assert stacks.stack(aws.Clients(target).cloudformation, f"{run.prefix}-stack") is None
