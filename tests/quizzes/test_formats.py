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
    ("::tf::Lambda is serverless. {T}", "true/false GIFT questions are not supported"),
    ("::num::How many minutes? {#15}", "numeric GIFT questions are not supported"),
    ("::m::Match {=a -> b =c -> d}", "matching GIFT questions are not supported"),
    ("::x::No answers here", "no answer block"),
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
