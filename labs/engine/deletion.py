"""What every deleter answers: ``deleted``, ``gone`` (it was not there), or :class:`Pending`."""

from labs.aws import is_not_found

DELETED = "deleted"
GONE = "gone"


class Pending(Exception):
    """The resource cannot be deleted yet, and nothing is wrong: AWS must finish something first
    (a Lambda@Edge function's replicas, a distribution's disabling). Retry the teardown later."""


def _gone_if_missing(call, *args, **kwargs) -> str:
    try:
        call(*args, **kwargs)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return DELETED
