"""Review-my-mistakes scheduling: Leitner boxes. Pure functions.

A question answered wrong (in any quiz) goes to box 1, due at once. Each time it is answered
right again it moves up one box and comes back after that box's interval; a wrong answer
sends it back to box 1. Past the last box it is mastered and leaves the review queue.

    box:       1      2       3       4        5
    interval:  1 day  3 days  7 days  14 days  30 days
"""

from datetime import datetime, timedelta

INTERVALS = {1: timedelta(days=1), 2: timedelta(days=3), 3: timedelta(days=7), 4: timedelta(days=14), 5: timedelta(days=30)}
LAST_BOX = max(INTERVALS)


def after_answer(*, box: int | None, correct: bool, now: datetime) -> tuple[int, datetime] | None:
    """The (box, due) after an answer, or None when the question leaves the queue.

    ``box`` is None for a question that is not in the queue yet.
    """
    if not correct:
        return 1, now  # due now: it comes back in the very next review
    if box is None:
        return None  # right first time: nothing to review
    if box >= LAST_BOX:
        return None  # mastered
    return box + 1, now + INTERVALS[box + 1]
