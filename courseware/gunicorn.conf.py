"""gunicorn settings for production (README, "Hosting for a class"): read from the environment.

    .venv/bin/gunicorn -c courseware/gunicorn.conf.py courseware.wsgi
"""

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
