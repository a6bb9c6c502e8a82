from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cheatsheets import selectors, services
from cheatsheets.models import CheatSheet

MAX_QUERY_LENGTH = 200


def index(request):
    groups = selectors.sheets_by_category(request.user)
    return render(request, "cheatsheets/index.html", {"groups": groups, "progress": selectors.progress_of(groups)})


def detail(request, slug):
    sheet, previous, following = selectors.sheet_with_neighbours(slug=slug, user=request.user)
    if sheet is None:
        raise Http404("No cheat sheet with this address.")
    return render(request, "cheatsheets/detail.html", {"sheet": sheet, "previous": previous, "next": following})


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
