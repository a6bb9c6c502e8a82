"""Accessibility (issue 18, item 1), continued: the instructors' admin pages the project adds or
shapes (questions with their statistics, preview and import, quizzes, blueprints, sheets, lab runs,
sandboxes) and the lab run page in each state it can be in, with axe-core's WCAG 2.2 A/AA rules,
light and dark, 1280 and 390 px: zero violations."""

import re

import pytest

from labs.models import LabRun, LedgerEntry, RunEvent
from quizzes.models import Blueprint, Question, Quiz
from cheatsheets.models import CheatSheet
from tests.browser.test_accessibility import PASSWORD, RULES, site  # noqa: F401 - site is a fixture
from tests.factories import LabRunFactory, LedgerEntryFactory, RunEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SCHEMES = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]


def _log_in(page, base):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))


def _violations(page) -> list[str]:
    """axe's findings on the page as loaded (a run page polls for events, so the network is never idle)."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    found = Axe().run(page, options=RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}): " + ", ".join(str(n["target"][0]) for n in v["nodes"][:5]) for v in found]


def _sweep(browser, base, pages) -> list[str]:
    problems = []
    for width, scheme in SCHEMES:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        try:
            _log_in(page, base)
            for name, url in pages:
                page.goto(base + url)
                problems += [f"{name} ({width} {scheme}): {v}" for v in _violations(page)]
        finally:
            context.close()
    return problems


def test_admin_pages_have_no_wcag_violations(browser, live_server, site):
    site.is_staff = site.is_superuser = True
    site.save()
    question, quiz = Question.objects.first(), Quiz.objects.first()
    run = LabRunFactory(user=site)
    pages = [("admin index", "/admin/"), ("questions", "/admin/quizzes/question/"),
             ("questions by domain", "/admin/quizzes/question/?domains__id__exact=1"),
             ("question", f"/admin/quizzes/question/{question.pk}/change/"),
             ("new question", "/admin/quizzes/question/add/"), ("import", "/admin/quizzes/question/import/"),
             ("quiz", f"/admin/quizzes/quiz/{quiz.pk}/change/"),
             ("blueprint", f"/admin/quizzes/blueprint/{Blueprint.objects.first().pk}/change/"),
             ("sheets", "/admin/cheatsheets/cheatsheet/"),
             ("sheet", f"/admin/cheatsheets/cheatsheet/{CheatSheet.objects.first().pk}/change/"),
             ("lab runs", "/admin/labs/labrun/"), ("lab run", f"/admin/labs/labrun/{run.pk}/change/"),
             ("sandboxes", "/admin/labs/sandbox/")]
    problems = _sweep(browser, live_server.url, pages)
    assert problems == [], "\n".join(problems)


def test_lab_run_pages_in_every_state_have_no_wcag_violations(browser, live_server, site, settings):
    settings.LABS_SANDBOX_URL = "http://127.0.0.1:9"  # the sandbox is down: its banner is one more state
    steps = ("table", "function", "api", "website")
    waiting = LabRunFactory(user=site)
    failed = LabRunFactory(user=site, step_states={"table": "passed", "function": "failed", "api": "pending",
                                                    "website": "pending"})
    RunEventFactory(run=failed, kind=RunEvent.Kind.CHECK, step="function", status=RunEvent.Status.FAIL,
                    message="The role may use every table: allow only the four actions on this table's ARN.")
    live = LabRunFactory(user=site, status=LabRun.Status.LIVE, outcome=LabRun.Outcome.PASSED,
                         step_states=dict.fromkeys(steps, "passed"), verify_state="passed")
    LedgerEntryFactory(run=live)
    queued = LabRunFactory(user=site, status=LabRun.Status.QUEUED, pending_action=LabRun.Action.CHECK,
                           pending_step="table")
    automatic = LabRunFactory(user=site, mode=LabRun.Mode.AUTO, status=LabRun.Status.RUNNING,
                              step_states={"table": "passed", "function": "running", "api": "pending", "website": "pending"})
    cleaned = LabRunFactory(user=site, status=LabRun.Status.CLEANED, outcome=LabRun.Outcome.PASSED,
                            step_states=dict.fromkeys(steps, "passed"), verify_state="passed")
    LedgerEntryFactory(run=cleaned, status=LedgerEntry.Status.DELETED)
    stuck = LabRunFactory(user=site, status=LabRun.Status.TEARDOWN_FAILED, outcome=LabRun.Outcome.FAILED,
                          message="1 resource could not be deleted: retry the teardown.")
    LedgerEntryFactory(run=stuck, status=LedgerEntry.Status.DELETE_FAILED, error="ResourceInUseException")
    video = LabRunFactory(user=site, lab_slug="video",
                          step_states={"buckets": "pending", "ffmpeg": "pending", "function": "pending", "trigger": "pending"})
    for run in (waiting, failed, live, queued, automatic, cleaned, stuck, video):
        RunEventFactory(run=run, message=f"Started the lab ({run.get_status_display()}).")
    pages = [(f"run {name}", f"/labs/runs/{run.pk}/") for name, run in (
        ("waiting", waiting), ("check failed", failed), ("live", live), ("queued", queued), ("automatic", automatic),
        ("cleaned", cleaned), ("teardown failed", stuck), ("video", video))]
    pages += [("runs holding resources", "/labs/runs/holding/"), ("own account, not connected", "/labs/account/")]
    problems = _sweep(browser, live_server.url, pages)
    assert problems == [], "\n".join(problems)


def test_own_account_pages_when_connected_have_no_wcag_violations(browser, live_server, site):
    from django.utils import timezone

    from tests.factories import SandboxFactory

    SandboxFactory(user=site, kind="aws", account_id="123456789012", connection="role", external_id="sa-test",
                   role_arn="arn:aws:iam::123456789012:role/ServerlessAcademyLabs", connected_at=timezone.now(),
                   checked_at=timezone.now())
    pages = [("own account, connected", "/labs/account/"), ("confirm the account", "/labs/account/confirm/"),
             ("lab with the account", "/labs/fullstack/")]
    problems = _sweep(browser, live_server.url, pages)
    assert problems == [], "\n".join(problems)
