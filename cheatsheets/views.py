from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
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
    content, etag = cached
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


def _detail(request, slug, version):
    key = f"sheet-page:{slug}:{version}"
    shared = cache.get(key)
    if shared is None:
        sheet, previous, following = selectors.sheet_with_neighbours(slug=slug, user=AnonymousUser())
        shared = (sheet, previous, following)
        cache.set(key, shared, 3600)
    sheet, previous, following = shared
    if sheet is None:
        raise Http404("No cheat sheet with this address.")
    reviewed = request.user.is_authenticated and selectors.is_reviewed(user=request.user, sheet_id=sheet.pk)
    etag = f'"{version}-{sheet.pk}-{request.user.pk or 0}-{int(reviewed)}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        sheet.is_reviewed = reviewed
        response = render(request, "cheatsheets/detail.html", {
            "sheet": sheet, "previous": previous, "next": following, "content_version": version})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # revalidate every time: cheap, and never stale
    patch_vary_headers(response, ["Cookie"])
    return response


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
