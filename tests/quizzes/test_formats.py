"""The bank's YAML format and Moodle GIFT: parse, refuse bad input clearly, round trip."""

import textwrap

import pytest

from quizzes import bank_format, gift

DOMAINS = {"DVA-C02/development", "DVA-C02/security", "SAA-C03/secure"}
SHEETS = {"sqs": {"key-numbers", "at-a-glance"}}

GOOD = textwrap.dedent("""\
    questions:
      - id: sqs-dlq
        type: single
        domains: [DVA-C02/development, SAA-C03/secure]
        difficulty: medium
        services: [SQS]
        sheets: [sqs#key-numbers]
        stem: |
          A consumer fails on some messages forever. What keeps them from blocking the queue?
        options:
          - text: A dead-letter queue with a maxReceiveCount.
            correct: true
            explanation: Moves poison messages aside after N receives.
          - text: A longer retention period.
            correct: false
            explanation: Keeps them longer, still failing.
          - text: Long polling.
            correct: false
            explanation: Only reduces empty receives.
          - text: A FIFO queue.
            correct: false
            explanation: Ordering makes a poison message block its group.
        explanation: The DLQ isolates messages that keep failing.
        references: [https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html]
    """)


def parse(text):
    return bank_format.parse(text, source="bank.yaml", known_domains=DOMAINS, known_sheets=SHEETS)


def test_good_file_parses():
    [q] = parse(GOOD)
    assert q["key"] == "sqs-dlq" and q["qtype"] == "single" and q["status"] == "published"
    assert [o["correct"] for o in q["options"]] == [True, False, False, False]


@pytest.mark.parametrize("old, new, message", [
    ("correct: true", "correct: false", "exactly one correct option (has 0)"),
    ("        correct: false\n        explanation: Only reduces", "        correct: true\n        explanation: Only reduces", "exactly one correct option (has 2)"),
    ("explanation: Long polling", "explanation: ''", None),
    ("explanation: Only reduces empty receives.", "explanation: ''", "option 3 has no explanation"),
    ("type: single", "type: multiple", "at least 5 options"),
    ("DVA-C02/development, SAA-C03/secure", "DVA-C02/development, DVA-C02/security", "at most one domain per exam"),
    ("DVA-C02/development, SAA-C03/secure", "DVA-C02/nope", "unknown domain 'DVA-C02/nope'"),
    ("sqs#key-numbers", "sqs#nowhere", "sheet 'sqs' has no section 'nowhere'"),
    ("sqs#key-numbers", "sns#key-numbers", "no cheat sheet 'sns'"),
    ("references: [https://docs", "references: [http://docs", "must be an https:// URL"),
    ("difficulty: medium", "difficulty: brutal", "difficulty 'brutal'"),
    ("id: sqs-dlq", "id: SQS DLQ", "id must be lowercase"),
    ("stem: |", "colour: red\n    stem: |", "unknown field 'colour'"),
    ("  - text: A FIFO queue.", "  - text: Long polling.", "two options have the same text"),
])
def test_bad_question_is_refused_naming_question_and_problem(old, new, message):
    if message is None:
        return
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(bank_format.BankError) as error:
        parse(text)
    assert any(p.startswith("bank.yaml: question 1 (sqs-dlq): ") or p.startswith("bank.yaml: question 1")
               for p in error.value.problems)
    assert message in str(error.value)


def test_multiple_response_must_say_how_many():
    text = GOOD.replace("type: single", "type: multiple").replace(
        "    explanation: The DLQ", "      - text: Visibility timeout.\n        correct: true\n        explanation: Hides it.\n    explanation: The DLQ")
    with pytest.raises(bank_format.BankError, match=r"add '\(Choose two.\)'"):
        parse(text)
    [q] = parse(text.replace("What keeps", "(Choose two.) What keeps"))
    assert q["qtype"] == "multiple"


def test_invalid_yaml_names_the_line():
    with pytest.raises(bank_format.BankError, match=r"bank.yaml: invalid YAML at line 3, column 1"):
        parse("questions:\n  - id: [unclosed\n")


