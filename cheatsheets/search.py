"""Search, the pure part: split a query into words, correct typos against the index's vocabulary,
expand the field's abbreviations, write the full-text expression for SQLite FTS5 or PostgreSQL,
rank the sheets from the index's matches, and cut highlighted snippets. No ORM, no settings:
the index itself (an FTS5 table or a tsvector column) is read in ``selectors.py``.

A query is a list of groups, one per word the learner typed. A sheet matches when every group
matches somewhere in it; a group matches when any of its alternatives does (the word itself,
its correction, its synonyms). The last word of the query is also completed from the index's
vocabulary, so results follow the typing ("concurr" finds "concurrency" before the word is
finished). Completing here rather than with the engines' prefix queries keeps SQLite and
PostgreSQL in agreement: both stem the indexed words, and a prefix of a word ("concurrenc") is
not a prefix of its stem ("concurr").
"""

import html
import re
from bisect import bisect_left
from dataclasses import dataclass, field

MAX_TERMS = 8
SNIPPET_RADIUS = 90
MIN_PREFIX = 2  # shorter last words are completed only from two letters on
MAX_COMPLETIONS = 12

_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's English stop words (its full-text search ignores them) plus "vs": both engines
# must agree on which words count.
STOPWORDS = frozenset((
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did doing "
    "a an the and but if or because as until while of at by for with about against between into "
    "through during before after above below to from up down in out on off over under again "
    "further then once here there when where why how all any both each few more most other some "
    "such no nor not only own same so than too very s t can will just don should now vs "
).split())
# Brand words do not make a title more specific: "Amazon SQS" is a one-word title for "sqs".
BRAND_WORDS = frozenset({"amazon", "aws"})

# Abbreviations learners type and the words the sheets spell out, both ways.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("dlq", "dead letter queue", "dead letter"),
    ("esm", "event source mapping"),
    ("acu", "aurora capacity unit", "capacity unit"),
    ("rcu", "read capacity unit", "read request unit"),
    ("wcu", "write capacity unit", "write request unit"),
    ("ddb", "dynamodb"),
    ("dax", "dynamodb accelerator"),
    ("gsi", "global secondary index"),
    ("lsi", "local secondary index"),
    ("ttl", "time to live"),
    ("pitr", "point in time recovery"),
    ("apigw", "api gateway"),
    ("sfn", "step functions"),
    ("asl", "amazon states language"),
    ("kds", "kinesis data streams"),
    ("kdf", "firehose"),
    ("cfn", "cloudformation"),
    ("sam", "serverless application model"),
    ("sqs", "simple queue service"),
    ("sns", "simple notification service"),
    ("s3", "simple storage service"),
    ("efs", "elastic file system"),
    ("ecs", "elastic container service"),
    ("alb", "application load balancer"),
    ("vpc", "virtual private cloud"),
    ("iam", "identity and access management"),
    ("kms", "key management service"),
    ("sse", "server side encryption"),
    ("cors", "cross origin"),
    ("jwt", "json web token"),
    ("oac", "origin access control"),
    ("cdn", "cloudfront"),
    ("fifo", "first in first out"),
    ("mfa", "multi factor"),
    ("xray", "x ray"),
)


def _synonym_index() -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for group in SYNONYMS:
        phrases = [tuple(words_of(phrase)) for phrase in group]
        for phrase in phrases:
            if len(phrase) == 1:  # single words expand; a phrase typed word by word is matched as words
                index.setdefault(phrase[0], []).extend(other for other in phrases if other != phrase)
    return index


def words_of(text: str) -> list[str]:
    """Lowercase words, split the way both full-text engines split them (on anything not a
    letter or a digit: "dead-letter" is two words, "lambda@edge" too)."""
    return _WORD.findall(text.lower())


def terms_of(query: str) -> list[str]:
    """Distinct words of a query in the order typed, without stop words or one-letter noise."""
    words = [word for word in words_of(query) if len(word) > 1 and word not in STOPWORDS]
    return list(dict.fromkeys(words))[:MAX_TERMS]


# Typos ------------------------------------------------------------------------------------------

