"""Password reset (issue 15): it says plainly when the mail cannot be sent, and where the mail
goes on a laptop without a mail server. The account pages are the site's own, not the admin's."""

import socket

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_reset_whose_mail_cannot_be_sent_says_so(client, settings):
    UserFactory(email="ada@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    response = client.post(reverse("password_reset"), {"email": "ada@example.com"})
    assert response.status_code == 200
    assert "The reset email could not be sent" in response.content.decode()


def test_on_a_laptop_the_mail_is_a_file_and_the_page_says_where(client, settings, tmp_path):
    UserFactory(email="ada@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    response = client.post(reverse("password_reset"), {"email": "ada@example.com"}, follow=True)
    page = response.content.decode()
    assert "Check your email" in page and str(tmp_path) in page
    assert any(b"/accounts/reset/" in mail.read_bytes() for mail in tmp_path.rglob("*") if mail.is_file())


def test_a_sent_reset_link_sets_a_new_password(client, mailoutbox):
    user = UserFactory(email="ada@example.com")
    client.post(reverse("password_reset"), {"email": "ada@example.com"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "a-new-long-phrase-77",
                                                     "new_password2": "a-new-long-phrase-77"}, follow=True)
    assert "Password changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-new-long-phrase-77")


@pytest.mark.parametrize("url_name", ["password_reset", "password_change", "password_change_done"])
def test_account_pages_are_the_sites_own(client, url_name):
    client.force_login(UserFactory())
    response = client.get(reverse(url_name))
    page = response.content.decode()
    assert 'class="site-header"' in page and "Django administration" not in page
