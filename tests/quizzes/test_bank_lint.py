"""The bank linter (quizzes/bank_lint.py): each rule fails on a question that breaks it, and
the shipped bank passes every rule, so the bank cannot regress. Also the fixed forms."""

import copy

import pytest
from django.conf import settings

from quizzes import bank_files, bank_lint, exam_forms


def question(key="q-one", qtype="single", correct=(0,), texts=None, **fields) -> dict:
    texts = texts or ["Use reserved concurrency", "Use provisioned concurrency", "Raise the quota", "Lower the timeout"]
    q = {"key": key, "qtype": qtype, "domains": ["DVA-C02/development"], "difficulty": "medium", "services": ["Lambda"],
         "sheet_links": ["lambda#key-numbers"], "status": "published",
         "stem": "A function overwhelms a partner API during bursts. What should the developer do?",
         "explanation": "Because.", "references": ["https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"],
         "options": [{"text": t, "correct": i in correct, "explanation": f"Why {i}."} for i, t in enumerate(texts)]}
    q.update(fields)
    return q


def test_a_good_question_passes():
    assert bank_lint.question_lint(question()) == []


@pytest.mark.parametrize("change, rule", [
    (lambda q: q["options"].append({"text": "Fifth", "correct": False, "explanation": "x"}), "exactly 4 options"),
    (lambda q: q["options"][3].update(text="None of the above"), "'all/none of the above' option"),
    (lambda q: q["options"][2].update(explanation=""), "option 3 has no explanation"),
    (lambda q: q.update(references=["https://example.com/blog"]), "cites no AWS documentation page"),
    (lambda q: q.update(sheet_links=[]), "links no cheat-sheet section"),
    (lambda q: q.update(stem="A function overwhelms a partner API."), "asks no question"),
])
def test_each_rule_names_the_question_and_what_is_wrong(change, rule):
    q = question()
    change(q)
    problems = bank_lint.bank_lint([q], quotas=False)
    assert any(p.startswith("q-one: ") and rule in p for p in problems), problems


def test_multiple_response_needs_five_options_and_two_or_three_keys():
    q = question(qtype="multiple", correct=(0, 1), stem="Which two? (Choose two.)")
    assert "at least 5 options" in " ".join(bank_lint.question_lint(q))
    q["options"].append({"text": "Add a queue", "correct": True, "explanation": "x"})
    q["options"] += [{"text": f"Other {i}", "correct": True, "explanation": "x"} for i in range(2)]
    assert "choose two or three (has 5 correct)" in " ".join(bank_lint.question_lint(q))


def test_the_longest_option_giveaway_is_measured_and_limited():
    honest = [question(key=f"h{i}", correct=(i % 4,), texts=["aaaa", "bbbb", "cccc", "dddd"]) for i in range(8)]
    tell = [question(key=f"t{i}", correct=(0,), texts=["the long and detailed right one", "b", "c", "d"]) for i in range(4)]
    rates = bank_lint.giveaway_rates(honest + tell)
    assert (rates.single_longest, rates.single_total) == (4, 12)
    problems = bank_lint.bank_lint(honest + tell, quotas=False)
    assert any("longest in 4 of 12 single-answer questions (33%" in p for p in problems)
    assert not any("longest in" in p for p in bank_lint.bank_lint(honest + tell[:3], quotas=False))  # 3 of 11 = 27%


def test_multiple_response_giveaway_compares_with_chance():
    texts = ["a much longer right option", "another long right option", "short", "brief", "tiny"]
    tells = [question(key=f"m{i}", qtype="multiple", correct=(0, 1), texts=texts, stem="Which? (Choose two.)")
             for i in range(5)]
    rates = bank_lint.giveaway_rates(tells)
    assert rates.multiple_rate == 1.0 and rates.multiple_chance_rate == pytest.approx(0.4)
    assert any("among the k longest" in p for p in bank_lint.bank_lint(tells, quotas=False))


# Near-duplicates. The threshold (0.35 containment of word trigrams) sits between these two
# groups: rewordings of one scenario with the same answer score 0.40 and above; different
# questions on the same service and feature stay below 0.25 (the highest pair among distinct
# questions of the shipped bank is printed by `manage.py bank stats` when it crosses the line).
SAME = (
    "A Lambda function processes orders from an Amazon SQS standard queue through an event source mapping with a "
    "batch size of 10. When one message in a batch is malformed, the whole batch returns to the queue, so orders "
    "that were already handled are processed again. What should the developer do?",
    "A Lambda function consumes an SQS standard queue through an event source mapping with a batch size of 10. When "
    "one message in a batch is malformed, the whole batch returns to the queue and orders that were already handled "
    "are processed again. Which change stops the reprocessing?",
)
DIFFERENT = (
    "A Lambda function consumes an SQS standard queue. Some invocations take longer than the queue's visibility "
    "timeout, and the same message is processed twice. What should the developer change?",
    "A Lambda function reads an SQS FIFO queue. Orders of one customer must be handled in sequence while different "
    "customers are processed in parallel. How should the producer send the messages?",
)


