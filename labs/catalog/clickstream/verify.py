"""The clickstream lab's verify: 1,000 generated click events (and one malformed record) go into
the stream; the counters, the failure queue, the S3 files and two Athena queries must then say
exactly what the generated data says. Every wait is bounded and notes its progress."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from labs.catalog.clickstream import athena, events
from labs.catalog.clickstream.names import (
    ATHENA_TABLE, EVENTS_PREFIX, bucket_name, counter_function, queue_name, stream_name, table_name,
    transform_function,
)
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit import messaging
from labs.toolkit.functions import log_tail

STALL_SECONDS = 20  # no new count for this long fails (the mapping's batching window is 1 s)
# Firehose may hold records for its transform's buffer (60 s by default) and then its S3 buffer (10 s).
DELIVERY_STALL_SECONDS = 90


def _counting_stall(ctx: Context) -> float:
    """How long the counters may stand still: in AWS a new mapping can take a minute to start polling;
    the local sandbox's poller starts at once."""
    target = getattr(ctx.clients, "target", None)
    return STALL_SECONDS if getattr(target, "endpoint_url", None) else 90.0


def _wait_seconds() -> float:
    return float(getattr(settings, "LABS_CLICKSTREAM_WAIT_SECONDS", 120))


def _counts(ctx: Context) -> dict[str, int]:
    counts = {}
    for page in ctx.clients.dynamodb.get_paginator("scan").paginate(TableName=table_name(ctx.name)):
        for item in page.get("Items", []):
            counts[item["page"]["S"]] = int(item.get("views", {}).get("N", "0"))
    return counts


def _wait(ctx: Context, progress, done, what: str, stall: float = STALL_SECONDS):
    """Poll ``progress()`` (a number) until ``done(value)``; fail after the overall wait, or when it
    has not moved for ``stall`` seconds. A note every 2 s says how far it got. Returns (value, seconds, failure)."""
    start = last_move = last_note = time.monotonic()
    value = previous = progress()
    while not done(value):
        now = time.monotonic()
        if now - start > _wait_seconds() or now - last_move > stall:
            why = "no progress" if now - last_move > stall else "time is up"
            return value, now - start, f"{why} after {now - start:.0f} s"
        if now - last_note >= 2:
            ctx.note(f"Waiting for {what}: {value} so far ({now - start:.0f} s).")
            last_note = now
        time.sleep(0.1)
        value = progress()
        if value != previous:
            previous, last_move = value, time.monotonic()
    return value, time.monotonic() - start, ""


def verify_produce(ctx: Context) -> CheckResult:
    generated = events.generate(f"{ctx.name.prefix}-{int(time.time())}")
    ctx.scratch["baseline"] = _counts(ctx)
    ctx.scratch["landed_before"] = _landed(ctx, generated.day)
    entries, kinesis, sequence = generated.records(), ctx.clients.kinesis, {}
    for start in range(0, len(entries), 500):  # PutRecords takes at most 500 records
        pending = list(enumerate(entries[start:start + 500], start))
        for _attempt in range(5):
            answer = kinesis.put_records(StreamName=stream_name(ctx.name), Records=[entry for _, entry in pending])
            retry = []
            for (index, entry), result in zip(pending, answer["Records"]):
                if "SequenceNumber" in result:
                    sequence[index] = result["SequenceNumber"]
                else:
                    retry.append((index, entry))  # throttled: put it again
            pending = retry
            if not pending:
                break
            time.sleep(0.5)
        if pending:
            return CheckResult.failed(f"Kinesis refused {len(pending)} records five times (throttled): a shard takes "
                                      "1,000 records or 1 MB per second. Try the verify again.")
    ctx.scratch.update({"generated": generated, "poison_sequence": sequence[events.POISON_AT]})
    top = ", ".join(f"{page} {n}" for page, n in generated.top_pages(3))
    return CheckResult.passed(f"Put {len(generated.events):,} click events (seed {events.SEED}: {len(generated.views())} "
                              f"pages, top {top}), {events.EVENTS_PER_RECORD} to a record as JSON lines, and one malformed "
                              f"record (#{events.POISON_AT + 1} of {len(entries)}, sequence {sequence[events.POISON_AT]}) "
                              f"into {stream_name(ctx.name)}: all accepted.")


