"""Attempts: drawing, answering, deadlines, grading once; review scheduling; imports; statistics."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes import bank_format, services
from quizzes.models import Answer, Attempt, Option, Question, ReviewItem
from quizzes.services import AttemptClosed, QuizError
from tests.factories import QuizFactory, UserFactory, domain

pytestmark = pytest.mark.django_db

from tests.quizzes.conftest import DVA




def correct_ids(answer):
    return list(Option.objects.filter(question=answer.question, is_correct=True).values_list("id", flat=True))


def test_random_exam_draws_by_domain_weights_and_never_drafts(bank):
    quiz = QuizFactory(question_count=20)
    attempt = services.attempt_start(user=UserFactory(), quiz=quiz, rng=random.Random(1))
    answers = list(attempt.answers.select_related("question"))
    assert len(answers) == 20 and attempt.total == 20
    assert all(a.question.status == "published" for a in answers)
    by_domain = {}
    for a in answers:
        key = a.question.domains.get().key
        by_domain[key] = by_domain.get(key, 0) + 1
    assert by_domain == {"development": 6, "security": 5, "deployment": 5, "troubleshooting": 4}


def test_option_order_is_fixed_at_start_and_stored(bank):
    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=5))
    for answer in attempt.answers.all():
        assert sorted(answer.option_order) == sorted(answer.question.options.values_list("id", flat=True))


def test_a_quiz_with_nothing_to_draw_says_so():
    with pytest.raises(QuizError, match="no published questions"):
        services.attempt_start(user=UserFactory(), quiz=QuizFactory())


def test_exam_answers_can_change_until_submit_and_score_without_partial_credit(bank):
    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=4))
    first = attempt.answers.first()
    wrong = [i for i in first.option_order if i not in correct_ids(first)][0]
    services.answer_save(attempt=attempt, position=0, option_ids=[wrong])
    services.answer_save(attempt=attempt, position=0, option_ids=correct_ids(first))
    graded = services.attempt_submit(attempt_id=attempt.pk)
    assert graded.raw_score == 1.0 and graded.total == 4
    assert graded.scaled_score == 100 + round(620 * 0.25 / 0.7)  # 1 of 4 right, unanswered are wrong


def test_answer_must_name_options_of_its_question(bank):
    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=2))
    other = Option.objects.exclude(question=attempt.answers.first().question).first()
    with pytest.raises(QuizError, match="not part of this question"):
        services.answer_save(attempt=attempt, position=0, option_ids=[other.pk])
    with pytest.raises(QuizError, match="not a number"):
        services.answer_save(attempt=attempt, position=0, option_ids=["x"])
    with pytest.raises(QuizError, match="no question 99"):
        services.answer_save(attempt=attempt, position=98, option_ids=[])


def test_single_answer_takes_one_option(bank):
    quiz = QuizFactory(selection="fixed", question_count=1)
    quiz.quizquestion_set.create(question=Question.objects.published().filter(qtype="single").first(), position=0)
    attempt = services.attempt_start(user=UserFactory(), quiz=quiz)
    answer = attempt.answers.get()
    with pytest.raises(QuizError, match="takes one answer"):
        services.answer_save(attempt=attempt, position=0, option_ids=answer.option_order[:2])


def test_answer_after_deadline_is_refused_and_the_attempt_submitted(bank):
    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=3))
    answer = attempt.answers.first()
    services.answer_save(attempt=attempt, position=0, option_ids=correct_ids(answer))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    attempt.refresh_from_db()
    with pytest.raises(AttemptClosed, match="Time is up"):
        services.answer_save(attempt=attempt, position=1, option_ids=[])
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.submitted_automatically
    assert attempt.raw_score == 1.0  # the answer saved before the deadline counts


def test_periodic_task_submits_expired_attempts(bank):
    quiz = QuizFactory(question_count=2)
    expired = services.attempt_start(user=UserFactory(), quiz=quiz)
    running = services.attempt_start(user=UserFactory(), quiz=quiz)
    Attempt.objects.filter(pk=expired.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    from quizzes.tasks import submit_expired_attempts

    assert submit_expired_attempts.call() == 1
    assert Attempt.objects.get(pk=expired.pk).status == "submitted"
    assert Attempt.objects.get(pk=running.pk).status == "in_progress"


def test_submitting_twice_grades_once(bank):
    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=2))
    first = services.attempt_submit(attempt_id=attempt.pk)
    Answer.objects.filter(attempt=attempt).update(credit=1.0)  # a regrade would now change the score
    second = services.attempt_submit(attempt_id=attempt.pk)
    assert second.scaled_score == first.scaled_score == 100 and second.submitted_at == first.submitted_at


def test_practice_answer_is_final_and_comes_with_feedback(bank):
    quiz = QuizFactory(mode="practice", time_limit_minutes=None, question_count=2)
    user = UserFactory()
    attempt = services.attempt_start(user=user, quiz=quiz)
    answer = attempt.answers.first()
    wrong = [i for i in answer.option_order if i not in correct_ids(answer)][0]
    saved, feedback = services.answer_save(attempt=attempt, position=0, option_ids=[wrong])
    assert feedback.credit == 0 and set(feedback.correct_ids) == set(correct_ids(answer))
    with pytest.raises(QuizError, match="already answered"):
        services.answer_save(attempt=attempt, position=0, option_ids=correct_ids(answer))
    item = ReviewItem.objects.get(user=user, question=answer.question)
    assert item.box == 1 and item.due_at <= timezone.now()


def test_review_quiz_brings_back_due_mistakes_and_promotes_right_answers(bank):
    user = UserFactory()
    missed = Question.objects.published()[:3]
    now = timezone.now()
    for q in missed:
        ReviewItem.objects.create(user=user, question=q, box=1, due_at=now - timedelta(minutes=1))
    ReviewItem.objects.create(user=user, question=Question.objects.published()[5], box=2, due_at=now + timedelta(days=2))
    review = QuizFactory(mode="practice", selection="review", time_limit_minutes=None, question_count=10)
    attempt = services.attempt_start(user=user, quiz=review)
    assert {a.question_id for a in attempt.answers.all()} == {q.pk for q in missed}  # only what is due
    answer = attempt.answers.first()
    services.answer_save(attempt=attempt, position=answer.position, option_ids=correct_ids(answer))
    item = ReviewItem.objects.get(user=user, question=answer.question)
    assert item.box == 2 and item.due_at > now + timedelta(days=2)


def test_review_with_nothing_due_says_so():
    review = QuizFactory(mode="practice", selection="review", time_limit_minutes=None)
    with pytest.raises(QuizError, match="Nothing is due"):
        services.attempt_start(user=UserFactory(), quiz=review)


def test_exam_mistakes_enter_the_review_queue_but_unanswered_questions_do_not(bank):
    """Issue 14: leaving an exam early flooded review-my-mistakes with every unanswered question."""
    user = UserFactory()
    attempt = services.attempt_start(user=user, quiz=QuizFactory(question_count=4))
    answers = list(attempt.answers.select_related("question").order_by("position"))
    wrong = Option.objects.filter(question=answers[0].question, is_correct=False).first()
    right = Option.objects.filter(question=answers[1].question, is_correct=True).values_list("id", flat=True)
    services.answer_save(attempt=attempt, position=0, option_ids=[wrong.pk])
    services.answer_save(attempt=attempt, position=1, option_ids=list(right))
    services.attempt_submit(attempt_id=attempt.pk)
    assert list(ReviewItem.objects.filter(user=user).values_list("question_id", flat=True)) == [answers[0].question_id]


def test_statistics_leave_out_attempts_abandoned_early(bank, settings):
    """Issue 14: an abandoned exam gave its questions 0% facility. Attempts under
    QUIZ_STATS_MIN_ANSWERED answered are not counted, and the quiz's note says how many."""
    settings.QUIZ_STATS_MIN_ANSWERED = 0.8
    quiz = QuizFactory(selection="fixed", question_count=5)
    questions = list(Question.objects.published()[:5])
    for position, q in enumerate(questions):
        quiz.quizquestion_set.create(question=q, position=position)
    full = services.attempt_start(user=UserFactory(), quiz=quiz)
    for answer in full.answers.all():
        services.answer_save(attempt=full, position=answer.position, option_ids=list(
            Option.objects.filter(question=answer.question, is_correct=True).values_list("id", flat=True)))
    services.attempt_submit(attempt_id=full.pk)
    left = services.attempt_start(user=UserFactory(), quiz=quiz)
    services.attempt_submit(attempt_id=left.pk)  # nothing answered
    services.statistics_refresh()
    quiz.refresh_from_db()
    assert quiz.stat_attempts == 1 and "1 attempt left early (under 80% answered) not counted" in quiz.stat_note
    assert {q.stat_facility for q in Question.objects.filter(pk__in=[q.pk for q in questions])} == {100.0}


