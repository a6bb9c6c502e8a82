"""The shipped cheat sheets: complete, in the agreed shape, and citing AWS documentation."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from cheatsheets import rendering
from cheatsheets.sync import parse_directory

SERVICE_SHEETS = {
    "lambda", "lambda-at-edge", "fargate", "s3", "efs", "dynamodb", "aurora-serverless", "rds-proxy",
    "api-gateway", "step-functions", "sns", "sqs", "eventbridge", "kinesis", "athena", "cognito", "sam", "appsync",
}
COMPARISONS = {
    "sqs-vs-sns-vs-kinesis", "dynamodb-vs-aurora-serverless", "lambda-vs-fargate", "step-functions-standard-vs-express",
}
USE_CASES = {"usecase-fullstack-web-app", "usecase-video-processing"}
REQUIRED = SERVICE_SHEETS | COMPARISONS | USE_CASES | {"serverless-overview"}

SHEETS = {sheet.fields["slug"]: sheet for sheet in parse_directory(settings.CHEATSHEET_CONTENT_DIR)}


def headings(sheet):
    return re.findall(r"^## (.+)$", sheet.fields["body_markdown"], re.M)


def test_every_required_sheet_ships():
    assert REQUIRED <= set(SHEETS), f"missing: {sorted(REQUIRED - set(SHEETS))}"


@pytest.mark.parametrize("slug", sorted(SERVICE_SHEETS))
def test_service_sheet_has_every_section(slug):
    found = headings(SHEETS[slug])
    for section in ("At a glance", "Key numbers", "Pricing model", "How it connects", "Which service?"):
        assert section in found, f"{slug} lacks '## {section}'"
    assert any(h.startswith("When to use") for h in found) and any("not" in h for h in found if h.startswith("When"))


@pytest.mark.parametrize("slug", sorted(COMPARISONS))
def test_comparison_sheet_has_its_sections(slug):
    found = headings(SHEETS[slug])
    for section in ("At a glance", "Side by side", "Decision guide", "Which service?"):
        assert section in found, f"{slug} lacks '## {section}'"


@pytest.mark.parametrize("slug", sorted(USE_CASES))
def test_use_case_sheet_has_a_diagram_that_ships(slug):
    diagram = SHEETS[slug].fields["diagram"]
    assert diagram and finders.find(diagram), f"{slug}: diagram {diagram!r} not found in static files"
    assert "Architecture" in headings(SHEETS[slug])


@pytest.mark.parametrize("slug", sorted(REQUIRED))
def test_three_which_service_prompts_with_hidden_answers(slug):
    body = SHEETS[slug].fields["body_markdown"]
    which = body[body.index("## Which service?"):]
    assert len(re.findall(r'^\?\?\? success "Answer"', which, re.M)) == 3


@pytest.mark.parametrize("slug", sorted(REQUIRED))
def test_sources_are_aws_documentation(slug):
    sources = SHEETS[slug].fields["sources"]
    assert sources
    for source in sources:
        assert re.match(r"https://(docs\.aws\.amazon\.com|aws\.amazon\.com)/", source["url"]), source["url"]


@pytest.mark.parametrize("slug", sorted(SERVICE_SHEETS))
def test_key_numbers_rows_each_link_their_source(slug):
    body = SHEETS[slug].fields["body_markdown"]
    section = body.split("## Key numbers", 1)[1].split("\n## ", 1)[0]
    first_table = re.search(r"(?:^\|.*\n?)+", section, re.M).group(0)
    rows = [line for line in first_table.splitlines() if not re.match(r"^\|\s*:?-", line)][1:]
    assert len(rows) >= 4, f"{slug}: fewer than four key numbers"
    for row in rows:
        assert "](https://" in row, f"{slug}: key number without a source link: {row}"


@pytest.mark.parametrize("slug", sorted(REQUIRED))
def test_exam_tips_present(slug):
    assert 3 <= len(SHEETS[slug].fields["exam_tips"]) <= 6


@pytest.mark.parametrize("slug", sorted(REQUIRED))
def test_sheet_renders_without_losing_content_to_the_sanitiser(slug):
    fields = SHEETS[slug].fields
    out = rendering.render_sheet(fields["body_markdown"], fields["exam_tips"])
    assert "&lt;" not in out.html.replace("&lt;=", "").replace("&lt; ", "")  # no raw HTML escaped into view
    assert '<h2 id="which-service">' in out.html
