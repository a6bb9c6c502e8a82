"""A learner runs the workflow lab in real Chromium against a real MiniStack: the guided first step
from the keyboard, the rest automatically, then the run page's panel draws the state machine lit up
from the executions' history (retries, compensation), a new execution started from the page, light
and dark, phone and desktop; then teardown.

As in test_labs_flow.py, the worker runs between clicks in this thread, and requests and worker runs
take turns (one SQLite connection in memory cannot serve two statements at once)."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.conftest import ARTIFACTS
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def panel_shot(panel, name):
    """The panel alone, to look at: tests/browser/artifacts/<name>.png (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    box = panel.bounding_box()
    panel.page.evaluate("window.scrollTo(0, 0)")  # the sticky header then sits above the panel
    box, top = panel.bounding_box(), 0
    # A full-page shot clipped to the panel: an element shot would scroll, and the sticky header would cover it.
    panel.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True,
                          clip={"x": box["x"], "y": box["y"] + top, "width": box["width"], "height": box["height"]})


def state(panel, name):
    return panel.locator(f'[data-state="{name}"]')


def test_learner_runs_the_workflow_lab_and_watches_the_state_machine(page, lab_site, shot):  # noqa: F811
    base = lab_site.url
    log_in(page, base, "ada")
    page.goto(base + "/labs/")
    page.get_by_role("link", name="An order workflow with Step Functions").click()
    expect(page.get_by_role("heading", name="An order workflow with Step Functions", level=1)).to_be_visible()
    expect(page.get_by_text("The same flow as an Express workflow")).to_be_visible()
    expect(page.locator("#use-case ~ table, .prose table").first).to_be_visible()
    shot(page, "labs-workflow-detail", full_page=True)
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="ada")

    # The guided first step, from the keyboard.
    page.locator("#step-functions-apply").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-functions-state")).to_contain_text("Passed")
    expect(page.locator('[data-part="functions"]')).to_have_class(re.compile("part--built"))
    panel = page.locator("#workflow-panel")
    expect(panel).to_contain_text("No state machine yet")

    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=20_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(4)

    # The panel reloads once verified and shows the latest execution; pick the flaky payment's.
    expect(panel.locator(".workflow-executions li")).to_have_count(4, timeout=10_000)
    panel.locator(".workflow-executions a", has_text="verify-flaky").click()
    expect(panel.locator(".workflow-execution")).to_contain_text("SUCCEEDED")
    expect(state(panel, "ChargePayment")).to_have_class(re.compile("wf-state--retried"))
    expect(state(panel, "ChargePayment")).to_contain_text("↻2")
    expect(state(panel, "PackItems")).to_have_class(re.compile("wf-state--succeeded"))
    expect(state(panel, "ReleaseStock")).to_have_class(re.compile("wf-state--idle"))
    expect(panel.locator("tbody")).to_contain_text("succeeded after retries (2 retries)")
    expect(panel.locator("thead")).to_contain_text("Tries")
    panel_shot(panel, "labs-workflow-flaky-1280-light")

    panel.locator(".workflow-executions a", has_text="verify-unavailable").click()
    expect(panel.locator(".workflow-execution")).to_contain_text("OrderFailed")
    expect(state(panel, "ProcessOrder")).to_have_class(re.compile("wf-state--caught"))
    expect(state(panel, "ChargePayment")).to_have_class(re.compile("wf-state--failed"))
    expect(state(panel, "RefundPayment")).to_have_class(re.compile("wf-state--succeeded"))
    expect(state(panel, "OrderFailed")).to_have_class(re.compile("wf-state--failed"))
    expect(state(panel, "PackItems")).to_have_class(re.compile("wf-state--idle"))

    # Dark theme and a phone.
    page.get_by_role("button", name="Switch to dark theme").click()
    page.wait_for_timeout(400)
    panel_shot(panel, "labs-workflow-compensation-1280-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the run page scrolls sideways on a phone ({width}px)"
    panel_shot(panel, "labs-workflow-compensation-390-dark")
    page.get_by_role("button", name="Switch to light theme").click()
    page.wait_for_timeout(400)
    panel_shot(panel, "labs-workflow-compensation-390-light")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Start an execution from the page: it runs, and the diagram follows it to the end.
    panel.get_by_label("A good card").check()
    panel.get_by_role("button", name="Start execution").click()
    expect(panel.locator(".check-message")).to_contain_text("Started page-happy-")
    expect(panel.locator(".workflow-execution")).to_contain_text("SUCCEEDED", timeout=15_000)
    expect(state(panel, "OrderCompleted")).to_have_class(re.compile("wf-state--succeeded"))
    expect(state(panel, "PackItem")).to_contain_text("×2")
    panel_shot(panel, "labs-workflow-happy-1280-light")
    shot(page, "labs-workflow-run-1280-light")

    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=20_000)
    expect(panel).to_contain_text("torn down", timeout=10_000)
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}
