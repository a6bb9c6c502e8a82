"""Items API: the Lambda function behind the full-stack lab's REST API.

API Gateway (REST API, Lambda proxy integration) passes the whole HTTP request as the event
(version 1.0 shape: ``resource``, ``httpMethod``, ``pathParameters``, ``body`` as a string...)
and expects ``{"statusCode", "headers", "body"}`` back. Routes:

    GET    /items        list items, newest first
    POST   /items        create an item from {"title": "...", "done": false}
    GET    /items/{id}   one item, or 404
    DELETE /items/{id}   remove it (204), or 404

Bad input is the caller's fault and gets a 400 with a JSON error that says what is wrong;
an exception must never escape, because API Gateway turns it into a bare 502.

This file ships to AWS as it is: it imports only the standard library and boto3, which the
Lambda Python runtime provides. The table name and the website's origin (for CORS) come from
the environment, set by the lab.
"""

import base64
import binascii
import datetime
import json
import os
import re
import uuid

import boto3
from botocore.exceptions import ClientError

MAX_TITLE_LENGTH = 200
MAX_BODY_BYTES = 10_000
LIST_LIMIT = 100
ITEM_ID = re.compile(r"^[0-9a-f]{32}$")

_table = None


class BadRequest(Exception):
    """The request cannot be served as sent; the message tells the caller what to change."""


def table():
    # Created on first use and kept while the execution environment is warm.
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _table


def handler(event, context):
    try:
        return route(event)
    except BadRequest as error:
        return respond(400, {"error": str(error)})
    except Exception as error:  # noqa: BLE001 - anything else is our fault: a 500 with JSON, never a 502
        print(json.dumps({"level": "ERROR", "message": "unhandled error", "error": repr(error)}))
        return respond(500, {"error": "The function failed unexpectedly; its CloudWatch logs say why."})


def route(event):
    method = event.get("httpMethod")
    resource = event.get("resource")
    if resource == "/items":
        if method == "GET":
            return list_items()
        if method == "POST":
            return create_item(parse_body(event))
        return respond(405, {"error": f"{method} is not allowed on /items: use GET or POST."})
    if resource == "/items/{id}":
        item_id = (event.get("pathParameters") or {}).get("id") or ""
        if method == "GET":
            return get_item(item_id)
        if method == "DELETE":
            return delete_item(item_id)
        return respond(405, {"error": f"{method} is not allowed on /items/{{id}}: use GET or DELETE."})
    return respond(404, {"error": f"No route for {method} {event.get('path')}."})


def parse_body(event) -> dict:
    raw = event.get("body")
    if raw is None or raw == "":
        raise BadRequest('The request has no body: send a JSON object such as {"title": "Buy milk"}.')
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest("The body is marked as base64 but is not valid base64-encoded UTF-8.") from None
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        raise BadRequest(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(f"The body is not valid JSON ({error.msg} at line {error.lineno} column {error.colno}).") from None
    if not isinstance(data, dict):
        raise BadRequest(f'The body must be a JSON object such as {{"title": "Buy milk"}}, not a {type(data).__name__}.')
    return data


def validate_new_item(data: dict) -> dict:
    unknown = sorted(set(data) - {"title", "done"})
    if unknown:
        raise BadRequest(f"Unknown field(s): {', '.join(unknown)}. An item has a title and, optionally, done.")
    if "title" not in data:
        raise BadRequest("Missing field: title.")
    title = data["title"]
    if not isinstance(title, str):
        raise BadRequest("The field title must be a string.")
    title = title.strip()
    if not title:
        raise BadRequest("The field title must not be empty.")
    if len(title) > MAX_TITLE_LENGTH:
        raise BadRequest(f"The field title is {len(title)} characters long; the limit is {MAX_TITLE_LENGTH}.")
    done = data.get("done", False)
    if not isinstance(done, bool):
        raise BadRequest("The field done must be true or false.")
    return {"title": title, "done": done}


def list_items():
    items, start = [], None
    while len(items) < LIST_LIMIT:
        kwargs = {"Limit": LIST_LIMIT}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = table().scan(**kwargs)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    items.sort(key=lambda item: item.get("createdAt", ""), reverse=True)
    return respond(200, {"items": items[:LIST_LIMIT]})


def create_item(data: dict):
    fields = validate_new_item(data)
    item = {
        "id": uuid.uuid4().hex,
        "title": fields["title"],
        "done": fields["done"],
        "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
    }
    table().put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
    return respond(201, item)


def get_item(item_id: str):
    if not ITEM_ID.match(item_id):
        return not_found(item_id)
    item = table().get_item(Key={"id": item_id}).get("Item")
    return respond(200, item) if item else not_found(item_id)


def delete_item(item_id: str):
    if not ITEM_ID.match(item_id):
        return not_found(item_id)
    try:
        table().delete_item(Key={"id": item_id}, ConditionExpression="attribute_exists(id)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return not_found(item_id)
        raise
    return respond(204, None)


def not_found(item_id: str):
    return respond(404, {"error": f"No item with id {item_id!r}."})


def respond(status: int, payload):
    headers = {"Content-Type": "application/json"}
    origin = os.environ.get("ALLOWED_ORIGIN")
    if origin:
        # The browser only reads the response if it names the page's origin.
        headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    body = "" if payload is None else json.dumps(payload, default=str)
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}
