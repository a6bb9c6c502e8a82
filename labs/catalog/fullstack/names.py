"""What the full-stack lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

STAGE = "prod"
RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "items_api"
POLICY_NAME = "items-table-access"
PERMISSION_ID = "apigateway-invoke"
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan")
ROUTES = (("/items", "GET"), ("/items", "POST"), ("/items/{id}", "GET"), ("/items/{id}", "DELETE"))
CORS_METHODS = {"/items": "GET,POST,OPTIONS", "/items/{id}": "GET,DELETE,OPTIONS"}
SITE_FILES = ("index.html", "app.css", "app.js")
# What one run uses in AWS, for its cost estimate (a generous count: a run retried or explored a while stays under).
USAGE = {
    "lambda_requests": 40, "lambda_gb_seconds": 40 * 0.25 * 0.2,  # 256 MB, 200 ms
    "apigateway_rest": 40, "dynamodb_writes": 20, "dynamodb_reads": 40,
    "s3_writes": 40, "s3_reads": 200, "s3_storage": 0.0001 * 2 / 730,  # 100 KB for 2 hours
    "logs_ingest": 0.001,
}


def table_name(names: Names) -> str:
    return names("items")


def role_name(names: Names) -> str:
    return names("items-api-role")


def function_name(names: Names) -> str:
    return names("items-api")


def api_name(names: Names) -> str:
    return names("items-api")


def bucket_name(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('web')}-{account_id}"


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "TABLE": table_name(names), "ROLE": role_name(names),
        "FUNCTION": function_name(names), "API_NAME": api_name(names), "BUCKET": bucket_name(names, account_id),
        "ORIGIN": origin,
    }