def test_statistics_refresh_writes_item_and_quiz_stats(bank):
    quiz = QuizFactory(selection="fixed", question_count=3)
    questions = list(Question.objects.published()[:3])
    for position, q in enumerate(questions):
        quiz.quizquestion_set.create(question=q, position=position)
    patterns = [(1, 1, 1), (1, 1, 0), (0, 1, 0), (0, 0, 0)]
    for pattern in patterns:
        attempt = services.attempt_start(user=UserFactory(), quiz=quiz)
        for answer in attempt.answers.all():
            right = pattern[questions.index(answer.question)]
            ids = correct_ids(answer) if right else [i for i in answer.option_order if i not in correct_ids(answer)][:1]
            services.answer_save(attempt=attempt, position=answer.position, option_ids=ids)
        services.attempt_submit(attempt_id=attempt.pk)
    services.statistics_refresh()
    first = Question.objects.get(pk=questions[0].pk)
    assert first.stat_responses == 4 and first.stat_facility == 50.0
    assert first.stat_discrimination == pytest.approx(0.7071, abs=1e-4)
    quiz.refresh_from_db()
    assert quiz.stat_attempts == 4 and quiz.stat_alpha == pytest.approx(0.75) and quiz.stat_mean == pytest.approx(50)


# ---------------------------------------------------------------- import / export


