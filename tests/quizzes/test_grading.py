"""Scoring is pure: hand-computed cases."""

import pytest

from quizzes import grading
from quizzes.grading import GradedItem


@pytest.mark.parametrize("selected, correct, multiple, partial, expected", [
    ([1], [1], False, False, 1.0),
    ([2], [1], False, False, 0.0),
    ([], [1], False, False, 0.0),
    ([1, 2], [1, 2], True, False, 1.0),
    ([1], [1, 2], True, False, 0.0),          # exam: no partial credit
    ([1], [1, 2], True, True, 0.5),           # practice: half the right picks
    ([1, 3], [1, 2], True, True, 0.0),        # one right, one wrong cancel out
    ([1, 2, 3], [1, 2], True, True, 0.5),
    ([3, 4], [1, 2], True, True, 0.0),        # never below zero
])
def test_question_credit(selected, correct, multiple, partial, expected):
    assert grading.question_credit(selected, correct, multiple=multiple, partial=partial) == expected


@pytest.mark.parametrize("fraction, expected", [
    (0.0, 100), (0.35, 410), (0.70, 720), (0.85, 860), (1.0, 1000),
    (45 / 65, 713),   # 100 + 620 * (45/65) / 0.7 = 713.19
    (46 / 65, 727),   # 720 + 280 * (46/65 - 0.7) / 0.3 = 727.18
])
def test_scaled_score_hand_computed(fraction, expected):
    assert grading.scaled_score(fraction) == expected


def test_scaled_score_with_another_cut_and_pass_mark():
    assert grading.scaled_score(0.65, cut=0.65, passing=700) == 700
    assert grading.scaled_score(0.325, cut=0.65, passing=700) == 400  # 100 + 600 / 2


def test_scaled_score_refuses_nonsense_settings():
    with pytest.raises(ValueError, match="cut must be between 0 and 1"):
        grading.scaled_score(0.5, cut=1.2)
    with pytest.raises(ValueError, match="passing score"):
        grading.scaled_score(0.5, passing=1000)


def test_grade_passes_at_the_cut_and_breaks_down_by_domain():
    items = [GradedItem("Security", 1.0)] * 7 + [GradedItem("Deployment", 0.0)] * 3
    result = grading.grade(items, domain_order=["Development", "Security", "Deployment"])
    assert (result.total, result.raw_score, result.scaled_score, result.passed) == (10, 7.0, 720, True)
    assert result.domains == [
        {"domain": "Development", "correct": 0, "total": 0, "percent": None},
        {"domain": "Security", "correct": 7.0, "total": 7, "percent": 100},
        {"domain": "Deployment", "correct": 0.0, "total": 3, "percent": 0},
    ]


def test_grade_one_short_of_the_cut_fails():
    result = grading.grade([GradedItem("A", 1.0)] * 69 + [GradedItem("A", 0.0)] * 31)
    assert result.scaled_score == 711 and not result.passed


def test_draw_counts_follow_the_weights():
    weights = {"development": 32, "security": 26, "deployment": 24, "troubleshooting": 18}
    counts = grading.draw_counts(weights, 65, {k: 100 for k in weights})
    assert sum(counts.values()) == 65
    # shares 20.8, 16.9, 15.6, 11.7: floors 62, the 3 left go to the largest remainders (.9, .8, .7)
    assert counts == {"development": 21, "security": 17, "deployment": 15, "troubleshooting": 12}


def test_draw_counts_move_what_a_short_domain_cannot_supply():
    weights = {"a": 50, "b": 50}
    assert grading.draw_counts(weights, 10, {"a": 2, "b": 20}) == {"a": 2, "b": 8}
    assert grading.draw_counts(weights, 10, {"a": 2, "b": 3}) == {"a": 2, "b": 3}