def verify_counters(ctx: Context) -> CheckResult:
    generated = ctx.scratch.get("generated")
    if generated is None:
        return CheckResult.failed("Skipped: no events were put.")
    baseline, expected = ctx.scratch["baseline"], generated.views()

    def counted():
        now = _counts(ctx)
        return sum(now.get(page, 0) - baseline.get(page, 0) for page in set(now) | set(expected))

    total, seconds, failure = _wait(ctx, counted, lambda n: n >= len(generated.events), "views counted",
                                    stall=_counting_stall(ctx))
    now = _counts(ctx)
    delta = {page: now.get(page, 0) - baseline.get(page, 0) for page in set(now) | set(expected)}
    wrong = {page: (delta.get(page, 0), expected.get(page, 0)) for page in delta if delta[page] != expected.get(page, 0)}
    if failure or wrong:
        detail = "; ".join(f"{page}: {got} counted, {want} put" for page, (got, want) in sorted(wrong.items())[:4])
        return CheckResult.failed(f"The table counted {total:,} of {len(generated.events):,} views ({failure or detail}). "
                                  f"{log_tail(ctx, counter_function(ctx.name), never_invoked='the mapping never ran')}")
    return CheckResult.passed(f"{table_name(ctx.name)} counted exactly the {len(generated.events):,} views put, page by "
                              f"page ({len(expected)} pages), in {seconds:.1f} s, including the "
                              f"{len(generated.events) - events.POISON_AT * events.EVENTS_PER_RECORD:,} put after the malformed record.")


def verify_poison(ctx: Context) -> CheckResult:
    sequence = ctx.scratch.get("poison_sequence")
    if sequence is None:
        return CheckResult.failed("Skipped: no events were put.")
    sqs = ctx.clients.sqs
    url = messaging.queue_url(sqs, queue_name(ctx.name))
    deadline, seen = time.monotonic() + min(_wait_seconds(), STALL_SECONDS), []
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(message["Body"])
            poison = body.get("poisonRecord") or {}
            seen.append(poison.get("sequenceNumber") or sorted(body)[:3])
            if poison.get("sequenceNumber") == sequence:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if base64.b64decode(poison.get("data", "")) != events.POISON:
                    return CheckResult.failed("The failure queue describes the malformed record, but not with its data.")
                return CheckResult.passed(f"The malformed record (sequence {sequence}) is in {queue_name(ctx.name)} with "
                                          f"its data and the reason ({poison.get('reason')}), and the shard went on.")
    return CheckResult.failed(f"No message in {queue_name(ctx.name)} names the malformed record (sequence {sequence}); "
                              f"saw {seen[:3] or 'nothing'}. {log_tail(ctx, counter_function(ctx.name))}")


def _lines(ctx: Context, bucket: str, prefix: str) -> list[dict]:
    s3 = ctx.clients.s3
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])]
    read = lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")  # noqa: E731
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(read, keys))
    rows = []
    for body in bodies:
        for line in body.splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                rows.append({"unreadable": line[:80]})
    return rows


