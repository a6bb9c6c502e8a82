"""Writes on quizzes: starting, answering and submitting attempts, review scheduling. Importing
banks is :mod:`quizzes.banks`, refreshing statistics :mod:`quizzes.refresh`; both are re-exported
here. Views, admin actions, tasks and commands call these."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from quizzes import grading, refresh, scheduling
from quizzes.banks import (  # noqa: F401 - bank import/export, here for the callers that know it here
    bank_sync, known_domains, question_digest, question_duplicate, question_to_dict, questions_for_export,
    questions_import, quizzes_import,
)
from quizzes.models import (
    Answer, Attempt, AttemptStatus, Domain, Option, Question, Quiz, QuizMode, ReviewItem,
    Selection,
)
from quizzes.refresh import statistics_refresh  # noqa: F401 - the same


class QuizError(Exception):
    """A learner-facing reason why an action on a quiz cannot be done."""


class AttemptClosed(QuizError):
    pass


# ---------------------------------------------------------------- attempts


def _candidate_questions(quiz: Quiz, user):
    # What drawing needs: the id and what the quiz's filters read (not the stems and explanations).
    fields = ["id"] + (["services"] if quiz.filter_services else []) + (["sheet_links"] if quiz.filter_sheet_categories else [])
    questions = Question.objects.published().only(*fields)
    if quiz.selection == Selection.FIXED:
        return list(questions.filter(quizquestion__quiz=quiz).order_by("quizquestion__position"))
    if quiz.selection == Selection.REVIEW:
        due = ReviewItem.objects.filter(user=user, due_at__lte=timezone.now()).order_by("box", "due_at")
        ids = list(due.values_list("question_id", flat=True)[: quiz.question_count])
        by_id = {q.pk: q for q in questions.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id]
    questions = questions.filter(domains__blueprint=quiz.blueprint)
    if quiz.filter_difficulties:
        questions = questions.filter(difficulty__in=quiz.filter_difficulties)
    found = list(questions.distinct())
    if quiz.filter_services:
        wanted = set(quiz.filter_services)
        found = [q for q in found if wanted & set(q.services)]
    if quiz.filter_sheet_categories:
        from cheatsheets.models import CheatSheet

        slugs = set(CheatSheet.objects.filter(category__in=quiz.filter_sheet_categories).values_list("slug", flat=True))
        found = [q for q in found if any(link.split("#")[0] in slugs for link in q.sheet_links)]
    return found


def _last_seen(user, question_ids) -> dict[int, float]:
    """When the learner last had each question in front of them (any attempt), as a timestamp."""
    from django.db.models import Max

    rows = (Answer.objects.filter(attempt__user=user, question_id__in=question_ids)
            .values("question_id").annotate(last=Max("attempt__started_at")))
    return {row["question_id"]: row["last"].timestamp() for row in rows}


def draw_pool_size(quiz: Quiz, user) -> int:
    """How many questions an attempt of this quiz can draw from right now."""
    return len(_candidate_questions(quiz, user))


def _domain_of(blueprint_domains: list[Domain], question_ids) -> dict[int, Domain]:
    """Each question's domain among the blueprint's (read once by the caller)."""
    domains = {domain.pk: domain for domain in blueprint_domains}
    through = Question.domains.through.objects.filter(question_id__in=question_ids, domain_id__in=list(domains))
    return {question_id: domains[domain_id] for question_id, domain_id in through.values_list("question_id", "domain_id")}


def attempt_start(*, user, quiz: Quiz, rng: random.Random | None = None) -> Attempt:
    """Draw the questions, fix their order and each question's option order, and store them."""
    rng = rng or random.Random()
    candidates = _candidate_questions(quiz, user)
    if quiz.selection in (Selection.RANDOM, Selection.FINAL):
        blueprint_domains = list(quiz.blueprint.domains.all())
        domains = _domain_of(blueprint_domains, [q.pk for q in candidates])
        pools: dict[str, list] = {}
        for question in candidates:
            if question.pk in domains:
                pools.setdefault(domains[question.pk].key, []).append(question)
        weights = {d.key: d.weight for d in blueprint_domains}
        counts = grading.draw_counts(weights, quiz.question_count, {k: len(v) for k, v in pools.items()})
        if quiz.selection == Selection.FINAL:
            # Unseen questions first (in random order), then the ones seen longest ago.
            seen = _last_seen(user, [q.pk for q in candidates])
            for pool in pools.values():
                rng.shuffle(pool)
                pool.sort(key=lambda q: (q.pk in seen, seen.get(q.pk) or 0))
            chosen = [q for key, n in counts.items() for q in pools.get(key, [])[:n]]
        else:
            chosen = [q for key, n in counts.items() for q in rng.sample(pools.get(key, []), n)]
        rng.shuffle(chosen)
    else:
        chosen = candidates[: quiz.question_count] if quiz.selection == Selection.REVIEW else candidates
    if not chosen:
        if quiz.selection == Selection.REVIEW:
            raise QuizError("Nothing is due for review right now: questions you miss come back here.")
        raise QuizError("This quiz has no published questions to draw from yet.")
    option_ids: dict[int, list[int]] = {}
    for question_id, option_id in Option.objects.filter(question__in=chosen).values_list("question_id", "id"):
        option_ids.setdefault(question_id, []).append(option_id)
    now = timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.create(
            user=user, quiz=quiz, mode=quiz.mode, total=len(chosen),
            deadline=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
        )
        answers = []
        for position, question in enumerate(chosen):
            order = option_ids.get(question.pk, [])
            rng.shuffle(order)
            answers.append(Answer(attempt=attempt, question=question, position=position, option_order=order))
        Answer.objects.bulk_create(answers)
    return attempt


