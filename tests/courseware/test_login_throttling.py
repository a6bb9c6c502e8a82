"""Login throttling (issue 15): wrong passwords for one account or from one address lock log-ins
for a while, on the site's login and the admin's; the learner is told why and for how long."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from courseware import security
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _user(**kwargs):
    user = UserFactory(**kwargs)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, url, username, password, ip="198.51.100.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(client, settings, url_name):
    user = _user(is_staff=True)
    url = reverse(url_name)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, url, user.username, "wrong").status_code == 200
    locked = _login(client, url, user.username, "wrong")
    assert locked.status_code == 429
    right = _login(client, url, user.username, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Too many failed log-ins" in page and f"{settings.AXES_FAILURE_LIMIT} wrong passwords" in page
    assert "15 minutes" in page


def test_one_address_guessing_many_accounts_is_locked_too(client, settings):
    users = [_user() for _ in range(settings.AXES_FAILURE_LIMIT)]
    for user in users:
        _login(client, reverse("login"), user.username, "wrong", ip="203.0.113.9")
    fresh = _user()
    assert _login(client, reverse("login"), fresh.username, PASSWORD, ip="203.0.113.9").status_code == 429
    # The same account from another address is not locked by that address's guesses.
    assert _login(client, reverse("login"), fresh.username, PASSWORD, ip="192.0.2.1").status_code == 302


def test_a_successful_login_clears_the_count(client, settings):
    user = _user()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, reverse("login"), user.username, "wrong")
    assert _login(client, reverse("login"), user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, reverse("login"), user.username, "wrong")
    assert _login(client, reverse("login"), user.username, PASSWORD).status_code == 302


def test_behind_the_proxy_the_client_is_the_address_the_proxy_appended(settings):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.20", REMOTE_ADDR="127.0.0.1")
    assert security.client_ip(request) == "127.0.0.1"  # no proxy configured: the header is ignored
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert security.client_ip(request) == "198.51.100.20"
