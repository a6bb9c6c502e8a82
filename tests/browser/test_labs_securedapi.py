"""A learner runs the secured-API lab in real Chromium against a real MiniStack: guided mode, "Do it
for me" on the first step (the user pool), the rest automatically, the verify; then, in the run
page's panel, signs up a user, signs in, and calls both APIs with and without the token; the panel
is looked at on a phone and a desktop, light and dark; then teardown.

As in test_labs_flow.py, the worker runs between clicks in this thread."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.models import LabRun
from tests.browser.conftest import ARTIFACTS
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import ministack  # noqa: F401 - ministack is a fixture
from tests.labs.self_test import inventory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-pass-42"


def panel_shots(page, panel, name):
    """The panel at 1280 and 390 px wide, light then dark; the phone page must not scroll sideways."""
    for theme in ("light", "dark"):
        if theme == "dark":
            page.get_by_role("button", name="Switch to dark theme").click()
            page.wait_for_timeout(400)
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            panel.scroll_into_view_if_needed()
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"the run page scrolls sideways at {width}px ({scroll}px)"
            ARTIFACTS.mkdir(exist_ok=True)
            # A clip of the full page, so the sticky site header stays at the top instead of over the panel.
            page.evaluate("window.scrollTo(0, 0)")
            box = panel.bounding_box()
            top = page.evaluate("window.scrollY")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{theme}.png"), full_page=True,
                            clip={**box, "y": box["y"] + top})
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Switch to light theme").click()


def test_learner_builds_the_secured_api_signs_in_and_calls_both_apis(page, lab_site, shot):
    base = lab_site.url
    log_in(page, base, "ada")
    page.goto(base + "/labs/")
    page.get_by_role("link", name=re.compile("A secured API")).click()
    expect(page.get_by_role("heading", name=re.compile("A secured API"), level=1)).to_be_visible()
    expect(page.get_by_text("does not verify user-pool tokens").first).to_be_attached()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="ada")

    # Before anything is built, the panel says what to do first.
    panel = page.locator("#securedapi-panel")
    expect(panel).to_contain_text("Build (or check) step 1")

    page.locator("#step-users-apply").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#step-users-state")).to_contain_text("Passed")
    expect(page.locator('[data-part="pool"]')).to_have_class(re.compile("part--built"))

    page.get_by_role("button", name="Run the rest automatically").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=20_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(8)
    expect(page.locator('[data-part="graphql"]')).to_have_class(re.compile("part--verified"))

    # The panel: sign up, sign in, call.
    page.reload()
    panel = page.locator("#securedapi-panel")
    panel.get_by_label("User name", exact=True).first.fill("ada-lovelace")
    panel.locator("#su-password").fill(PASSWORD)
    panel.get_by_role("button", name="Sign up").click()
    expect(panel).to_contain_text("Signed up ada-lovelace")
    panel.locator("#si-username").fill("ada-lovelace")
    panel.locator("#si-password").fill(PASSWORD)
    panel.get_by_role("button", name="Sign in").click()
    expect(panel).to_contain_text("Signed in as ada-lovelace")
    assert PASSWORD not in page.content()
    panel.locator("#call-what").select_option("rest-me")
    panel.locator("#call-credential").select_option("token")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".secured-result")).to_contain_text("HTTP 200")
    expect(panel.locator(".secured-result")).to_contain_text('"username": "ada-lovelace"')
    assert re.search(r"eyJ[\w-]{20,}\.[\w-]{20,}\.", page.content()) is None  # no token in full on the page
    panel.locator("#call-what").select_option("rest-admin")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".secured-result")).to_contain_text("REST GET /admin with your ID token")
    expect(panel.locator(".secured-result")).to_contain_text("HTTP 403")
    panel.locator("#call-what").select_option("gql-add")
    panel.locator("#call-text").fill("Written from Chromium")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".secured-result")).to_contain_text("Written from Chromium")
    panel.locator("#call-what").select_option("gql-list")
    panel.locator("#call-credential").select_option("none")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".secured-result")).to_contain_text("listNotes { id text author } } with no token")
    expect(panel.locator(".secured-result")).to_contain_text("HTTP 401")
    panel.locator("#call-what").select_option("rest-me")
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator(".secured-result")).to_contain_text("REST GET /me with no token")
    expect(panel.locator(".secured-result")).to_contain_text("HTTP 401")
    page.reload()  # the panel shows the last call's answer again
    panel = page.locator("#securedapi-panel")
    expect(panel.locator(".secured-result")).to_contain_text("REST GET /me with no token")
    panel_shots(page, panel, "labs-securedapi-panel")

    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=20_000)
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    assert inventory(aws.target_for(run.sandbox)) == {}
