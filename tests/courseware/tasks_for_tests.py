"""A task the worker tests enqueue: it records each run in a file, slowly enough that two
workers would overlap if both could take it."""

import time

from django_tasks import task


@task()
def record_run(path: str, number: int) -> None:
    time.sleep(0.02)
    with open(path, "a") as log:
        log.write(f"{number}\n")