def test_duplicate_ids_are_refused():
    text = GOOD + GOOD.split("questions:\n", 1)[1]
    with pytest.raises(bank_format.BankError, match="duplicate id 'sqs-dlq'"):
        parse(text)


def test_draft_may_lack_references_but_published_may_not():
    text = GOOD.replace("    references: [https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html]\n", "")
    with pytest.raises(bank_format.BankError, match="published question needs at least one reference"):
        parse(text)
    [q] = parse(text.replace("difficulty: medium", "difficulty: medium\n    status: draft"))
    assert q["references"] == []


def test_yaml_dump_then_parse_is_identity():
    questions = parse(GOOD)
    assert parse(bank_format.dump(questions)) == questions


# ---------------------------------------------------------------- GIFT

MOODLE = textwrap.dedent("""\
    // A bank exported from Moodle
    $CATEGORY: $course$/Serverless

    ::Queue choice::Which service decouples producers from consumers\\: a queue? {
      =Amazon SQS#Right\\: a queue.
      ~Amazon SNS#A topic pushes, it does not queue.
      ~Amazon Kinesis Data Streams#A stream, ordered per shard.
      ~AWS Step Functions#An orchestrator.
      ####SQS is the queue.
    }

    ::Pick two::[markdown]Which are **serverless**? (Choose two.) {
      ~%50%AWS Lambda#Yes.
      ~%50%AWS Fargate#Yes.
      ~%-100%Amazon EC2#No.
      ~%-100%Amazon EKS on EC2#No.
      ~%-100%Amazon Lightsail#No.
    }
    """)


def test_gift_from_moodle_parses_single_and_weighted_multiple():
    first, second = gift.parse(MOODLE, source="moodle.gift", defaults={"domains": ["DVA-C02/development"]})
    assert first["qtype"] == "single" and first["stem"] == "Which service decouples producers from consumers: a queue?"
    assert [o["correct"] for o in first["options"]] == [True, False, False, False]
    assert first["options"][0]["explanation"] == "Right: a queue."
    assert first["explanation"] == "SQS is the queue."
    assert first["status"] == "draft" and first["domains"] == ["DVA-C02/development"]
    assert second["qtype"] == "multiple" and second["stem"] == "Which are **serverless**? (Choose two.)"
    assert [o["correct"] for o in second["options"]] == [True, True, False, False, False]


@pytest.mark.parametrize("body, message", [
    ("::tf::Lambda is serverless. {T}", "true/false questions are not supported"),
    ("::tf2::Lambda is serverless. {FALSE#No it is not.#Yes it is.}", "true/false questions are not supported"),
    ("::num::How many minutes? {#15}", "numerical questions are not supported"),
    ("::m::Match {=a -> b =c -> d}", "matching questions are not supported"),
    ("::sa::Name the queue service. {=SQS =Simple Queue Service}", "short answer (every answer starts with =)"),
    ("::essay::Describe your design. {}", "essay (empty answer block {}) questions are not supported"),
    ("::x::No answers here", "description (text without an answer block {...}) is not a question"),
])
def test_gift_unsupported_types_are_named(body, message):
    with pytest.raises(gift.GiftError) as error:
        gift.parse(MOODLE + "\n" + body + "\n", source="moodle.gift", defaults={})
    assert message in str(error.value) and "moodle.gift: question 3" in str(error.value)


def test_gift_dump_then_parse_is_identity_with_metadata():
    questions = parse(GOOD)
    questions[0]["stem"] = "Braces {x}, equals = and tildes ~ and a colon: all escaped.\nSecond line."
    back = gift.parse(gift.dump(questions), source="x.gift", defaults={})
    for q in back:
        q.pop("_where")
    assert back == questions


def test_gift_escape_round_trip():
    text = "a\\b {c} =d ~e #f :g\nh"
    assert gift.unescape(gift.escape(text)) == text