def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), or ``limit + 1`` once it is
    certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How many edits a word may be off: none up to 3 letters (too many short words are one edit
    apart: "sqs"/"sns"), one up to 6, two beyond."""
    return 0 if len(word) <= 3 else 1 if len(word) <= 6 else 2


@dataclass
class Vocabulary:
    """The words of the index with how often each occurs; ``sorted_words`` for prefix look-ups."""

    counts: dict[str, int]
    sorted_words: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.sorted_words:
            self.sorted_words = sorted(self.counts)

    @classmethod
    def from_texts(cls, texts) -> "Vocabulary":
        counts: dict[str, int] = {}
        for text in texts:
            for word in words_of(text):
                counts[word] = counts.get(word, 0) + 1
        return cls(counts)

    def completions(self, prefix: str, limit: int = MAX_COMPLETIONS) -> list[str]:
        """Indexed words that start with ``prefix`` (not the prefix itself), most frequent first."""
        found = []
        for word in self.sorted_words[bisect_left(self.sorted_words, prefix):]:
            if not word.startswith(prefix):
                break
            if word != prefix:
                found.append(word)
        return sorted(found, key=lambda word: (-self.counts[word], word))[:limit]

    def closest(self, word: str) -> str | None:
        """The most frequent indexed word fewest edits away from ``word`` (within its allowance);
        a word that starts the same way wins a tie."""
        limit = allowed_typos(word)
        if not limit:
            return None
        best, best_key = None, None
        for candidate, count in self.counts.items():
            if abs(len(candidate) - len(word)) > limit or len(candidate) <= 3:
                continue
            distance = edit_distance(word, candidate, limit)
            if distance > limit:
                continue
            key = (distance, candidate[0] != word[0], -count, candidate)
            if best_key is None or key < best_key:
                best, best_key = candidate, key
        return best


# Query plan -------------------------------------------------------------------------------------

@dataclass
class Group:
    """One typed word: the alternatives that satisfy it (each a phrase of one or more words)."""

    word: str
    alternatives: list[tuple[str, ...]]
    correction: str = ""

    def highlight_terms(self) -> list[str]:
        return [" ".join(phrase) for phrase in self.alternatives]


@dataclass
class QueryPlan:
    groups: list[Group]

    @property
    def corrected(self) -> bool:
        return any(group.correction for group in self.groups)

    def corrected_query(self) -> str:
        return " ".join(group.correction or group.word for group in self.groups)

    def highlight_terms(self) -> list[str]:
        return list(dict.fromkeys(term for group in self.groups for term in group.highlight_terms()))


def plan_query(query: str, vocabulary: Vocabulary, *, complete_last: bool = True) -> QueryPlan:
    """Groups for ``query``: each word with its synonyms and, when the index does not know the
    word, its closest indexed spelling. With ``complete_last`` (the learner may still be typing)
    the last word also stands for the indexed words it starts."""
    terms = terms_of(query)
    groups = []
    for position, term in enumerate(terms):
        alternatives = [(term,)]
        completions = []
        if complete_last and position == len(terms) - 1 and len(term) >= MIN_PREFIX:
            completions = vocabulary.completions(term)
            alternatives += [(word,) for word in completions]
        correction = ""
        if term not in vocabulary.counts and term not in _SYNONYMS and not completions:
            correction = vocabulary.closest(term) or ""
            if correction:
                alternatives.append((correction,))
        for word in [term, correction]:
            for phrase in _SYNONYMS.get(word, []):
                if phrase not in alternatives:
                    alternatives.append(phrase)
        groups.append(Group(word=term, alternatives=alternatives, correction=correction))
    return QueryPlan(groups)


def fts5_expression(group: Group) -> str:
    """The group as an SQLite FTS5 MATCH expression: quoted phrases joined by OR. Words are
    letters and digits only, so quoting them is safe."""
    return " OR ".join('"' + " ".join(phrase) + '"' for phrase in group.alternatives)


def tsquery_expression(group: Group) -> str:
    """The group as a PostgreSQL ``to_tsquery`` text: phrases with ``<->``, alternatives with ``|``."""
    return " | ".join(f"({' <-> '.join(phrase)})" if len(phrase) > 1 else phrase[0] for phrase in group.alternatives)


# Ranking ----------------------------------------------------------------------------------------

@dataclass
class Match:
    """The index says: entry ``entry_id`` (a section of sheet ``sheet_id``) matches group ``group``
    with full-text score ``score`` (higher is better, comparable within one engine only)."""

    group: int
    entry_id: int
    sheet_id: int
    score: float


@dataclass
class RankedSheet:
    sheet_id: int
    entry_id: int  # the section to open
    other_entry_ids: list[int]
    key: tuple


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _phrase_in(phrase: tuple[str, ...], words: list[str]) -> bool:
    stems = [_stem(word) for word in words]
    target = [_stem(word) for word in phrase]
    width = len(target)
    return any(stems[start:start + width] == target for start in range(len(stems) - width + 1))


def title_hits(title: str, groups: list[Group]) -> tuple[int, float]:
    """How many groups the title matches, and which share of the title's own words that is: the
    closer a title is to the query, the better ("Amazon SQS" beats "SQS vs SNS vs Kinesis")."""
    words = [word for word in words_of(title) if word not in STOPWORDS]
    hits, covered = 0, set()
    for group in groups:
        for phrase in group.alternatives:
            if _phrase_in(phrase, words):
                hits += 1
                covered.update(word for word in words if _stem(word) in {_stem(part) for part in phrase})
                break
    significant = [word for word in words if word not in BRAND_WORDS] or words
    share = len([word for word in significant if word in covered]) / len(significant) if significant else 0.0
    return hits, share


def rank_sheets(matches: list[Match], sheets: dict[int, tuple[str, list[str]]], groups: list[Group],
                limit: int = 3) -> list[RankedSheet]:
    """Sheets in which every group matches, best first.

    ``sheets`` maps a sheet id to (title, services). Title matches come first (more matched
    groups, then the title closest to the query), then matches in the services a sheet covers,
    then the full-text score of its best section. The section to open is the one that matches
    the most groups, then scores best; up to ``limit`` more sections are listed with it.
    """
    by_entry: dict[int, dict] = {}
    for match in matches:
        entry = by_entry.setdefault(match.entry_id, {"sheet": match.sheet_id, "groups": set(), "score": 0.0})
        entry["groups"].add(match.group)
        entry["score"] += match.score
    by_sheet: dict[int, list[tuple[int, dict]]] = {}
    for entry_id, entry in by_entry.items():
        by_sheet.setdefault(entry["sheet"], []).append((entry_id, entry))
    ranked = []
    for sheet_id, entries in by_sheet.items():
        covered = set().union(*(entry["groups"] for _, entry in entries))
        if len(covered) < len(groups) or sheet_id not in sheets:
            continue
        entries.sort(key=lambda item: (-len(item[1]["groups"]), -item[1]["score"], item[0]))
        title, services = sheets[sheet_id]
        hits, share = title_hits(title, groups)
        service_hits = max((title_hits(service, groups)[0] for service in services), default=0)
        best = entries[0][1]
        key = (-hits, -share, -service_hits, -len(best["groups"]), -best["score"], title.lower())
        ranked.append(RankedSheet(sheet_id, entries[0][0], [entry_id for entry_id, _ in entries[1:limit + 1]], key))
    ranked.sort(key=lambda sheet: sheet.key)
    return ranked


def focus_terms(plan: QueryPlan, title: str) -> list[str]:
    """The terms a snippet should show: those of the words the title does not already answer
    ("concurrency" rather than "lambda" in AWS Lambda's sheet), or all when it answers them all."""
    words = [word for word in words_of(title) if word not in STOPWORDS]
    rest = [group for group in plan.groups if not any(_phrase_in(phrase, words) for phrase in group.alternatives)]
    return QueryPlan(rest).highlight_terms() if rest else plan.highlight_terms()


# Highlighting -----------------------------------------------------------------------------------

def _pattern(terms: list[str]) -> re.Pattern:
    """Each term at the start of a word, to the end of that word; a phrase's words may be joined
    by spaces or hyphens ("dead letter" marks "dead-letter")."""
    pieces = []
    for term in sorted(terms, key=len, reverse=True):
        words = words_of(term)
        if words:
            pieces.append(r"[\s\-]+".join(re.escape(word) for word in words) + r"\w*")
    return re.compile(r"(?<!\w)(?:" + "|".join(pieces) + ")", re.I) if pieces else re.compile(r"(?!x)x")


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


def contains_any(text: str, terms: list[str]) -> bool:
    return bool(terms) and _pattern(terms).search(text) is not None


def snippet(text: str, terms: list[str], radius: int = SNIPPET_RADIUS, focus: list[str] | None = None) -> str:
    """A highlighted excerpt around the first match of ``focus`` (else of any term), cut at word
    boundaries."""
    match = (_pattern(focus).search(text) if focus else None) or (_pattern(terms).search(text) if terms else None)
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


_SYNONYMS = _synonym_index()


# Index entries ----------------------------------------------------------------------------------

def index_entries(*, title: str, services: list[str], summary: str, sections: list[dict]) -> list[dict]:
    """What the index holds for one sheet: one entry per section (the intro, with the summary,
    first), each carrying the sheet's title and services so that a title word counts in every
    section and any section can satisfy it."""
    entries = []
    intro = next((section for section in sections if not section["id"]), None)
    entries.append({"anchor": "", "section_title": "",
                    "body": f"{summary} {intro['text']}".strip() if intro else summary})
    entries += [{"anchor": section["id"], "section_title": section["title"], "body": section["text"]}
                for section in sections if section["id"]]
    for position, entry in enumerate(entries):
        entry.update(position=position, sheet_title=title, services=" · ".join(services))
    return entries
