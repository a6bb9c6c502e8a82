"""Question banks as files: export, import (atomic, admin edits kept unless forced), duplicating a
question, and syncing the shipped bank directory."""

import hashlib
import json

from django.db import transaction

from cheatsheets import rendering
from courseware.content import SyncReport
from quizzes.models import Domain, Option, Question, Quiz, QuizMode, QuizQuestion, Selection


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
