"""Writes on cheat sheets that views, admin actions and commands call."""

from django.conf import settings

from cheatsheets import sync
from cheatsheets.models import CheatSheet, SheetReview


def cheatsheets_sync(*, directory=None, force: bool | set[str] = False) -> sync.SyncReport:
    return sync.sync_directory(directory or settings.CHEATSHEET_CONTENT_DIR, force=force)


def sheet_mark_reviewed(*, user, sheet: CheatSheet) -> SheetReview:
    review, _ = SheetReview.objects.get_or_create(user=user, sheet=sheet)
    return review


def sheet_unmark_reviewed(*, user, sheet: CheatSheet) -> None:
    SheetReview.objects.filter(user=user, sheet=sheet).delete()
