import re

from django.contrib.auth.decorators import login_required
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.views.decorators.http import require_POST

from cheatsheets import selectors, services
from cheatsheets.models import CheatSheet
from courseware.versions import content_version

MAX_QUERY_LENGTH = 200


def index(request):
    groups = selectors.sheets_by_category(request.user)
    return render(request, "cheatsheets/index.html", {"groups": groups, "progress": selectors.progress_of(groups)})


def detail(request, slug):
    """A sheet page. What every learner reads the same way (the sheet, its neighbours, the rendered
    body) comes from the cache under the content version; the learner's own reviewed state is
    read live. The ETag carries both, so a browser revalidating gets 304 until either changes.
    An anonymous reader's page is the same for everyone: it is served whole from the cache."""
    version = content_version()
    if not request.user.is_authenticated:
        return _anonymous_detail(request, slug, version)
    return _detail(request, slug, version)


# This process's own copies of anonymous pages, by (slug, content version): the shared cache
# holds them for every process, this saves reading and unpickling 25 KB on every request.
_local_pages: dict[tuple[str, int], tuple[bytes, str]] = {}
LOCAL_PAGES = 64


def _anonymous_detail(request, slug, version):
    local_key = (slug, version)
    cached = _local_pages.get(local_key)
    if cached is None:
        key = f"sheet-page-anonymous:{slug}:{version}"
        cached = cache.get(key)
        if cached is None:
            response = _detail(request, slug, version)
            if response.status_code == 200 and not response.cookies:
                cache.set(key, (response.content, response["ETag"]), 3600)
            return response
        if len(_local_pages) >= LOCAL_PAGES:
            _local_pages.clear()  # old versions go too; the shared cache still has the current ones
        _local_pages[local_key] = cached
    return anonymous_response(request, *cached)


def _browser_has(request, etag: str) -> bool:
    """The request's If-None-Match names this ETag (read from META: request.headers parses every header)."""
    return etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]


def anonymous_response(request, content: bytes, etag: str) -> HttpResponse:
    """The response for an anonymous reader's copy of a sheet page (a 304 when the browser has it)."""
    if _browser_has(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


def local_anonymous_page(slug: str) -> tuple[bytes, str] | None:
    """This process's copy of the anonymous page of sheet ``slug`` at the current content version."""
    return _local_pages.get((slug, content_version()))


_local_shared: dict[tuple[str, int], tuple] = {}


def _detail(request, slug, version):
    shared = _local_shared.get((slug, version))
    if shared is None:
        key = f"sheet-page:{slug}:{version}"
        shared = cache.get(key)
        if shared is None:
            shared = selectors.sheet_with_neighbours(slug=slug, user=AnonymousUser())
            cache.set(key, shared, 3600)
        if len(_local_shared) >= LOCAL_PAGES:
            _local_shared.clear()
        _local_shared[(slug, version)] = shared
    sheet, previous, following = shared
    if sheet is None:
        raise Http404("No cheat sheet with this address.")
    reviewed = request.user.is_authenticated and selectors.is_reviewed(user=request.user, sheet_id=sheet.pk)
    etag = f'"{version}-{sheet.pk}-{request.user.pk or 0}-{int(reviewed)}"'
    if _browser_has(request, etag):
        response = HttpResponseNotModified()
    elif request.user.is_authenticated and not len(messages.get_messages(request)):
        response = HttpResponse(_reader_page(request, sheet, previous, following, version, reviewed))
    else:
        sheet.is_reviewed = reviewed
        response = render(request, "cheatsheets/detail.html", {
            "sheet": sheet, "previous": previous, "next": following, "content_version": version})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # revalidate every time: cheap, and never stale
    patch_vary_headers(response, ["Cookie"])
    return response


# A signed-in learner's sheet page differs from another's in three places: the name in the header,
# the CSRF token of its forms, and the reviewed state (and the Admin link for staff). The page is
# rendered once per content version, reviewed state and staff flag with markers in the first two,
# and each request fills them in: no template rendering per request.
READER_NAME, READER_TOKEN = "\x02reader-name\x03", "\x02reader-token\x03"
_local_readers: dict[tuple, tuple[bytes, ...]] = {}  # the page, split at the markers (kept in the pieces)
_NAME, _TOKEN = READER_NAME.encode(), READER_TOKEN.encode()
_MARKERS = re.compile(b"(" + re.escape(_NAME) + b"|" + re.escape(_TOKEN) + b")")


class _Reader:
    """Stands for the signed-in learner while the shared page is rendered."""

    is_authenticated, is_anonymous, pk = True, False, None

    def __init__(self, is_staff: bool):
        self.is_staff = is_staff

    def get_username(self) -> str:
        return READER_NAME


def _reader_page(request, sheet, previous, following, version, reviewed) -> bytes:
    staff = bool(request.user.is_staff)
    local_key = (sheet.slug, version, reviewed, staff)
    page = _local_readers.get(local_key)
    if page is None:
        key = f"sheet-page-reader:{sheet.slug}:{version}:{int(reviewed)}:{int(staff)}"
        page = cache.get(key)
        if page is None:
            sheet.is_reviewed = reviewed
            page = render(request, "cheatsheets/detail.html", {
                "sheet": sheet, "previous": previous, "next": following, "content_version": version,
                "user": _Reader(staff), "csrf_token": READER_TOKEN}).content
            cache.set(key, page, 3600)
        if len(_local_readers) >= LOCAL_PAGES:
            _local_readers.clear()
        # Split once at the markers, so each request joins the pieces instead of searching 25 KB twice.
        page = tuple(_MARKERS.split(page))
        _local_readers[local_key] = page
    filled = {_NAME: escape(request.user.get_username()).encode(), _TOKEN: get_token(request).encode()}
    return b"".join([filled.get(piece, piece) for piece in page])


def search(request):
    """The search page, and its results alone for the live search (htmx, as the learner types).
    The last word is completed from the index unless the query ends with a space."""
    raw = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    query = raw.strip()
    result = selectors.search_sheets(query, complete_last=not raw.endswith(" ")) if query else None
    live = bool(request.htmx) and not request.htmx.history_restore_request
    template = "cheatsheets/_search_live.html" if live else "cheatsheets/search.html"
    response = render(request, template, {
        "query": query, "result": result, "hits": result.hits if result else [],
        "compact": request.GET.get("compact") == "1",  # the index page's box: no prompt when empty
    })
    patch_vary_headers(response, ["HX-Request"])  # the fragment and the page share a URL
    return response


@require_POST
@login_required
def toggle_review(request, slug):
    """Mark or unmark the sheet as reviewed by the signed-in learner (their own record only)."""
    sheet = get_object_or_404(CheatSheet.objects.listing(), slug=slug)
    if request.POST.get("reviewed") == "1":
        services.sheet_mark_reviewed(user=request.user, sheet=sheet)
        sheet.is_reviewed = True
    else:
        services.sheet_unmark_reviewed(user=request.user, sheet=sheet)
        sheet.is_reviewed = False
    if request.htmx:
        slot = "bottom" if request.POST.get("slot") == "bottom" else "top"
        return render(request, "cheatsheets/_review_toggle.html", {
            "sheet": sheet, "slot": slot, "other_slot": "top" if slot == "bottom" else "bottom"})
    return redirect(sheet)
