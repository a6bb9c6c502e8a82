"""Before teardown deletes anything: stop what can invoke the run's functions, and wait (bounded)
for the invocations already in flight to end. Otherwise an invocation still running, or one the
service retries after the function is gone (MiniStack's async retry; the same race in AWS), writes
its log lines after teardown and brings the function's log group back."""

import re
import time

from django.conf import settings

from labs.aws import is_not_found, log_events
from labs.models import RunEvent

NOTE_EVERY = 2.0
_REQUEST = re.compile(r"^(START|END|REPORT) RequestId: ([0-9a-fA-F-]+)")


# What can invoke a run's functions after the engine stops waiting: their invocations may still be
# running (or be retried) when teardown starts. Everything else the labs build invokes synchronously
# (API Gateway, AppSync, CloudFront, the engine's own Invoke calls), and is done when the verify is.
ASYNC_KINDS = {"lambda:event-source-mapping", "sns:topic", "events:rule", "events:event-bus",
               "states:state-machine", "firehose:delivery-stream", "cloudformation:stack"}


def stop_event_sources(clients, entries, recorder) -> bool:
    """Bucket notifications off, event source mappings disabled, and every function's reserved
    concurrency at 0 (new and retried invocations are throttled, then dropped with the function).
    True when something could still have been invoking the run's functions asynchronously (a mapping,
    a bucket notification, a topic, a rule, a state machine, a delivery stream, a stack)."""
    asynchronous = any(entry.kind in ASYNC_KINDS for entry in entries)
    for entry in entries:
        try:
            if entry.kind == "s3:bucket":
                bucket = entry.physical_id or entry.name
                configured = clients.s3.get_bucket_notification_configuration(Bucket=bucket)
                if any(configured.get(key) for key in ("LambdaFunctionConfigurations", "QueueConfigurations",
                                                       "TopicConfigurations", "EventBridgeConfiguration")):
                    asynchronous = True
                    clients.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
            elif entry.kind == "lambda:function":
                clients.lambda_.put_function_concurrency(FunctionName=entry.physical_id or entry.name,
                                                         ReservedConcurrentExecutions=0)
            elif entry.kind == "lambda:event-source-mapping":
                clients.lambda_.update_event_source_mapping(UUID=entry.physical_id, Enabled=False)
            else:
                continue
        except Exception as error:  # noqa: BLE001 - gone already, or not stoppable: the deletion follows anyway
            if entry.kind == "s3:bucket":
                asynchronous = True  # cannot tell: assume it could have
            if not is_not_found(error):
                recorder.event(RunEvent.Kind.TEARDOWN, f"Could not stop {entry.kind_label} {entry.name} first: {error}",
                               status=RunEvent.Status.INFO)
    return asynchronous


def in_flight(clients, function: str, since_ms: int) -> int:
    """Invocations of ``function`` that logged START and not yet END, from its log group."""
    open_requests = set()
    try:
        for event in log_events(clients.logs, f"/aws/lambda/{function}", startTime=since_ms):
            match = _REQUEST.match(event.get("message", ""))
            if match and match.group(1) == "START":
                open_requests.add(match.group(2))
            elif match:
                open_requests.discard(match.group(2))
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return 0  # never invoked
        raise
    return len(open_requests)


def wait_for_invocations(clients, entries, recorder, since_ms: int, lab_work=None) -> int:
    """Wait, at most LABS_TEARDOWN_DRAIN_SECONDS, for the run's functions to finish what they are
    doing (started and not ended in their logs, and what the lab says is still being processed:
    ``lab_work()``), with a note every few seconds (the run page shows it). Returns what was left."""
    functions = [entry.physical_id or entry.name for entry in entries if entry.kind == "lambda:function"]
    if not functions:
        return 0
    limit = settings.LABS_TEARDOWN_DRAIN_SECONDS
    started = time.monotonic()
    next_note = started
    while True:
        try:
            running = {name: in_flight(clients, name, since_ms) for name in functions}
            if lab_work is not None:
                running["work the lab still has in progress"] = lab_work()
        except Exception as error:  # noqa: BLE001 - cannot tell: do not hold the teardown for it
            recorder.event(RunEvent.Kind.TEARDOWN, f"Could not tell whether invocations are in flight: {error}")
            return 0
        busy = {name: count for name, count in running.items() if count}
        waited = time.monotonic() - started
        if not busy:
            if waited >= 0.5:
                recorder.event(RunEvent.Kind.TEARDOWN, f"No invocation in flight any more (waited {waited:.0f} s).",
                               status=RunEvent.Status.OK)
            return 0
        if waited >= limit:
            recorder.event(RunEvent.Kind.TEARDOWN, f"Still {sum(busy.values())} invocation(s) in flight after "
                           f"{limit:.0f} s: deleting anyway, and looking again afterwards.", status=RunEvent.Status.FAIL)
            return sum(busy.values())
        if time.monotonic() >= next_note:
            names = ", ".join(f"{name} ({count})" for name, count in busy.items())
            recorder.event(RunEvent.Kind.TEARDOWN, f"Waiting for invocations in flight to end before deleting: "
                           f"{names}; {waited:.0f} s so far, at most {limit:.0f} s.", status=RunEvent.Status.START)
            next_note += NOTE_EVERY
        time.sleep(0.25)
