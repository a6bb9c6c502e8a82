"""Search helpers: split a query into terms, score and cut highlighted snippets. Pure."""

import html
import re

MAX_TERMS = 8
SNIPPET_RADIUS = 90


def terms_of(query: str) -> list[str]:
    """Distinct lowercase terms of a query, longest first, ignoring one-letter noise."""
    words = re.findall(r"[\w@.+-]+", query.lower())
    unique = list(dict.fromkeys(word.strip(".-+") for word in words if len(word.strip(".-+")) > 1))
    return sorted(unique, key=len, reverse=True)[:MAX_TERMS]


def _pattern(terms: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(term) for term in terms), re.I)


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escape ``text`` and wrap each term occurrence in <mark>."""
    if not terms:
        return html.escape(text)
    out, last = [], 0
    for match in _pattern(terms).finditer(text):
        out.append(html.escape(text[last:match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def snippet(text: str, terms: list[str], radius: int = SNIPPET_RADIUS) -> str:
    """A highlighted excerpt around the first match, cut at word boundaries."""
    match = _pattern(terms).search(text) if terms else None
    if match is None:
        cut = text[: radius * 2]
        return highlight(cut, terms) + ("…" if len(text) > len(cut) else "")
    start = max(0, match.start() - radius)
    end = min(len(text), match.end() + radius)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        space = text.rfind(" ", match.end(), end)
        end = space if space > 0 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + highlight(text[start:end], terms) + suffix


def score_sections(title: str, services: list[str], sections: list[dict], terms: list[str]):
    """Rank one sheet for ``terms``: returns (score, best section) or (0, None) when a term is missing.

    Every term must appear somewhere in the sheet. Title and service hits weigh most; the
    best section is the one that holds the most distinct terms (earliest on ties).
    """
    haystack_title = f"{title} {' '.join(services)}".lower()
    full_text = " ".join(f"{section['title']} {section['text']}" for section in sections).lower()
    if not all(term in haystack_title or term in full_text for term in terms):
        return 0, None
    score = sum(10 for term in terms if term in haystack_title)
    score += sum(min(full_text.count(term), 5) for term in terms)
    best, best_hits = None, 0
    for section in sections:
        lowered = f"{section['title']} {section['text']}".lower()
        hits = sum(1 for term in terms if term in lowered)
        if hits > best_hits:
            best, best_hits = section, hits
    return score, best
