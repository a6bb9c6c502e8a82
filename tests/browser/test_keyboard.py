"""Keyboard only (issue 18, item 2): a practice question and a whole exam (answer, flag, move,
review, submit) with Tab, Space, Enter and the page's keys, never the mouse. Every Tab stop shows
its focus, and the focus lands where the learner expects after each action. (A guided lab step by
keyboard is in test_labs_flow.py, which has the sandbox and the worker.)"""

import re

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt
from tests.browser.keyboard import focused, tab_to
from tests.factories import CheatSheetFactory, QuestionFactory, QuizFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def quizzes(transactional_db):
    CheatSheetFactory(slug="sqs", title="Amazon SQS", body_markdown="## Key numbers\n\nLimits.\n")
    for label in ["DVA-C02/development", "DVA-C02/security", "DVA-C02/deployment", "DVA-C02/troubleshooting"]:
        QuestionFactory.create_batch(2, domains=[label])
    QuizFactory(slug="short-exam", title="Short exam", question_count=4, time_limit_minutes=15)
    QuizFactory(slug="practice", title="Practice", mode="practice", time_limit_minutes=None, question_count=3)
    UserFactory(username="kay")


def log_in_by_keyboard(page, base):
    page.goto(base + "/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("kay")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_a_practice_question_by_keyboard_lands_on_the_verdict(page, live_server, quizzes):
    log_in_by_keyboard(page, live_server.url)
    page.goto(live_server.url + "/quizzes/practice/")
    tab_to(page, "form[action$='/start/'] button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Check my answer")).to_be_visible()

    tab_to(page, "input[name=option]")  # the first option; arrows move within the group
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=option]").nth(1)).to_be_checked()
    tab_to(page, "button[type=submit]:not(.link-button):not(.theme-toggle)")
    assert "Check my answer" in focused(page)
    page.keyboard.press("Enter")

    # After checking, the focus is on the verdict, which is on screen, and the next Tab stops go on.
    expect(page.locator("#verdict")).to_be_focused()
    expect(page.locator("#verdict")).to_be_in_viewport()
    tab_to(page, "a.button, button.button")
    assert re.search(r"Next question|See your results", focused(page)), focused(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Question 2 of 3")).to_be_visible()


def test_a_whole_exam_by_keyboard(page, live_server, quizzes):
    log_in_by_keyboard(page, live_server.url)
    page.goto(live_server.url + "/quizzes/short-exam/")
    tab_to(page, "form[action$='/start/'] button")
    page.keyboard.press("Enter")
    expect(page.locator("[data-countdown]")).to_be_visible()

    # Question 1: choose with the Space bar on a Tab stop, then flag it from its button.
    tab_to(page, "[data-question='1'] input[name=option]")
    page.keyboard.press("Space")
    expect(page.locator("[data-question='1'] input[name=option]").first).to_be_checked()
    expect(page.locator("[data-save-state]")).to_have_text("All answers saved")
    tab_to(page, "[data-question='1'] .flag-form button")
    page.keyboard.press("Enter")
    expect(page.locator("[data-question='1'] .flag-form button")).to_have_attribute("aria-pressed", "true")
    grid_square = page.locator(".question-grid a").first
    expect(grid_square).to_have_attribute("aria-label", "Question 1, answered, flagged")

    # The N key moves on and puts the focus on the new question's heading; B picks option B.
    page.keyboard.press("n")
    expect(page.locator("#q2-title")).to_be_focused()
    page.keyboard.press("b")
    expect(page.locator("[data-question='2'] input[name=option]").nth(1)).to_be_checked()
    expect(page.locator("[data-save-state]")).to_have_text("All answers saved")
    expect(page.locator(".question-grid a").nth(1)).to_have_attribute("aria-label", "Question 2, answered")

    # The grid jumps by keyboard too: Enter on square 4 shows question 4 with its heading focused.
    tab_to(page, ".question-grid a[data-jump='4']", backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#q4-title")).to_be_focused()

    # Review, then submit: the confirmation says what is left; Enter accepts it.
    tab_to(page, "[data-review-link]", backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review before you submit")).to_be_visible()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    tab_to(page, ".submit-form button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your results")).to_be_visible()
    assert asked and "2 of 4 unanswered" in asked[0] and "1 flagged" in asked[0]
    assert Attempt.objects.get(user__username="kay", quiz__slug="short-exam").status == "submitted"
