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