def test_near_duplicate_stems_are_found_and_distinct_ones_are_not():
    same = [question(key=f"s{i}", stem=stem) for i, stem in enumerate(SAME)]
    different = [question(key=f"d{i}", stem=stem) for i, stem in enumerate(DIFFERENT)]
    [(score, a, b)] = bank_lint.near_duplicates(same)
    assert score >= 0.40 and (a, b) == ("s0", "s1")
    assert bank_lint.near_duplicates(different) == []
    assert bank_lint.similarity(bank_lint.shingles(DIFFERENT[0]), bank_lint.shingles(DIFFERENT[1])) < 0.25


def test_domain_quotas_are_six_forms_of_the_blueprint():
    quotas = bank_lint.domain_quotas()
    assert [quotas[f"DVA-C02/{d}"] for d in ("development", "security", "deployment", "troubleshooting")] == [126, 102, 90, 72]
    assert sum(v for k, v in quotas.items() if k.startswith("SAA-C03")) == 390


def test_forms_are_disjoint_full_and_weighted():
    bank = []
    for domain, count in (("development", 130), ("security", 105), ("deployment", 95), ("troubleshooting", 75)):
        for i in range(count):
            bank.append(question(key=f"{domain}-{i}", domains=[f"DVA-C02/{domain}"],
                                 difficulty=("easy", "medium", "hard")[i % 3]))
    forms = exam_forms.build_forms(bank, "DVA-C02")
    assert len(forms) == 6 and all(len(form) == 65 for form in forms)
    assert len({key for form in forms for key in form}) == 390  # no question in two forms
    for form in forms:
        by_domain = {d: sum(1 for key in form if key.startswith(d)) for d in ("development", "security", "deployment", "troubleshooting")}
        assert by_domain == {"development": 21, "security": 17, "deployment": 15, "troubleshooting": 12}
    assert exam_forms.build_forms(copy.deepcopy(bank), "DVA-C02") == forms  # deterministic
    with pytest.raises(exam_forms.FormsError, match="DVA-C02/security: 101 of 102"):
        exam_forms.build_forms([q for q in bank if q["key"] not in {f"security-{i}" for i in range(4)}], "DVA-C02")


def test_the_shortest_option_giveaway_is_limited_too():
    """Writers avoiding the long-key tell drift into a short-key tell; both are limited."""
    honest = [question(key=f"h{i}", correct=(i % 4,), texts=["aaaa", "bbbb", "cccc", "dddd"]) for i in range(6)]
    tell = [question(key=f"s{i}", correct=(0,), texts=["a", "longer wrong one", "longer wrong two", "longer wrong 3"])
            for i in range(4)]
    rates = bank_lint.giveaway_rates(honest + tell)
    assert (rates.single_shortest, rates.single_total) == (4, 10)
    assert any("shortest in 4 of 10 single-answer questions (40%" in p for p in bank_lint.bank_lint(honest + tell, quotas=False))
    assert not any("shortest in" in p for p in bank_lint.bank_lint(honest + tell[:3], quotas=False))  # 3 of 9 = 33%


# The shipped bank ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    anchors, services = bank_files.sheet_anchors(settings.CHEATSHEET_CONTENT_DIR)
    return bank_files.read_bank(settings.QUIZ_BANK_DIR, anchors), services


def test_the_shipped_bank_passes_every_rule(shipped):
    """Issue 9: form, explanations, references, sheet links, giveaways, near-duplicates, the
    domain quotas of six forms per exam and at least 12 questions per course service."""
    questions, services = shipped
    assert len([q for q in questions if q["status"] == "published"]) >= 400
    assert len(services) >= 17
    problems = bank_lint.bank_lint(questions, sheet_services=services)
    assert problems == [], "\n".join(problems)


def test_the_shipped_forms_match_the_bank(shipped):
    """forms.yaml is what `manage.py bank forms --write` makes from the bank: twelve forms of 65,
    disjoint within each exam."""
    import yaml

    from quizzes.management.commands.bank import forms_yaml

    questions, _ = shipped
    path = settings.QUIZ_BANK_DIR / bank_files.FORMS_FILE
    assert path.read_text(encoding="utf-8") == forms_yaml(questions), "run `manage.py bank forms --write`"
    forms = yaml.safe_load(path.read_text())["quizzes"]
    assert len(forms) == 12 and all(len(form["questions"]) == 65 for form in forms)
    for exam in ("DVA-C02", "SAA-C03"):
        keys = [key for form in forms if form["blueprint"] == exam for key in form["questions"]]
        assert len(keys) == len(set(keys)) == 390


def test_keys_of_middle_length_are_limited():
    """Dropping the longest and the shortest option must not be a winning strategy (chance 50%)."""
    middle = [question(key=f"m{i}", correct=(1,), texts=["aa", "bbbb", "cccccc", "dddddddd"]) for i in range(7)]
    edges = [question(key=f"e{i}", correct=(3,), texts=["aa", "bbbb", "cccccc", "dddddddd"]) for i in range(3)]
    rates = bank_lint.giveaway_rates(middle + edges)
    assert (rates.single_middle, rates.single_total) == (7, 10)
    assert any("neither the longest nor the shortest in 7 of 10" in p for p in bank_lint.bank_lint(middle + edges, quotas=False))
    assert not any("neither the longest" in p for p in bank_lint.bank_lint(middle[:6] + edges + edges[:1], quotas=False))
