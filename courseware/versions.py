"""One number that changes whenever content every learner reads the same way changes (a sheet,
a question, a quiz): cached pages and fragments put it in their keys, so an instructor's edit
or a sync shows at once, on every process sharing the cache, without waiting for a timeout."""

import time

from django.core.cache import cache

KEY = "content-version"


def content_version() -> int:
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, time.time_ns() // 1000, None)  # another process may win the add: read it back
        version = cache.get(KEY) or 0
    return version


def content_changed(*args, **kwargs) -> None:
    """Signal receiver and plain call: every cached copy of shared content is now stale."""
    try:
        cache.incr(KEY)
    except ValueError:  # no version yet (or the cache was cleared): start a new, later one
        cache.set(KEY, time.time_ns() // 1000, None)


def connect(*models) -> None:
    from django.db.models.signals import post_delete, post_save

    for model in models:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"content-version-save-{model._meta.label}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-version-delete-{model._meta.label}")
