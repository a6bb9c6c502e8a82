"""Item and test statistics, against hand-computed values."""

import pytest

from quizzes import statistics

# Four attempts, three items (1 = right). Rest scores for item 1: 1.0, 0.5, 0.5, 0.0.
ATTEMPTS = {
    1: {"q1": 1, "q2": 1, "q3": 1},
    2: {"q1": 1, "q2": 1, "q3": 0},
    3: {"q1": 0, "q2": 1, "q3": 0},
    4: {"q1": 0, "q2": 0, "q3": 0},
}


def test_facility_and_discrimination_hand_computed():
    stats = statistics.item_statistics(ATTEMPTS)
    assert stats["q1"].facility == 50.0
    assert stats["q2"].facility == 75.0
    # x = [1,1,0,0], y = [1,.5,.5,0]: sxy = .5, sxx = 1, syy = .5 -> r = .5 / sqrt(.5)
    assert stats["q1"].discrimination == pytest.approx(0.70711, abs=1e-5)
    assert not stats["q1"].flagged


def test_an_item_the_weak_get_right_is_flagged():
    attempts = {k: {**v, "q4": 1 if k >= 3 else 0} for k, v in ATTEMPTS.items()}
    stats = statistics.item_statistics(attempts)
    assert stats["q4"].discrimination < 0 and stats["q4"].flagged


def test_option_counts():
    stats = statistics.item_statistics({1: {"q1": 1}, 2: {"q1": 0}}, {"q1": [[10], [11, 12]]})
    assert stats["q1"].option_counts == {"10": 1, "11": 1, "12": 1}


def test_cronbach_alpha_hand_computed():
    # item variances .25 + .1875 + .1875 = .625; totals 3,2,1,0 -> variance 1.25; alpha = 3/2 * (1 - .5)
    matrix = [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert statistics.cronbach_alpha(matrix) == pytest.approx(0.75)


def test_exam_statistics():
    stats = statistics.exam_statistics(ATTEMPTS)
    # percents 100, 66.67, 33.33, 0 -> mean 50, population sd sqrt(1388.9) = 37.27
    assert stats.mean == pytest.approx(50.0)
    assert stats.sd == pytest.approx(37.2678, abs=1e-4)
    assert stats.alpha == pytest.approx(0.75)


def test_alpha_not_computable_when_attempts_share_no_questions():
    stats = statistics.exam_statistics({1: {"a": 1, "b": 0}, 2: {"c": 1, "d": 1}})
    assert stats.alpha is None and "different questions" in stats.note


def test_pearson_without_variance_is_none():
    assert statistics.pearson([1, 1, 1], [0, 1, 0]) is None
