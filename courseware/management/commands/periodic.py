"""Enqueue settings.PERIODIC_TASKS at their intervals. Safe to run on several hosts at once:
each enqueue happens under a database lock and is skipped when another scheduler enqueued the
same task within its interval, so two schedulers do not double the work."""

import logging
import time
import zlib
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
SLACK = 0.9  # a task enqueued 90% of an interval ago counts as this interval's


def enqueue_once(task, interval: float) -> bool:
    """Enqueue ``task`` unless some scheduler already did within ``interval`` seconds."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One scheduler at a time per task, across hosts; released at commit.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(task.module_path.encode())])
        # (SQLite: the site's IMMEDIATE transactions already serialise this block.)
        since = timezone.now() - timedelta(seconds=interval * SLACK)
        if DBTaskResult.objects.filter(task_path=task.module_path, enqueued_at__gte=since).exists():
            return False
        task.enqueue()
        return True


class Command(BaseCommand):
    help = "Enqueue the tasks in settings.PERIODIC_TASKS at their intervals, forever (or --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every periodic task once and exit.")
        parser.add_argument("--seconds", type=float, default=0, help="Stop after this many seconds (0: run forever).")

    def handle(self, *args, once=False, seconds=0, **options):
        schedule = [(import_string(path), interval) for path, interval in settings.PERIODIC_TASKS]
        next_run = {task: 0.0 for task, _ in schedule}
        stop_at = time.monotonic() + seconds if seconds else None
        while True:
            now = time.monotonic()
            for task, interval in schedule:
                if now >= next_run[task]:
                    try:
                        enqueue_once(task, interval)
                    except Exception:  # keep the scheduler alive; the next tick retries
                        logger.exception("could not enqueue %s", task.name)
                    next_run[task] = now + interval
            if once or (stop_at and time.monotonic() >= stop_at):
                return
            time.sleep(1)
