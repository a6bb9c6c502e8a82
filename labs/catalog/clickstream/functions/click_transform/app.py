"""Data Firehose's transform: click events become JSON lines for Athena.

Firehose hands the function a batch of records ({"recordId", "data": base64}) and expects every
recordId back with a result: "Ok" and the new data, "Dropped", or "ProcessingFailed" (Firehose
then writes the record under the stream's error prefix instead). A record holds one or more
events as JSON lines (the producer batches them). Each event keeps the fields the table declares,
gains its minute ("2026-12-04T14:51", for "events per minute"), and ends with a newline: Firehose
joins records as they are, and Athena's JSON reader wants one object per line. Lines that are not
events are left out; a record with no event at all is ProcessingFailed.
"""

import base64
import json

FIELDS = ("event_id", "user_id", "page", "ts", "batch")


def transform(line: str) -> str:
    """The line Athena reads for one click event; ValueError if it is not one."""
    click = json.loads(line)
    if not isinstance(click, dict):
        raise ValueError("not a JSON object")
    page, ts = click.get("page"), click.get("ts")
    if not isinstance(page, str) or not page.startswith("/") or not isinstance(ts, str) or len(ts) < 16:
        raise ValueError("no page or no ISO 8601 ts")
    row = {field: click.get(field) for field in FIELDS}
    row["page"] = page.split("?", 1)[0].split("#", 1)[0] or "/"
    row["minute"] = ts[:16]
    return json.dumps(row, separators=(",", ":")) + "\n"


def handler(event, context):
    records = []
    for record in event.get("records", []):
        out = []
        try:
            lines = base64.b64decode(record["data"]).decode("utf-8").splitlines()
        except ValueError:
            lines = []
        for line in lines:
            try:
                out.append(transform(line))
            except (ValueError, TypeError):
                continue
        if out:
            records.append({"recordId": record["recordId"], "result": "Ok",
                            "data": base64.b64encode("".join(out).encode()).decode()})
        else:
            records.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
    return {"records": records}
