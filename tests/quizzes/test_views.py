"""Learner pages: isolation, nothing revealed early, constant query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizzes import services
from quizzes.models import Attempt, Option, Question
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db
from tests.quizzes.conftest import DVA




def start(client, quiz):
    response = client.post(reverse("quizzes:start", args=[quiz.slug]))
    assert response.status_code == 302, response.content[:500]
    return Attempt.objects.latest("pk")


def test_index_and_detail_list_published_quizzes(client, bank):
    QuizFactory(title="Mock exam")
    QuizFactory(title="Hidden quiz", is_published=False)
    html = client.get(reverse("quizzes:index")).content.decode()
    assert "Mock exam" in html and "Hidden quiz" not in html


def test_start_requires_login(client, bank):
    quiz = QuizFactory()
    response = client.post(reverse("quizzes:start", args=[quiz.slug]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_learner_cannot_see_answer_or_submit_anothers_attempt(client, bank):
    quiz = QuizFactory()
    owner, other = UserFactory(), UserFactory()
    attempt = services.attempt_start(user=owner, quiz=quiz)
    client.force_login(other)
    for name in ("attempt", "review", "results"):
        assert client.get(reverse(f"quizzes:{name}", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": []}).status_code == 404
    assert client.post(reverse("quizzes:flag", args=[attempt.pk, 1]), {"flagged": "1"}).status_code == 404
    assert client.post(reverse("quizzes:submit", args=[attempt.pk])).status_code == 404
    assert Attempt.objects.get(pk=attempt.pk).status == "in_progress"


def test_unpublished_questions_never_reach_learners(learner_client, bank):
    draft = QuestionFactory(status="draft", stem="A secret draft stem about Kinesis.", domains=["DVA-C02/security"])
    quiz = QuizFactory(question_count=80)
    attempt = start(learner_client, quiz)
    assert not attempt.answers.filter(question=draft).exists()
    assert "secret draft stem" not in learner_client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()


def _leaks(html, attempt):
    """Anything in the page that tells which option is right."""
    correct = Option.objects.filter(question__answers__attempt=attempt, is_correct=True)
    explanations = [o.explanation for o in Option.objects.filter(question__answers__attempt=attempt)]
    found = [text for text in explanations if text in html]
    found += [m for m in re.findall(r'is-correct|Correct answer|data-correct|"correct"', html)]
    return found, correct.count()


def test_exam_page_reveals_nothing_before_submission(learner_client, bank):
    attempt = start(learner_client, QuizFactory(question_count=10))
    html = learner_client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    leaks, correct = _leaks(html, attempt)
    assert correct >= 10 and leaks == []
    assert "Because it fits the requirement" not in html  # the overall explanation


def test_practice_reveals_only_after_answering(learner_client, bank):
    attempt = start(learner_client, QuizFactory(mode="practice", time_limit_minutes=None, question_count=3))
    url = reverse("quizzes:practice", args=[attempt.pk, 1])
    html = learner_client.get(url).content.decode()
    assert _leaks(html, attempt)[0] == []
    answer = attempt.answers.get(position=0)
    learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [answer.option_order[0]]})
    html = learner_client.get(url).content.decode()
    assert "Correct answer" in html or "Your answer · correct" in html
    assert "Because it fits the requirement" in html
    assert 'href="/cheatsheets/sqs/#key-numbers"' in html


def test_answers_survive_a_reload(learner_client, bank):
    attempt = start(learner_client, QuizFactory(question_count=5))
    answer = attempt.answers.get(position=2)
    response = learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 3]), {"option": [answer.option_order[1]]},
                                   HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True, "answered": True}
    learner_client.post(reverse("quizzes:flag", args=[attempt.pk, 3]), {"flagged": "1"}, HTTP_ACCEPT="application/json")
    html = learner_client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert f'value="{answer.option_order[1]}" checked' in html
    assert "⚑ Flagged" in html


def test_answer_after_deadline_is_refused_with_a_clear_message(learner_client, bank):
    attempt = start(learner_client, QuizFactory(question_count=3))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=5))
    response = learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": []},
                                   HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and "Time is up" in response.json()["error"]
    assert Attempt.objects.get(pk=attempt.pk).submitted_automatically


def test_bad_answer_is_a_400_that_says_why(learner_client, bank):
    attempt = start(learner_client, QuizFactory(question_count=3))
    response = learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": ["999999"]},
                                   HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "not part of this question" in response.json()["error"]


def test_results_page_shows_score_chart_and_filters(learner_client, bank):
    attempt = start(learner_client, QuizFactory(question_count=8))
    answer = attempt.answers.get(position=0)
    learner_client.post(reverse("quizzes:flag", args=[attempt.pk, 2]), {"flagged": "1"})
    learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [answer.option_order[0]]})
    learner_client.post(reverse("quizzes:submit", args=[attempt.pk]))
    html = learner_client.get(reverse("quizzes:results", args=[attempt.pk])).content.decode()
    assert "/ 1000" in html and "<svg class=\"chart\"" in html and "Pass mark 720" in html
    assert "Unanswered (7)" in html and "Flagged (1)" in html
    flagged = learner_client.get(reverse("quizzes:results", args=[attempt.pk]) + "?show=flagged").content.decode()
    assert flagged.count('class="card question-card reviewed-question"') == 1


def test_second_start_resumes_the_open_attempt(learner_client, bank):
    quiz = QuizFactory()
    first = start(learner_client, quiz)
    learner_client.post(reverse("quizzes:start", args=[quiz.slug]))
    assert Attempt.objects.count() == 1 and Attempt.objects.get().pk == first.pk


def test_dashboard_shows_quiz_progress(learner_client, learner, bank):
    attempt = start(learner_client, QuizFactory(question_count=4))
    first = attempt.answers.get(position=0)
    wrong = Option.objects.filter(question=first.question, is_correct=False).first()
    learner_client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [wrong.pk]})
    learner_client.post(reverse("quizzes:submit", args=[attempt.pk]))
    html = learner_client.get(reverse("dashboard")).content.decode()
    assert "Strength by domain" in html and 'class="sparkline"' in html
    assert "due for review" in html


# ---------------------------------------------------------------- query counts


def _count(django_assert_max_num_queries, callable_, limit):
    with django_assert_max_num_queries(limit) as captured:
        callable_()
    return len(captured.captured_queries)


@pytest.mark.parametrize("size", [10, 65])
def test_exam_costs_a_constant_number_of_queries(client, bank, django_assert_max_num_queries, size):
    """Start, answer, render and submit cost the same whether the exam has 10 or 65 questions."""
    quiz = QuizFactory(question_count=size, time_limit_minutes=130)
    client.force_login(UserFactory())
    with django_assert_max_num_queries(12):
        client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    assert attempt.total == size
    with django_assert_max_num_queries(8):
        response = client.get(reverse("quizzes:attempt", args=[attempt.pk]))
    page = response.content.decode()
    assert page.count('class="card question-card exam-question"') == size
    for number in (1, size):  # each question's forms post to its own number (numbered in the view)
        assert f'action="{reverse("quizzes:answer", args=[attempt.pk, number])}"' in page
        assert f'action="{reverse("quizzes:flag", args=[attempt.pk, number])}"' in page
    answer = attempt.answers.get(position=size - 1)
    with django_assert_max_num_queries(10):  # includes the row lock that orders answers against a submit
        client.post(reverse("quizzes:answer", args=[attempt.pk, size]), {"option": [answer.option_order[0]]},
                    HTTP_ACCEPT="application/json")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("quizzes:review", args=[attempt.pk]))
    assert response.content.decode().count(f'href="{reverse("quizzes:attempt", args=[attempt.pk])}#q') >= size
    with django_assert_max_num_queries(16):
        client.post(reverse("quizzes:submit", args=[attempt.pk]))
    assert Attempt.objects.get().status == "submitted"
    with django_assert_max_num_queries(12):
        response = client.get(reverse("quizzes:results", args=[attempt.pk]))
    assert response.content.decode().count('class="card question-card reviewed-question"') == size


def test_query_counts_are_identical_for_10_and_65_questions(client, bank):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (10, 65):
        user = UserFactory()
        client.force_login(user)
        quiz = QuizFactory(question_count=size)
        steps = {}
        with CaptureQueriesContext(connection) as q:
            client.post(reverse("quizzes:start", args=[quiz.slug]))
        steps["start"] = len(q)
        attempt = Attempt.objects.filter(user=user).get()
        with CaptureQueriesContext(connection) as q:
            client.get(reverse("quizzes:attempt", args=[attempt.pk]))
        steps["render"] = len(q)
        answer = attempt.answers.get(position=0)
        wrong = Option.objects.filter(question_id=answer.question_id, is_correct=False).values_list("id", flat=True)[0]
        with CaptureQueriesContext(connection) as q:  # a wrong answer: the same review-queue work both times
            client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [wrong]})
        steps["answer"] = len(q)
        with CaptureQueriesContext(connection) as q:
            client.get(reverse("quizzes:review", args=[attempt.pk]))
        steps["review"] = len(q)
        with CaptureQueriesContext(connection) as q:
            client.post(reverse("quizzes:submit", args=[attempt.pk]))
        steps["submit"] = len(q)
        with CaptureQueriesContext(connection) as q:
            client.get(reverse("quizzes:results", args=[attempt.pk]))
        steps["results"] = len(q)
        counts[size] = steps
    print(f"\nquery counts per step: {counts}")
    assert counts[10] == counts[65], counts


def test_an_answer_with_a_bad_time_spent_gets_400_not_500(client, bank):
    """Issue 15 (low): malformed input is a named 400, never a server error."""
    quiz = QuizFactory(question_count=3)
    client.force_login(UserFactory())
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    option = attempt.answers.get(position=0).option_order[0]
    response = client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [option], "time_spent": "abc"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "time_spent must be a whole number" in response.json()["error"]
    assert attempt.answers.get(position=0).selected == []


def test_the_index_groups_the_forms_by_certification_with_the_best_score(client, bank):
    """Issue 9: a learner sees at a glance which forms they took and their best scaled score."""
    forms = [QuizFactory(slug=f"dva-c02-practice-exam-{n}", title=f"DVA-C02 practice exam {n}", selection="fixed",
                         question_count=3, order=20 + n) for n in (1, 2)]
    QuizFactory(slug="dva-final", title="DVA-C02 final exam", selection="final", question_count=3)
    QuizFactory(slug="practice-x", title="Practice: queues", mode="practice")
    learner = UserFactory()
    for score in (640, 810):
        Attempt.objects.create(user=learner, quiz=forms[0], mode="exam", total=3, status="submitted",
                               scaled_score=score, submitted_at=timezone.now())
    client.force_login(learner)
    page = client.get(reverse("quizzes:index")).content.decode()
    assert "DVA-C02 mock exams" in page and "Practice exam 1" in page and "Practice exam 2" in page
    first = page[page.index("Practice exam 1"):page.index("Practice exam 2")]
    assert "810" in first and "best of 2" in first and 'status pass' in first
    assert "Not taken yet" in page[page.index("Practice exam 2"):]
    assert "DVA-C02 final exam" in page and page.index("Practice by topic") < page.index("Practice: queues")


def test_practice_results_show_a_raw_score_not_the_exam_scale(client, bank):
    """Issue 14: practice showed "366/1000, Not yet a pass" while its history said "3.0 of 10"."""
    quiz = QuizFactory(question_count=3, mode="practice")
    client.force_login(UserFactory())
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    answer = attempt.answers.get(position=0)
    right = Option.objects.filter(question=answer.question, is_correct=True).values_list("id", flat=True)
    client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": list(right)})
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    page = client.get(reverse("quizzes:results", args=[attempt.pk])).content.decode()
    assert "1</strong><span class=\"muted\"> of 3" in page and "33% right" in page
    assert "/ 1000" not in page and "Not yet a pass" not in page and "Pass mark" not in page


def test_a_practice_answer_lands_on_the_verdict(client, bank):
    quiz = QuizFactory(question_count=3, mode="practice")
    client.force_login(UserFactory())
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    option = attempt.answers.get(position=0).option_order[0]
    response = client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [option]})
    assert response["Location"].endswith("/q/1/#verdict")
    page = client.get(reverse("quizzes:practice", args=[attempt.pk, 1])).content.decode()
    assert 'id="verdict" tabindex="-1"' in page and "autofocus" not in page
    assert 'data-confirm-submit="Finish now? 2 of 3 questions still unanswered' in page


def test_results_fold_explanations_and_offer_next_steps_including_a_retake(client, bank):
    """Issue 14: a 71,000 px results page with no next step. Explanations are folded; the page
    offers a retake of the missed questions, the review queue and the weakest domain's sheets."""
    from quizzes.models import Quiz

    Quiz.objects.create(slug="review-my-mistakes", title="Review my mistakes", blueprint=QuizFactory().blueprint,
                        mode="practice", selection="review", question_count=10)
    quiz = QuizFactory(question_count=4)
    learner = UserFactory()
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get(user=learner)
    first = attempt.answers.get(position=0)
    right = Option.objects.filter(question=first.question, is_correct=True).values_list("id", flat=True)
    client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": list(right)})
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    page = client.get(reverse("quizzes:results", args=[attempt.pk])).content.decode()
    assert page.count('<details class="explain">') == 4 and "data-expand-all" in page
    assert 'class="option-explanation"' not in page  # no explanation is open by default
    assert "Retake the 3 I missed" in page and "Study your weakest domain" in page
    retake = client.post(reverse("quizzes:retake_missed", args=[attempt.pk]))
    again = Attempt.objects.exclude(pk=attempt.pk).get(user=learner)
    assert retake["Location"] == reverse("quizzes:practice", args=[again.pk, 1])
    assert again.mode == "practice" and again.total == 3
    assert set(again.answers.values_list("question_id", flat=True)) == set(
        attempt.answers.exclude(position=0).values_list("question_id", flat=True))
    client.force_login(UserFactory())
    assert client.post(reverse("quizzes:retake_missed", args=[attempt.pk])).status_code == 404


