"""What every signed-in request reads about its learner, kept in the shared cache (a file cache
for the processes of one machine, or Redis for several hosts: settings.CACHES) instead of two
queries per page: the user row that AuthenticationMiddleware loads, and the set of sheets the
learner marked reviewed.

Both stay live and correct: every save or delete of a user or of a review drops its entry at once
and again when the transaction commits (a request that read the old row just before the commit
could otherwise put it back), in every process, since the cache is shared. Django still checks
the session against the user's password hash on every request, so a changed password or a
deactivated account ends other sessions on their next request. An entry lives ``TTL`` seconds at
most, which also bounds what a write made behind the ORM's back (``QuerySet.update``) could leave
stale."""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

TTL = 60
BACKEND = "courseware.readers.CachedModelBackend"  # in settings.AUTHENTICATION_BACKENDS


def user_key(pk) -> str:
    return f"reader-user:{pk}"


def reviewed_key(pk) -> str:
    return f"reader-reviewed:{pk}"


def forget(key: str) -> None:
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend whose ``get_user`` (run by AuthenticationMiddleware on every signed-in
    request) reads the user from the shared cache; sign-in itself is ModelBackend's, unchanged."""

    def get_user(self, user_id):
        key = user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, TTL)
        return user


def reviewed_ids(user) -> frozenset:
    """The ids of the sheets ``user`` marked reviewed."""
    from cheatsheets.models import SheetReview

    key = reviewed_key(user.pk)
    ids = cache.get(key)
    if ids is None:
        ids = frozenset(SheetReview.objects.filter(user=user).values_list("sheet_id", flat=True))
        cache.set(key, ids, TTL)
    return ids


def _user_changed(sender, instance, **kwargs):
    forget(user_key(instance.pk))


def _review_changed(sender, instance, **kwargs):
    forget(reviewed_key(instance.user_id))


def connect() -> None:
    """Drop a learner's entries whenever their user row or one of their reviews changes."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from cheatsheets.models import SheetReview

    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(_user_changed, sender=get_user_model(), dispatch_uid=f"readers-user-{name}")
        signal.connect(_review_changed, sender=SheetReview, dispatch_uid=f"readers-review-{name}")
