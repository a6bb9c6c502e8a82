"""Content-Security-Policy on the site's pages (issue 15): scripts only from the site plus the
one nonce'd inline script; a view with its own policy keeps it. The browser tests run every
page under this policy and fail on a console error, so a violation would show there."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_policy_and_the_inline_script_its_nonce(client):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    page = response.content.decode()
    assert f'<script nonce="{nonce}">' in page
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy.split("style-src-attr")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert client.get(reverse("home"))["Content-Security-Policy"] != policy  # a fresh nonce per response


@pytest.mark.parametrize("name", ["login", "signup", "cheatsheets:index", "quizzes:index", "labs:index"])
def test_every_page_has_the_policy(client, name):
    assert "default-src 'self'" in client.get(reverse(name))["Content-Security-Policy"]
