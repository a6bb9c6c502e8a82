import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue the tasks in settings.PERIODIC_TASKS at their intervals, forever (or --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every periodic task once and exit.")

    def handle(self, *args, once=False, **options):
        schedule = [(import_string(path), interval) for path, interval in settings.PERIODIC_TASKS]
        next_run = {task: 0.0 for task, _ in schedule}
        while True:
            now = time.monotonic()
            for task, interval in schedule:
                if now >= next_run[task]:
                    try:
                        task.enqueue()
                    except Exception:  # keep the scheduler alive; the next tick retries
                        logger.exception("could not enqueue %s", task.name)
                    next_run[task] = now + interval
            if once:
                return
            time.sleep(1)
