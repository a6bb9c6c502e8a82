"""Background work for labs. Tasks take ids; the runner does the work."""

from django_tasks import task

from labs import runner


@task()
def execute_run(run_id: int) -> str:
    """Perform a run's pending action (steps, verify, teardown) in the worker."""
    run = runner.execute(run_id)
    return run.status if run is not None else "not queued"


@task()
def reap_runs() -> list[int]:
    """Periodic (and at start-up): tear down runs whose worker died and runs left idle too long."""
    return runner.reap()


@task()
def expire_runs() -> list[int]:
    """Periodic: tear down runs past their time-to-live (LABS_RUN_TTL_SECONDS), telling the learner why."""
    from labs import guardrails

    return guardrails.expire_runs()
