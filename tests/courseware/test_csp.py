"""Content-Security-Policy on the site's pages (issue 15): scripts only from the site plus the
one inline script, allowed by its hash (so pages can be cached); a view with its own policy
keeps it. The browser tests run every page under this policy and fail on a console error, so
a violation (a changed inline script whose hash no longer matches) shows there."""

import base64
import hashlib
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_policy_that_allows_the_inline_script_by_its_hash(client):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    page = response.content.decode()
    inline = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("style-src-attr")[0] and "unsafe-eval" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("name", ["login", "signup", "cheatsheets:index", "quizzes:index", "labs:index"])
def test_every_page_has_the_policy(client, name):
    assert "default-src 'self'" in client.get(reverse(name))["Content-Security-Policy"]