def attempt_retake_missed(*, user, attempt: Attempt, rng: random.Random | None = None) -> Attempt:
    """A practice attempt of the questions this learner missed (wrong, partly right or unanswered)
    in a submitted attempt of theirs, held by the review quiz (practice mode)."""
    if attempt.user_id != user.pk or attempt.is_open:
        raise QuizError("Only a submitted attempt of your own can be retaken.")
    quiz = Quiz.objects.published().filter(selection=Selection.REVIEW).first()
    if quiz is None:
        raise QuizError("No review quiz is configured to hold the retake.")
    missed = list(attempt.answers.exclude(credit__gte=1).order_by("position").values_list("question_id", flat=True))
    questions = list(Question.objects.published().filter(pk__in=missed))
    if not questions:
        raise QuizError("Nothing to retake: every question of this attempt was right.")
    rng = rng or random.Random()
    rng.shuffle(questions)
    options: dict[int, list[int]] = {}
    for question_id, option_id in Option.objects.filter(question__in=questions).values_list("question_id", "id"):
        options.setdefault(question_id, []).append(option_id)
    with transaction.atomic():
        retake = Attempt.objects.create(user=user, quiz=quiz, mode=QuizMode.PRACTICE, total=len(questions))
        answers = []
        for position, question in enumerate(questions):
            order = options.get(question.pk, [])
            rng.shuffle(order)
            answers.append(Answer(attempt=retake, question=question, position=position, option_order=order))
        Answer.objects.bulk_create(answers)
    return retake


def attempt_touch(attempt: Attempt) -> Attempt:
    """Submit an attempt whose deadline has passed; anything that loads an attempt calls this."""
    if attempt.is_open and attempt.deadline and timezone.now() >= attempt.deadline:
        return attempt_submit(attempt_id=attempt.pk, automatically=True)
    return attempt


def _check_open(attempt: Attempt):
    attempt = attempt_touch(attempt)
    if not attempt.is_open:
        if attempt.submitted_automatically:
            raise AttemptClosed("Time is up: your attempt was submitted with the answers saved so far.")
        raise AttemptClosed("This attempt is already submitted.")
    return attempt


def _clean_selection(answer: Answer, option_ids) -> list[int]:
    try:
        chosen = sorted({int(option_id) for option_id in option_ids})
    except (TypeError, ValueError):
        raise QuizError("The answer names an option that is not a number.") from None
    unknown = set(chosen) - set(answer.option_order)
    if unknown:
        raise QuizError("The answer names an option that is not part of this question.")
    if answer.question.qtype == "single" and len(chosen) > 1:
        raise QuizError("This question takes one answer.")
    return chosen


