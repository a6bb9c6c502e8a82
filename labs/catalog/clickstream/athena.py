"""Running one Athena statement and reading its rows (the first row of a SELECT's results is its
header), in the lab's database, with results under the lab's bucket."""

import time

from labs.catalog.clickstream.names import RESULTS_PREFIX, bucket_name, database_name
from labs.engine.lab import Context, StepBlocked

# What MiniStack's Athena answers when it has no SQL engine (duckdb not importable): one column named
# "result" holding "mock_value". The verify refuses such an answer rather than comparing it.
MOCK_COLUMNS = (["result"],)


class QueryFailed(Exception):
    pass


def run(ctx: Context, sql: str, timeout: float = 60.0) -> list[list[str]]:
    """Run ``sql`` and wait for it (bounded); its rows as strings, header first."""
    athena = ctx.clients.athena
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database_name(ctx.name)},
        ResultConfiguration={"OutputLocation": f"s3://{bucket_name(ctx.name, ctx.account_id)}/{RESULTS_PREFIX}"},
    )["QueryExecutionId"]
    deadline, delay = time.monotonic() + timeout, 0.1
    while True:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] == "SUCCEEDED":
            break
        if status["State"] in ("FAILED", "CANCELLED"):
            raise QueryFailed(f"Athena query {query_id} {status['State']}: {status.get('StateChangeReason', '')}")
        if time.monotonic() > deadline:
            raise StepBlocked(f"Athena query {query_id} still {status['State']} after {timeout:.0f} s.")
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows += [[datum.get("VarCharValue", "") for datum in row.get("Data", [])] for row in page["ResultSet"]["Rows"]]
    return rows


def is_mock(rows: list[list[str]]) -> bool:
    return bool(rows) and rows[0] in MOCK_COLUMNS or any("mock_value" in row for row in rows)
