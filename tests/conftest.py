"""Test-wide settings overrides and fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Templates use {% static %}; the manifest storage would need collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"  # WhiteNoise warns when it is missing
    settings.STATIC_ROOT.mkdir()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test starts with an empty cache of its own (the file cache would carry pages and
    # content versions from one test to the next).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{tmp_path.name}"}}


@pytest.fixture(autouse=True)
def _blueprints(request):
    """Transactional tests flush the database after each test, data migrations included:
    put the exam blueprints back for them."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        from quizzes.blueprints import ensure_blueprints

        request.getfixturevalue("transactional_db")
        ensure_blueprints()


@pytest.fixture
def learner(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def pytest_configure(config):
    # The live server's WhiteNoise starts before per-test settings apply; give it its root.
    from django.conf import settings

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
