from django_tasks import task

from quizzes import services


@task()
def submit_expired_attempts() -> int:
    """Periodic: submit attempts whose deadline passed while nobody touched them."""
    return services.expired_attempts_submit()


@task()
def refresh_statistics() -> None:
    """After an exam submission: recompute item and test statistics."""
    services.statistics_refresh()
