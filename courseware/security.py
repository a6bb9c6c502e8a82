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


# Content-Security-Policy for the site's own pages. Scripts and stylesheets come only from the
# site (WhiteNoise); the one inline script (the theme, before first paint) carries a per-request
# nonce. Style attributes stay allowed (progress bars set their width inline), <style> elements
# do not. Media may come from S3 presigned URLs (the video lab in an AWS account). A view that
# sets its own policy (a lab's app, a rendition) keeps it.
SITE_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; style-src-elem 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; media-src 'self' https:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import secrets

        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = SITE_CSP.format(nonce=request.csp_nonce)
        return response


def csp_nonce(request):
    """Template context: ``{{ csp_nonce }}`` for the inline script of base.html."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
