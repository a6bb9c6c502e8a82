from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from quizzes import charts, selectors, services
from quizzes.models import QuizMode
from quizzes.services import AttemptClosed, QuizError


def _own_attempt(request, pk):
    attempt = selectors.attempt_for(request.user, pk)
    if attempt is None:
        raise Http404("No such attempt.")
    return services.attempt_touch(attempt)


def index(request):
    return render(request, "quizzes/index.html", selectors.quiz_index(request.user))


def detail(request, slug):
    quiz = get_object_or_404(selectors.Quiz.objects.published().select_related("blueprint"), slug=slug)
    current = selectors.open_attempt(request.user, quiz) if request.user.is_authenticated else None
    pool = services.draw_pool_size(quiz, request.user) if quiz.selection != "review" else None
    return render(request, "quizzes/detail.html", {
        "quiz": quiz, "current": current, "domains": quiz.blueprint.domains.all(), "pool": pool,
    })


@require_POST
@login_required
def start(request, slug):
    quiz = get_object_or_404(selectors.Quiz.objects.published().select_related("blueprint"), slug=slug)
    current = selectors.open_attempt(request.user, quiz)
    if current is not None:
        current = services.attempt_touch(current)
        if current.is_open:
            messages.info(request, "You already had this quiz open: carrying on where you left it.")
            return redirect(current)
    try:
        attempt = services.attempt_start(user=request.user, quiz=quiz)
    except QuizError as error:
        messages.error(request, str(error))
        return redirect(quiz)
    return redirect(attempt)


@login_required
def attempt(request, pk):
    attempt = _own_attempt(request, pk)
    if not attempt.is_open:
        return redirect("quizzes:results", pk=attempt.pk)
    if attempt.mode == QuizMode.PRACTICE:
        return redirect("quizzes:practice", pk=attempt.pk, number=attempt.current_position + 1)
    shown = _numbered(attempt, selectors.shown_questions(attempt, reveal=False))
    return render(request, "quizzes/exam.html", {
        "attempt": attempt, "quiz": attempt.quiz, "shown": shown,
        "answered": sum(1 for s in shown if s.answer.is_answered),
    })


def _numbered(attempt, shown):
    """Each question's number and its answer and flag links, for the exam page:
    reversed once and numbered here, not 130 times in the template (as strings, which the template
    prints as they are)."""
    (answer_head, answer_tail), (flag_head, flag_tail) = (
        reverse(name, args=[attempt.pk, 99999]).rsplit("99999", 1) for name in ("quizzes:answer", "quizzes:flag"))
    for number, item in enumerate(shown, start=1):
        item.number = str(number)
        item.answer_url = f"{answer_head}{number}{answer_tail}"
        item.flag_url = f"{flag_head}{number}{flag_tail}"
    return shown


@login_required
def practice(request, pk, number):
    attempt = _own_attempt(request, pk)
    if attempt.mode != QuizMode.PRACTICE:
        raise Http404("Not a practice attempt.")
    position = number - 1
    if not 0 <= position < attempt.total:
        raise Http404("No such question.")
    shown = selectors.shown_questions(attempt, reveal=False, positions=[position])
    item = shown[0]
    if item.answer.is_answered:
        item = selectors.shown_questions(attempt, reveal=True, positions=[position])[0]
    unanswered = attempt.answers.filter(answered_at__isnull=True).count()
    return render(request, "quizzes/practice.html", {
        "attempt": attempt, "quiz": attempt.quiz, "item": item, "number": number,
        "revealed": item.answer.is_answered, "is_last": number == attempt.total, "unanswered": unanswered,
    })


