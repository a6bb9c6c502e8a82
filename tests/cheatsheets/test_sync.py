"""`sync_content` loads content files: idempotent, atomic, clear errors, admin edits kept."""

import textwrap
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cheatsheets.models import CheatSheet
from cheatsheets.sync import ContentError, sync_directory

VALID = textwrap.dedent("""\
    ---
    title: Amazon SQS
    slug: {slug}
    summary: A queue.
    category: integration-analytics
    services: [SQS]
    order: 20
    last_reviewed: 2026-11-26
    exam_tips:
      - tip: "Use a DLQ."
      - watch_out: "Visibility timeout."
    sources:
      - title: SQS quotas
        url: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
    ---

    ## At a glance

    - A queue.

    ## Which service?

    **1. Which?**
    """)


def write(directory, name, text):
    path = directory / name
    path.write_text(text)
    return path


@pytest.fixture
def content(tmp_path, settings):
    settings.CHEATSHEET_CONTENT_DIR = tmp_path
    settings.QUIZ_BANK_DIR = tmp_path / "no-bank"  # these tests are about sheets only
    write(tmp_path, "sqs.md", VALID.format(slug="sqs"))
    write(tmp_path, "sns.md", VALID.format(slug="sns").replace("Amazon SQS", "Amazon SNS"))
    return tmp_path


