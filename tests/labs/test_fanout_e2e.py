"""The fan-out lab end to end on the real local sandbox, as `manage.py lab run fanout --sandbox local`
runs it: every step built and checked, the six verify checks (20 orders, the filter policy, a
cancellation, a redelivery, a poison message reaching its DLQ after three receives), teardown, and
nothing of the run left in the emulated account."""

import pytest
from django.core.management import call_command

from labs.models import LabRun
from labs import aws
from tests.labs.conftest import leftovers
from tests.labs.self_test import inventory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_cli_runs_the_fanout_lab_to_a_clean_pass(sandbox_url, capsys):
    call_command("lab", "run", "fanout", "--sandbox", "local", "--user", "fanout-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out and " 0 left." in out
    for check in ("[orders]", "[billing]", "[shipping]", "[cancel]", "[redelivery]", "[poison]"):
        assert f"ok verify   {check}" in out, check
    assert "went to the DLQ after 3 receives" in out
    run = LabRun.objects.get(user__username="fanout-learner")
    assert run.outcome == LabRun.Outcome.PASSED and run.status == LabRun.Status.CLEANED
    target = aws.target_for(run.sandbox)
    assert leftovers(target, run.prefix) == {}
    assert inventory(target) == {}  # queues, topics, subscriptions, buses, rules, mappings included