def test_the_dashboard_and_index_offer_to_resume_attempts_in_progress(client, bank):
    """Issue 14: an exam clock running appeared only on its own quiz page."""
    quiz = QuizFactory(question_count=3, time_limit_minutes=30, title="Timed exam")
    client.force_login(UserFactory())
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    for page in (client.get(reverse("dashboard")), client.get(reverse("quizzes:index"))):
        html = page.content.decode()
        assert "Timed exam" in html and f'href="{attempt.get_absolute_url()}">Resume</a>' in html
        assert f'datetime="{attempt.deadline.isoformat()}"'.replace("+00:00", "+00:00") in html or "data-local-time" in html


def test_the_domain_chart_has_a_table_behind_it_and_the_countdown_a_quiet_status(client, bank):
    """Issue 18: charts readable without sight; the countdown announced at a few moments only."""
    quiz = QuizFactory(question_count=4, time_limit_minutes=30)
    client.force_login(UserFactory())
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get()
    exam = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert 'role="status" aria-live="polite" data-countdown-announce' in exam
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    page = client.get(reverse("quizzes:results", args=[attempt.pk])).content.decode()
    table = page[page.index('<div class="sr-only"><table>'):page.index("</table>", page.index('<div class="sr-only"><table>'))]
    assert "<caption>Score by domain</caption>" in table and table.count('<th scope="row">') == len(
        Attempt.objects.get().domain_results)
