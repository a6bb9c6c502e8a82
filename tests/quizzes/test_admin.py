"""Instructor authoring in the admin: validation messages, actions, import and export."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quizzes import bank_format, services
from quizzes.models import Question
from tests.factories import QuestionFactory, UserFactory, domain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sqs_sheet():
    """Imports check sheet links; the factories link to sqs#key-numbers."""
    from tests.factories import CheatSheetFactory

    return CheatSheetFactory(slug="sqs", title="Amazon SQS", body_markdown="## Key numbers\n\nLimits.\n")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def question_form(options, *, qtype="single", stem="Which fits? ", status="published"):
    data = {
        "key": "new-question", "qtype": qtype, "status": status, "difficulty": "medium",
        "domains": [domain("DVA-C02/security").pk], "stem": stem, "explanation": "Because.",
        "services": "SQS", "sheet_links": "", "references": "https://docs.aws.amazon.com/sqs/",
        "options-TOTAL_FORMS": str(len(options)), "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "1000",
    }
    for index, (text, correct, explanation) in enumerate(options):
        data.update({f"options-{index}-text": text, f"options-{index}-explanation": explanation,
                     f"options-{index}-order": str(index)})
        if correct:
            data[f"options-{index}-is_correct"] = "on"
    return data


@pytest.mark.parametrize("options, qtype, stem, message", [
    ([("a", True, "x"), ("b", True, "x"), ("c", False, "x"), ("d", False, "x")], "single", "Which?",
     "A single-answer question needs exactly one correct option (has 2)."),
    ([("a", True, "x"), ("b", False, "x"), ("c", False, "x")], "single", "Which?",
     "A single-answer question needs at least 4 options (has 3)."),
    ([("a", True, "x"), ("b", False, ""), ("c", False, "x"), ("d", False, "x")], "single", "Which?",
     "Option 2 has no explanation."),
    ([("a", True, "x"), ("b", False, "x"), ("c", False, "x"), ("d", False, "x"), ("e", False, "x")], "multiple",
     "Which? (Choose two.)", "A multiple-response question needs at least two correct options (has 1)."),
    ([("a", True, "x"), ("b", True, "x"), ("c", False, "x"), ("d", False, "x")], "multiple", "Which? (Choose two.)",
     "A multiple-response question needs at least 5 options (has 4)."),
    ([("a", True, "x"), ("b", True, "x"), ("c", False, "x"), ("d", False, "x"), ("e", False, "x")], "multiple",
     "Which?", "add &#x27;(Choose two.)&#x27;"),
])
def test_question_validation_messages(staff_client, options, qtype, stem, message):
    response = staff_client.post(reverse("admin:quizzes_question_add"), question_form(options, qtype=qtype, stem=stem))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.exists()


def test_valid_question_saves_and_renders(staff_client):
    options = [("**a**", True, "right"), ("b", False, "no"), ("c", False, "no"), ("d", False, "no")]
    response = staff_client.post(reverse("admin:quizzes_question_add"), question_form(options))
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.edited_in_admin and question.options.count() == 4
    assert question.options.get(is_correct=True).text_html == "<strong>a</strong>"


def test_published_question_needs_a_reference(staff_client):
    data = question_form([("a", True, "x"), ("b", False, "x"), ("c", False, "x"), ("d", False, "x")])
    data["references"] = ""
    response = staff_client.post(reverse("admin:quizzes_question_add"), data)
    assert "needs at least one AWS documentation reference" in response.content.decode()


def test_actions_publish_unpublish_duplicate(staff_client):
    question = QuestionFactory(status="draft")
    url = reverse("admin:quizzes_question_changelist")
    staff_client.post(url, {"action": "publish", "_selected_action": [question.pk]})
    assert Question.objects.get(pk=question.pk).status == "published"
    staff_client.post(url, {"action": "unpublish", "_selected_action": [question.pk]})
    assert Question.objects.get(pk=question.pk).status == "draft"
    staff_client.post(url, {"action": "duplicate", "_selected_action": [question.pk]})
    copy = Question.objects.get(key=f"{question.key}-copy")
    assert copy.status == "draft" and copy.options.count() == 4 and list(copy.domains.all()) == list(question.domains.all())


def test_filters_and_search(staff_client):
    QuestionFactory(services=["Kinesis"], stem="About shards and partition keys.")
    url = reverse("admin:quizzes_question_changelist")
    html = staff_client.get(url).content.decode()
    for title in ("By domains", "By service", "By type", "By status", "By difficulty"):
        assert title in html
    assert "Kinesis" in staff_client.get(url + "?service=Kinesis").content.decode()
    assert staff_client.get(url + "?q=shards").context["cl"].result_count == 1


def upload(staff_client, text, name, fmt, **extra):
    return staff_client.post(reverse("admin:quizzes_question_import"), {
        "file": SimpleUploadedFile(name, text.encode()), "format": fmt, "default_difficulty": "medium", **extra,
    })


def test_import_yaml_and_export_round_trip(staff_client):
    QuestionFactory.create_batch(3)
    exported = staff_client.get(reverse("admin:quizzes_question_export", args=["yaml"])).content.decode()
    before = services.questions_for_export()
    Question.objects.all().delete()
    response = upload(staff_client, exported, "bank.yaml", "yaml")
    assert response.status_code == 302
    assert services.questions_for_export() == before


