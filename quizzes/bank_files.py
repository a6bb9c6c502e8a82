"""Reading the shipped bank from its files, without the database: for the bank linter, the
statistics command and the forms generator."""

from pathlib import Path

from quizzes import bank_format
from quizzes.blueprints import BLUEPRINTS

FORMS_FILE = "forms.yaml"


def known_domain_labels() -> set[str]:
    return {f"{code}/{key}" for (code, _), domains in BLUEPRINTS.items() for key, _, _ in domains}


OVERVIEW_SLUG = "serverless-overview"  # its services are the course's: each has its own sheet


def sheet_anchors(content_dir: Path) -> tuple[dict[str, set[str]], set[str]]:
    """(slug -> section anchors, the course's services as the overview sheet lists them)."""
    from cheatsheets.rendering import render_sheet
    from cheatsheets.sync import parse_directory

    anchors, services = {}, set()
    for sheet in parse_directory(content_dir):
        rendered = render_sheet(sheet.fields["body_markdown"], sheet.fields["exam_tips"])
        anchors[sheet.fields["slug"]] = {s["id"] for s in rendered.sections if s["id"]}
        if sheet.fields["slug"] == OVERVIEW_SLUG:
            services = set(sheet.fields["services"])
    return anchors, services


def read_bank(bank_dir: Path, known_sheets: dict[str, set[str]] | None = None) -> list[dict]:
    """Every question of every bank file (quiz definition files are skipped); BankError on problems."""
    questions, problems = [], []
    for path in sorted(Path(bank_dir).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = bank_format.load_yaml(text) or {}
        if not isinstance(data, dict) or "questions" not in data:
            continue
        try:
            questions += bank_format.parse(text, source=path.name, known_domains=known_domain_labels(),
                                           known_sheets=known_sheets)
        except bank_format.BankError as error:
            problems += error.problems
    if problems:
        raise bank_format.BankError(problems)
    return questions