def bank_dicts(count=3):
    return [{
        "key": f"imported-{n}", "qtype": "single", "domains": ["DVA-C02/security"], "difficulty": "easy",
        "services": ["Cognito"], "sheet_links": [], "status": "published", "stem": f"Stem {n}?",
        "explanation": "Because.", "references": ["https://docs.aws.amazon.com/cognito/"],
        "options": [{"text": f"o{i}", "correct": i == 0, "explanation": f"e{i}"} for i in range(4)],
    } for n in range(count)]


def test_import_then_export_gives_the_same_bank_back():
    questions = bank_dicts()
    services.questions_import(questions)
    exported = services.questions_for_export()
    assert exported == questions
    text = bank_format.dump(exported)
    reparsed = bank_format.parse(text, source="x", known_domains=set(services.known_domains()), known_sheets={})
    assert reparsed == questions


def test_import_is_idempotent_and_keeps_admin_edits():
    questions = bank_dicts()
    assert services.questions_import(questions).changed == 3
    assert services.questions_import(questions).changed == 0
    Question.objects.filter(key="imported-0").update(stem="Instructor wording", edited_in_admin=True)
    report = services.questions_import([{**questions[0], "stem": "File wording"}])
    assert report.kept == ["imported-0"] and Question.objects.get(key="imported-0").stem == "Instructor wording"


def test_bank_sync_is_atomic(tmp_path):
    good = bank_format.dump(bank_dicts(2))
    (tmp_path / "a.yaml").write_text(good)
    (tmp_path / "b.yaml").write_text(good.replace("imported-", "other-").replace("correct: true", "correct: false"))
    with pytest.raises(bank_format.BankError) as error:
        services.bank_sync(directory=tmp_path)
    assert "b.yaml: question 1 (other-0): a single-answer question needs exactly one correct option (has 0)" in error.value.problems
    assert not Question.objects.exists()


