"""Item and test statistics from submitted exam attempts. Pure functions.

facility index     percent of responses that scored full credit on the item.
discrimination     Pearson correlation between the item score (0/1) and the rest score:
                   the percent correct on the *other* items of the same attempt. Negative
                   or near-zero (< 0.1) means strong learners do no better on the item than
                   weak ones: flag it for review.
test statistics    mean and (population) standard deviation of attempt percentages;
                   Cronbach's alpha = k/(k-1) * (1 - sum(item variances) / variance(total)),
                   over the items every attempt answered (the complete cases).
"""

from dataclasses import dataclass
from math import sqrt

FLAG_BELOW = 0.10


def mean(values):
    return sum(values) / len(values) if values else None


def pvariance(values):
    if not values:
        return None
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def pearson(xs, ys):
    """Correlation coefficient, or None when either side has no variance."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / sqrt(sxx * syy)


@dataclass(frozen=True)
class ItemStats:
    responses: int
    facility: float | None
    discrimination: float | None
    option_counts: dict
    flagged: bool


def item_statistics(attempts: dict[int, dict[int, float]], choices: dict[int, list[list[int]]] | None = None):
    """``attempts``: {attempt_id: {question_id: item score 0..1}}.
    ``choices``: {question_id: [selected option ids per response]}.
    Returns {question_id: ItemStats}."""
    by_item: dict[int, list[tuple[float, float]]] = {}
    for scores in attempts.values():
        count = len(scores)
        total = sum(scores.values())
        for question_id, score in scores.items():
            rest = (total - score) / (count - 1) if count > 1 else None
            by_item.setdefault(question_id, []).append((score, rest))
    result = {}
    for question_id, pairs in by_item.items():
        item_scores = [score for score, _ in pairs]
        with_rest = [(score, rest) for score, rest in pairs if rest is not None]
        discrimination = pearson([s for s, _ in with_rest], [r for _, r in with_rest])
        counts: dict[str, int] = {}
        for selected in (choices or {}).get(question_id, []):
            for option_id in selected:
                counts[str(option_id)] = counts.get(str(option_id), 0) + 1
        result[question_id] = ItemStats(
            responses=len(pairs),
            facility=100 * sum(1 for s in item_scores if s >= 1) / len(item_scores),
            discrimination=discrimination,
            option_counts=counts,
            flagged=discrimination is not None and discrimination < FLAG_BELOW,
        )
    return result


def cronbach_alpha(matrix: list[list[float]]) -> float | None:
    """``matrix``: one row per attempt, one column per item, same items in every row."""
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    item_variances = [pvariance([row[i] for row in matrix]) for i in range(k)]
    total_variance = pvariance([sum(row) for row in matrix])
    if not total_variance:
        return None
    return k / (k - 1) * (1 - sum(item_variances) / total_variance)


@dataclass(frozen=True)
class ExamStats:
    attempts: int
    mean: float | None
    sd: float | None
    alpha: float | None
    note: str


def exam_statistics(attempts: dict[int, dict[int, float]]) -> ExamStats:
    percents = [100 * sum(s.values()) / len(s) for s in attempts.values() if s]
    variance = pvariance(percents)
    common = set.intersection(*(set(s) for s in attempts.values())) if attempts else set()
    note = ""
    alpha = None
    if len(attempts) < 2:
        note = "Needs at least two submitted attempts."
    elif len(common) < 2:
        note = "Alpha not computable: the attempts drew different questions (fewer than two in common)."
    else:
        items = sorted(common)
        alpha = cronbach_alpha([[s[i] for i in items] for s in attempts.values()])
        if len(common) < max(len(s) for s in attempts.values()):
            note = f"Alpha over the {len(common)} questions every attempt answered."
    return ExamStats(
        attempts=len(attempts), mean=mean(percents), sd=sqrt(variance) if variance is not None else None,
        alpha=alpha, note=note,
    )


def counted_attempts(answers: list[tuple[int, int, bool]], *, min_answered: float) -> tuple[set[int], dict[int, int]]:
    """From (attempt, quiz, answered) rows: the attempts that count for statistics (at least
    ``min_answered`` of their questions answered) and, per quiz, how many were left early."""
    totals: dict[int, list[int]] = {}
    quiz_of: dict[int, int] = {}
    for attempt_id, quiz_id, answered in answers:
        counts = totals.setdefault(attempt_id, [0, 0])
        counts[0] += int(answered)
        counts[1] += 1
        quiz_of[attempt_id] = quiz_id
    counted, abandoned = set(), {}
    for attempt_id, (answered, total) in totals.items():
        if total and answered / total >= min_answered:
            counted.add(attempt_id)
        else:
            abandoned[quiz_of[attempt_id]] = abandoned.get(quiz_of[attempt_id], 0) + 1
    return counted, abandoned