def run_sync(*args):
    out = StringIO()
    call_command("sync_content", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_first_sync_creates_and_renders_each_sheet(content):
    assert "2 created, 0 updated, 0 unchanged (2 changed)" in run_sync()
    sheet = CheatSheet.objects.get(slug="sqs")
    assert sheet.title == "Amazon SQS"
    assert sheet.exam_tips == [{"kind": "tip", "text": "Use a DLQ."}, {"kind": "watch_out", "text": "Visibility timeout."}]
    assert '<h2 id="exam-tips">' in sheet.body_html
    assert sheet.source_path == "sqs.md" and len(sheet.source_hash) == 64


@pytest.mark.django_db
def test_second_sync_changes_nothing(content):
    run_sync()
    before = {s.slug: s.updated_at for s in CheatSheet.objects.all()}
    assert "0 created, 0 updated, 2 unchanged (0 changed)" in run_sync()
    assert before == {s.slug: s.updated_at for s in CheatSheet.objects.all()}


@pytest.mark.django_db
def test_a_new_renderer_renders_unchanged_files_again(content, monkeypatch):
    """Pages never render Markdown: when the renderer changes (a new class on code blocks), the
    next sync must re-render every sheet."""
    from cheatsheets import rendering

    run_sync()
    monkeypatch.setattr(rendering, "RENDERER_VERSION", rendering.RENDERER_VERSION + 1)
    assert "0 created, 2 updated, 0 unchanged (2 changed)" in run_sync()


@pytest.mark.django_db
def test_edited_file_updates_its_row(content):
    run_sync()
    write(content, "sqs.md", VALID.format(slug="sqs").replace("A queue.", "A managed queue."))
    assert "0 created, 1 updated, 1 unchanged" in run_sync()
    assert CheatSheet.objects.get(slug="sqs").summary == "A managed queue."


BAD_FILES = {
    "bad yaml": ("title: [unclosed", "invalid YAML in front matter at line"),
    "missing title": ("title: Amazon SQS\n", "missing required field 'title'"),
    "unknown category": ("category: integration-analytics", "unknown category 'queues'"),
    "no front matter": ("---\ntitle", "no YAML front matter"),
    "http source": ("url: https://docs", "url must start with https://"),
    "bad tip": ("  - tip: \"Use a DLQ.\"", "exam tip 1 must have exactly one key"),
    "bad date": ("last_reviewed: 2026-11-26", "'last_reviewed' must be a date"),
    "unknown field": ("order: 20", "unknown field 'colour'"),
}
REPLACEMENTS = {
    "bad yaml": ("title: Amazon SQS", "title: [unclosed"),
    "missing title": ("title: Amazon SQS\n", ""),
    "unknown category": ("category: integration-analytics", "category: queues"),
    "no front matter": ("---\ntitle", "title"),
    "http source": ("url: https://docs", "url: http://docs"),
    "bad tip": ("  - tip: \"Use a DLQ.\"", "  - tip: \"Use a DLQ.\"\n    extra: 1"),
    "bad date": ("last_reviewed: 2026-11-26", "last_reviewed: soon"),
    "unknown field": ("order: 20", "order: 20\ncolour: blue"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_fails_naming_file_and_problem_and_imports_nothing(content, kind):
    old, new = REPLACEMENTS[kind]
    write(content, "broken.md", VALID.format(slug="broken").replace(old, new, 1))
    with pytest.raises(CommandError) as error:
        run_sync()
    message = str(error.value)
    assert "Nothing was imported" in message
    assert "broken.md: " in message
    assert BAD_FILES[kind][1] in message
    assert CheatSheet.objects.count() == 0  # the two good files were not imported either


@pytest.mark.django_db
def test_duplicate_slug_names_both_files(content):
    write(content, "sqs-copy.md", VALID.format(slug="sqs"))
    with pytest.raises(ContentError) as error:
        sync_directory(content)
    assert "sqs.md: duplicate slug 'sqs' (also used by sqs-copy.md)" in str(error.value)
    assert CheatSheet.objects.count() == 0


@pytest.mark.django_db
def test_every_problem_in_every_file_is_reported_at_once(content):
    write(content, "a.md", VALID.format(slug="a").replace("category: integration-analytics", "category: nope"))
    write(content, "b.md", VALID.format(slug="b").replace("title: Amazon SQS\n", ""))
    with pytest.raises(ContentError) as error:
        sync_directory(content)
    assert len(error.value.problems) == 2


@pytest.mark.django_db
def test_bad_file_leaves_previous_content_untouched(content):
    run_sync()
    write(content, "sqs.md", VALID.format(slug="sqs").replace("A queue.", "Changed."))
    write(content, "broken.md", "---\ntitle: [\n---\nbody\n")
    with pytest.raises(CommandError):
        run_sync()
    assert CheatSheet.objects.get(slug="sqs").summary == "A queue."


@pytest.mark.django_db
def test_admin_edit_is_kept_and_reported(content):
    run_sync()
    sheet = CheatSheet.objects.get(slug="sqs")
    sheet.summary = "Instructor's wording."
    sheet.edited_in_admin = True
    sheet.save()
    write(content, "sqs.md", VALID.format(slug="sqs").replace("A queue.", "File wording."))
    output = run_sync()
    assert "1 kept because edited in the admin: sqs" in output
    assert CheatSheet.objects.get(slug="sqs").summary == "Instructor's wording."


@pytest.mark.django_db
def test_force_takes_the_file_again_and_clears_the_flag(content):
    run_sync()
    CheatSheet.objects.filter(slug="sqs").update(summary="Instructor's wording.", edited_in_admin=True)
    assert "1 updated" in run_sync("--force")
    sheet = CheatSheet.objects.get(slug="sqs")
    assert sheet.summary == "A queue." and not sheet.edited_in_admin


@pytest.mark.django_db
def test_force_for_chosen_slugs_only(content):
    run_sync()
    CheatSheet.objects.update(summary="Edited.", edited_in_admin=True)
    report = sync_directory(content, force={"sns"})
    assert report.updated == ["sns"] and report.kept == ["sqs"]


@pytest.mark.django_db
def test_shipped_content_syncs_cleanly():
    """The sheets in cheatsheets/content/ all load, and a second run changes nothing."""
    first = run_sync()
    assert "0 updated" in first and CheatSheet.objects.count() >= 23
    assert "(0 changed)" in run_sync()


@pytest.mark.django_db
@pytest.mark.parametrize("tag", ["<math><mi>x</mi>", "A diagram: <svg> here", "<style>p { color: red }"])
def test_an_unclosed_tag_that_would_swallow_the_sheet_fails_the_sync(content, tag):
    """Issue 15: an unclosed <math>, <svg> or <style> deleted the rest of the sheet silently."""
    body = VALID.format(slug="broken").replace("- A queue.", f"- A queue.\n\n{tag}\n\nEverything after this line matters.")
    write(content, "broken.md", body)
    with pytest.raises(CommandError) as error:
        run_sync()
    message = str(error.value)
    assert "broken.md: the sanitiser removes content starting at" in message
    assert "Everything after this line matters" in message or "here Everything" in message or "p color" in message
    assert CheatSheet.objects.count() == 0
