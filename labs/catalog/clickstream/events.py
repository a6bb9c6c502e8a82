"""The verify's click events: generated from a fixed seed, so every run puts the same pages in the
same proportions and the expected answers are computed here, from the data, not read back from
the system under test."""

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from labs.catalog.clickstream.names import PAGES

SEED = 20261204
COUNT = 1000
USERS = 180
SPREAD_SECONDS = 600  # the events' timestamps span the last ten minutes
# The producer batches its events, EVENTS_PER_RECORD to a Kinesis record as JSON lines: a PUT payload unit is
# 25 KB and a click is about 150 bytes, so one event per record would pay for 25 KB each time. (It also keeps
# the local sandbox quick: MiniStack runs Firehose's transform once per record, not per buffer.)
EVENTS_PER_RECORD = 20
POISON_AT = 25  # the malformed record goes in the middle: the 500 events after it must still be counted
POISON = b'{"page": "/pricing", "ts": '  # a truncated JSON event


@dataclass(frozen=True)
class Generated:
    batch: str
    events: list  # dicts, in the order they are put
    day: str  # YYYY-MM-DD (UTC) when they were generated: Firehose's dt partition

    def views(self) -> Counter:
        return Counter(event["page"] for event in self.events)

    def per_minute(self) -> list[tuple[str, int]]:
        return sorted(Counter(event["ts"][:16] for event in self.events).items())

    def top_pages(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.views().items(), key=lambda item: (-item[1], item[0]))[:n]

    def records(self) -> list[dict]:
        """PutRecords entries: EVENTS_PER_RECORD events a record as JSON lines (partition key: the first
        event's user), the malformed record at POISON_AT."""
        entries = []
        for start in range(0, len(self.events), EVENTS_PER_RECORD):
            chunk = self.events[start:start + EVENTS_PER_RECORD]
            entries.append({"Data": "".join(json.dumps(event) + "\n" for event in chunk).encode(),
                            "PartitionKey": chunk[0]["user_id"]})
        entries.insert(POISON_AT, {"Data": POISON, "PartitionKey": "poison"})
        return entries


def generate(batch: str, now: datetime | None = None, *, seed: int = SEED, count: int = COUNT) -> Generated:
    """``count`` click events: pages weighted like a real site (a few pages get most views), users
    and offsets from ``seed``, timestamps in the ten minutes before ``now`` (never before midnight UTC)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(second=0, microsecond=0)
    start = max(now - timedelta(seconds=SPREAD_SECONDS - 60), now.replace(hour=0, minute=0))
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(PAGES))]
    pages = rng.choices(PAGES, weights=weights, k=count)
    offsets = sorted(rng.randrange(SPREAD_SECONDS) for _ in range(count))
    events = []
    for index, (page, offset) in enumerate(zip(pages, offsets)):
        moment = min(start + timedelta(seconds=offset), now + timedelta(seconds=59))
        events.append({"event_id": f"{batch}-{index:04d}", "user_id": f"u{rng.randrange(USERS):03d}", "page": page,
                       "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "batch": batch})
    return Generated(batch, events, now.strftime("%Y-%m-%d"))