def test_shipped_bank_loads_and_covers_every_domain_and_type():
    from django.conf import settings

    from cheatsheets.services import cheatsheets_sync

    cheatsheets_sync()
    questions, quizzes = services.bank_sync(directory=settings.QUIZ_BANK_DIR)
    assert len(questions.created) >= 60 and quizzes.created
    published = Question.objects.published()
    assert published.filter(qtype="multiple").count() >= 10
    for label in DVA + ["SAA-C03/secure", "SAA-C03/resilient", "SAA-C03/high-performing", "SAA-C03/cost-optimized"]:
        assert published.filter(domains=domain(label)).exists(), label
    services_covered = {s for q in published for s in q.services}
    for name in ["Lambda", "Lambda@Edge", "Fargate", "S3", "EFS", "DynamoDB", "API Gateway", "Step Functions",
                 "SNS", "SQS", "Athena", "Cognito", "SAM", "AppSync"]:
        assert any(name.lower() in s.lower() for s in services_covered), name
    assert services.bank_sync(directory=settings.QUIZ_BANK_DIR)[0].changed == 0


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_grade_once(bank):
    """Two submits racing in two connections: one grades, the other finds it done."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: runs on PostgreSQL in CI (SQLite serialises writers)")
    import threading

    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    attempt = services.attempt_start(user=UserFactory(), quiz=QuizFactory(question_count=5))
    barrier = threading.Barrier(2)
    results = []

    def submit():
        try:
            barrier.wait()
            results.append(services.attempt_submit(attempt_id=attempt.pk).submitted_at)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert DBTaskResult.objects.filter(task_path__endswith="refresh_statistics").count() == 1


def test_items_removed_from_the_files_are_unpublished_not_deleted(tmp_path):
    text = bank_format.dump(bank_dicts(2))
    (tmp_path / "bank.yaml").write_text(text)
    services.bank_sync(directory=tmp_path)
    (tmp_path / "bank.yaml").write_text(bank_format.dump(bank_dicts(1)))
    questions, _ = services.bank_sync(directory=tmp_path)
    assert questions.retired == ["imported-1"]
    assert Question.objects.get(key="imported-1").status == "draft"
    assert "1 no longer shipped, unpublished: imported-1" in questions.summary()


def test_the_final_exam_draws_unseen_questions_first(bank):
    """Issue 9: the final exam prefers questions the learner has not seen (80 in the bank, 40 drawn)."""
    learner = UserFactory()
    first = services.attempt_start(user=learner, quiz=QuizFactory(question_count=20), rng=random.Random(1))
    seen = set(first.answers.values_list("question_id", flat=True))
    final = QuizFactory(question_count=40, selection="final")
    attempt = services.attempt_start(user=learner, quiz=final, rng=random.Random(2))
    drawn = set(attempt.answers.values_list("question_id", flat=True))
    assert len(drawn) == 40 and not drawn & seen  # 40 unseen remain: none of the seen ones is needed
    counts = {}
    for answer in attempt.answers.select_related("question"):
        label = answer.question.domains.get().key
        counts[label] = counts.get(label, 0) + 1
    assert counts == {"development": 13, "security": 10, "deployment": 10, "troubleshooting": 7}
    # Next time: the 20 never seen come first, and the rest are the ones seen longest ago.
    later = services.attempt_start(user=learner, quiz=final, rng=random.Random(3))
    again = set(later.answers.values_list("question_id", flat=True))
    never = set(Question.objects.published().values_list("id", flat=True)) - seen - drawn
    quota = {"development": 13, "security": 10, "deployment": 10, "troubleshooting": 7}
    by_domain = {}
    for q in Question.objects.filter(id__in=never).prefetch_related("domains"):
        by_domain[q.domains.get().key] = by_domain.get(q.domains.get().key, 0) + 1
    assert len(again & never) == sum(min(quota[d], n) for d, n in by_domain.items())


def test_a_shipped_fixed_quiz_follows_its_question_list_when_it_changes(bank):
    keys = list(Question.objects.published().order_by("key").values_list("key", flat=True)[:6])
    definition = {"slug": "form-x", "title": "Form X", "blueprint": "DVA-C02", "mode": "exam", "selection": "fixed",
                  "question_count": 3, "questions": keys[:3]}
    services.quizzes_import([definition])
    changed = services.quizzes_import([{**definition, "questions": keys[3:]}])
    assert changed.updated == ["form-x"]
    from quizzes.models import Quiz

    quiz = Quiz.objects.get(slug="form-x")
    assert [q.key for q in quiz.questions.order_by("quizquestion__position")] == keys[3:]
    assert services.quizzes_import([{**definition, "questions": keys[3:]}]).unchanged == ["form-x"]


def test_a_class_submitting_together_queues_one_statistics_refresh(bank, django_capture_on_commit_callbacks):
    """Each refresh reads every submitted attempt: one waiting covers every submission before it
    starts. A refresh already running may have read too early, so a submission then queues another."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    quiz = QuizFactory(question_count=3)
    refreshes = DBTaskResult.objects.filter(task_path="quizzes.refresh.refresh_statistics")
    for _ in range(3):
        attempt = services.attempt_start(user=UserFactory(), quiz=quiz)
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_submit(attempt_id=attempt.pk)
    assert refreshes.filter(status=TaskResultStatus.READY).count() == 1
    refreshes.update(status=TaskResultStatus.RUNNING)  # a worker took it
    attempt = services.attempt_start(user=UserFactory(), quiz=quiz)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk)
    assert refreshes.filter(status=TaskResultStatus.READY).count() == 1 and refreshes.count() == 2


