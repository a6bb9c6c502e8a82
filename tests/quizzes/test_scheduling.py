"""Leitner boxes: wrong -> box 1 due now; right -> next box later; mastered leaves."""

from datetime import datetime, timedelta, timezone

from quizzes.scheduling import after_answer

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


def test_a_miss_enters_box_one_due_now():
    assert after_answer(box=None, correct=False, now=NOW) == (1, NOW)


def test_right_first_time_is_not_queued():
    assert after_answer(box=None, correct=True, now=NOW) is None


def test_each_right_answer_moves_up_and_comes_back_later():
    assert after_answer(box=1, correct=True, now=NOW) == (2, NOW + timedelta(days=3))
    assert after_answer(box=2, correct=True, now=NOW) == (3, NOW + timedelta(days=7))
    assert after_answer(box=4, correct=True, now=NOW) == (5, NOW + timedelta(days=30))


def test_a_miss_in_a_high_box_goes_back_to_box_one():
    assert after_answer(box=4, correct=False, now=NOW) == (1, NOW)


def test_right_in_the_last_box_is_mastered():
    assert after_answer(box=5, correct=True, now=NOW) is None
