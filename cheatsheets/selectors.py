"""Reads on cheat sheets that are more than a filter."""

import difflib
from dataclasses import dataclass

from django.db.models import Q

from cheatsheets import search
from cheatsheets.models import CATEGORY_ORDER, Category, CheatSheet, SheetReview


@dataclass
class CategoryGroup:
    value: str
    label: str
    sheets: list

    @property
    def reviewed(self) -> int:
        return sum(1 for sheet in self.sheets if sheet.is_reviewed)


def sheets_by_category(user) -> list[CategoryGroup]:
    """Every sheet, grouped in index order, each annotated with ``is_reviewed`` (one query)."""
    groups: dict[str, list] = {}
    for sheet in CheatSheet.objects.listing().with_reviewed_by(user):
        groups.setdefault(sheet.category, []).append(sheet)
    ordered = sorted(groups.items(), key=lambda item: CATEGORY_ORDER.get(item[0], len(CATEGORY_ORDER)))
    return [CategoryGroup(value, Category(value).label, sheets) for value, sheets in ordered]


def sheet_with_neighbours(*, slug: str, user):
    """The sheet (with ``is_reviewed``) and its previous/next in index order: two queries."""
    sheet = CheatSheet.objects.with_reviewed_by(user).filter(slug=slug).first()
    if sheet is None:
        return None, None, None
    order = sorted(
        CheatSheet.objects.values("slug", "title", "category", "order"),
        key=lambda row: (CATEGORY_ORDER.get(row["category"], 99), row["order"], row["title"]),
    )
    slugs = [row["slug"] for row in order]
    position = slugs.index(sheet.slug)
    previous = order[position - 1] if position > 0 else None
    following = order[position + 1] if position + 1 < len(order) else None
    return sheet, previous, following


def is_reviewed(*, user, sheet_id: int) -> bool:
    return SheetReview.objects.filter(user=user, sheet_id=sheet_id).exists()


def progress(reviewed: int, total: int) -> dict:
    return {"total": total, "reviewed": reviewed, "percent": round(100 * reviewed / total) if total else 0}


def progress_of(groups: list[CategoryGroup]) -> dict:
    """Reviewed/total over grouped sheets (no query)."""
    return progress(sum(group.reviewed for group in groups), sum(len(group.sheets) for group in groups))


def review_progress(user) -> dict:
    """How many sheets exist and how many this learner reviewed."""
    reviewed = SheetReview.objects.filter(user=user).count() if user.is_authenticated else 0
    return progress(reviewed, CheatSheet.objects.count())


@dataclass
class SearchHit:
    sheet: CheatSheet
    score: int
    section_id: str
    section_title: str
    title_html: str
    snippet_html: str


def search_sheets(query: str) -> tuple[list[SearchHit], list[str]]:
    """Sheets that contain every term of ``query``, best first, with a highlighted snippet from
    the section that matches best. The database narrows on the first term; ranking is in Python
    over the pre-split sections, so no Markdown is rendered."""
    terms = search.terms_of(query)
    if not terms:
        return [], []
    first = terms[0]
    candidates = CheatSheet.objects.filter(
        Q(title__icontains=first) | Q(search_text__icontains=first) | Q(summary__icontains=first)
        | Q(services__icontains=first)
    ).only("slug", "title", "summary", "category", "services", "sections")
    hits = []
    for sheet in candidates:
        score, section = search.score_sections(sheet.title, sheet.services, sheet.sections, terms)
        if not score:
            continue
        text = section["text"] if section else sheet.summary
        hits.append(SearchHit(
            sheet=sheet,
            score=score,
            section_id=section["id"] if section else "",
            section_title=section["title"] if section else "",
            title_html=search.highlight(sheet.title, terms),
            snippet_html=search.snippet(text, terms),
        ))
    hits.sort(key=lambda hit: (-hit.score, hit.sheet.title))
    return hits, terms


def suggestions_for(query: str, limit: int = 5) -> list[CheatSheet]:
    """Sheets whose title or services look like the query: for an empty result."""
    sheets = list(CheatSheet.objects.listing())
    names = {}
    for sheet in sheets:
        for name in [sheet.title, *sheet.services]:
            names.setdefault(name.lower(), sheet)
    close = difflib.get_close_matches(query.lower(), list(names), n=limit * 2, cutoff=0.5)
    found = list(dict.fromkeys(names[name] for name in close))
    return found[:limit]
