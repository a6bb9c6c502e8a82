"""One path from a sheet to its practice quiz to the lab that builds it, composed here in the
shell from each app's reads (the apps do not import each other). Services are matched by name
without the "Amazon "/"AWS " prefix the labs use ("Amazon API Gateway" is the sheets' "API Gateway")."""

from dataclasses import dataclass, field

from cheatsheets.models import CheatSheet
from labs.catalog import all_labs
from quizzes import selectors as quiz_selectors


def service_key(name: str) -> str:
    for prefix in ("Amazon ", "AWS "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.strip().lower()


def labs_for_services(services) -> list:
    wanted = {service_key(s) for s in services}
    return [lab for lab in all_labs() if wanted & {service_key(s) for s in lab.services}]


def sheets_for_services(services) -> list:
    wanted = {service_key(s) for s in services}
    return [sheet for sheet in CheatSheet.objects.listing()
            if sheet.category != "overview" and wanted & {service_key(s) for s in sheet.services}]


@dataclass
class Path:
    practice: quiz_selectors.PracticeOffer | None
    labs: list = field(default_factory=list)
    sheets: list = field(default_factory=list)


def for_sheet(sheet: CheatSheet, user) -> Path:
    return Path(practice=quiz_selectors.practice_for_categories([sheet.category], user),
                labs=labs_for_services(sheet.services))


def for_lab(lab, user) -> Path:
    sheets = sheets_for_services(lab.services)
    return Path(practice=quiz_selectors.practice_for_categories({s.category for s in sheets}, user), sheets=sheets)
