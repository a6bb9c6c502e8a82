"""Writes a note to Aurora PostgreSQL and reads it back, through the RDS Data API (HTTPS, no driver,
no VPC): the event {"note": "..."} is inserted, then selected by its id."""

import os

import boto3

_DATA = []  # the rds-data client, made on the first invocation and reused by the next ones
SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id bigserial PRIMARY KEY, body text NOT NULL, created timestamptz DEFAULT now())"


def _data():
    if not _DATA:
        _DATA.append(boto3.client("rds-data"))
    return _DATA[0]


def _run(sql, parameters=()):
    return _data().execute_statement(resourceArn=os.environ["CLUSTER_ARN"], secretArn=os.environ["SECRET_ARN"],
                                  database=os.environ["DATABASE"], sql=sql, parameters=list(parameters))


def handler(event, context):
    note = str((event or {}).get("note", "")).strip()
    if not note:
        return {"ok": False, "error": "BadRequest", "message": "send {\"note\": \"some text\"}"}
    try:
        _run(SCHEMA)
        inserted = _run("INSERT INTO notes (body) VALUES (:body) RETURNING id",
                        [{"name": "body", "value": {"stringValue": note}}])
        note_id = inserted["records"][0][0]["longValue"] if inserted.get("records") else None
        selected = _run("SELECT id, body FROM notes WHERE body = :body ORDER BY id",
                        [{"name": "body", "value": {"stringValue": note}}])
    except Exception as error:  # noqa: BLE001 - the caller gets the Data API's error, by name
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        return {"ok": False, "error": code, "message": str(error)}
    rows = [{"id": row[0].get("longValue"), "body": row[1].get("stringValue")} for row in selected.get("records", [])]
    return {"ok": True, "inserted": note_id, "rows": rows}
