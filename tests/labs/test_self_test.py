"""Grader self-tests, generic over labs/catalog/*/: a lab's checks are code that can be wrong, so
for every lab, against the real local sandbox (MiniStack), in a fresh emulated account:

- every step's check fails, with a message that says what to build (0 of N pass);
- after each step's apply its check passes (N of N), and the verify passes end to end;
- applying every step again creates nothing twice (the ledger is the same);
- after teardown every check fails again and an inventory of the whole account finds nothing;
- each mistake the lab declares (``Lab.sabotage``) makes the check it names fail with its message.

A new lab gets all of this by declaring its steps and its sabotage cases."""

import pytest

from labs.catalog import all_labs
from labs.catalog.video import ffmpeg as video_ffmpeg
from tests.labs.self_test import fresh_trial, inventory
from tests.labs.test_video_function import CLIPS

LABS = all_labs()
CASES = [(lab, case) for lab in LABS for case in lab.sabotage]


@pytest.fixture
def lab_settings(settings, sandbox_url, monkeypatch):
    settings.LABS_VIDEO_CLIP_SECONDS = 2
    settings.LABS_VIDEO_WAIT_SECONDS = 60
    real = video_ffmpeg.sample_clip
    monkeypatch.setattr(video_ffmpeg, "sample_clip", lambda spec, folder=None: real(spec, folder or CLIPS))
    return sandbox_url


def built_in_account(lab):
    return [step for step in lab.steps if not step.local_precondition]


def assert_all_fail(trial, when: str) -> None:
    results = trial.checks()
    passing = [slug for slug, result in results.items()
               if result.ok and not trial.lab.step(slug).local_precondition]
    assert not passing, f"{trial.lab.slug} {when}: these checks pass with nothing built: {passing}"
    for step in built_in_account(trial.lab):
        message = results[step.slug].message
        # Actionable: it names the missing resource (under the run's prefix) or the step to do first.
        assert trial.ctx.name.prefix in message or "step" in message, f"{step.slug}: {message!r}"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.slug)
def test_self_test_the_grader_fails_before_passes_after_and_leaves_nothing(lab, lab_settings):
    trial = fresh_trial(lab, lab_settings)
    assert inventory(trial.target) == {}
    assert_all_fail(trial, "in a fresh account")

    for index, step in enumerate(lab.steps):
        trial.apply(step)
        result = trial.check(step)
        assert result.ok, f"{lab.slug}: step {index + 1} ({step.slug}) applied, but its check says: {result.message}"
        later = [s for s in lab.steps[index + 1:] if not s.local_precondition]
        for other in later:  # a later step's check still fails: it grades its own step, not the earlier ones
            assert not trial.check(other).ok, f"{lab.slug}: {other.slug} passes before it is built"
    results = trial.checks()
    assert all(result.ok for result in results.values()), {s: r.message for s, r in results.items() if not r.ok}
    verified = trial.verify()
    assert all(result.ok for result in verified.values()), {s: r.message for s, r in verified.items() if not r.ok}

    ledger = trial.ledger()
    for step in lab.steps:
        trial.apply(step)
    assert trial.ledger() == ledger, "applying every step again created something twice"
    assert all(result.ok for result in trial.checks().values())

    assert trial.teardown() == []
    assert_all_fail(trial, "after teardown")
    assert inventory(trial.target) == {}


@pytest.mark.parametrize(("lab", "case"), CASES, ids=[f"{lab.slug}-{case.slug}" for lab, case in CASES])
def test_self_test_each_declared_mistake_fails_the_right_check_with_the_right_message(lab, case, lab_settings,
                                                                                     settings):
    settings.LABS_VIDEO_WAIT_SECONDS = 8  # a mistake that stops the pipeline is seen within a few seconds
    trial = fresh_trial(lab, lab_settings)
    steps = lab.steps if not case.after else lab.steps[:[s.slug for s in lab.steps].index(case.after) + 1]
    for step in steps:
        trial.apply(step)
        assert trial.check(step).ok
    try:
        case.breaks(trial.ctx)
        verify_until = [where.split(":", 1)[1] for where, _ in case.fails if where.startswith("verify:")]
        verified = trial.verify(until=verify_until[-1]) if verify_until else {}
        for where, says in case.fails:
            if where.startswith("verify:"):
                result = verified[where.split(":", 1)[1]]
            else:
                result = trial.check(lab.step(where))
            assert not result.ok, f"{case.description}: {where} still passes ({result.message})"
            assert says in result.message, f"{case.description}: {where} says {result.message!r}"
        others = [s for s in steps if s.slug not in {where for where, _ in case.fails}]
        for step in others:  # only the check that should fail fails
            assert trial.check(step).ok, f"{case.description}: {step.slug} fails too: {trial.check(step).message}"
    finally:
        assert trial.teardown() == []
    assert inventory(trial.target) == {}


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.slug)
def test_self_test_every_lab_declares_mistakes_for_its_grader(lab):
    assert len(lab.sabotage) >= 3, f"{lab.slug} declares {len(lab.sabotage)} sabotage cases"
    step_slugs = {step.slug for step in lab.steps}
    verify_slugs = {check.slug for check in lab.verify}
    for case in lab.sabotage:
        for where, says in case.fails:
            assert where in step_slugs or (where.startswith("verify:") and where[7:] in verify_slugs), where
            assert says
