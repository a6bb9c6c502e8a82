"""One path from a sheet to its practice quiz to the lab that builds it, composed here in the
shell from each app's reads (the apps do not import each other). Services are matched by name
without the "Amazon "/"AWS " prefix the labs use ("Amazon API Gateway" is the sheets' "API Gateway")."""

from dataclasses import dataclass, field
from functools import cache, lru_cache

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
    best one, at most `limit`. The lab catalogue is code, so the answer for a list of services never
    changes while the process runs: it is worked out once (a results page asks 65 times)."""
    return list(_lab_steps(tuple(services), limit))


@lru_cache(maxsize=1024)
def _lab_steps(services: tuple[str, ...], limit: int) -> tuple[StepLink, ...]:
    wanted = [service_key(s) for s in services]
    weights = {key: len(wanted) - index for index, key in enumerate(wanted)}
    best = []
    for lab, steps in _step_keys():
        scored = [(sum(weights.get(key, 0) for key in keys), -number, step, number) for number, step, keys in steps]
        score, _, step, number = max(scored, key=lambda item: item[:2], default=(0, 0, None, 0))
        if score:
            best.append((score, -lab.order, StepLink(lab, number, step)))
    best.sort(key=lambda item: item[:2], reverse=True)
    return tuple(link for score, _, link in best[:limit] if score == best[0][0])


@cache
def _step_keys() -> tuple:
    """Each lab with its steps and the service keys each step builds."""
    return tuple((lab, [(number, step, [service_key(s) for s in lab.step_services(step)])
                        for number, step in enumerate(lab.steps, start=1)]) for lab in all_labs())


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
