"""Accessibility (issue 18, first part): axe-core (the copy axe-playwright-python bundles, so
nothing is fetched) runs the WCAG 2.0/2.1/2.2 A and AA rules over the pages learners reach,
in light and dark, at 1280 px and 390 px. Zero violations."""

import re

import pytest
from django.core.management import call_command

from quizzes.models import Attempt, Quiz
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
         "resultTypes": ["violations"]}
PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def site(transactional_db, settings, tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    # The four original bank files are enough to start every kind of quiz page.
    for name in ("compute-and-apis.yaml", "deployment.yaml", "integration-analytics.yaml",
                 "storage-databases-identity.yaml", "quizzes.yaml"):
        (bank / name).write_text((settings.QUIZ_BANK_DIR / name).read_text())
    settings.QUIZ_BANK_DIR = bank
    call_command("sync_content", verbosity=0)
    user = UserFactory(username="ada")
    user.set_password(PASSWORD)
    user.save()
    return user


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("networkidle")
    found = Axe().run(page, options=RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}): " + ", ".join(str(n["target"][0]) for n in v["nodes"][:5]) for v in found]


def _pages(page, base) -> list[tuple[str, str]]:
    """Visit every page a learner reaches, in one learner's session; (name, url) of each."""
    visited = []

    def visit(name, url=None):
        if url:
            page.goto(base + url)
        visited.append((name, page.url))
        return name

    for name, url in (("home", "/"), ("sheets", "/cheatsheets/"), ("sheet", "/cheatsheets/lambda/"),
                      ("use case", "/cheatsheets/usecase-video-processing/"), ("search", "/cheatsheets/search/?q=sqs+dlq"),
                      ("quizzes", "/quizzes/"), ("quiz", "/quizzes/practice-compute/"), ("labs", "/labs/"),
                      ("lab", "/labs/fullstack/"), ("video lab", "/labs/video/"), ("edge lab", "/labs/edge/"),
                      ("relational lab", "/labs/relational/"),
                      ("own account", "/labs/account/"),
                      ("dashboard", "/dashboard/")):
        visit(name, url)
    return visited


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_learner_pages_have_no_wcag_violations(browser, live_server, site, scheme, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems = []
    try:
        for name, url in (("log in", "/accounts/login/"), ("sign up", "/accounts/signup/"),
                          ("password reset", "/accounts/password_reset/")):
            page.goto(live_server.url + url)
            problems += [f"{name}: {v}" for v in _violations(page)]
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/dashboard/$"))
        for name, url in _pages(page, live_server.url):
            page.goto(url)
            problems += [f"{name}: {v}" for v in _violations(page)]
        # Practice before and after answering; an exam, its review screen and its results.
        page.goto(live_server.url + "/quizzes/practice-compute/")
        page.locator("form[action$='/start/'] button").click()
        problems += [f"practice question: {v}" for v in _violations(page)]
        page.locator(".option").first.click()
        page.get_by_role("button", name="Check my answer").click()
        problems += [f"practice feedback: {v}" for v in _violations(page)]
        page.goto(live_server.url + "/quizzes/serverless-mock-exam/")
        page.locator("form[action$='/start/'] button").click()
        page.locator("[data-question='1'] .option").first.click()
        problems += [f"exam: {v}" for v in _violations(page)]
        attempt = Attempt.objects.filter(quiz=Quiz.objects.get(slug="serverless-mock-exam")).get()
        page.goto(live_server.url + f"/quizzes/attempts/{attempt.pk}/review/")
        problems += [f"exam review: {v}" for v in _violations(page)]
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Submit the exam").click()
        page.wait_for_url(re.compile(r"/results/$"))
        problems += [f"results: {v}" for v in _violations(page)]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_reduced_motion_stops_progress_and_diagram_animations(browser, live_server, site):
    """Issue 18, item 4: with prefers-reduced-motion the progress bars and the lab diagram do
    not animate."""
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/cheatsheets/lambda/")
        bar = page.evaluate("() => getComputedStyle(document.querySelector('.reading-progress span')).transitionDuration")
        assert bar in ("0s", "")
        page.goto(live_server.url + "/labs/fullstack/")
        styles = page.evaluate("() => Array.from(document.querySelectorAll('.diagram-svg .box, .spinner'))"
                               ".map(e => getComputedStyle(e).animationName + ' ' + getComputedStyle(e).transitionDuration)")
        assert all(s.startswith("none") or " 0s" in s for s in styles), styles
    finally:
        context.close()
    plain = browser.new_context(reduced_motion="no-preference")
    page = plain.new_page()
    try:
        page.goto(live_server.url + "/cheatsheets/")
        assert page.evaluate("() => getComputedStyle(document.querySelector('.sheet-card')).transitionDuration") != "0s"
    finally:
        plain.close()
