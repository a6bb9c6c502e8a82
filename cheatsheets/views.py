from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpResponseNotModified
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
    read live. The ETag carries both, so a browser revalidating gets 304 until either changes."""
    version = content_version()
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
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    hits, terms = selectors.search_sheets(query) if query else ([], [])
    suggestions = selectors.suggestions_for(query) if query and not hits else []
    return render(request, "cheatsheets/search.html", {
        "query": query, "hits": hits, "terms": terms, "suggestions": suggestions,
    })


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
        return render(request, "cheatsheets/_review_button.html", {"sheet": sheet})
    return redirect(sheet)
