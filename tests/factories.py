import datetime

import factory
from django.contrib.auth import get_user_model

from cheatsheets.models import Category, CheatSheet, SheetReview


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery")


class CheatSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheatSheet

    title = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    summary = "A service used in tests."
    category = Category.COMPUTE
    services = factory.LazyAttribute(lambda sheet: [sheet.title])
    order = factory.Sequence(lambda n: n)
    last_reviewed = datetime.date(2026, 11, 26)
    exam_tips = factory.LazyFunction(lambda: [{"kind": "tip", "text": "Remember the **limit**."}])
    sources = factory.LazyFunction(lambda: [{"title": "Docs", "url": "https://docs.aws.amazon.com/lambda/"}])
    body_markdown = "## At a glance\n\n- One idea.\n\n## Which service?\n\n**1. A question?**\n"


class SheetReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SheetReview

    user = factory.SubFactory(UserFactory)
    sheet = factory.SubFactory(CheatSheetFactory)


# ---------------------------------------------------------------- quizzes

from quizzes.models import Domain, Option, Question, Quiz  # noqa: E402


def domain(label="DVA-C02/development"):
    code, key = label.split("/")
    return Domain.objects.get(blueprint__code=code, key=key)


class QuestionFactory(factory.django.DjangoModelFactory):
    """A valid published question: 4 options (one right) or, with qtype="multiple", 5 (two right)."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"question-{n}")
    qtype = "single"
    stem = factory.LazyAttribute(
        lambda q: "A team needs a queue. Which service fits?" + (" (Choose two.)" if q.qtype == "multiple" else ""))
    explanation = "Because it fits the requirement and the constraint."
    difficulty = "medium"
    services = factory.LazyFunction(lambda: ["SQS"])
    sheet_links = factory.LazyFunction(lambda: ["sqs#key-numbers"])
    references = factory.LazyFunction(lambda: ["https://docs.aws.amazon.com/sqs/"])
    status = "published"

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        labels = extracted if extracted is not None else ["DVA-C02/development"]
        self.domains.set([domain(label) for label in labels])

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        count = extracted or (5 if self.qtype == "multiple" else 4)
        right = 2 if self.qtype == "multiple" else 1
        for index in range(count):
            Option.objects.create(question=self, text=f"Option {index + 1} of {self.key}", is_correct=index < right,
                                  explanation=f"Why option {index + 1} is {'right' if index < right else 'wrong'}.",
                                  order=index)


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    blueprint = factory.LazyFunction(lambda: domain().blueprint)
    mode = "exam"
    selection = "random"
    question_count = 10
    time_limit_minutes = 20


# Labs
from labs.models import LabRun, LedgerEntry, RunEvent, Sandbox  # noqa: E402


class SandboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sandbox

    user = factory.SubFactory(UserFactory)
    kind = Sandbox.Kind.LOCAL
    account_id = factory.Sequence(lambda n: f"{210000000000 + n}")
    region = "us-east-1"


class LabRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabRun

    user = factory.SubFactory(UserFactory)
    sandbox = factory.LazyAttribute(
        lambda run: Sandbox.objects.filter(user=run.user, kind=Sandbox.Kind.LOCAL).first() or SandboxFactory(user=run.user))
    lab_slug = "fullstack"
    mode = LabRun.Mode.GUIDED
    status = LabRun.Status.WAITING
    website_origin = "http://testserver"
    step_states = factory.LazyFunction(lambda: {"table": "pending", "function": "pending", "api": "pending", "website": "pending"})


class RunEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunEvent

    run = factory.SubFactory(LabRunFactory)
    kind = RunEvent.Kind.RUN
    message = "Something happened."


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    run = factory.SubFactory(LabRunFactory)
    kind = "dynamodb:table"
    name = factory.Sequence(lambda n: f"sa-test-items-{n}")
    physical_id = factory.SelfAttribute("name")
    region = "us-east-1"
    status = LedgerEntry.Status.CREATED