@require_POST
@login_required
def answer(request, pk, number):
    """Save one answer. htmx/fetch callers get JSON; plain form posts are redirected back."""
    attempt = _own_attempt(request, pk)
    wants_json = request.headers.get("Accept", "").startswith("application/json") or request.htmx
    try:
        saved, feedback = services.answer_save(
            attempt=attempt, position=number - 1, option_ids=request.POST.getlist("option"),
            time_spent=request.POST.get("time_spent") or 0,
        )
    except AttemptClosed as error:
        if wants_json:
            return JsonResponse({"ok": False, "error": str(error), "closed": True,
                                 "results": reverse("quizzes:results", args=[attempt.pk])}, status=409)
        messages.error(request, str(error))
        return redirect("quizzes:results", pk=attempt.pk)
    except QuizError as error:
        if wants_json:
            return JsonResponse({"ok": False, "error": str(error)}, status=400)
        messages.error(request, str(error))
        return _back(attempt, number)
    if wants_json:
        return JsonResponse({"ok": True, "answered": saved.is_answered})
    return _back(attempt, number)


def _back(attempt, number):
    if attempt.mode == QuizMode.PRACTICE:
        # Land on the verdict: the learner's eyes are on the question they just answered.
        return redirect(reverse("quizzes:practice", args=[attempt.pk, number]) + "#verdict")
    return redirect(reverse("quizzes:attempt", args=[attempt.pk]) + f"#q{number}")


@require_POST
@login_required
def flag(request, pk, number):
    attempt = _own_attempt(request, pk)
    flagged = request.POST.get("flagged") == "1"
    try:
        services.answer_flag(attempt=attempt, position=number - 1, flagged=flagged)
    except AttemptClosed as error:
        return JsonResponse({"ok": False, "error": str(error), "closed": True}, status=409)
    except QuizError as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=400)
    if request.headers.get("Accept", "").startswith("application/json") or request.htmx:
        return JsonResponse({"ok": True, "flagged": flagged})
    return _back(attempt, number)


@login_required
def review(request, pk):
    """Before submitting an exam: answered, unanswered and flagged at a glance."""
    attempt = _own_attempt(request, pk)
    if not attempt.is_open:
        return redirect("quizzes:results", pk=attempt.pk)
    answers = list(attempt.answers.only("attempt_id", "position", "selected", "flagged", "answered_at"))
    return render(request, "quizzes/review.html", {
        "attempt": attempt, "quiz": attempt.quiz, "answers": answers,
        "answered": sum(1 for a in answers if a.is_answered),
        "unanswered": [a for a in answers if not a.is_answered],
        "flagged": [a for a in answers if a.flagged],
    })


@require_POST
@login_required
def submit(request, pk):
    attempt = _own_attempt(request, pk)
    services.attempt_submit(attempt_id=attempt.pk)
    return redirect("quizzes:results", pk=attempt.pk)


@login_required
def results(request, pk):
    attempt = _own_attempt(request, pk)
    if attempt.is_open:
        return redirect(attempt)
    which = request.GET.get("show", "all")
    shown = selectors.shown_questions(attempt, reveal=True)
    counts = {
        "all": len(shown),
        "incorrect": len(selectors.review_filter(shown, "incorrect")),
        "flagged": len(selectors.review_filter(shown, "flagged")),
        "unanswered": len(selectors.review_filter(shown, "unanswered")),
    }
    budget = attempt.quiz.time_limit_minutes * 60 if attempt.deadline else None
    return render(request, "quizzes/results.html", {
        "attempt": attempt, "quiz": attempt.quiz, "shown": selectors.review_filter(shown, which),
        "which": which if which in counts else "all", "counts": counts, "budget": budget,
        "chart": charts.domain_bars(attempt.domain_results, pass_percent=attempt.quiz.cut_percent),
        "percent": round(100 * attempt.raw_score / attempt.total) if attempt.total else 0,
        "next": selectors.next_steps(attempt, shown),
    })


@require_POST
@login_required
def retake_missed(request, pk):
    attempt = _own_attempt(request, pk)
    try:
        retake = services.attempt_retake_missed(user=request.user, attempt=attempt)
    except QuizError as error:
        messages.error(request, str(error))
        return redirect("quizzes:results", pk=attempt.pk)
    return redirect("quizzes:practice", pk=retake.pk, number=1)


@require_POST
@login_required
def start_review(request):
    quiz = selectors.review_quiz()
    if quiz is None:
        raise Http404("No review quiz is configured.")
    return start(request, slug=quiz.slug)


