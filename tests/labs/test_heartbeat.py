"""A working run is never reaped (issue 16, item 4): the heartbeat keeps beating while a step
waits a long time without writing an event (a big transcode), so the reaper's "silent past
LABS_STALL_SECONDS" never mistakes it for a dead one."""

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from labs import services
from labs.catalog import get_lab
from labs.engine import owners, runner
from labs.engine.lab import CheckResult
from labs.models import LabRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("fullstack")


def test_the_heartbeat_beats_through_a_long_silent_wait(sandbox_url, settings):
    settings.LABS_STALL_SECONDS = 2
    seen = {}
    step = LAB.steps[0]

    def slow_check(ctx):
        time.sleep(3)  # longer than LABS_STALL_SECONDS, and no event written meanwhile
        run = LabRun.objects.get(pk=seen["run"])
        seen["silence"] = (timezone.now() - run.heartbeat_at).total_seconds()
        run.worker = "another-host:1"  # as a reaper on another machine sees it: only the heartbeat tells
        seen["gone"] = owners.owner_gone(run)
        return CheckResult.failed("slow check done")

    run = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.GUIDED, website_origin="http://testserver",
                                 explore_seconds=0)
    seen["run"] = run.pk
    services.lab_run_request(run=run, action=LabRun.Action.CHECK, step=step.slug)
    original = LAB.steps
    object.__setattr__(LAB, "steps", (replace(step, check=slow_check),) + original[1:])  # frozen: put back below
    try:
        runner.execute(run.pk)
    finally:
        object.__setattr__(LAB, "steps", original)
    assert seen["silence"] < 1.5 and seen["gone"] == "", seen


def test_a_run_silent_past_the_limit_with_no_beat_is_still_reaped(sandbox_url, settings):
    settings.LABS_STALL_SECONDS = 2
    run = services.lab_run_start(user=UserFactory(), lab=LAB, mode=LabRun.Mode.GUIDED, website_origin="http://testserver")
    LabRun.objects.filter(pk=run.pk).update(status=LabRun.Status.RUNNING, worker="another-host:1",
                                            heartbeat_at=timezone.now() - timedelta(seconds=5))
    assert "silent" in owners.owner_gone(LabRun.objects.get(pk=run.pk))
