"""How an attempt is scored. Pure functions: no ORM.

Per question
    Exam mode: a question scores 1 when the selected options are exactly the correct ones,
    else 0. Unanswered is wrong. Multiple response gets no partial credit.
    Practice mode: single answer as above; multiple response earns partial credit,
    (right picks - wrong picks) / number of correct options, never below 0.

Scaled score (100-1000)
    AWS reports a scaled score with 720 to pass (SAA-C03, DVA-C02) and does not publish its
    equating. We map the percent correct piecewise-linearly so that the quiz's cut percent
    lands exactly on the passing score: 0% -> 100, cut -> passing score, 100% -> 1000.
    With the defaults (cut 70%, pass 720): 35% -> 410, 70% -> 720, 85% -> 860.
    A learner passes when the scaled score reaches the passing score.
"""

from collections import OrderedDict
from dataclasses import dataclass

MIN_SCALED = 100
MAX_SCALED = 1000


def question_credit(selected, correct, *, multiple: bool, partial: bool) -> float:
    selected, correct = set(selected), set(correct)
    if not selected:
        return 0.0
    if selected == correct:
        return 1.0
    if multiple and partial:
        return max(0.0, (len(selected & correct) - len(selected - correct)) / len(correct))
    return 0.0


def scaled_score(fraction: float, *, cut: float = 0.70, passing: int = 720) -> int:
    """Map a fraction correct (0-1) onto 100-1000, the cut fraction landing on ``passing``."""
    if not 0 < cut < 1:
        raise ValueError(f"cut must be between 0 and 1 (got {cut})")
    if not MIN_SCALED < passing < MAX_SCALED:
        raise ValueError(f"passing score must be between {MIN_SCALED} and {MAX_SCALED} (got {passing})")
    fraction = min(1.0, max(0.0, fraction))
    if fraction <= cut:
        value = MIN_SCALED + (passing - MIN_SCALED) * fraction / cut
    else:
        value = passing + (MAX_SCALED - passing) * (fraction - cut) / (1 - cut)
    return int(round(value))


@dataclass(frozen=True)
class GradedItem:
    domain: str  # domain label of the quiz's blueprint, e.g. "Security"
    credit: float


@dataclass(frozen=True)
class Result:
    total: int
    raw_score: float
    fraction: float
    scaled_score: int
    passed: bool
    domains: list  # [{"domain", "correct", "total", "percent"}] in first-seen order


def grade(items: list[GradedItem], *, cut: float = 0.70, passing: int = 720, domain_order=()) -> Result:
    total = len(items)
    raw = sum(item.credit for item in items)
    fraction = raw / total if total else 0.0
    scaled = scaled_score(fraction, cut=cut, passing=passing)
    return Result(
        total=total, raw_score=raw, fraction=fraction, scaled_score=scaled,
        passed=scaled >= passing, domains=domain_breakdown(items, order=domain_order),
    )


def domain_breakdown(items: list[GradedItem], order=()) -> list[dict]:
    buckets: "OrderedDict[str, list[float]]" = OrderedDict((name, []) for name in order)
    for item in items:
        buckets.setdefault(item.domain, []).append(item.credit)
    return [
        {
            "domain": name,
            "correct": round(sum(credits), 2),
            "total": len(credits),
            "percent": round(100 * sum(credits) / len(credits)) if credits else None,
        }
        for name, credits in buckets.items()
    ]


def draw_counts(weights: dict[str, float], count: int, available: dict[str, int]) -> dict[str, int]:
    """How many questions to draw per domain: proportional to the weights by largest remainder,
    never more than a domain has; what a short domain cannot supply is shared among the others
    by the same rule."""
    counts = {domain: 0 for domain in weights}
    remaining = min(count, sum(available.get(domain, 0) for domain in weights))
    active = [domain for domain in weights if available.get(domain, 0) > 0]
    while remaining > 0 and active:
        total_weight = sum(weights[d] for d in active)
        shares = {d: remaining * (weights[d] / total_weight if total_weight else 1 / len(active)) for d in active}
        allocation = {d: int(shares[d]) for d in active}
        leftover = remaining - sum(allocation.values())
        for domain in sorted(active, key=lambda d: shares[d] - int(shares[d]), reverse=True)[:leftover]:
            allocation[domain] += 1
        for domain in active:
            given = min(allocation[domain], available[domain] - counts[domain])
            counts[domain] += given
            remaining -= given
        active = [domain for domain in active if counts[domain] < available[domain]]
    return counts
