"""Quality gates for the question bank: rules a single question must follow, and rules the
whole bank must hold (answer-length giveaways, near-duplicate stems, domain and service
coverage). Pure functions over the question dicts of ``bank_format``; no ORM.

Every problem names the question id and the rule, so a failing test says what to fix.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field

# Real exam form: single answer has exactly four options; multiple response five or more.
SINGLE_OPTIONS = 4
MULTIPLE_MIN_OPTIONS = 5
# The correct option may be the strictly longest in at most this share of single-answer questions
# (random on four options is 25%).
LONGEST_SINGLE_MAX = 0.30
# ... and the strictly shortest in at most this share: writers who avoid the first giveaway
# drift into the opposite one (random is 25% here too).
SHORTEST_SINGLE_MAX = 0.35
# ... and, the two together: the key may sit between the shortest and the longest option in at
# most this share (chance is 50%), or "drop the longest and the shortest" becomes a strategy.
MIDDLE_SINGLE_MAX = 0.60
# For multiple response: the share of correct options that rank among the k longest may exceed
# what chance gives (the mean of k/n) by at most this many points.
LONGEST_MULTIPLE_MARGIN = 0.10
# Stems whose word-trigram sets overlap this much (containment of the smaller set) are
# near-duplicates. Why 0.35: the two known duplicate pairs of the 75-question bank score 0.40 and
# above, while distinct questions on the same service and feature stay under 0.25; see
# tests/quizzes/test_bank_lint.py for both sides of the line.
DUPLICATE_THRESHOLD = 0.35
DUPLICATE_SHINGLE = 3
FORBIDDEN_OPTION = re.compile(r"\b(all|none|both) of the (above|options|answers)\b", re.I)
DOC_HOSTS = ("https://docs.aws.amazon.com/", "https://aws.amazon.com/")
FORM_SIZE = 65
FORMS_PER_EXAM = 6
EXAM_WEIGHTS = {
    "DVA-C02": {"development": 32, "security": 26, "deployment": 24, "troubleshooting": 18},
    "SAA-C03": {"secure": 30, "resilient": 26, "high-performing": 24, "cost-optimized": 20},
}
SERVICE_MINIMUM = 12


def form_counts(weights: dict[str, int], size: int = FORM_SIZE) -> dict[str, int]:
    """How many questions of each domain one form holds: largest remainder on the weights."""
    total = sum(weights.values())
    exact = {d: size * w / total for d, w in weights.items()}
    counts = {d: math.floor(x) for d, x in exact.items()}
    for d in sorted(exact, key=lambda d: (counts[d] - exact[d], d))[: size - sum(counts.values())]:
        counts[d] += 1
    return counts


def domain_quotas() -> dict[str, int]:
    """Per domain label, how many questions six disjoint 65-question forms need."""
    return {f"{exam}/{domain}": FORMS_PER_EXAM * n
            for exam, weights in EXAM_WEIGHTS.items() for domain, n in form_counts(weights).items()}


def question_lint(q: dict) -> list[str]:
    """Form rules for one question (beyond what the importer already refuses)."""
    problems = []
    n = len(q["options"])
    correct = sum(1 for o in q["options"] if o["correct"])
    if q["qtype"] == "single" and n != SINGLE_OPTIONS:
        problems.append(f"single-answer questions have exactly {SINGLE_OPTIONS} options (has {n})")
    if q["qtype"] == "multiple" and n < MULTIPLE_MIN_OPTIONS:
        problems.append(f"multiple-response questions have at least {MULTIPLE_MIN_OPTIONS} options (has {n})")
    if q["qtype"] == "multiple" and correct not in (2, 3):
        problems.append(f"multiple-response questions ask to choose two or three (has {correct} correct)")
    for position, option in enumerate(q["options"], start=1):
        if FORBIDDEN_OPTION.search(option["text"]):
            problems.append(f"option {position} is an 'all/none of the above' option")
        if not option["explanation"].strip():
            problems.append(f"option {position} has no explanation")
    if not any(str(url).startswith(DOC_HOSTS) for url in q["references"]):
        problems.append("cites no AWS documentation page (https://docs.aws.amazon.com/... or https://aws.amazon.com/...)")
    if not q["sheet_links"]:
        problems.append("links no cheat-sheet section")
    if not q["services"]:
        problems.append("names no service")
    if "?" not in q["stem"]:
        problems.append("the stem asks no question (no '?')")
    return problems


def _lengths(q: dict) -> list[int]:
    return [len(o["text"]) for o in q["options"]]


def correct_is_longest(q: dict) -> bool:
    """Single answer: the correct option is strictly the longest."""
    lengths = _lengths(q)
    right = [i for i, o in enumerate(q["options"]) if o["correct"]]
    return len(right) == 1 and all(lengths[right[0]] > x for i, x in enumerate(lengths) if i != right[0])


def correct_is_shortest(q: dict) -> bool:
    """Single answer: the correct option is strictly the shortest."""
    lengths = _lengths(q)
    right = [i for i, o in enumerate(q["options"]) if o["correct"]]
    return len(right) == 1 and all(lengths[right[0]] < x for i, x in enumerate(lengths) if i != right[0])


def correct_in_middle(q: dict) -> bool:
    """Single answer: the correct option is neither the longest nor the shortest (ties count
    against the key: a tie with the longest is not "the middle")."""
    lengths = _lengths(q)
    right = [i for i, o in enumerate(q["options"]) if o["correct"]]
    if len(right) != 1:
        return False
    mine = lengths[right[0]]
    return min(lengths) < mine < max(lengths)


def correct_among_longest(q: dict) -> tuple[int, int]:
    """Multiple response: (correct options ranking among the k longest, k)."""
    k = sum(1 for o in q["options"] if o["correct"])
    ranked = sorted(range(len(q["options"])), key=lambda i: -len(q["options"][i]["text"]))
    return sum(1 for i in ranked[:k] if q["options"][i]["correct"]), k


@dataclass
class GiveawayRates:
    single_total: int = 0
    single_longest: int = 0
    single_shortest: int = 0
    single_middle: int = 0
    multiple_correct: int = 0
    multiple_in_top: int = 0
    multiple_chance: float = 0.0
    longest_keys: list[str] = field(default_factory=list)
    shortest_keys: list[str] = field(default_factory=list)

    @property
    def single_rate(self) -> float:
        return self.single_longest / self.single_total if self.single_total else 0.0

    @property
    def single_middle_rate(self) -> float:
        return self.single_middle / self.single_total if self.single_total else 0.0

    @property
    def single_shortest_rate(self) -> float:
        return self.single_shortest / self.single_total if self.single_total else 0.0

    @property
    def multiple_rate(self) -> float:
        return self.multiple_in_top / self.multiple_correct if self.multiple_correct else 0.0

    @property
    def multiple_chance_rate(self) -> float:
        return self.multiple_chance / self.multiple_correct if self.multiple_correct else 0.0


def giveaway_rates(questions: list[dict]) -> GiveawayRates:
    rates = GiveawayRates()
    for q in questions:
        if q["qtype"] == "single":
            rates.single_total += 1
            if correct_is_longest(q):
                rates.single_longest += 1
                rates.longest_keys.append(q["key"])
            if correct_is_shortest(q):
                rates.single_shortest += 1
                rates.shortest_keys.append(q["key"])
            if correct_in_middle(q):
                rates.single_middle += 1
        else:
            hits, k = correct_among_longest(q)
            rates.multiple_correct += k
            rates.multiple_in_top += hits
            rates.multiple_chance += k * k / len(q["options"])
    return rates


_WORD = re.compile(r"[a-z0-9]+")


def shingles(text: str, size: int = DUPLICATE_SHINGLE) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + size]) for i in range(max(len(words) - size + 1, 1))}


def similarity(a: set, b: set) -> float:
    """Containment: the share of the smaller stem's trigrams found in the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def near_duplicates(questions: list[dict], threshold: float = DUPLICATE_THRESHOLD) -> list[tuple[float, str, str]]:
    prints = [(q["key"], shingles(q["stem"])) for q in questions]
    pairs = []
    for i, (key_a, a) in enumerate(prints):
        for key_b, b in prints[i + 1:]:
            score = similarity(a, b)
            if score >= threshold:
                pairs.append((round(score, 2), key_a, key_b))
    return sorted(pairs, reverse=True)


