"""Fixed mock-exam forms: six per certification, 65 questions each drawn to the blueprint's
domain weights, no question in two forms of the same exam. Pure functions over bank dicts.

The assignment is deterministic (it depends only on the published bank), so the shipped
``quizzes/bank/forms.yaml`` can be regenerated and a test can prove it matches the bank.
Within each domain the questions are ordered by difficulty and then by a stable hash of their
id, and dealt to the forms in turn, so every form gets a similar mix of easy, medium and hard
questions and of services; a form keeps the first questions it is dealt up to its quota.
"""

import hashlib

from quizzes.bank_lint import EXAM_WEIGHTS, FORM_SIZE, FORMS_PER_EXAM, form_counts

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}
TIME_LIMIT_MINUTES = 130
EXAM_NAMES = {"DVA-C02": "Developer Associate", "SAA-C03": "Solutions Architect Associate"}


class FormsError(Exception):
    """The bank cannot fill six disjoint forms; the message says which domain is short."""


def _stable(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def build_forms(questions: list[dict], exam: str, *, forms: int = FORMS_PER_EXAM, size: int = FORM_SIZE) -> list[list[str]]:
    """Question ids of each form of ``exam``, in exam order (domains interleaved)."""
    quotas = form_counts(EXAM_WEIGHTS[exam], size)
    pools: dict[str, list[dict]] = {domain: [] for domain in quotas}
    for q in questions:
        if q["status"] != "published":
            continue
        for label in q["domains"]:
            code, _, domain = label.partition("/")
            if code == exam and domain in pools:
                pools[domain].append(q)
    short = [f"{exam}/{d}: {len(pools[d])} of {quotas[d] * forms}" for d in quotas if len(pools[d]) < quotas[d] * forms]
    if short:
        raise FormsError("not enough published questions for six forms: " + ", ".join(short))
    dealt: list[dict[str, list[str]]] = [{d: [] for d in quotas} for _ in range(forms)]
    for domain, pool in pools.items():
        ordered = sorted(pool, key=lambda q: (DIFFICULTY_ORDER.get(q["difficulty"], 1), _stable(q["key"])))
        for index, q in enumerate(ordered):
            form = dealt[index % forms][domain]
            if len(form) < quotas[domain]:
                form.append(q["key"])
    result = []
    for number, by_domain in enumerate(dealt, start=1):
        keys = [key for domain in quotas for key in by_domain[domain]]
        # Exam order: a stable shuffle, so the domains are mixed as on the real exam.
        result.append(sorted(keys, key=lambda key: _stable(f"{exam}-{number}-{key}")))
    return result


def form_definitions(questions: list[dict]) -> list[dict]:
    """The quiz definitions of every form of both exams (the content of forms.yaml)."""
    definitions = []
    for order, exam in enumerate(EXAM_WEIGHTS):
        for number, keys in enumerate(build_forms(questions, exam), start=1):
            definitions.append({
                "slug": f"{exam.lower()}-practice-exam-{number}",
                "title": f"{exam} practice exam {number}",
                "description": (f"Fixed form {number} of 6 for the {EXAM_NAMES[exam]} exam: {len(keys)} questions by "
                                f"the domain weights, {TIME_LIMIT_MINUTES} minutes, scaled score with 720 to pass. "
                                "No question appears in two forms, so the six together cover "
                                f"{len(keys) * FORMS_PER_EXAM} different questions."),
                "blueprint": exam, "mode": "exam", "selection": "fixed", "question_count": len(keys),
                "time_limit_minutes": TIME_LIMIT_MINUTES, "order": 20 + order * 10 + number,
                "questions": keys,
            })
    return definitions
