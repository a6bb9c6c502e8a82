"""One path from a sheet to its practice quiz to the lab that builds it (issue 14, item 16),
composed by the shell: the sheet page loads it, so the cached sheet stays the same for all."""

import pytest
from django.urls import reverse

from courseware import paths
from quizzes.models import Attempt
from tests.factories import CheatSheetFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db
MODEL_LABS = {"fullstack", "video"}


def test_service_names_match_across_the_apps():
    assert paths.service_key("Amazon API Gateway") == paths.service_key("API Gateway") == "api gateway"
    assert {"fullstack", "video"} <= {lab.slug for lab in paths.labs_for_services(["Lambda"])}
    assert "fullstack" in [lab.slug for lab in paths.labs_for_services(["DynamoDB"])]
    assert "video" not in [lab.slug for lab in paths.labs_for_services(["DynamoDB"])]
    assert paths.labs_for_services(["Amazon Macie"]) == []
    assert [lab.slug for lab in paths.labs_for_services(["Cognito"])] == ["securedapi"]
    assert [lab.slug for lab in paths.labs_for_services(["Lambda@Edge", "CloudFront Functions"])] == ["edge"]
    dynamodb = {lab.slug for lab in paths.labs_for_services(["DynamoDB"])}
    assert "fanout" in dynamodb and "fanout" in {lab.slug for lab in paths.labs_for_services(["SNS"])}
    for sheet in (["RDS Proxy", "RDS", "Aurora"], ["Aurora", "Aurora Serverless v2", "RDS Data API"]):
        assert [lab.slug for lab in paths.labs_for_services(sheet)] == ["relational"]


def test_a_sheet_ends_with_its_practice_quiz_and_best_score_and_the_labs_that_build_it(client):
    sheet = CheatSheetFactory(slug="dynamodb", title="Amazon DynamoDB", services=["DynamoDB"], category="databases")
    quiz = QuizFactory(slug="practice-databases", title="Practice: databases", mode="practice",
                       filter_sheet_categories=["databases"])
    learner = UserFactory()
    Attempt.objects.create(user=learner, quiz=quiz, mode="practice", total=10, raw_score=7, status="submitted")
    client.force_login(learner)
    assert f'hx-get="/path/sheet/{sheet.slug}/"' in client.get(sheet.get_absolute_url()).content.decode()
    html = client.get(reverse("sheet_path", args=["dynamodb"])).content.decode()
    assert "Practice: databases" in html and "your best 70% (1 attempt)" in html
    assert reverse("labs:detail", args=["fullstack"]) in html and reverse("labs:detail", args=["video"]) not in html


def test_a_lab_page_links_its_sheets_and_their_practice(client):
    CheatSheetFactory(slug="dynamodb", title="Amazon DynamoDB", services=["DynamoDB"], category="databases")
    CheatSheetFactory(slug="athena", title="Amazon Athena", services=["Athena"], category="integration-analytics")
    QuizFactory(slug="practice-databases", title="Practice: databases", mode="practice",
                filter_sheet_categories=["databases"])
    html = client.get(reverse("lab_path", args=["fullstack"])).content.decode()
    assert "Amazon DynamoDB" in html and "Amazon Athena" not in html and "Practice: databases" in html
    assert client.get(reverse("lab_path", args=["nope"])).status_code == 404


def test_the_fanout_lab_page_links_the_messaging_sheets(client):
    for slug, title, service in (("sns", "Amazon SNS", "SNS"), ("sqs", "Amazon SQS", "SQS"),
                                 ("eventbridge", "Amazon EventBridge", "EventBridge"),
                                 ("athena", "Amazon Athena", "Athena")):
        CheatSheetFactory(slug=slug, title=title, services=[service], category="integration-analytics")
    html = client.get(reverse("lab_path", args=["fanout"])).content.decode()
    assert "Amazon SNS" in html and "Amazon SQS" in html and "Amazon EventBridge" in html
    assert "Amazon Athena" not in html


def test_the_dashboard_study_next_spans_sheet_quiz_and_lab(client):
    CheatSheetFactory(slug="dynamodb", title="Amazon DynamoDB", services=["DynamoDB"], category="databases")
    QuizFactory(slug="practice-databases", title="Practice: databases", mode="practice",
                filter_sheet_categories=["databases"])
    client.force_login(UserFactory())
    html = client.get(reverse("dashboard")).content.decode()
    card = html[html.index('id="focus-title"'):]
    assert "Study next: Amazon DynamoDB" in html and "Practice: databases" in card
    assert reverse("labs:detail", args=["fullstack"]) in card


def test_a_question_links_the_lab_step_that_builds_what_it_asks_about():
    def steps(services, labs=MODEL_LABS):
        return [(link.lab.slug, link.number, link.step.slug) for link in paths.lab_steps_for_services(services)
                if link.lab.slug in labs]

    # (at most two labs, the earliest in the catalog among those that match best)
    assert steps(["API Gateway", "Lambda"])[0] == ("fullstack", 3, "api")  # the first service counts most
    assert steps(["DynamoDB"])[0] == ("fullstack", 1, "table")
    assert steps(["Lambda"]) == [("fullstack", 2, "function"), ("video", 3, "function")]  # as good in both labs
    assert steps(["S3"]) == [("fullstack", 4, "website"), ("video", 1, "buckets")]
    assert steps(["Amazon Macie"]) == [] and steps([]) == []
    assert steps(["Cognito", "API Gateway"], {"securedapi"}) == [("securedapi", 1, "users")]
    assert steps(["AppSync"], {"securedapi"}) == [("securedapi", 5, "graphql")]
    assert steps(["SNS"], {"fanout"}) == [("fanout", 3, "topic")]
    assert steps(["EventBridge"], {"fanout"}) == [("fanout", 6, "cancellation")]


def test_the_explanation_after_answering_links_that_lab_step(client):
    from tests.factories import QuestionFactory

    question = QuestionFactory(services=["DynamoDB"], domains=["DVA-C02/development"])
    quiz = QuizFactory(mode="practice", time_limit_minutes=None, question_count=1)
    learner = UserFactory()
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get(user=learner)
    answer = attempt.answers.get(position=0)
    assert answer.question == question
    url = reverse("quizzes:practice", args=[attempt.pk, 1])
    link = reverse("labs:detail", args=["fullstack"]) + "#step-table"
    assert link not in client.get(url).content.decode()  # nothing before answering
    client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"option": [answer.option_order[0]]})
    html = client.get(url).content.decode()
    assert f'href="{link}"' in html and "A full-stack serverless web app, step 1: Create the DynamoDB table" in html
    assert 'id="step-table"' in client.get(reverse("labs:detail", args=["fullstack"])).content.decode()
