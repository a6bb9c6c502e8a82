"""A bounded sample of `manage.py lab chaos` for every lab in the catalog, on the real local
sandbox (issue 16): one AWS call failing at the first, the middle and a late position of an
automatic run. Each run must end with nothing of it left in the account, and never say "cleaned"
while something is. The full sweep (every position, and the worker killed after every event) is
`manage.py lab chaos <slug> --kills all`, documented in the README."""

import pytest

from labs import chaos
from labs.catalog import all_labs
from labs.models import LabRun
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def quick(settings, sandbox_url):
    settings.LABS_VIDEO_CLIP_SECONDS = 1
    settings.LABS_VIDEO_WAIT_SECONDS = 30
    settings.LABS_TEARDOWN_GRACE_SECONDS = 1.5


@pytest.mark.parametrize("lab", all_labs(), ids=lambda lab: lab.slug)
def test_one_failing_aws_call_at_a_sample_of_positions_leaks_nothing(quick, lab):
    user = UserFactory()
    baseline, calls = chaos.fail_at(lab, user, 0)
    assert baseline.status == LabRun.Status.CLEANED and not baseline.leaked, baseline
    # Polls make the count vary a little from run to run: the sample stays short of the last call.
    for n in sorted({1, calls // 2, calls * 4 // 5}):
        trial, _ = chaos.fail_at(lab, user, n)
        assert trial.what, f"call {n} was never made"
        assert not trial.leaked and not trial.untrue, trial


def test_the_fault_hook_fails_exactly_the_nth_call():
    hook = chaos.FailNth(2)
    assert hook("s3", "CreateBucket") is None
    http, parsed = hook("lambda", "CreateFunction")
    assert http.status_code == 500 and parsed["Error"]["Code"] == "InternalError"
    assert hook.fired == "lambda CreateFunction" and hook("s3", "PutObject") is None


def test_positions_and_kills_take_ranges_and_resume_points():
    """`--positions 157-` resumes a sweep at call 157; `--kills 3-5,9` kills after those events."""
    assert chaos.parse_positions("") is None  # every call
    assert chaos.parse_positions("none")(40) == []
    assert chaos.parse_positions("157-")(160) == [157, 158, 159, 160]
    assert chaos.parse_positions("3-5, 9")(100) == [3, 4, 5, 9]
    for wrong in ("a-", "0", "-4", "3-x"):
        with pytest.raises(ValueError):
            chaos.parse_positions(wrong)
