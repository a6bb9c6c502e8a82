"""A signed-in request reads its learner (the user row, the reviewed sheets) from the shared cache
(courseware/readers.py), and every change to either shows at once: a new name, a changed password
or a deactivated account, a review added or removed by any path (the page, the admin, a cascade)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cheatsheets.models import Category, SheetReview
from courseware import readers
from tests.factories import CheatSheetFactory, SheetReviewFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/cheatsheets/lambda/"


@pytest.fixture
def sheet():
    return CheatSheetFactory(title="AWS Lambda", slug="lambda", category=Category.COMPUTE, order=10)


@pytest.fixture
def ada(client, sheet):
    user = UserFactory(username="ada")
    client.force_login(user, backend=readers.BACKEND)  # what the sign-in and sign-up pages store
    return user


def reviewed(page) -> bool:
    return 'aria-pressed="true"' in page.content.decode()


def test_a_warm_signed_in_page_makes_no_query(client, ada, django_assert_num_queries):
    SheetReviewFactory(user=ada, sheet__slug="sqs")
    assert "ada" in client.get(URL).content.decode()
    with django_assert_num_queries(0):
        page = client.get(URL)
    assert page.status_code == 200 and "ada" in page.content.decode() and not reviewed(page)


def test_a_new_name_shows_at_once(client, ada):
    client.get(URL)
    ada.username = "ada-lovelace"
    ada.save()
    assert "ada-lovelace" in client.get(URL).content.decode()


@pytest.mark.parametrize("change", ["password", "deactivated", "deleted"])
def test_a_changed_password_a_deactivated_or_deleted_account_ends_the_session_at_once(client, ada, change):
    assert client.get(reverse("dashboard")).status_code == 200
    assert cache.get(readers.user_key(ada.pk)) is not None  # read from the cache from now on
    if change == "password":
        ada.set_password("another-long-pass-phrase")
        ada.save()
    elif change == "deactivated":
        ada.is_active = False
        ada.save()
    else:
        ada.delete()
    page = client.get(URL)
    assert ">ada<" not in page.content.decode() and ">Log in</a>" in page.content.decode()


def test_reviews_added_and_removed_by_any_path_show_at_once(client, ada, sheet):
    assert not reviewed(client.get(URL))
    client.post(reverse("cheatsheets:toggle_review", args=["lambda"]), {"reviewed": "1"})
    assert reviewed(client.get(URL))
    SheetReview.objects.filter(user=ada).delete()  # the admin's bulk delete, say
    assert not reviewed(client.get(URL))
    SheetReviewFactory(user=ada, sheet=sheet)
    assert reviewed(client.get(URL))
    sheet.delete()  # the cascade drops the review
    assert readers.reviewed_ids(ada) == frozenset()


def test_a_stale_row_put_back_before_the_commit_is_dropped_when_it_commits(ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ada.first_name = "Ada"
        ada.save()
        cache.set(readers.user_key(ada.pk), "a copy read before the commit", readers.TTL)
    assert cache.get(readers.user_key(ada.pk)) is None


def test_each_learner_gets_their_own(client, sheet):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    SheetReviewFactory(user=ada, sheet=sheet)
    client.force_login(ada, backend=readers.BACKEND)
    assert reviewed(client.get(URL))
    client.force_login(bob, backend=readers.BACKEND)
    page = client.get(URL)
    assert "bob" in page.content.decode() and ">ada<" not in page.content.decode() and not reviewed(page)


def test_signing_up_stays_signed_in(client):
    client.post(reverse("signup"), {"username": "newlearner", "email": "", "password1": "a-long-pass-phrase-42",
                                    "password2": "a-long-pass-phrase-42"})
    assert "newlearner" in client.get(reverse("dashboard")).content.decode()


def test_the_reviewed_sheets_come_with_the_user_and_follow_a_change_made_in_the_same_request(ada, sheet):
    """The backend reads the user and their reviewed sheets at once; a review saved later in the
    same request (the page's own button) is seen by the next look, not the set read at the start."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    backend = readers.CachedModelBackend()
    backend.get_user(ada.pk)  # fills the entry
    user = backend.get_user(ada.pk)
    with CaptureQueriesContext(connection) as queries:
        assert readers.reviewed_ids(user) == frozenset()
    assert len(queries) == 0  # came with the user
    SheetReview.objects.create(user=ada, sheet=sheet)
    assert readers.reviewed_ids(user) == {sheet.pk}
    assert backend.get_user(ada.pk)._reader_reviewed[1] == {sheet.pk}  # the entry was dropped and read again
    assert readers.reviewed_ids(UserFactory.build(pk=ada.pk)) == {sheet.pk}  # a user not from the backend