@dataclass
class Feedback:
    credit: float
    correct_ids: list[int]


def _parse_seconds(value) -> int:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        raise QuizError(f"time_spent must be a whole number of seconds (got {str(value)[:20]!r}).") from None
    return max(0, min(seconds, 3600))


def _lock_open(attempt: Attempt) -> Attempt | None:
    """The attempt's row, locked until the transaction ends, if it is still open (else None).
    Saving an answer and submitting both go through this row, so an answer either lands before
    grading (and counts) or finds the attempt submitted (and is refused): never saved after
    grading, ungraded."""
    locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if locked.is_open and not (locked.deadline and timezone.now() >= locked.deadline):
        return locked
    return None


def answer_save(*, attempt: Attempt, position: int, option_ids, time_spent=0) -> tuple[Answer, Feedback | None]:
    """Save an answer as it is given. In practice mode the answer is final and graded at once
    (returns its feedback); in exam mode it can change until submission (no feedback)."""
    seconds = _parse_seconds(time_spent)
    with transaction.atomic():
        locked = _lock_open(attempt)
        if locked is not None:
            return _answer_save_locked(attempt=locked, position=position, option_ids=option_ids, seconds=seconds)
    _check_open(Attempt.objects.get(pk=attempt.pk))  # outside the lock: submits an expired attempt, says why
    raise AttemptClosed("This attempt is already submitted.")


def _answer_save_locked(*, attempt: Attempt, position: int, option_ids, seconds: int) -> tuple[Answer, Feedback | None]:
    answer = Answer.objects.select_related("question").filter(attempt=attempt, position=position).first()
    if answer is None:
        raise QuizError(f"This attempt has no question {position + 1}.")
    chosen = _clean_selection(answer, option_ids)
    if attempt.mode == QuizMode.PRACTICE:
        if answer.is_answered:
            raise QuizError("You already answered this question; its explanation is below.")
        if not chosen:
            raise QuizError("Choose an answer first.")
    answer.selected = chosen
    answer.answered_at = timezone.now() if chosen else None
    answer.time_spent_seconds += seconds
    feedback = None
    fields = ["selected", "answered_at", "time_spent_seconds"]
    if attempt.mode == QuizMode.PRACTICE:
        correct = list(Option.objects.filter(question_id=answer.question_id, is_correct=True).values_list("id", flat=True))
        answer.credit = grading.question_credit(chosen, correct, multiple=answer.question.qtype == "multiple", partial=True)
        feedback = Feedback(credit=answer.credit, correct_ids=correct)
        fields.append("credit")
        _schedule_reviews(attempt.user, {answer.question_id: answer.credit >= 1}, review=attempt.quiz.selection == Selection.REVIEW)
    answer.save(update_fields=fields)
    # Resume where the learner stopped: the next question in practice, this one in an exam.
    resume_at = min(position + 1, attempt.total - 1) if attempt.mode == QuizMode.PRACTICE else position
    Attempt.objects.filter(pk=attempt.pk).update(current_position=resume_at)
    return answer, feedback


def answer_flag(*, attempt: Attempt, position: int, flagged: bool) -> None:
    with transaction.atomic():
        locked = _lock_open(attempt)
        if locked is not None:
            if not Answer.objects.filter(attempt=locked, position=position).update(flagged=flagged):
                raise QuizError(f"This attempt has no question {position + 1}.")
            return
    _check_open(Attempt.objects.get(pk=attempt.pk))
    raise AttemptClosed("This attempt is already submitted.")


