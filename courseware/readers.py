"""What every signed-in request reads about its learner, kept in the shared cache (a file cache
for the processes of one machine, or Redis for several hosts: settings.CACHES) instead of two
queries per page: the user row that AuthenticationMiddleware loads, and the set of sheets the
learner marked reviewed, both in one entry (one cache read a request).

They stay live and correct: every save or delete of a user or of a review drops the entry at once
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
_reviews_changed = 0  # reviews changed in this process: a reviewed set attached before the last change is not used


def user_key(pk) -> str:
    """The learner's entry: their user row and the ids of the sheets they marked reviewed (one read)."""
    return f"reader:{pk}"


def forget(key: str) -> None:
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _reviewed_from_db(user_id) -> frozenset:
    from cheatsheets.models import SheetReview

    return frozenset(SheetReview.objects.filter(user_id=user_id).values_list("sheet_id", flat=True))


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend whose ``get_user`` (run by AuthenticationMiddleware on every signed-in
    request) reads the user from the shared cache; sign-in itself is ModelBackend's, unchanged.
    The user comes with the sheets they marked reviewed, for ``reviewed_ids``."""

    def get_user(self, user_id):
        key = user_key(user_id)
        entry = cache.get(key)
        if entry is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            entry = (user, _reviewed_from_db(user.pk))
            cache.set(key, entry, TTL)
        user, reviewed = entry
        user._reader_reviewed = (_reviews_changed, reviewed)
        return user


def reviewed_ids(user) -> frozenset:
    """The ids of the sheets ``user`` marked reviewed: those read with the user at the start of the
    request, unless a review changed in this process since (then, and for a user that did not come
    from the backend, from the database)."""
    attached = getattr(user, "_reader_reviewed", None)
    if attached is not None and attached[0] == _reviews_changed:
        return attached[1]
    return _reviewed_from_db(user.pk)


def _user_changed(sender, instance, **kwargs):
    forget(user_key(instance.pk))


def _review_changed(sender, instance, **kwargs):
    global _reviews_changed
    _reviews_changed += 1
    forget(user_key(instance.user_id))


def connect() -> None:
    """Drop a learner's entries whenever their user row or one of their reviews changes."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from cheatsheets.models import SheetReview

    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(_user_changed, sender=get_user_model(), dispatch_uid=f"readers-user-{name}")
        signal.connect(_review_changed, sender=SheetReview, dispatch_uid=f"readers-review-{name}")
