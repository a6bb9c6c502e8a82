"""Load the shipped cheat sheets from ``cheatsheets/content/*.md`` into the database.

The rule for instructors' edits: saving a sheet in the admin marks it ``edited_in_admin``.
A sync never overwrites such a sheet; it reports it as "kept" instead. To take the file's
version again, run ``sync_content --force`` (every sheet) or use the admin action
"Discard admin edits and reload from file" (chosen sheets). A sheet created in the admin
whose slug a file later uses is kept the same way.

Parsing is pure and collects every problem in every file before anything is written; the
writes happen in one transaction, so a bad file leaves the database as it was.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from courseware.content import SyncReport

from cheatsheets import rendering
from cheatsheets.models import Category, CheatSheet

REQUIRED_KEYS = ("title", "slug", "summary", "category", "services", "order", "last_reviewed", "exam_tips", "sources")
OPTIONAL_KEYS = ("diagram",)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DIAGRAM = re.compile(r"^[a-z0-9_\-/]+\.svg$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n(.*)\Z", re.S)


class ContentError(Exception):
    """One or more content files are invalid; the message names each file and problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class SheetFile:
    path: Path
    digest: str
    fields: dict


def _problem(path: Path, message: str) -> str:
    return f"{path.name}: {message}"


def _check_fields(data: dict) -> list[str]:
    """Problems with the front matter of one file, as plain sentences."""
    problems = []
    missing = [key for key in REQUIRED_KEYS if data.get(key) in (None, "", [])]
    problems += [f"missing required field '{key}'" for key in missing]
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    problems += [f"unknown field '{key}' (allowed: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)})" for key in unknown]

    for key in ("title", "summary"):
        if key not in missing and not isinstance(data[key], str):
            problems.append(f"'{key}' must be text")
    if "slug" not in missing and not (isinstance(data["slug"], str) and SLUG.match(data["slug"])):
        problems.append(f"slug {data['slug']!r} must be lowercase letters, digits and hyphens")
    if "category" not in missing and data["category"] not in Category.values:
        problems.append(f"unknown category {data['category']!r} (allowed: {', '.join(Category.values)})")
    if "services" not in missing and not (
        isinstance(data["services"], list) and all(isinstance(s, str) and s for s in data["services"])
    ):
        problems.append("'services' must be a list of service names")
    if "order" not in missing and (not isinstance(data["order"], int) or isinstance(data["order"], bool) or data["order"] < 0):
        problems.append("'order' must be a whole number, 0 or more")
    if "last_reviewed" not in missing and not isinstance(data["last_reviewed"], datetime.date):
        problems.append(f"'last_reviewed' must be a date like 2026-11-26 (got {data['last_reviewed']!r})")
    if "exam_tips" not in missing:
        problems += _check_tips(data["exam_tips"])
    if "sources" not in missing:
        problems += _check_sources(data["sources"])
    if data.get("diagram") is not None and not (
        isinstance(data["diagram"], str) and DIAGRAM.match(data["diagram"]) and ".." not in data["diagram"]
    ):
        problems.append(f"'diagram' must be a static path to an .svg file (got {data['diagram']!r})")
    return problems


def _check_tips(tips) -> list[str]:
    if not isinstance(tips, list):
        return ["'exam_tips' must be a list"]
    problems = []
    for position, tip in enumerate(tips, start=1):
        if not (isinstance(tip, dict) and len(tip) == 1 and next(iter(tip)) in ("tip", "watch_out")):
            problems.append(f"exam tip {position} must have exactly one key, 'tip' or 'watch_out'")
        elif not isinstance(next(iter(tip.values())), str) or not next(iter(tip.values())).strip():
            problems.append(f"exam tip {position} has no text")
    return problems


def _check_sources(sources) -> list[str]:
    if not isinstance(sources, list):
        return ["'sources' must be a list of {title, url}"]
    problems = []
    for position, source in enumerate(sources, start=1):
        if not (isinstance(source, dict) and set(source) == {"title", "url"}):
            problems.append(f"source {position} must have exactly 'title' and 'url'")
        elif not (isinstance(source["url"], str) and source["url"].startswith("https://")):
            problems.append(f"source {position} url must start with https:// (got {source['url']!r})")
    return problems


