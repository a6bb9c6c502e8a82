"""Background work for labs. Tasks take ids; the runner, the reaper and the guardrails do the work.
:func:`enqueue_run` is how anything hands a run to the worker."""

from django.db import transaction
from django_tasks import task

from labs.engine import reaper, runner
from labs.models import LabRun
from own_account import guardrails


def enqueue_run(run_id: int) -> None:
    """Run the run's pending action in the task worker, after the current transaction commits."""

    def send():
        result = execute_run.enqueue(run_id)
        LabRun.objects.filter(pk=run_id).update(task_id=str(result.id))

    transaction.on_commit(send)


@task()
def execute_run(run_id: int) -> str:
    """Perform a run's pending action (steps, verify, teardown) in the worker."""
    run = runner.execute(run_id)
    return run.status if run is not None else "not queued"


@task()
def reap_runs() -> list[int]:
    """Periodic (and at start-up): tear down runs whose worker died and runs left idle too long."""
    return reaper.reap(enqueue=enqueue_run)


@task()
def expire_runs() -> list[int]:
    """Periodic: tear down runs past their time-to-live (LABS_RUN_TTL_SECONDS), telling the learner why."""
    return guardrails.expire_runs(enqueue=enqueue_run)
