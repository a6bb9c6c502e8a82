"""What the lab browser tests share: a live site pointed at a real MiniStack, where requests and
worker runs take turns (with SQLite in memory the live server's request threads share the test
thread's connection, and one SQLite connection cannot serve two statements at once), and a
learner who logs in."""

import re
import threading

import pytest
from django.core.handlers.base import BaseHandler
from playwright.sync_api import expect

from labs import sandbox as local
from tests.factories import UserFactory
from tests.labs.conftest import ministack  # noqa: F401 - a fixture the lab_site fixture uses
from tests.labs.conftest import run_worker as run_all_tasks

TURN = threading.Lock()


def run_worker():
    """Run every queued task with the real worker, between requests."""
    with TURN:
        run_all_tasks()


@pytest.fixture
def lab_site(ministack, settings, live_server, monkeypatch):  # noqa: F811
    settings.LABS_SANDBOX_URL = ministack.url
    local.forget_status()
    get_response = BaseHandler.get_response

    def one_at_a_time(self, request):
        with TURN:
            return get_response(self, request)

    monkeypatch.setattr(BaseHandler, "get_response", one_at_a_time)
    yield live_server
    local.forget_status()


def log_in(page, base, username):
    UserFactory(username=username)
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