def bank_statistics(questions: list[dict]) -> dict:
    domains, services, types = Counter(), Counter(), Counter()
    exams = Counter()
    for q in questions:
        types[q["qtype"]] += 1
        for label in q["domains"]:
            domains[label] += 1
            exams[label.split("/")[0]] += 1
        for service in q["services"]:
            services[service] += 1
    return {"total": len(questions), "exams": exams, "domains": domains, "services": services, "types": types,
            "giveaways": giveaway_rates(questions)}


def bank_lint(questions: list[dict], *, sheet_services: set[str] | None = None, quotas: bool = True) -> list[str]:
    """Every rule over the published bank; [] when it passes."""
    published = [q for q in questions if q["status"] == "published"]
    problems = [f"{q['key']}: {p}" for q in published for p in question_lint(q)]
    rates = giveaway_rates(published)
    if rates.single_rate > LONGEST_SINGLE_MAX:
        problems.append(
            f"bank: the correct option is the longest in {rates.single_longest} of {rates.single_total} single-answer "
            f"questions ({rates.single_rate:.0%}; at most {LONGEST_SINGLE_MAX:.0%}): "
            + ", ".join(rates.longest_keys))
    if rates.single_shortest_rate > SHORTEST_SINGLE_MAX:
        problems.append(
            f"bank: the correct option is the shortest in {rates.single_shortest} of {rates.single_total} single-answer "
            f"questions ({rates.single_shortest_rate:.0%}; at most {SHORTEST_SINGLE_MAX:.0%}): "
            + ", ".join(rates.shortest_keys))
    if rates.single_middle_rate > MIDDLE_SINGLE_MAX:
        problems.append(
            f"bank: the correct option is neither the longest nor the shortest in {rates.single_middle} of "
            f"{rates.single_total} single-answer questions ({rates.single_middle_rate:.0%}; at most "
            f"{MIDDLE_SINGLE_MAX:.0%}, chance is 50%): make some keys the longest or the shortest option")
    if rates.multiple_rate > rates.multiple_chance_rate + LONGEST_MULTIPLE_MARGIN:
        problems.append(
            f"bank: {rates.multiple_rate:.0%} of correct options in multiple-response questions are among the k longest "
            f"(chance {rates.multiple_chance_rate:.0%}, at most {LONGEST_MULTIPLE_MARGIN:.0%} more)")
    for score, a, b in near_duplicates(published):
        problems.append(f"{a} / {b}: near-duplicate stems (similarity {score:.2f} >= {DUPLICATE_THRESHOLD})")
    if quotas:
        stats = bank_statistics(published)
        for label, need in domain_quotas().items():
            if stats["domains"][label] < need:
                problems.append(f"bank: domain {label} has {stats['domains'][label]} questions; six forms need {need}")
        for service in sorted(sheet_services or ()):
            if stats["services"][service] < SERVICE_MINIMUM:
                problems.append(f"bank: service {service} appears in {stats['services'][service]} questions "
                                f"(at least {SERVICE_MINIMUM})")
    return problems
