"""The serverless relational lab's verify: the function writes a note through the RDS Data API and
reads it back, and the answer must hold the note the verify made up.

The local sandbox (MiniStack) has a PostgreSQL engine only through Docker. Without it, its Data API
checks what AWS checks before any SQL runs (the cluster exists, its Data API is enabled, it has an
available writer, the secret exists and holds a password, the caller's role may call
rds-data:ExecuteStatement) and then refuses the SQL ("stub mode"). The verify accepts that refusal
as proof of the path up to the engine, says that no SQL ran, and never accepts rows that do not hold
its note (an emulator's canned answer)."""

import json
import secrets

from labs.catalog.relational.names import function_name
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit.calls import missing
from labs.toolkit.functions import log_tail

NO_ENGINE = "stub mode"  # what MiniStack's Data API says when no database engine backs the cluster


def _answer(ctx: Context) -> dict:
    if "answer" not in ctx.scratch:
        function = function_name(ctx.name)
        if missing(ctx.clients.lambda_.get_function, FunctionName=function) is None:
            ctx.scratch["answer"] = {"missing": True}
        else:
            note = f"verify-{secrets.token_hex(6)}"
            got = ctx.clients.lambda_.invoke(FunctionName=function, Payload=json.dumps({"note": note}).encode())
            body = got["Payload"].read()
            try:
                answer = json.loads(body or b"{}")
            except ValueError:
                answer = {"ok": False, "error": "NotJSON", "message": body[:300].decode(errors="replace")}
            if got.get("FunctionError"):
                answer = {"ok": False, "error": got["FunctionError"], "message": str(answer)[:300]}
            ctx.scratch["answer"] = dict(answer if isinstance(answer, dict) else {}, note=note)
    return ctx.scratch["answer"]


def verify_roundtrip(ctx: Context) -> CheckResult:
    answer, function = _answer(ctx), function_name(ctx.name)
    if answer.get("missing"):
        return CheckResult.failed(f"There is no function {function}: build the steps first.")
    note = answer["note"]
    if answer.get("ok"):
        rows = answer.get("rows") or []
        if not any(row.get("body") == note for row in rows):
            return CheckResult.failed(f"The function wrote the note {note!r} but the SELECT answered {rows[:3]!r}, "
                                      "which does not hold it: these rows did not come from the table (refused).")
        return CheckResult.passed(f"Real SQL through the Data API: the note {note!r} was inserted (id "
                                  f"{answer.get('inserted')}) and selected back from Aurora PostgreSQL.")
    message = str(answer.get("message", ""))
    if NO_ENGINE in message:
        return CheckResult.passed(
            "The function reached the Data API with the cluster's ARN and its secret, and every check before the "
            "SQL passed (Data API enabled, an available writer, a secret with a password, rds-data:ExecuteStatement "
            "allowed for its role). The local sandbox has no PostgreSQL engine, so no SQL ran and no rows are "
            "claimed: only AWS runs the INSERT and SELECT.")
    hints = {
        "HttpEndpointNotEnabledException": "enable the Data API on the cluster (aws rds enable-http-endpoint).",
        "AccessDeniedException": "its role must allow rds-data:ExecuteStatement on the cluster.",
        "SecretsErrorException": "SECRET_ARN must name the cluster's secret (MasterUserSecret).",
        "DatabaseUnavailableException": "the cluster has no available writer yet, or is resuming: retry in a moment.",
    }
    hint = hints.get(answer.get("error"), "read its log below.")
    return CheckResult.failed(f"The function's query failed with {answer.get('error')}: {message[:300]} Fix: {hint} "
                              + log_tail(ctx, function, lines=4))


CHECKS = (
    VerifyCheck("roundtrip", "The function writes a note and reads it back through the Data API", verify_roundtrip),
)
