"""The full-stack lab's verify: the deployed system, end to end over HTTP (the website, then
each API route from the website's origin), reading the table to confirm what the API says."""

from labs.catalog.fullstack.names import function_name, table_name
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit.functions import log_tail


def _json(result):
    try:
        return result.json()
    except ValueError:
        return None


def verify_website(ctx: Context) -> CheckResult:
    page = ctx.deployment.website("/")
    if page.status != 200 or "text/html" not in page.content_type:
        return CheckResult.failed(f"The website's / answered {page.status} ({page.content_type or 'no content type'}), "
                                  "not the index page.")
    if b'id="items-app"' not in page.body:
        return CheckResult.failed("The website's index page is not the lab's app (no items-app element).")
    return CheckResult.passed(f"The website serves its index page ({len(page.body)} bytes of text/html).")


def verify_create(ctx: Context) -> CheckResult:
    title = f"Verify {ctx.name.prefix}"
    created = ctx.deployment.api("POST", "/items", json_body={"title": title})
    body = _json(created)
    if created.status != 201 or not isinstance(body, dict) or "id" not in body:
        why = f" {log_tail(ctx, function_name(ctx.name))}" if created.status >= 500 else ""
        return CheckResult.failed(f"POST /items answered {created.status}: "
                                  f"{created.body[:300].decode('utf-8', 'replace')}{why}")
    stored = ctx.clients.dynamodb.get_item(TableName=table_name(ctx.name), Key={"id": {"S": body["id"]}}).get("Item")
    if not stored or stored.get("title", {}).get("S") != title:
        return CheckResult.failed(f"POST /items answered 201 with id {body['id']}, but the table has no such item.")
    ctx.scratch["item"] = body
    return CheckResult.passed(f"POST /items created item {body['id']} (201), and it is in the table.")


def verify_list(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    listed = ctx.deployment.api("GET", "/items", headers={"Origin": ctx.website_origin})
    body = _json(listed) or {}
    ids = [entry.get("id") for entry in body.get("items", [])] if isinstance(body, dict) else []
    if listed.status != 200 or item["id"] not in ids:
        return CheckResult.failed(f"GET /items answered {listed.status} without the new item.")
    origin = listed.headers.get("access-control-allow-origin")
    if origin != ctx.website_origin:
        return CheckResult.failed(f"GET /items lists the item, but answers Access-Control-Allow-Origin {origin!r}, "
                                  f"so the browser at {ctx.website_origin} cannot read it.")
    return CheckResult.passed(f"GET /items lists it ({len(ids)} item(s)), readable from {ctx.website_origin}.")


def verify_get(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    got = ctx.deployment.api("GET", f"/items/{item['id']}")
    body = _json(got)
    if got.status != 200 or not isinstance(body, dict) or body.get("title") != item["title"]:
        return CheckResult.failed(f"GET /items/{item['id']} answered {got.status}: {got.body[:300].decode('utf-8', 'replace')}")
    return CheckResult.passed(f"GET /items/{item['id']} returns it.")


def verify_delete(ctx: Context) -> CheckResult:
    item = ctx.scratch.get("item")
    if not item:
        return CheckResult.failed("Skipped: no item was created.")
    deleted = ctx.deployment.api("DELETE", f"/items/{item['id']}")
    if deleted.status != 204:
        return CheckResult.failed(f"DELETE /items/{item['id']} answered {deleted.status}, not 204.")
    again = ctx.deployment.api("GET", f"/items/{item['id']}")
    if again.status != 404:
        return CheckResult.failed(f"After DELETE, GET /items/{item['id']} answered {again.status}, not 404.")
    stored = ctx.clients.dynamodb.get_item(TableName=table_name(ctx.name), Key={"id": {"S": item["id"]}}).get("Item")
    if stored:
        return CheckResult.failed("DELETE answered 204, but the item is still in the table.")
    return CheckResult.passed("DELETE removes it (204); the table no longer has it and GET now answers 404.")


def verify_bad_input(ctx: Context) -> CheckResult:
    for label, body in (("a malformed body", b"{not json"), ("a missing title", b'{"done": false}')):
        answer = ctx.deployment.api("POST", "/items", raw_body=body, headers={"Content-Type": "application/json"})
        error = (_json(answer) or {}) if answer.body else {}
        if answer.status != 400 or not isinstance(error, dict) or "error" not in error:
            return CheckResult.failed(f"POST /items with {label} answered {answer.status}, not 400 with a JSON error"
                                      + (" (a 502 means the function raised)" if answer.status == 502 else "") + ".")
    return CheckResult.passed("A malformed body and a missing title each get 400 with a JSON error, not a 502.")


def verify_cors(ctx: Context) -> CheckResult:
    preflight = ctx.deployment.api("OPTIONS", "/items", headers={
        "Origin": ctx.website_origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    allowed = preflight.headers.get("access-control-allow-origin")
    methods = preflight.headers.get("access-control-allow-methods", "")
    if preflight.status >= 300 or allowed not in (ctx.website_origin, "*") or "POST" not in methods:
        return CheckResult.failed(f"The CORS preflight for {ctx.website_origin} answered {preflight.status} with "
                                  f"Allow-Origin {allowed!r} and Allow-Methods {methods!r}.")
    return CheckResult.passed(f"The CORS preflight answers for {ctx.website_origin} (methods {methods}).")



CHECKS = (
    VerifyCheck("website", "The website serves its index page", verify_website),
    VerifyCheck("create", "POST creates an item that lands in the table", verify_create),
    VerifyCheck("list", "GET lists it, readable from the website's origin", verify_list),
    VerifyCheck("get", "GET by id returns it", verify_get),
    VerifyCheck("delete", "DELETE removes it", verify_delete),
    VerifyCheck("bad-input", "Bad bodies get 400, never 502", verify_bad_input),
    VerifyCheck("cors", "The CORS preflight answers for the website", verify_cors),
)
