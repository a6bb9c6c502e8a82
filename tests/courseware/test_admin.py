"""Admin smoke test for every registered model, and the cheat sheet admin's own behaviour."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cheatsheets.models import CheatSheet
from tests.factories import CheatSheetFactory, SheetReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_registered_model_lists_and_opens(staff_client, model):
    SheetReviewFactory()
    opts = model._meta
    assert staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert staff_client.get(url).status_code == 200


def test_cheatsheet_changelist_filters(staff_client):
    CheatSheetFactory(category="storage")
    html = staff_client.get(reverse("admin:cheatsheets_cheatsheet_changelist")).content.decode()
    assert "By category" in html and "By last reviewed" in html


def test_saving_in_admin_marks_the_sheet_edited_and_renders_it(staff_client):
    sheet = CheatSheetFactory()
    url = reverse("admin:cheatsheets_cheatsheet_change", args=[sheet.pk])
    data = {
        "title": sheet.title, "slug": sheet.slug, "summary": sheet.summary, "category": sheet.category,
        "services": '["Lambda"]', "order": 1, "last_reviewed": "2026-11-26", "diagram": "",
        "body_markdown": "## New section\n\nEdited **here**.", "exam_tips": "[]",
        "sources": '[{"title": "Docs", "url": "https://docs.aws.amazon.com/"}]', "edited_in_admin": "",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    sheet.refresh_from_db()
    assert sheet.edited_in_admin
    assert "Edited <strong>here</strong>." in sheet.body_html


def test_admin_refuses_an_unsafe_source_url(staff_client):
    sheet = CheatSheetFactory()
    url = reverse("admin:cheatsheets_cheatsheet_change", args=[sheet.pk])
    response = staff_client.post(url, {
        "title": "t", "slug": sheet.slug, "summary": "s", "category": "compute", "services": "[]", "order": 1,
        "last_reviewed": "2026-11-26", "body_markdown": "x", "exam_tips": "[]",
        "sources": '[{"title": "x", "url": "javascript:alert(1)"}]',
    })
    assert response.status_code == 200
    assert "url must start with https://" in response.content.decode()
    assert CheatSheet.objects.get(pk=sheet.pk).title != "t"


def test_preview_renders_posted_markdown_sanitised_and_saves_nothing(staff_client):
    response = staff_client.post(reverse("admin:cheatsheets_cheatsheet_preview"),
                                 {"body_markdown": "## Hi\n\n<script>x()</script>**bold**"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html and "<script" not in html
    assert not CheatSheet.objects.exists()


def test_preview_is_for_staff_only(client, learner):
    client.force_login(learner)
    response = client.post(reverse("admin:cheatsheets_cheatsheet_preview"), {"body_markdown": "x"})
    assert response.status_code == 302


def test_preview_includes_exam_tips_and_reports_bad_ones(staff_client):
    url = reverse("admin:cheatsheets_cheatsheet_preview")
    html = staff_client.post(url, {"body_markdown": "## A\n\nx", "exam_tips": '[{"kind": "tip", "text": "Use **SQS**"}]'}).content.decode()
    assert "Use <strong>SQS</strong>" in html
    html = staff_client.post(url, {"body_markdown": "## A\n\nx", "exam_tips": '[{"kind": "nope"}'}).content.decode()
    assert "Exam tips not shown: not valid JSON" in html and '<h2 id="a">' in html
