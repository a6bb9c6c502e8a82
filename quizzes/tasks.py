from django_tasks import task

from quizzes import services


@task()
def submit_expired_attempts() -> int:
    """Periodic: submit attempts whose deadline passed while nobody touched them."""
    return services.expired_attempts_submit()