def test_a_submit_stores_each_answers_credit_and_moves_each_review_item_its_own_way(bank):
    """The grades and the review queue are written a group at a time (one UPDATE per credit, one per
    box move): each answer still gets its own credit, each item its own box, due time and lapses."""
    user = UserFactory()
    quiz = QuizFactory(selection="fixed", question_count=4)
    questions = list(Question.objects.published().filter(qtype="single")[:4])
    for position, question in enumerate(questions):
        quiz.quizquestion_set.create(question=question, position=position)
    wrong = {q.pk: Option.objects.filter(question=q, is_correct=False).values_list("id", flat=True)[0] for q in questions}
    right = {q.pk: Option.objects.filter(question=q, is_correct=True).values_list("id", flat=True)[0] for q in questions}

    def take(choices):
        attempt = services.attempt_start(user=user, quiz=quiz)
        for position, pick in enumerate(choices):
            if pick:
                services.answer_save(attempt=attempt, position=position, option_ids=[pick[questions[position].pk]])
        services.attempt_submit(attempt_id=attempt.pk)
        return {a.question_id: a.credit for a in Answer.objects.filter(attempt=attempt)}

    assert take([wrong, right, wrong, None]) == {questions[0].pk: 0, questions[1].pk: 1, questions[2].pk: 0,
                                                 questions[3].pk: 0}
    first = {item.question_id: item for item in ReviewItem.objects.filter(user=user)}
    assert set(first) == {questions[0].pk, questions[2].pk} and {i.box for i in first.values()} == {1}
    # Second sitting: the first mistake is right now (due, so it moves up a box), the second is
    # missed again (back to box 1, one more lapse), a new mistake joins.
    assert take([right, right, wrong, wrong]) == {questions[0].pk: 1, questions[1].pk: 1, questions[2].pk: 0,
                                                  questions[3].pk: 0}
    items = {item.question_id: item for item in ReviewItem.objects.filter(user=user)}
    assert (items[questions[0].pk].box, items[questions[0].pk].lapses) == (2, first[questions[0].pk].lapses)
    assert items[questions[0].pk].due_at > timezone.now()
    assert (items[questions[2].pk].box, items[questions[2].pk].lapses) == (1, first[questions[2].pk].lapses + 1)
    assert items[questions[2].pk].due_at <= timezone.now()
    assert items[questions[3].pk].box == 1 and questions[1].pk not in items
