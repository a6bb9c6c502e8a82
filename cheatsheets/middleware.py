"""An anonymous reader's sheet page, served before the rest of the middleware stack.

Every anonymous reader gets the same bytes for a sheet (the view caches them whole, under the
content version). Sessions, CSRF, authentication, messages and the login throttle have nothing to
do for such a request, yet on a cached page they cost more than the page itself. This middleware,
placed after WhiteNoise, answers a GET or HEAD of ``/cheatsheets/<slug>/`` that carries no session
or messages cookie from this process's copy when it has one (the view made it at the current
content version), with the headers the full stack gives it; anything else goes on as before."""

import re

from django.conf import settings

PATH = re.compile(r"^/cheatsheets/([a-z0-9-]+)/$")
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage.cookie_name


class AnonymousSheetPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES \
                and MESSAGES_COOKIE not in request.COOKIES:
            match = PATH.match(request.path_info)
            if match:
                from cheatsheets.views import anonymous_response, local_anonymous_page

                cached = local_anonymous_page(match.group(1))
                if cached is not None:
                    response = anonymous_response(request, *cached)
                    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS  # what XFrameOptionsMiddleware adds
                    response["Content-Length"] = str(len(response.content))  # and CommonMiddleware
                    return response
        return self.get_response(request)
