"""What makes a signed-in page cheaper stays correct: the CSRF masks drawn from one os.urandom call
(courseware/security.py) and the cache backends without memcached's key check (courseware/cache.py)."""

import re
from collections import Counter

import pytest
from django.core.cache import caches
from django.middleware import csrf
from django.test import Client, RequestFactory

from cheatsheets.models import Category, SheetReview
from courseware import readers, security
from courseware.cache import FileCache, SharedRedisCache
from tests.factories import CheatSheetFactory, UserFactory


def test_django_draws_its_masks_and_secrets_with_ours():
    assert csrf._get_new_csrf_string is security.new_csrf_string
    assert csrf._mask_cipher_secret is security.mask_cipher_secret
    request = RequestFactory().get("/")
    first, second = csrf.get_token(request), csrf.get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == csrf.CSRF_SECRET_LENGTH and len(first) == csrf.CSRF_TOKEN_LENGTH
    assert first != second  # a new mask per token
    assert csrf._unmask_cipher_token(first) == csrf._unmask_cipher_token(second) == secret
    assert csrf._does_token_match(first, secret) and not csrf._does_token_match(first, csrf._get_new_csrf_string())


def test_every_character_is_equally_likely():
    """62 characters from bytes 0-255: without dropping the bytes of 248 and above, the first eight
    characters would come up a quarter more often than the rest (about 2,420 times against 1,940
    here); each stays within 7 standard deviations of 2,000."""
    counts = Counter("".join(security.new_csrf_string() for _ in range(62 * 2000 // 32)))
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    assert all(abs(count - 2000) < 310 for count in counts.values()), counts.most_common(10)


@pytest.mark.django_db
def test_a_signed_in_pages_token_is_accepted_and_a_forged_one_refused():
    sheet = CheatSheetFactory(title="AWS Lambda", slug="lambda", category=Category.COMPUTE, order=10)
    user = UserFactory(username="ada")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user, backend=readers.BACKEND)
    page = browser.get("/cheatsheets/lambda/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', page).group(1)
    forged = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]
    assert browser.post(f"/cheatsheets/{sheet.slug}/review/", {"reviewed": "1", "csrfmiddlewaretoken": forged}).status_code == 403
    assert not SheetReview.objects.exists()
    assert browser.post(f"/cheatsheets/{sheet.slug}/review/", {"reviewed": "1", "csrfmiddlewaretoken": token}).status_code == 302
    assert SheetReview.objects.filter(user=user, sheet=sheet).exists()


@pytest.mark.parametrize("backend", ["file", "redis"])
def test_the_cache_backends_take_any_key_without_a_warning(backend, tmp_path, recwarn):
    if backend == "file":
        cache = FileCache(str(tmp_path / "cache"), {})
    else:
        cache = SharedRedisCache("redis://127.0.0.1:6379/0", {"KEY_PREFIX": f"test-keys-{tmp_path.name}"})
    key = "search: lambda concurrency\t" + "x" * 300  # memcached would refuse it (spaces, a tab, 300+ characters)
    cache.set(key, {"hits": 3}, 30)
    assert cache.get(key) == {"hits": 3} and cache.get(key + "y") is None
    cache.delete(key)
    assert cache.get(key) is None
    assert not [w for w in recwarn if "CacheKeyWarning" in type(w.message).__name__]

