"""Reads on quizzes that are more than a filter."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from quizzes import charts
from quizzes.models import Answer, Attempt, AttemptStatus, Option, Question, Quiz, ReviewItem, Selection


def attempt_for(user, pk) -> Attempt | None:
    """A learner's own attempt (None for anyone else's: the view answers 404)."""
    return Attempt.objects.select_related("quiz__blueprint").filter(pk=pk, user=user).first()


@dataclass
class ExamEntry:
    quiz: Quiz
    taken: int = 0
    best: int | None = None
    passed: bool = False


@dataclass
class ExamGroup:
    code: str
    name: str
    forms: list
    others: list  # the random mock exam and the final exam


def exam_groups(quizzes, user) -> list[ExamGroup]:
    """Mock exams by certification: the fixed forms (with how often the learner took each and
    their best scaled score) and the random and final exams."""
    exams = [q for q in quizzes if q.is_exam]
    best = {}
    if user.is_authenticated:
        rows = (Attempt.objects.filter(user=user, quiz__in=exams, status=AttemptStatus.SUBMITTED)
                .values("quiz_id").annotate(taken=Count("id"), best=Max("scaled_score")))
        best = {row["quiz_id"]: row for row in rows}
    groups: dict[str, ExamGroup] = {}
    for quiz in exams:
        group = groups.setdefault(quiz.blueprint.code, ExamGroup(quiz.blueprint.code, quiz.blueprint.name, [], []))
        row = best.get(quiz.pk, {})
        entry = ExamEntry(quiz, row.get("taken", 0), row.get("best"),
                          bool(row.get("best") is not None and row["best"] >= quiz.passing_score))
        (group.forms if quiz.selection == Selection.FIXED else group.others).append(entry)
    return list(groups.values())


def quiz_index(user) -> dict:
    quizzes = list(Quiz.objects.published().select_related("blueprint"))
    data = {"quizzes": quizzes, "open_attempts": [], "history": [], "due_reviews": 0,
            "exam_groups": exam_groups(quizzes, user),
            "practice": [q for q in quizzes if not q.is_exam and q.selection != Selection.REVIEW]}
    if user.is_authenticated:
        attempts = list(Attempt.objects.for_user(user).select_related("quiz")[:30])
        data["open_attempts"] = [a for a in attempts if a.is_open]
        data["history"] = [a for a in attempts if not a.is_open][:10]
        data["due_reviews"] = ReviewItem.objects.filter(user=user, due_at__lte=timezone.now()).count()
        data["queued_reviews"] = ReviewItem.objects.filter(user=user).count()
    return data


def open_attempt(user, quiz) -> Attempt | None:
    return Attempt.objects.filter(user=user, quiz=quiz, status=AttemptStatus.IN_PROGRESS).first()


@dataclass
class ShownOption:
    id: int
    letter: str
    text_html: str
    explanation_html: str = ""
    is_correct: bool = False
    selected: bool = False


@dataclass
class ShownQuestion:
    answer: Answer
    question: Question
    options: list
    # The exam page's numbering and links (quizzes.views._numbered)
    number: str = ""
    answer_url: str = ""
    flag_url: str = ""


LETTERS = "ABCDEFGHIJ"


def shown_questions(attempt: Attempt, *, reveal: bool, positions=None) -> list[ShownQuestion]:
    """The attempt's questions with options in the learner's order. ``reveal`` adds the
    correct flags and explanations; without it nothing on the page says which option is right."""
    answers = attempt.answers.select_related("question")
    if positions is not None:
        answers = answers.filter(position__in=positions)
    answers = list(answers)
    fields = ["id", "question_id", "text_html"] + (["explanation_html", "is_correct"] if reveal else [])
    options = {o["id"]: o for o in Option.objects.filter(question_id__in=[a.question_id for a in answers]).values(*fields)}
    shown = []
    for answer in answers:
        selected = set(answer.selected)
        listed = []
        for index, option_id in enumerate(answer.option_order):
            option = options.get(option_id)
            if option is None:
                continue  # an option deleted since the attempt started
            listed.append(ShownOption(
                id=option_id, letter=LETTERS[index % len(LETTERS)], text_html=option["text_html"],
                explanation_html=option.get("explanation_html", ""), is_correct=option.get("is_correct", False),
                selected=option_id in selected,
            ))
        shown.append(ShownQuestion(answer=answer, question=answer.question, options=listed))
    return shown


def review_filter(shown: list[ShownQuestion], which: str) -> list[ShownQuestion]:
    if which == "incorrect":
        return [s for s in shown if s.answer.is_answered and (s.answer.credit or 0) < 1]
    if which == "flagged":
        return [s for s in shown if s.answer.flagged]
    if which == "unanswered":
        return [s for s in shown if not s.answer.is_answered]
    return shown


def attempt_counts(attempt: Attempt) -> dict:
    return attempt.answers.aggregate(
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        flagged=Count("pk", filter=Q(flagged=True)),
        total=Count("pk"),
    )


def dashboard_summary(user) -> dict:
    """Attempts over time, strength per domain, and what to study next."""
    from cheatsheets.models import CheatSheet

    submitted = list(Attempt.objects.for_user(user).submitted().select_related("quiz").order_by("submitted_at"))
    exams = [a for a in submitted if a.mode == "exam" and a.scaled_score is not None]
    domains: dict[str, list[float]] = {}
    for attempt in submitted:
        for row in attempt.domain_results:
            if row["total"]:
                domains.setdefault(row["domain"], []).extend([row["correct"] / row["total"]] * row["total"])
    strength = sorted(
        ({"domain": name, "percent": round(100 * sum(v) / len(v)), "answered": len(v)} for name, v in domains.items()),
        key=lambda row: row["percent"],
    )
    study = []
    if strength:
        weakest = strength[0]["domain"]
        links = Counter()
        for links_list in Question.objects.filter(domains__name=weakest).values_list("sheet_links", flat=True):
            for link in links_list:
                links[link.split("#")[0]] += 1
        slugs = [slug for slug, _ in links.most_common(3)]
        by_slug = {s.slug: s for s in CheatSheet.objects.listing().filter(slug__in=slugs)}
        study = [by_slug[slug] for slug in slugs if slug in by_slug]
    due = ReviewItem.objects.filter(user=user, due_at__lte=timezone.now()).count()
    in_progress = list(Attempt.objects.filter(user=user, status=AttemptStatus.IN_PROGRESS).select_related("quiz")
                       .order_by("-started_at")[:5])
    return {
        "in_progress": in_progress,
        "attempts": len(submitted),
        "exams": exams[-10:],
        "sparkline": charts.sparkline([a.scaled_score for a in exams[-12:]]),
        "strength": strength,
        "study_next": study,
        "weakest": strength[0] if strength else None,
        "due_reviews": due,
        "last": submitted[-1] if submitted else None,
    }


@dataclass
class NextSteps:
    missed: int
    weakest: dict | None
    sheets: list
    due_reviews: int


def next_steps(attempt: Attempt, shown: list) -> NextSteps:
    """What to do after a result: retake what was missed, review due mistakes, and the sheets to
    read for the weakest domain (the ones its missed questions link most)."""
    from cheatsheets.models import CheatSheet

    missed = [item for item in shown if not (item.answer.credit is not None and item.answer.credit >= 1)]
    rows = [row for row in attempt.domain_results if row.get("total")]
    weakest = min(rows, key=lambda row: row["correct"] / row["total"]) if rows else None
    links = Counter()
    if weakest:
        in_domain = set(Question.objects.filter(pk__in=[item.question.pk for item in missed],
                                                domains__name=weakest["domain"]).values_list("pk", flat=True))
        for item in missed:
            if item.question.pk in in_domain:
                for link in item.question.sheet_links:
                    links[link.split("#")[0]] += 1
    slugs = [slug for slug, _ in links.most_common(3)]
    by_slug = {sheet.slug: sheet for sheet in CheatSheet.objects.listing().filter(slug__in=slugs)}
    due = ReviewItem.objects.filter(user=attempt.user, due_at__lte=timezone.now()).count()
    return NextSteps(len(missed), weakest, [by_slug[s] for s in slugs if s in by_slug], due)


def review_quiz() -> Quiz | None:
    return Quiz.objects.published().filter(selection=Selection.REVIEW).first()


@dataclass
class PracticeOffer:
    quiz: Quiz
    attempts: int
    best_percent: int | None


def practice_for_categories(categories, user) -> PracticeOffer | None:
    """The practice quiz on a cheat-sheet category, with the learner's best score on it."""
    quizzes = [q for q in Quiz.objects.published().filter(mode="practice").exclude(selection=Selection.REVIEW)
               if set(q.filter_sheet_categories) & set(categories)]
    if not quizzes:
        return None
    quiz = quizzes[0]
    attempts, best = 0, None
    if user.is_authenticated:
        done = list(Attempt.objects.filter(user=user, quiz=quiz, status=AttemptStatus.SUBMITTED)
                    .values_list("raw_score", "total"))
        attempts = len(done)
        best = max((round(100 * raw / total) for raw, total in done if total), default=None)
    return PracticeOffer(quiz, attempts, best)
