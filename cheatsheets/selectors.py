"""Reads on cheat sheets that are more than a filter."""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection

from cheatsheets import search
from cheatsheets.models import CATEGORY_ORDER, Category, CheatSheet, SearchEntry, SheetReview
from courseware.versions import content_version


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
    from courseware.readers import reviewed_ids

    return sheet_id in reviewed_ids(user)  # from the shared cache, dropped on every change


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
class SearchSection:
    anchor: str
    title: str


@dataclass
class SearchHit:
    sheet: CheatSheet
    section_id: str
    section_title: str
    title_html: str
    snippet_html: str
    more: list[SearchSection] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit]
    plan: search.QueryPlan

    @property
    def corrected_query(self) -> str:
        return self.plan.corrected_query() if self.plan.corrected else ""


def search_vocabulary() -> search.Vocabulary:
    """Every word of the index with its frequency, for typo correction and completion: built once
    per content version (a save or a sync bumps it) and shared through the cache."""
    key = f"search-vocabulary:{content_version()}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        rows = SearchEntry.objects.values_list("sheet_title", "section_title", "services", "body")
        vocabulary = search.Vocabulary.from_texts(text for row in rows.iterator() for text in row)
        cache.set(key, vocabulary, 3600)
    return vocabulary


# One sub-select per group, tagged with the group's number: which sections match which word.
_SQLITE_MATCH = (
    "SELECT {group} AS grp, e.id, e.sheet_id, -bm25(cheatsheets_searchentry_fts, 10.0, 4.0, 2.0, 1.0) "
    "FROM cheatsheets_searchentry_fts JOIN cheatsheets_searchentry e ON e.id = cheatsheets_searchentry_fts.rowid "
    "WHERE cheatsheets_searchentry_fts MATCH %s"
)
_POSTGRES_MATCH = (
    "SELECT {group} AS grp, e.id, e.sheet_id, ts_rank(e.search_vector, q.query) "
    "FROM cheatsheets_searchentry e, to_tsquery('english'::regconfig, %s) AS q(query) "
    "WHERE e.search_vector @@ q.query"
)


def _index_matches(groups: list[search.Group]) -> list[search.Match]:
    """Ask the database's full-text index which sections match each group, in one query."""
    vendor = connection.vendor
    if vendor == "sqlite":
        template, expression = _SQLITE_MATCH, search.fts5_expression
    elif vendor == "postgresql":
        template, expression = _POSTGRES_MATCH, search.tsquery_expression
    else:
        raise NotImplementedError(f"Cheat sheet search needs SQLite or PostgreSQL, not {vendor}.")
    sql = " UNION ALL ".join(template.format(group=index) for index in range(len(groups)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression(group) for group in groups])
        return [search.Match(group=row[0], entry_id=row[1], sheet_id=row[2], score=float(row[3]))
                for row in cursor.fetchall()]


def search_sheets(query: str, *, complete_last: bool = True, limit: int = 30) -> SearchResult:
    """Sheets in which every word of ``query`` (or its correction, or a synonym) appears, title
    matches first, each with a highlighted snippet of the section that matches best and the
    other sections that match. Three queries: the index, the sheets, the sections to show."""
    plan = search.plan_query(query, search_vocabulary(), complete_last=complete_last)
    if not plan.groups:
        return SearchResult(query, [], plan)
    matches = _index_matches(plan.groups)
    sheets = {sheet.pk: sheet for sheet in CheatSheet.objects.listing().filter(
        pk__in={match.sheet_id for match in matches})}
    ranked = search.rank_sheets(matches, {pk: (sheet.title, sheet.services) for pk, sheet in sheets.items()},
                                plan.groups)[:limit]
    wanted = {entry_id for sheet in ranked for entry_id in [sheet.entry_id, *sheet.other_entry_ids]}
    entries = SearchEntry.objects.only("anchor", "section_title", "body").in_bulk(wanted)
    terms = plan.highlight_terms()
    hits = []
    for ranked_sheet in ranked:
        sheet, entry = sheets[ranked_sheet.sheet_id], entries[ranked_sheet.entry_id]
        # A section that matched only through the sheet's title or services opens the sheet at
        # the top, with its summary. (The highlighter knows no stems: "visibility" matched
        # "visible" in the index, so a section it cannot mark still counts when the title does not.)
        in_section = search.contains_any(f"{entry.section_title} {entry.body}", terms) or not search.contains_any(
            f"{sheet.title} {' '.join(sheet.services)}", terms)
        hits.append(SearchHit(
            sheet=sheet,
            section_id=entry.anchor if in_section else "",
            section_title=entry.section_title if in_section else "",
            title_html=search.highlight(sheet.title, terms),
            snippet_html=search.snippet(entry.body if in_section else sheet.summary, terms,
                                        focus=search.focus_terms(plan, sheet.title)),
            more=[SearchSection(entries[pk].anchor, entries[pk].section_title)
                  for pk in ranked_sheet.other_entry_ids if entries[pk].anchor and entries[pk].anchor != entry.anchor],
        ))
    return SearchResult(query, hits, plan)
