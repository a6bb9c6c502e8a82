"""The clickstream lab end to end on the real local sandbox: `manage.py lab run clickstream`
passes and leaves nothing; and a sandbox whose Athena has no SQL engine (MiniStack's mock rows)
fails the verify's queries instead of passing on placeholder data."""

import pytest
from django.core.management import call_command

from labs import aws
from labs import sandbox as local
from labs.catalog import get_lab
from labs.models import LabRun
from tests.labs.self_test import fresh_trial, inventory

pytestmark = pytest.mark.django_db(transaction=True)
LAB = get_lab("clickstream")


def test_the_cli_runs_the_clickstream_lab_to_a_clean_pass(sandbox_url, capsys, settings):
    settings.LABS_CLICKSTREAM_WAIT_SECONDS = 60
    call_command("lab", "run", "clickstream", "--user", "cs-cli-learner")
    out = capsys.readouterr().out
    assert "Passed, cleaned up" in out and "Ledger: 17 resource(s) recorded, 0 left." in out
    assert out.count("ok verify") >= len(LAB.verify)
    assert "top pages today matches the generated data exactly" in out
    # Every record was handled (the lab's proof, labs/catalog/clickstream/settled.py): no second look.
    assert "no second look needed" in out and "Looking again in" not in out
    run = LabRun.objects.get(user__username="cs-cli-learner")
    assert inventory(aws.target_for(run.sandbox)) == {}


def test_athena_without_a_sql_engine_is_refused_not_compared(monkeypatch, settings):
    """MiniStack answers every SELECT with a placeholder row when duckdb is missing (ATHENA_ENGINE=mock
    forces it): the verify must say so, not compare or accept it."""
    real_env = local.ministack_env
    monkeypatch.setattr(local, "ministack_env", lambda port: {**real_env(port), "ATHENA_ENGINE": "mock"})
    settings.LABS_CLICKSTREAM_WAIT_SECONDS = 60
    with local.LocalSandbox(local.free_port()) as sandbox:
        trial = fresh_trial(LAB, sandbox.url)
        try:
            for step in LAB.steps:
                trial.apply(step)
            results = trial.verify()
        finally:
            assert trial.teardown() == []
    assert results["counters"].ok and results["delivered"].ok  # the pipeline itself is real
    for slug in ("top-pages", "per-minute"):
        assert not results[slug].ok and "placeholder rows" in results[slug].message, results[slug].message