def _landed(ctx: Context, day: str) -> int:
    """Bytes under the day's partition (a verify run twice the same day finds the first one's there)."""
    s3, bucket = ctx.clients.s3, bucket_name(ctx.name, ctx.account_id)
    return sum(item.get("Size", 0) for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{EVENTS_PREFIX}dt={day}/") for item in page.get("Contents", []))


def verify_delivered(ctx: Context) -> CheckResult:
    generated = ctx.scratch.get("generated")
    if generated is None:
        return CheckResult.failed("Skipped: no events were put.")
    bucket = bucket_name(ctx.name, ctx.account_id)
    prefix = f"{EVENTS_PREFIX}dt={generated.day}/"
    # Each transformed line is longer than the event's compact JSON (it gains its minute): when this many
    # bytes have landed since the put, every event has.
    size = ctx.scratch["landed_before"] + sum(len(json.dumps(event, separators=(",", ":"))) for event in generated.events)
    _, seconds, failure = _wait(ctx, lambda: _landed(ctx, generated.day), lambda n: n >= size,
                                f"bytes under s3://{bucket}/{prefix}", stall=DELIVERY_STALL_SECONDS)
    ours = [row for row in _lines(ctx, bucket, prefix) if row.get("batch") == generated.batch]
    ids = {row.get("event_id") for row in ours}
    unreadable = [row for row in ours if "unreadable" in row]
    if len(ours) != len(generated.events) or len(ids) != len(generated.events) or unreadable:
        return CheckResult.failed(f"s3://{bucket}/{prefix} holds {len(ours)} lines of this verify's events "
                                  f"({len(ids)} distinct), not {len(generated.events)} ({failure or 'missing or doubled'}). "
                                  f"{log_tail(ctx, transform_function(ctx.name))}")
    if any(not row.get("minute") for row in ours):
        return CheckResult.failed("The delivered lines have no minute field: the transform did not run on them.")
    return CheckResult.passed(f"All {len(ours):,} events landed under s3://{bucket}/{prefix} as JSON lines with their "
                              f"minute (transformed), in {seconds:.1f} s; the malformed record is not among them.")


def _query(ctx: Context, sql: str, expected: list[tuple[str, int]], what: str) -> CheckResult:
    try:
        rows = athena.run(ctx, sql)
    except athena.QueryFailed as error:
        return CheckResult.failed(f"{error}")
    if athena.is_mock(rows):
        return CheckResult.failed("Athena answered with placeholder rows (result = mock_value), not from the data: the "
                                  "local sandbox has no SQL engine (install duckdb). Nothing is compared with them.")
    got = [(row[0], int(row[1])) for row in rows[1:] if len(row) >= 2 and row[1].isdigit()]
    if got != expected:
        shown = lambda pairs: ", ".join(f"{a} {b}" for a, b in pairs[:6])  # noqa: E731
        return CheckResult.failed(f"Athena's {what} is [{shown(got)}], but the generated data says "
                                  f"[{shown(expected)}].")
    return CheckResult.passed(f"Athena's {what} matches the generated data exactly: "
                              + ", ".join(f"{a} {b}" for a, b in expected[:5]) + (" …" if len(expected) > 5 else "") + ".")


def top_pages_sql(day: str, batch: str) -> str:
    return (f"SELECT page, count(*) AS views FROM {ATHENA_TABLE} WHERE dt = '{day}' AND batch = '{batch}' "
            "GROUP BY page ORDER BY views DESC, page LIMIT 5")


def per_minute_sql(day: str, batch: str) -> str:
    return (f"SELECT minute, count(*) AS events FROM {ATHENA_TABLE} WHERE dt = '{day}' AND batch = '{batch}' "
            "GROUP BY minute ORDER BY minute")


def verify_top_pages(ctx: Context) -> CheckResult:
    generated = ctx.scratch.get("generated")
    if generated is None:
        return CheckResult.failed("Skipped: no events were put.")
    return _query(ctx, top_pages_sql(generated.day, generated.batch), generated.top_pages(), "top pages today")


def verify_per_minute(ctx: Context) -> CheckResult:
    generated = ctx.scratch.get("generated")
    if generated is None:
        return CheckResult.failed("Skipped: no events were put.")
    return _query(ctx, per_minute_sql(generated.day, generated.batch), generated.per_minute(), "events per minute")


CHECKS = (
    VerifyCheck("produce", "1,000 generated click events and one malformed record go into the stream", verify_produce),
    VerifyCheck("counters", "The counters match the generated events, page by page", verify_counters),
    VerifyCheck("poison", "The malformed record is set aside in the failure queue; the shard goes on", verify_poison),
    VerifyCheck("delivered", "Firehose lands every event, transformed, under today's dt= prefix", verify_delivered),
    VerifyCheck("top-pages", "Athena: top pages today, exactly as generated", verify_top_pages),
    VerifyCheck("per-minute", "Athena: events per minute, exactly as generated", verify_per_minute),
)
