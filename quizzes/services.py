"""Writes on quizzes: starting, answering and submitting attempts, review scheduling,
importing banks, refreshing statistics. Views, admin actions, tasks and commands call these."""

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cheatsheets import rendering
from courseware.content import SyncReport
from quizzes import grading, scheduling, statistics
from quizzes.models import (
    Answer, Attempt, AttemptStatus, Domain, Option, Question, Quiz, QuizMode, QuizQuestion, ReviewItem,
    Selection,
)


class QuizError(Exception):
    """A learner-facing reason why an action on a quiz cannot be done."""


class AttemptClosed(QuizError):
    pass


# ---------------------------------------------------------------- attempts


def _candidate_questions(quiz: Quiz, user):
    questions = Question.objects.published()
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


def _domain_of(quiz: Quiz, question_ids) -> dict[int, Domain]:
    through = Question.domains.through.objects.filter(question_id__in=question_ids, domain__blueprint=quiz.blueprint)
    return {row.question_id: row.domain for row in through.select_related("domain")}


def attempt_start(*, user, quiz: Quiz, rng: random.Random | None = None) -> Attempt:
    """Draw the questions, fix their order and each question's option order, and store them."""
    rng = rng or random.Random()
    candidates = _candidate_questions(quiz, user)
    if quiz.selection in (Selection.RANDOM, Selection.FINAL):
        domains = _domain_of(quiz, [q.pk for q in candidates])
        pools: dict[str, list] = {}
        for question in candidates:
            if question.pk in domains:
                pools.setdefault(domains[question.pk].key, []).append(question)
        weights = {d.key: d.weight for d in quiz.blueprint.domains.all()}
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
        domains = _domain_of(attempt.quiz, question_ids)
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
        Answer.objects.bulk_update(answers, ["credit"])
        order = [d.name for d in attempt.quiz.blueprint.domains.all()]
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
            from quizzes import tasks

            transaction.on_commit(lambda: tasks.refresh_statistics.enqueue())
    return attempt


def _schedule_reviews(user, results: dict[int, bool], *, review: bool) -> None:
    """Move questions through the Leitner boxes after answers (quizzes/scheduling.py)."""
    now = timezone.now()
    existing = {item.question_id: item for item in ReviewItem.objects.filter(user=user, question_id__in=list(results))}
    create, update, remove = [], [], []
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
            item.lapses += 0 if correct else 1
            item.box, item.due_at, item.last_reviewed_at = box, due, now
            update.append(item)
    if create:
        ReviewItem.objects.bulk_create(create, ignore_conflicts=True)
    if update:
        ReviewItem.objects.bulk_update(update, ["box", "due_at", "last_reviewed_at", "lapses"])
    if remove:
        ReviewItem.objects.filter(pk__in=remove).delete()


def expired_attempts_submit() -> int:
    """Submit every attempt past its deadline (the periodic task)."""
    ids = list(Attempt.objects.expired(timezone.now()).values_list("pk", flat=True))
    for attempt_id in ids:
        attempt_submit(attempt_id=attempt_id, automatically=True)
    return len(ids)


# ---------------------------------------------------------------- banks


