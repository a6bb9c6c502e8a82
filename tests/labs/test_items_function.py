"""The full-stack lab's Lambda function, called directly with realistic API Gateway (REST,
proxy integration, payload v1) events against a moto DynamoDB table."""

import base64
import json

import boto3
import pytest

from labs.catalog.fullstack.functions.items_api import app

TABLE = "items-under-test"
ORIGIN = "http://127.0.0.1:8000"


def proxy_event(method, resource, path, *, body=None, path_parameters=None, base64_body=False, query=None):
    """An event shaped like the one API Gateway sends a Lambda proxy integration."""
    headers = {"Accept": "application/json", "Content-Type": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com",
               "Origin": ORIGIN, "User-Agent": "Mozilla/5.0", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    if body is not None and base64_body:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "r3s0ur", "resourcePath": resource, "httpMethod": method, "path": f"/prod{path}",
            "stage": "prod", "accountId": "123456789012", "apiId": "abc123", "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "requestTimeEpoch": 1795700000000,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


@pytest.fixture
def table(moto_aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("ALLOWED_ORIGIN", ORIGIN)
    monkeypatch.setattr(app, "_table", None)
    boto3.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return boto3.resource("dynamodb").Table(TABLE)


def call(event):
    response = app.handler(event, None)
    assert set(response) >= {"statusCode", "headers", "body"} and isinstance(response["body"], str)
    return response["statusCode"], (json.loads(response["body"]) if response["body"] else None), response["headers"]


def test_create_then_list_get_and_delete(table):
    status, item, headers = call(proxy_event("POST", "/items", "/items", body='{"title": "  Buy milk ", "done": false}'))
    assert status == 201 and item["title"] == "Buy milk" and item["done"] is False and len(item["id"]) == 32
    assert headers["Access-Control-Allow-Origin"] == ORIGIN and headers["Content-Type"] == "application/json"
    assert table.get_item(Key={"id": item["id"]})["Item"]["title"] == "Buy milk"

    status, listed, _ = call(proxy_event("GET", "/items", "/items"))
    assert status == 200 and [entry["id"] for entry in listed["items"]] == [item["id"]]

    path = {"id": item["id"]}
    status, got, _ = call(proxy_event("GET", "/items/{id}", f"/items/{item['id']}", path_parameters=path))
    assert status == 200 and got == item

    status, body, headers = call(proxy_event("DELETE", "/items/{id}", f"/items/{item['id']}", path_parameters=path))
    assert status == 204 and body is None and headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Item" not in table.get_item(Key={"id": item["id"]})
    status, error, _ = call(proxy_event("DELETE", "/items/{id}", f"/items/{item['id']}", path_parameters=path))
    assert status == 404 and item["id"] in error["error"]


def test_list_is_newest_first(table):
    first = call(proxy_event("POST", "/items", "/items", body='{"title": "first"}'))[1]
    second = call(proxy_event("POST", "/items", "/items", body='{"title": "second"}'))[1]
    listed = call(proxy_event("GET", "/items", "/items"))[1]["items"]
    assert [entry["id"] for entry in listed] == [second["id"], first["id"]]


def test_base64_bodies_are_decoded(table):
    status, item, _ = call(proxy_event("POST", "/items", "/items", body='{"title": "encoded"}', base64_body=True))
    assert status == 201 and item["title"] == "encoded"


@pytest.mark.parametrize("body, says", [
    (None, "no body"),
    ("", "no body"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('"a string"', "must be a JSON object"),
    ("{}", "Missing field: title"),
    ('{"done": true}', "Missing field: title"),
    ('{"title": 42}', "must be a string"),
    ('{"title": "   "}', "must not be empty"),
    ('{"title": "' + "x" * 201 + '"}', "limit is 200"),
    ('{"title": "ok", "done": "yes"}', "true or false"),
    ('{"title": "ok", "colour": "red"}', "Unknown field(s): colour"),
])
def test_bad_input_is_a_400_with_a_json_error(table, body, says):
    status, error, headers = call(proxy_event("POST", "/items", "/items", body=body))
    assert status == 400 and says in error["error"]
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert table.scan()["Count"] == 0


def test_invalid_base64_is_a_400(table):
    event = proxy_event("POST", "/items", "/items", body="not base64!!")
    event["isBase64Encoded"] = True
    assert call(event)[0] == 400


@pytest.mark.parametrize("item_id", ["0" * 32, "../etc", "abc", ""])
def test_unknown_or_malformed_ids_are_404(table, item_id):
    path = {"id": item_id} if item_id else None
    for method in ("GET", "DELETE"):
        status, error, _ = call(proxy_event(method, "/items/{id}", f"/items/{item_id}", path_parameters=path))
        assert status == 404 and "No item" in error["error"]


def test_other_methods_and_routes(table):
    assert call(proxy_event("PUT", "/items", "/items", body="{}"))[0] == 405
    assert call(proxy_event("PATCH", "/items/{id}", "/items/x", path_parameters={"id": "x"}))[0] == 405
    assert call(proxy_event("GET", "/{proxy+}", "/elsewhere"))[0] == 404


def test_a_failure_inside_is_a_500_with_json_never_an_exception(table, monkeypatch):
    """An exception escaping the handler would make API Gateway answer a bare 502."""
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    monkeypatch.setattr(app, "_table", None)
    status, error, headers = call(proxy_event("GET", "/items", "/items"))
    assert status == 500 and "CloudWatch" in error["error"] and headers["Content-Type"] == "application/json"


def test_the_deployment_package_is_reproducible_and_runnable(tmp_path):
    from labs.catalog.fullstack import LAB
    from labs.engine.lab import code_sha256, function_zip

    first, second = function_zip(LAB.function_folder("items_api")), function_zip(LAB.function_folder("items_api"))
    assert first == second and code_sha256(first) == code_sha256(second)
    import zipfile
    import io

    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["app.py"]