def attempt_submit(*, attempt_id: int, automatically: bool = False) -> Attempt:
    """Grade once. A second submit (another tab, a double click, the periodic task) finds the
    attempt already submitted and returns it unchanged."""
    now = timezone.now()
    with transaction.atomic():
        won = Attempt.objects.filter(pk=attempt_id, status=AttemptStatus.IN_PROGRESS).update(
            status=AttemptStatus.SUBMITTED, submitted_at=now, submitted_automatically=automatically,
        )
        attempt = Attempt.objects.select_related("quiz__blueprint").get(pk=attempt_id)
        if not won:
            return attempt
        answers = list(attempt.answers.select_related("question"))
        question_ids = [a.question_id for a in answers]
        correct: dict[int, set[int]] = {}
        for question_id, option_id in Option.objects.filter(question_id__in=question_ids, is_correct=True).values_list("question_id", "id"):
            correct.setdefault(question_id, set()).add(option_id)
        blueprint_domains = list(attempt.quiz.blueprint.domains.all())
        domains = _domain_of(blueprint_domains, question_ids)
        exam = attempt.mode == QuizMode.EXAM
        items = []
        for answer in answers:
            if exam or answer.credit is None:
                answer.credit = grading.question_credit(
                    answer.selected, correct.get(answer.question_id, set()),
                    multiple=answer.question.qtype == "multiple", partial=not exam,
                )
            domain = domains.get(answer.question_id)
            items.append(grading.GradedItem(domain=domain.name if domain else "Other", credit=answer.credit))
        # One UPDATE per distinct credit (an exam has two: 0 and 1) instead of a 65-way CASE.
        by_credit: dict[float, list[int]] = {}
        for answer in answers:
            by_credit.setdefault(answer.credit, []).append(answer.pk)
        for credit, ids in by_credit.items():
            Answer.objects.filter(pk__in=ids).update(credit=credit)
        order = [d.name for d in blueprint_domains]
        result = grading.grade(items, cut=attempt.quiz.cut_percent / 100, passing=attempt.quiz.passing_score, domain_order=order)
        end = min(now, attempt.deadline) if attempt.deadline else now
        attempt.raw_score = result.raw_score
        attempt.scaled_score = result.scaled_score
        attempt.passed = result.passed
        attempt.domain_results = [row for row in result.domains if row["total"]]
        attempt.time_used_seconds = max(0, int((end - attempt.started_at).total_seconds()))
        attempt.save(update_fields=["raw_score", "scaled_score", "passed", "domain_results", "time_used_seconds"])
        if exam:
            # An unanswered question is not a mistake: leaving early must not flood the review queue.
            _schedule_reviews(attempt.user, {a.question_id: a.credit >= 1 for a in answers if a.is_answered},
                              review=False)
            transaction.on_commit(refresh.refresh_statistics_soon)
    return attempt


def _schedule_reviews(user, results: dict[int, bool], *, review: bool) -> None:
    """Move questions through the Leitner boxes after answers (quizzes/scheduling.py)."""
    now = timezone.now()
    existing = {item.question_id: item for item in ReviewItem.objects.filter(user=user, question_id__in=list(results))}
    create, update, remove = [], {}, []
    for question_id, correct in results.items():
        item = existing.get(question_id)
        if item is not None and correct and not review and item.due_at > now:
            continue  # right outside a review before it is due: keep the schedule
        step = scheduling.after_answer(box=item.box if item else None, correct=correct, now=now)
        if step is None:
            if item is not None:
                remove.append(item.pk)
            continue
        box, due = step
        if item is None:
            create.append(ReviewItem(user=user, question_id=question_id, box=box, due_at=due, last_reviewed_at=now))
        else:
            # Items that move the same way share one UPDATE (a few groups, not a CASE per row).
            update.setdefault((box, due, 0 if correct else 1), []).append(item.pk)
    if create:
        ReviewItem.objects.bulk_create(create, ignore_conflicts=True)
    for (box, due, lapsed), ids in update.items():
        ReviewItem.objects.filter(pk__in=ids).update(box=box, due_at=due, last_reviewed_at=now, lapses=F("lapses") + lapsed)
    if remove:
        ReviewItem.objects.filter(pk__in=remove).delete()


def expired_attempts_submit() -> int:
    """Submit every attempt past its deadline (the periodic task)."""
    ids = list(Attempt.objects.expired(timezone.now()).values_list("pk", flat=True))
    for attempt_id in ids:
        attempt_submit(attempt_id=attempt_id, automatically=True)
    return len(ids)