def test_gift_export_then_import_gives_the_same_bank(staff_client):
    QuestionFactory.create_batch(2)
    QuestionFactory(qtype="multiple")
    before = services.questions_for_export()
    exported = staff_client.get(reverse("admin:quizzes_question_export", args=["gift"])).content.decode()
    assert "~%50%" in exported and "// @domains: DVA-C02/development" in exported
    Question.objects.all().delete()
    assert upload(staff_client, exported, "bank.gift.txt", "gift").status_code == 302
    assert services.questions_for_export() == before


def test_bad_import_names_the_question_and_writes_nothing(staff_client):
    good = bank_format.dump(services.questions_for_export(Question.objects.filter(pk__in=[QuestionFactory().pk])))
    Question.objects.all().delete()
    bad = good + good.split("questions:\n", 1)[1].replace("question-", "other-").replace("correct: true", "correct: false")
    response = upload(staff_client, bad, "bank.yaml", "yaml")
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "bank.yaml: question 2 (other-" in html and "exactly one correct option (has 0)" in html
    assert not Question.objects.exists()


def test_moodle_gift_without_metadata_takes_defaults_as_drafts(staff_client):
    gift_text = "::Queue::Which service is a queue? {\n=SQS#Queue.\n~SNS#Topic.\n~Kinesis#Stream.\n~EventBridge#Bus.\n}\n"
    response = upload(staff_client, gift_text, "moodle.gift", "gift", default_domains=[domain("DVA-C02/development").pk])
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.status == "draft" and question.key == "gift-queue"
    assert [d.label for d in question.domains.all()] == ["DVA-C02/development"]


def test_moodle_gift_without_feedback_is_refused_clearly(staff_client):
    gift_text = "::Queue::Which service is a queue? {\n=SQS\n~SNS\n~Kinesis\n~EventBridge\n}\n"
    html = upload(staff_client, gift_text, "moodle.gift", "gift", default_domains=[domain().pk]).content.decode()
    assert "moodle.gift: question 1 (line 1, Queue): option 1 has no explanation" in html
    assert not Question.objects.exists()


def test_item_statistics_show_in_the_admin(staff_client):
    question = QuestionFactory()
    Question.objects.filter(pk=question.pk).update(stat_responses=4, stat_facility=25.0, stat_discrimination=-0.3,
                                                   flagged_for_review=True,
                                                   stat_option_counts={str(question.options.first().pk): 1})
    QuestionFactory(key="fresh-question")
    html = staff_client.get(reverse("admin:quizzes_question_changelist")).content.decode()
    assert "25% · -0.30 (4)" in html and html.count("⚠ review") == 1
    assert "icon-no" not in html  # issue 14: no red cross on every unflagged row
    html = staff_client.get(reverse("admin:quizzes_question_change", args=[question.pk])).content.decode()
    assert "4 responses · facility 25% · discrimination -0.30" in html and "flagged for review" in html


@pytest.mark.parametrize("fmt", ["yaml", "gift"])
def test_staff_without_permission_cannot_download_the_bank(client, fmt):
    """Issue 15: the export URLs gave any staff user the answer keys and drafts."""
    QuestionFactory()
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:quizzes_question_export", args=[fmt])).status_code == 403
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="view_question"))
    response = client.get(reverse("admin:quizzes_question_export", args=[fmt]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]



@pytest.mark.parametrize("name, text, expected", [
    ("bank.gift", "::q::Which? {=a ~b ~c ~d}", "gift"),
    ("export.txt", "// a comment\n::q::Which? {=a ~b ~c ~d}", "gift"),
    ("bank.yml", "questions: []", "yaml"),
    ("upload.txt", "# bank\nquestions:\n  - id: x", "yaml"),
])
def test_the_import_recognises_the_format(name, text, expected):
    """Issue 14: a .gift file was parsed as YAML unless the format was changed by hand."""
    from quizzes.forms import detect_format

    assert detect_format(name, text) == expected


def test_a_gift_file_imports_with_the_default_format(staff_client):
    text = "// @domains: DVA-C02/development\n::gift-auto::Which is a queue? {=SQS#Yes ~SNS#No ~Kinesis#No ~EFS#No}\n"
    response = upload(staff_client, text, "bank.gift", "auto")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Question.objects.get(key="gift-auto").qtype == "single"


def test_list_fields_are_edited_one_per_line(staff_client):
    question = QuestionFactory(services=["Lambda", "SQS"], references=["https://docs.aws.amazon.com/a", "https://docs.aws.amazon.com/b"])
    html = staff_client.get(reverse("admin:quizzes_question_change", args=[question.pk])).content.decode()
    assert "Lambda\nSQS</textarea>" in html and "https://docs.aws.amazon.com/a\nhttps://docs.aws.amazon.com/b</textarea>" in html
    data = question_form([("a", True, "x"), ("b", False, "x"), ("c", False, "x"), ("d", False, "x")])
    data.update(services="Lambda, SQS\nSNS", references="https://docs.aws.amazon.com/sqs/\n")
    assert staff_client.post(reverse("admin:quizzes_question_add"), data).status_code == 302
    saved = Question.objects.get(key="new-question")
    assert saved.services == ["Lambda", "SQS", "SNS"] and saved.references == ["https://docs.aws.amazon.com/sqs/"]


def test_the_markdown_preview_renders_and_sanitises(staff_client, client):
    url = reverse("admin:quizzes_question_preview")
    html = staff_client.post(url, {"stem": "Use **SQS**<script>alert(1)</script>", "explanation": "`code`"}).content.decode()
    assert "<strong>SQS</strong>" in html and "<script" not in html and "<code>code</code>" in html
    client.force_login(UserFactory(is_staff=True))  # staff without the question permissions
    assert client.post(url, {"stem": "x"}).status_code == 403
