"""A real task worker whose full-stack API step hangs mid-deploy, so a test can kill it.

Run by tests/labs/test_crash_recovery.py as a separate process: it is ``manage.py
db_worker`` with one change, made here and not in the product: the API step blocks right
after creating the REST API and its methods (they are in the run's ledger by then).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseware.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from labs.toolkit import rest_api  # noqa: E402


def hang(*args, **kwargs):
    time.sleep(300)


rest_api.ensure_cors = hang
call_command("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05", verbosity=0)
