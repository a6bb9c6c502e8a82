"""gunicorn settings for production (README, "Hosting for a class"): read from the environment.

    .venv/bin/gunicorn -c courseware/gunicorn.conf.py courseware.wsgi
"""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", 1))
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
graceful_timeout = 20
keepalive = 5
# Behind the site's reverse proxy: trust its X-Forwarded-* headers (the proxy's address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ACCESS_LOG", "-")  # "-" is stdout; empty turns it off
if not accesslog:
    accesslog = None
errorlog = "-"
# Restart a worker now and then: a slow leak never grows without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", 5000))
max_requests_jitter = 500

# Load the site once in the master and fork warm workers (courseware/warmup.py): a new worker, at
# start or after max_requests, does not spend its first requests importing and compiling. Code
# changes need a restart (SIGHUP re-forks the same code).
preload_app = True


def when_ready(server):
    from django.db import connections

    from courseware.warmup import warm_up

    server.log.info("Warmed up before forking the workers: %s", warm_up())
    connections.close_all()  # none should be open; a connection must never be shared by the workers
    # Everything the master built lives as long as the workers: keep it out of their garbage
    # collections (shorter pauses, and its memory pages stay shared).
    gc.collect()
    gc.freeze()
