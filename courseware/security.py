"""Login throttling hooks for django-axes (who the client is, and what a locked-out learner sees),
the Content-Security-Policy, and the CSRF masks' random characters."""

import os

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
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
# site (WhiteNoise); the one inline script (the theme, applied before first paint) is allowed
# by its SHA-256 hash, so a page carries no per-request nonce and can be served from the cache.
# Style attributes stay allowed (progress bars set their width inline), <style> elements do
# not. Media may come from S3 presigned URLs (the video lab in an AWS account). A view that
# sets its own policy (a lab's app, a rendition) keeps it.
def _inline_script_hashes() -> str:
    import base64
    import hashlib
    import re
    from pathlib import Path

    base = (Path(__file__).parent / "templates" / "base.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", base, re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'" for body in scripts)


SITE_CSP = (
    f"default-src 'self'; script-src 'self' {_inline_script_hashes()}; style-src 'self'; style-src-elem 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; media-src 'self' https:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = SITE_CSP
        return response


# The CSRF token in a page is the cookie's secret under a fresh random mask, so that no two
# responses carry the same token (BREACH). Django draws the mask's 32 characters one at a time,
# each with its own os.urandom call (secrets.choice), and finds each character's place in the
# alphabet with str.index: 30 µs in all, a tenth of a signed-in sheet page. These do the same
# with one os.urandom call and a lookup table: the same alphabet, length, randomness source and
# cipher (Django's _unmask_cipher_token reads the tokens; a test checks it), each character
# uniform (bytes of 248 and above are dropped: 248 is 4 x 62, so no character is likelier than
# another). CoursewareConfig.ready installs them over django.middleware.csrf's
# _get_new_csrf_string (new masks and new cookie secrets) and _mask_cipher_secret.
def new_csrf_string() -> str:
    chars: list[str] = []
    while len(chars) < CSRF_SECRET_LENGTH:
        chars += [CSRF_ALLOWED_CHARS[byte % _SIZE] for byte in os.urandom(CSRF_SECRET_LENGTH + 8) if byte < _USABLE]
    return "".join(chars[:CSRF_SECRET_LENGTH])


def mask_cipher_secret(secret: str) -> str:
    mask = new_csrf_string()
    return mask + "".join([CSRF_ALLOWED_CHARS[(_PLACES[s] + _PLACES[m]) % _SIZE] for s, m in zip(secret, mask)])


_SIZE = len(CSRF_ALLOWED_CHARS)
_USABLE = 256 - 256 % _SIZE  # 248
_PLACES = {char: place for place, char in enumerate(CSRF_ALLOWED_CHARS)}


def install_csrf_strings() -> None:
    from django.middleware import csrf

    csrf._get_new_csrf_string = new_csrf_string
    csrf._mask_cipher_secret = mask_cipher_secret