def parse_file(path: Path) -> tuple[SheetFile | None, list[str]]:
    """Parse one file; returns the sheet or the list of problems found in it."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [_problem(path, f"not UTF-8 text ({error.reason} at byte {error.start})")]
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return None, [_problem(path, "no YAML front matter: the file must start with a '---' line and close it with another")]
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        return None, [_problem(path, f"invalid YAML in front matter{where}: {reason}")]
    if not isinstance(data, dict):
        return None, [_problem(path, "front matter must be a mapping of field: value")]
    problems = [_problem(path, message) for message in _check_fields(data)]
    body = match.group(2).strip()
    if not body:
        problems.append(_problem(path, "the body after the front matter is empty"))
    if problems:
        return None, problems
    fields = {
        "title": data["title"].strip(),
        "slug": data["slug"],
        "summary": data["summary"].strip(),
        "category": data["category"],
        "services": data["services"],
        "order": data["order"],
        "last_reviewed": data["last_reviewed"],
        "diagram": data.get("diagram") or "",
        "exam_tips": [{"kind": kind, "text": text.strip()} for tip in data["exam_tips"] for kind, text in tip.items()],
        "sources": [{"title": str(s["title"]).strip(), "url": s["url"]} for s in data["sources"]],
        "body_markdown": body + "\n",
    }
    dropped = rendering.render_sheet(fields["body_markdown"], fields["exam_tips"]).dropped
    if dropped:
        return None, [_problem(path, f"the sanitiser removes content starting at “{dropped}”: a tag it does not allow "
                                     "(<script>, <style>, <svg>, <math>, <iframe>...) or one left unclosed; write it "
                                     "in Markdown or close the tag")]
    # The renderer's version is part of the digest: a new renderer counts as a changed file.
    digest = hashlib.sha256(raw + f"\nrenderer:{rendering.RENDERER_VERSION}".encode()).hexdigest()
    return SheetFile(path=path, digest=digest, fields=fields), []


def parse_directory(directory: Path) -> list[SheetFile]:
    """Parse every ``*.md`` file; raise ContentError naming each bad file and problem."""
    if not directory.is_dir():
        raise ContentError([f"{directory}: content directory not found"])
    sheets, problems, seen = [], [], {}
    for path in sorted(directory.glob("*.md")):
        sheet, file_problems = parse_file(path)
        problems += file_problems
        if sheet is None:
            continue
        slug = sheet.fields["slug"]
        if slug in seen:
            problems.append(_problem(path, f"duplicate slug '{slug}' (also used by {seen[slug].name})"))
            continue
        seen[slug] = path
        sheets.append(sheet)
    if problems:
        raise ContentError(problems)
    return sheets


def sync_directory(directory: Path, *, force: bool | set[str] = False) -> SyncReport:
    """Create or update a row per file, atomically. ``force`` overrides admin edits
    (all of them with True, or only the given slugs)."""
    sheets = parse_directory(directory)
    report = SyncReport("Cheat sheets")
    existing = {sheet.slug: sheet for sheet in CheatSheet.objects.all()}
    problems = []
    with transaction.atomic():
        for sheet_file in sheets:
            slug = sheet_file.fields["slug"]
            row = existing.get(slug)
            forced = force is True or (isinstance(force, set) and slug in force)
            if row is not None and row.edited_in_admin and not forced:
                report.kept.append(slug)
                continue
            if row is not None and row.source_hash == sheet_file.digest and not row.edited_in_admin:
                report.unchanged.append(slug)
                continue
            row = row or CheatSheet()
            for name, value in sheet_file.fields.items():
                setattr(row, name, value)
            row.source_path = sheet_file.path.name
            row.source_hash = sheet_file.digest
            row.edited_in_admin = False
            try:
                row.full_clean()
            except ValidationError as error:
                problems += [_problem(sheet_file.path, f"{name}: {' '.join(msgs)}") for name, msgs in error.message_dict.items()]
                continue
            (report.updated if row.pk else report.created).append(slug)
            row.save()
        if problems:
            raise ContentError(problems)  # rolls back the transaction
    return report
