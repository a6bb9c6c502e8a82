"""Item and test statistics, recomputed from every submitted exam attempt, and the task that does it
after a submission (enqueued by :func:`quizzes.services.attempt_submit`)."""

from django.db import transaction
from django.db.models import Q
from django_tasks import task

from quizzes import statistics
from quizzes.models import Answer, AttemptStatus, Question, Quiz, QuizMode


def statistics_refresh() -> None:
    """Recompute item statistics per question and test statistics per quiz from every
    submitted exam attempt (quizzes/statistics.py)."""
    from django.conf import settings

    rows = list(Answer.objects.filter(attempt__status=AttemptStatus.SUBMITTED, attempt__mode=QuizMode.EXAM).values_list(
        "attempt_id", "attempt__quiz_id", "question_id", "credit", "selected"))
    # An attempt left early (most questions unanswered) says nothing about the questions: by
    # default only attempts with at least QUIZ_STATS_MIN_ANSWERED of their questions answered count.
    counted, abandoned = statistics.counted_attempts(
        [(attempt_id, quiz_id, bool(selected)) for attempt_id, quiz_id, _, _, selected in rows],
        min_answered=getattr(settings, "QUIZ_STATS_MIN_ANSWERED", 0.8))
    by_attempt: dict[int, dict[int, float]] = {}
    by_quiz: dict[int, dict[int, dict[int, float]]] = {}
    choices: dict[int, list] = {}
    for attempt_id, quiz_id, question_id, credit, selected in rows:
        if attempt_id not in counted:
            continue
        by_attempt.setdefault(attempt_id, {})[question_id] = credit or 0.0
        by_quiz.setdefault(quiz_id, {}).setdefault(attempt_id, {})[question_id] = credit or 0.0
        choices.setdefault(question_id, []).append(selected)
    items = statistics.item_statistics(by_attempt, choices)
    with transaction.atomic():
        questions = list(Question.objects.filter(Q(pk__in=list(items)) | Q(stat_responses__gt=0)))
        for question in questions:
            stats = items.get(question.pk)
            question.stat_responses = stats.responses if stats else 0
            question.stat_facility = stats.facility if stats else None
            question.stat_discrimination = stats.discrimination if stats else None
            question.stat_option_counts = stats.option_counts if stats else {}
            question.flagged_for_review = stats.flagged if stats else False
        Question.objects.bulk_update(questions, ["stat_responses", "stat_facility", "stat_discrimination",
                                                 "stat_option_counts", "flagged_for_review"])
        quizzes = list(Quiz.objects.filter(Q(pk__in=list(by_quiz)) | Q(stat_attempts__gt=0)))
        for quiz in quizzes:
            stats = statistics.exam_statistics(by_quiz.get(quiz.pk, {}))
            quiz.stat_attempts, quiz.stat_mean, quiz.stat_sd = stats.attempts, stats.mean, stats.sd
            left = abandoned.get(quiz.pk, 0)
            note = (f"{left} attempt{'s' if left != 1 else ''} left early (under "
                    f"{getattr(settings, 'QUIZ_STATS_MIN_ANSWERED', 0.8):.0%} answered) not counted. ") if left else ""
            quiz.stat_alpha, quiz.stat_note = stats.alpha, (note + stats.note)[:200]
        Quiz.objects.bulk_update(quizzes, ["stat_attempts", "stat_mean", "stat_sd", "stat_alpha", "stat_note"])


@task()
def refresh_statistics() -> None:
    """After an exam submission: recompute item and test statistics."""
    statistics_refresh()


def refresh_statistics_soon() -> None:
    """Enqueue a refresh unless one is already waiting. A refresh reads every submitted attempt when
    it runs, so the one waiting counts every submission made before it starts: a class submitting
    together makes one or two refreshes, not one each (each reads every answer: 182 of them in the
    load test's five minutes took a quarter of a core). A refresh already running may have read
    before this submission committed, so only a waiting one stands in for a new one."""
    from django_tasks_db.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    task = refresh_statistics
    waiting = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).exists()
    if not waiting:
        task.enqueue()
