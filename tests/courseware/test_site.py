"""Site shell: home, dashboard, accounts, admin, settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import CheatSheetFactory, SheetReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_explains_the_three_pillars(client):
    html = client.get(reverse("home")).content.decode()
    for pillar in ("Cheat sheets", "Scenario quizzes", "Hands-on labs"):
        assert pillar in html
    for link in ("cheatsheets:index", "quizzes:index", "labs:index", "dashboard"):
        assert f'href="{reverse(link)}"' in html


def test_pages_load_no_asset_from_another_origin(client):
    html = client.get(reverse("home")).content.decode()
    assert "//cdn" not in html and "googleapis" not in html and "unpkg" not in html
    for attr in ("src", "href"):
        for value in __import__("re").findall(rf'{attr}="([^"]+)"', html):
            assert not value.startswith(("http://", "https://", "//")), value


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_dashboard_shows_the_learners_own_progress(learner_client, learner):
    sheets = CheatSheetFactory.create_batch(4)
    SheetReviewFactory(user=learner, sheet=sheets[0])
    SheetReviewFactory(user=UserFactory(), sheet=sheets[1])  # someone else's
    html = learner_client.get(reverse("dashboard")).content.decode()
    assert "<strong>1</strong> <span class=\"muted\">of 4 reviewed</span>" in html
    assert "25% done" in html
    assert f'Next up: <a href="{sheets[1].get_absolute_url()}"' in html


def test_sign_up_logs_in_and_lands_on_dashboard(client):
    response = client.post(reverse("signup"), {
        "username": "newlearner", "email": "", "password1": "a-long-pass-phrase-42", "password2": "a-long-pass-phrase-42",
    })
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_sign_up_errors_say_what_is_wrong(client):
    html = client.post(reverse("signup"), {"username": "x", "password1": "abc", "password2": "abd"}).content.decode()
    assert "The two password fields didn’t match." in html or "didn&#x27;t match" in html or "match" in html
    assert not get_user_model().objects.filter(username="x").exists()


def test_log_in_and_log_out(client):
    UserFactory(username="ada")
    response = client.post(reverse("login"), {"username": "ada", "password": "correct horse battery"})
    assert response.status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change(learner_client, learner):
    response = learner_client.post(reverse("password_change"), {
        "old_password": "correct horse battery", "new_password1": "another-long-phrase-7", "new_password2": "another-long-phrase-7",
    })
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("another-long-phrase-7")


def test_staff_reach_the_admin_and_learners_do_not(client, learner):
    client.force_login(learner)
    assert client.get(reverse("admin:index")).status_code == 302
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_debug_is_off_by_default():
    assert settings.DEBUG is False


def test_check_deploy_is_clean_with_production_values(tmp_path):
    env = {
        **os.environ, "DEBUG": "0", "HTTPS": "1", "SECRET_KEY": "x" * 30 + "-Zq9!pL2#vB7$kN4%mR8^tY1&wE6*uI3",
        "ALLOWED_HOSTS": "academy.example.com", "VAR_DIR": str(tmp_path), "LABS_AWS_SITE_ACCOUNT_ID": "111122223333",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_bad_boolean_setting_is_refused_clearly(tmp_path):
    env = {**os.environ, "DEBUG": "maybe", "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "DEBUG='maybe' is not a boolean" in result.stderr
