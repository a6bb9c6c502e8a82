"""Search through the database's full-text index (FTS5 on SQLite, tsvector on PostgreSQL: CI runs
this file on both) over the shipped sheets: the cases issue 14 reported."""

import pytest
from django.db import connection

from cheatsheets import selectors
from cheatsheets.models import CheatSheet, SearchEntry
from cheatsheets.services import cheatsheets_sync
from tests.factories import CheatSheetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    cheatsheets_sync()


def slugs(query, **kwargs):
    return [hit.sheet.slug for hit in selectors.search_sheets(query, **kwargs).hits]


def test_a_misspelt_query_finds_lambda_first(shipped):
    result = selectors.search_sheets("lamda concurency")
    assert result.hits[0].sheet.slug == "lambda"
    assert result.corrected_query == "lambda concurrency"
    assert "concurrency" in result.hits[0].snippet_html.lower()


def test_a_service_name_ranks_its_own_sheet_above_the_overview(shipped):
    found = slugs("SQS")
    assert found[0] == "sqs"
    assert found.index("sqs") < found.index("serverless-overview")


def test_dlq_finds_the_dead_letter_sections_of_sqs_and_sns(shipped):
    hits = {hit.sheet.slug: hit for hit in selectors.search_sheets("dlq").hits}
    for slug in ("sqs", "sns"):
        sheet = CheatSheet.objects.get(slug=slug)
        section = next(section for section in sheet.sections if section["id"] == hits[slug].section_id)
        assert "dead-letter" in section["text"].lower(), (slug, section["id"])
        assert "<mark>dead-letter" in hits[slug].snippet_html.lower()


@pytest.mark.parametrize("query, slug", [
    ("esm", "lambda"),  # event source mapping
    ("acu", "aurora-serverless"),  # Aurora capacity units
    ("rcu", "dynamodb"),  # read capacity units
    ("visibility timeout", "sqs"),
    ("step functions express", "step-functions-standard-vs-express"),
])
def test_field_abbreviations_and_phrases(shipped, query, slug):
    assert slug in slugs(query)[:3]


def test_results_follow_the_typing(shipped):
    """Each prefix of "concurrency" finds Lambda: the last word is completed from the index."""
    for typed in ("conc", "concurr", "concurrenc"):
        assert "lambda" in slugs(f"lambda {typed}"), typed


def test_every_word_must_match(shipped):
    assert slugs("kubernetes") == []
    assert "sqs" not in slugs("sqs cognito user pool")


def test_the_index_follows_an_edit_and_a_deletion():
    sheet = CheatSheetFactory(title="Amazon Zebra", slug="zebra", body_markdown="## Stripes\n\nQuokka facts.\n")
    assert slugs("quokka") == ["zebra"]
    sheet.body_markdown = "## Stripes\n\nWombat facts.\n"
    sheet.save()
    assert slugs("quokka") == [] and slugs("wombat") == ["zebra"]
    sheet.delete()
    assert slugs("wombat") == [] and not SearchEntry.objects.exists()


def test_a_section_link_and_snippet_come_from_the_matching_section():
    CheatSheetFactory(title="Amazon SQS", slug="sqs",
                      body_markdown="## Key numbers\n\nThe visibility timeout defaults to 30 seconds.\n\n## Pricing\n\nPer request.\n")
    hit = selectors.search_sheets("visibility").hits[0]
    assert hit.section_id == "key-numbers" and "<mark>visibility</mark>" in hit.snippet_html


def test_the_query_is_answered_by_the_databases_full_text_index(shipped, django_assert_max_num_queries):
    """One query to the engine's own index (MATCH on SQLite, @@ on PostgreSQL), then the rows to show."""
    selectors.search_vocabulary()  # built once per content version, then cached
    with django_assert_max_num_queries(3) as queries:
        selectors.search_sheets("visibility timeout")
    index_sql = queries.captured_queries[0]["sql"]
    assert ("MATCH" in index_sql) if connection.vendor == "sqlite" else ("@@" in index_sql)
