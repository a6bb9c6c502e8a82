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


@dataclass(frozen=True)
class StepLink:
    lab: object
    number: int
    step: object


def lab_steps_for_services(services, limit: int = 2) -> list[StepLink]:
    """The lab steps that build what a question asks about: in each lab, the step whose services best
    match the question's (its first service counts most); the labs whose step matches as well as the
    best one, at most `limit`."""
    wanted = [service_key(s) for s in services]
    weights = {key: len(wanted) - index for index, key in enumerate(wanted)}
    best = []
    for lab in all_labs():
        scored = [(sum(weights.get(service_key(s), 0) for s in lab.step_services(step)), -number, step, number)
                  for number, step in enumerate(lab.steps, start=1)]
        score, _, step, number = max(scored, key=lambda item: item[:2], default=(0, 0, None, 0))
        if score:
            best.append((score, -lab.order, StepLink(lab, number, step)))
    best.sort(key=lambda item: item[:2], reverse=True)
    return [link for score, _, link in best[:limit] if score == best[0][0]]


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