def question_digest(q: dict) -> str:
    payload = {k: v for k, v in q.items() if not k.startswith("_")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def question_to_dict(question: Question) -> dict:
    """A stored question as a bank dict (export); the inverse of questions_import."""
    return {
        "key": question.key, "qtype": question.qtype,
        "domains": [d.label for d in question.domains.all()],
        "difficulty": question.difficulty, "services": list(question.services),
        "sheet_links": list(question.sheet_links), "status": question.status,
        "stem": question.stem, "explanation": question.explanation, "references": list(question.references),
        "options": [{"text": o.text, "correct": o.is_correct, "explanation": o.explanation} for o in question.options.all()],
    }


def questions_for_export(queryset=None) -> list[dict]:
    queryset = (queryset if queryset is not None else Question.objects.all()).order_by("key")
    return [question_to_dict(q) for q in queryset.prefetch_related("domains__blueprint", "options")]


def known_domains() -> dict[str, Domain]:
    return {d.label: d for d in Domain.objects.select_related("blueprint")}


def questions_import(questions: list[dict], *, force: bool | set = False, admin_import: bool = False) -> SyncReport:
    """Create or update questions by id, all or nothing. Questions edited in the admin are kept
    unless forced; ``admin_import`` is an instructor's own upload, which always applies."""
    report = SyncReport("Questions")
    domains = known_domains()
    existing = {q.key: q for q in Question.objects.filter(key__in=[q["key"] for q in questions])}
    writes = []
    for data in questions:
        digest = question_digest(data)
        question = existing.get(data["key"])
        forced = admin_import or force is True or (isinstance(force, set) and data["key"] in force)
        if question is not None and question.edited_in_admin and not forced:
            report.kept.append(data["key"])
        elif question is not None and question.source_hash == digest and not question.edited_in_admin:
            report.unchanged.append(data["key"])
        else:
            writes.append((data, digest, question))
    # Markdown is rendered before the transaction, so the database's write lock is held only
    # for the writes themselves (a long import once starved the task worker of SQLite's lock).
    html = {text: rendering.render_markdown(text).html
            for data, _, _ in writes for text in (data["stem"], data["explanation"], *(o["explanation"] for o in data["options"]))}
    inline = {o["text"]: rendering.render_inline(o["text"]) for data, _, _ in writes for o in data["options"]}
    with transaction.atomic():
        for data, digest, question in writes:
            created = question is None
            question = question or Question(key=data["key"])
            for name in ("qtype", "difficulty", "services", "sheet_links", "status", "stem", "explanation", "references"):
                setattr(question, name, data[name])
            question.source_hash = "" if admin_import else digest
            question.edited_in_admin = admin_import
            question.stem_html, question.explanation_html = html[question.stem], html[question.explanation]
            question.save(render=False)
            question.domains.set([domains[label] for label in data["domains"]])
            options = list(question.options.all()) if not created else []
            for position, option_data in enumerate(data["options"]):
                option = options[position] if position < len(options) else Option(question=question)
                option.text, option.is_correct = option_data["text"], option_data["correct"]
                option.explanation, option.order = option_data["explanation"], position
                option.text_html, option.explanation_html = inline[option.text], html[option.explanation]
                option.save(render=False)
            if len(options) > len(data["options"]):
                Option.objects.filter(pk__in=[o.pk for o in options[len(data["options"]):]]).delete()
            (report.created if created else report.updated).append(data["key"])
    return report


def quizzes_import(definitions: list[dict], *, force: bool = False) -> SyncReport:
    """Create or update the shipped quizzes (quizzes/bank/quizzes.yaml)."""
    from quizzes.models import Blueprint

    report = SyncReport("Quizzes")
    blueprints = {b.code: b for b in Blueprint.objects.all()}
    with transaction.atomic():
        for data in definitions:
            quiz = Quiz.objects.filter(slug=data["slug"]).first()
            if quiz is not None and quiz.edited_in_admin and not force:
                report.kept.append(data["slug"])
                continue
            values = {
                "title": data["title"], "description": data.get("description", ""),
                "blueprint": blueprints[data["blueprint"]], "mode": data["mode"], "selection": data["selection"],
                "question_count": data["question_count"], "time_limit_minutes": data.get("time_limit_minutes"),
                "passing_score": data.get("passing_score", 720), "cut_percent": data.get("cut_percent", 70),
                "filter_services": data.get("services", []), "filter_difficulties": data.get("difficulties", []),
                "filter_sheet_categories": data.get("sheet_categories", []), "order": data.get("order", 100),
            }
            listed = list(QuizQuestion.objects.filter(quiz=quiz).order_by("position")
                          .values_list("question__key", flat=True)) if quiz is not None else []
            same_questions = not data.get("questions") or listed == list(data["questions"])
            if quiz is not None and same_questions and all(getattr(quiz, k) == v for k, v in values.items()):
                report.unchanged.append(data["slug"])
                continue
            created = quiz is None
            quiz = quiz or Quiz(slug=data["slug"])
            for name, value in values.items():
                setattr(quiz, name, value)
            quiz.edited_in_admin = False
            quiz.save()
            if data.get("questions"):
                QuizQuestion.objects.filter(quiz=quiz).delete()
                by_key = {q.key: q for q in Question.objects.filter(key__in=data["questions"])}
                QuizQuestion.objects.bulk_create(
                    [QuizQuestion(quiz=quiz, question=by_key[key], position=i) for i, key in enumerate(data["questions"])])
            (report.created if created else report.updated).append(data["slug"])
    return report


def question_duplicate(*, question: Question) -> Question:
    """A draft copy with a new id, its options and domains."""
    base = f"{question.key}-copy"
    key, n = base, 2
    while Question.objects.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    copy = Question.objects.get(pk=question.pk)
    copy.pk = None
    copy.key, copy.status, copy.edited_in_admin, copy.source_hash = key, "draft", True, ""
    copy.stat_responses, copy.stat_facility, copy.stat_discrimination = 0, None, None
    copy.stat_option_counts, copy.flagged_for_review = {}, False
    copy.save()
    copy.domains.set(question.domains.all())
    for option in question.options.all():
        option.pk = None
        option.question = copy
        option.save()
    return copy


QUIZ_FIELDS = {"slug", "title", "description", "blueprint", "mode", "selection", "question_count", "time_limit_minutes",
               "passing_score", "cut_percent", "services", "difficulties", "sheet_categories", "order", "questions"}


def _quiz_problems(data, where, blueprints, keys) -> list[str]:
    if not isinstance(data, dict):
        return [f"{where}: must be a mapping"]
    problems = [f"{where}: missing '{k}'" for k in ("slug", "title", "blueprint", "mode", "selection", "question_count")
                if not data.get(k)]
    problems += [f"{where}: unknown field '{k}'" for k in sorted(set(data) - QUIZ_FIELDS)]
    if data.get("blueprint") and data["blueprint"] not in blueprints:
        problems.append(f"{where}: unknown blueprint {data['blueprint']!r} (known: {', '.join(sorted(blueprints))})")
    if data.get("mode") and data["mode"] not in QuizMode.values:
        problems.append(f"{where}: mode must be one of {', '.join(QuizMode.values)}")
    if data.get("selection") and data["selection"] not in Selection.values:
        problems.append(f"{where}: selection must be one of {', '.join(Selection.values)}")
    for key in data.get("questions") or []:
        if key not in keys:
            problems.append(f"{where}: question {key!r} is not in the bank")
    return problems


def bank_sync(*, directory, force: bool = False) -> tuple[SyncReport, SyncReport]:
    """Load every ``*.yaml`` in the bank directory (questions and quiz definitions), all or nothing."""
    from pathlib import Path

    import yaml

    from cheatsheets.models import CheatSheet
    from quizzes import bank_format
    from quizzes.blueprints import ensure_blueprints
    from quizzes.models import Blueprint

    ensure_blueprints()
    domains = known_domains()
    sheets = {s.slug: {section["id"] for section in s.sections if section["id"]}
              for s in CheatSheet.objects.only("slug", "sections")}
    questions, definitions, problems = [], [], []
    for path in sorted(Path(directory).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = bank_format.load_yaml(text) or {}
        except yaml.YAMLError:
            data = {}
        if "questions" in data:
            try:
                questions += bank_format.parse(text, source=path.name, known_domains=set(domains), known_sheets=sheets)
            except bank_format.BankError as error:
                problems += error.problems
        elif "quizzes" not in data:
            try:
                bank_format.parse(text, source=path.name, known_domains=set(domains), known_sheets=sheets)
            except bank_format.BankError as error:
                problems += [p.replace("a bank file is a mapping with a 'questions' list",
                                       "a bank file has a 'questions' or a 'quizzes' list") for p in error.problems]
        for position, quiz in enumerate(data.get("quizzes") or [], start=1):
            definitions.append((f"{path.name}: quiz {position}", quiz))
    seen = {}
    for q in questions:
        if q["key"] in seen:
            problems.append(f"duplicate question id '{q['key']}' in the bank")
        seen[q["key"]] = q
    blueprints = set(Blueprint.objects.values_list("code", flat=True))
    for where, quiz in definitions:
        problems += _quiz_problems(quiz, where, blueprints, set(seen) | set(Question.objects.values_list("key", flat=True)))
    if problems:
        raise bank_format.BankError(problems)
    with transaction.atomic():
        question_report = questions_import(questions, force=force)
        quiz_report = quizzes_import([quiz for _, quiz in definitions], force=force)
        # Shipped items that left the files are unpublished, not deleted: attempts refer to them.
        gone = Question.objects.exclude(source_hash="").exclude(key__in=seen).filter(edited_in_admin=False, status="published")
        question_report.retired = list(gone.values_list("key", flat=True))
        gone.update(status="draft")
        shipped = {quiz["slug"] for _, quiz in definitions}
        gone_quizzes = Quiz.objects.exclude(slug__in=shipped).filter(edited_in_admin=False, is_published=True)
        quiz_report.retired = list(gone_quizzes.values_list("slug", flat=True))
        gone_quizzes.update(is_published=False)
    return question_report, quiz_report


# ---------------------------------------------------------------- statistics


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
