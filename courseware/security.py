"""Login throttling hooks for django-axes: who the client is, and what a locked-out learner sees."""

from django.conf import settings
from django.shortcuts import render


def client_ip(request) -> str:
    """The client's address. Behind the site's proxy (BEHIND_PROXY=1) it is the last address the
    proxy appended to X-Forwarded-For; earlier entries come from the client and can be forged."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    """The log-in page again, saying why it refuses and for how long (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {
        "failures": settings.AXES_FAILURE_LIMIT, "minutes": minutes,
        "admin": request.path.startswith("/admin/"),
    }, status=429)
