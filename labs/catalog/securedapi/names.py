"""What the secured-API lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "claims"
STAGE = "prod"
GROUP = "admins"  # the group the /admin route and the group check need
AUTHORIZER = "users"
PERMISSION_ID = "apigateway-invoke"
FUNCTION_POLICY = "own-logs"
DATA_POLICY = "notes-and-claims"
ROUTES = (("/me", "GET"), ("/admin", "GET"))
CLIENT_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
TOKEN_MINUTES = 60  # ID and access tokens; AWS allows 5 minutes to 1 day
TABLE_ACTIONS = ("dynamodb:PutItem", "dynamodb:Scan")
APPSYNC_JS = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
API_KEY_DAYS = 7
# Data sources of the GraphQL API, and the resolver of each field: (type, field, data source).
DATA_SOURCES = ("notes", "claims", "public")
RESOLVERS = (("Mutation", "addNote", "notes"), ("Query", "listNotes", "notes"),
             ("Query", "whoAmI", "claims"), ("Query", "notice", "public"))
# What one run uses in AWS, for its cost estimate (generous: a run retried or explored a while stays under).
USAGE = {
    "lambda_requests": 60, "lambda_gb_seconds": 60 * 0.125 * 0.1,  # 128 MB, 100 ms
    "apigateway_rest": 60, "appsync_requests": 60, "dynamodb_writes": 20, "dynamodb_reads": 40,
    "cognito_mau": 3, "logs_ingest": 0.001,
}


def pool_name(names: Names) -> str:
    return names("users")


def client_name(names: Names) -> str:
    return names("web")


def role_name(names: Names) -> str:
    return names("claims-role")


def function_name(names: Names) -> str:
    return names("claims")


def api_name(names: Names) -> str:
    return names("claims-api")


def table_name(names: Names) -> str:
    return names("notes")


def data_role_name(names: Names) -> str:
    return names("appsync-role")


def graphql_name(names: Names) -> str:
    return names("notes-api")


def api_key_description(names: Names) -> str:
    return f"{names.prefix} public notice"


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "POOL_NAME": pool_name(names), "CLIENT_NAME": client_name(names),
        "ROLE": role_name(names), "FUNCTION": function_name(names), "API_NAME": api_name(names),
        "TABLE": table_name(names), "DATA_ROLE": data_role_name(names), "GRAPHQL_NAME": graphql_name(names),
        "GROUP": GROUP,
    }