def test_gift_with_cr_only_line_endings_gives_each_question_its_own():
    """Issue 15: CR-only files imported two questions as one."""
    questions = gift.parse(MOODLE.replace("\n", "\r"), source="mac.gift", defaults={})
    assert len(questions) == len(gift.parse(MOODLE, source="unix.gift", defaults={}))


def test_a_gift_file_with_only_comments_is_an_error_not_an_empty_success():
    with pytest.raises(gift.GiftError, match="no questions found"):
        gift.parse("// just a comment\n$CATEGORY: $course$/serverless\n\n// another\n", source="empty.gift", defaults={})


def test_every_problem_of_a_gift_file_is_reported_at_once(db):
    """Parse problems and rule problems of the questions that did parse come back together."""
    from quizzes.admin import _parse_upload

    text = ("::tf::Lambda is serverless. {T}\n\n"
            "::two::Which queue? {=SQS ~SNS}\n\n"
            "::num::How many minutes? {#15}\n")

    class Form:
        cleaned_data = {"format": "gift", "file": text, "default_domains": [], "default_difficulty": "medium"}

    with pytest.raises(bank_format.BankError) as error:
        _parse_upload(Form(), "mixed.gift")
    problems = "\n".join(error.value.problems)
    assert "question 1" in problems and "true/false" in problems
    assert "question 3" in problems and "numerical" in problems
    assert "question 2" in problems and "needs at least 4 options" in problems


def test_an_import_over_the_question_limit_is_refused_with_the_limit_named(monkeypatch):
    monkeypatch.setattr(bank_format, "MAX_IMPORT_QUESTIONS", 3)
    many = "\n\n".join(f"::q{i}::Pick one? {{=a ~b ~c ~d}}" for i in range(5))
    with pytest.raises(gift.GiftError, match="holds 5 questions; one import takes at most 3"):
        gift.parse(many, source="big.gift", defaults={}, limit=bank_format.MAX_IMPORT_QUESTIONS)
    with pytest.raises(bank_format.BankError, match="holds 5 questions; one import takes at most 3"):
        bank_format.parse(bank_format.dump([]).replace("questions: []", "questions: [1, 2, 3, 4, 5]"), source="big.yaml",
                          known_domains=set(), limit=3)


BOMB = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
questions:
  - id: bomb
    type: single
    domains: [DVA-C02/development]
    difficulty: easy
    services: *c
    stem: Which?
    options: []
"""


@pytest.mark.parametrize("text, says", [
    (BOMB, "aliases (*name) are not allowed"),
    ("questions:\n  - id: deep\n    stem: " + "[" * 200 + "]" * 200 + "\n", "nested more than 12 levels deep"),
])
def test_yaml_aliases_and_deep_nesting_are_refused_by_name(text, says):
    """Issue 15: a 781-byte alias bomb expanded to 72 MB; deep nesting raised RecursionError (500)."""
    with pytest.raises(bank_format.BankError) as error:
        bank_format.parse(text, source="evil.yaml", known_domains=set())
    assert says in str(error.value) and "evil.yaml: invalid YAML at line" in str(error.value)


def test_field_types_and_lengths_are_checked_against_the_model():
    from tests.quizzes.test_services import bank_dicts

    data = bank_dicts(1)[0]
    text = bank_format.dump([data])
    import yaml

    raw = yaml.safe_load(text)
    raw["questions"][0]["id"] = "x" * 404
    raw["questions"][0]["stem"] = ["a", "list"]
    raw["questions"][0]["services"] = [{"nested": "map"}]
    raw["questions"][0]["options"][0]["text"] = "y" * 3000
    with pytest.raises(bank_format.BankError) as error:
        bank_format.parse(yaml.safe_dump(raw), source="types.yaml", known_domains={"DVA-C02/development"})
    problems = "\n".join(error.value.problems)
    assert "'id' is 404 characters long (at most 100)" in problems
    assert "'stem' must be text (got a list)" in problems
    assert "'services' must be a list of text items" in problems
    assert "option 1 'text' is 3000 characters long (at most 2000)" in problems
