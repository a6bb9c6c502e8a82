"""What the serverless relational lab builds, by name, and its fixed settings."""

from labs.engine.lab import Names

RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "notes"
ENGINE = "aurora-postgresql"
# Scaling to 0 ACU (auto-pause) needs Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 or later.
ENGINE_VERSION = "16.8"
MASTER_USERNAME = "postgres"
DATABASE = "labdb"
INSTANCE_CLASS = "db.serverless"
MIN_CAPACITY = 0.0
MAX_CAPACITY = 2.0
MAX_CAPACITY_LIMIT = 4.0  # a lab has no use for more: each ACU-hour is billed
AUTO_PAUSE_SECONDS = 300  # the smallest value Aurora accepts (the largest is 86,400)
AUTO_PAUSE_RANGE = (300, 86_400)
PROXY_POLICY = "read-db-secret"
FUNCTION_POLICY = "data-api"
FUNCTION_TIMEOUT = 30  # a paused cluster takes about 15 s to resume: the first query waits for it
FUNCTION_MEMORY = 128
RDS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# What one run uses in AWS, for its cost estimate (a generous count: the cluster runs at 0.5 ACU for a
# quarter of an hour, then pauses; the proxy is billed for at least 8 ACUs while it exists).
USAGE = {
    "aurora_acu_hours": 0.5 * 0.25 + 2 * 0.05, "aurora_storage_gb_month": 0.01 / 730, "rds_proxy_acu_hours": 8 * 0.25,
    "rds_data_api_requests": 50, "secrets_manager_secret_months": 0.25 / 730, "secrets_manager_calls": 50,
    "lambda_requests": 10, "logs_ingest": 0.001,
}


def cluster_name(names: Names) -> str:
    return names("db")


def instance_name(names: Names) -> str:
    return names("db-writer")


def proxy_name(names: Names) -> str:
    return names("proxy")


def proxy_role_name(names: Names) -> str:
    return names("proxy-role")


def function_name(names: Names) -> str:
    return names("notes")


def function_role_name(names: Names) -> str:
    return names("notes-role")


def cluster_arn(region: str, account_id: str, names: Names) -> str:
    return f"arn:aws:rds:{region}:{account_id}:cluster:{cluster_name(names)}"


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "CLUSTER": cluster_name(names), "INSTANCE": instance_name(names),
        "DATABASE": DATABASE, "PROXY": proxy_name(names), "PROXY_ROLE": proxy_role_name(names),
        "FUNCTION": function_name(names), "FUNCTION_ROLE": function_role_name(names),
        "CLUSTER_ARN": cluster_arn(region, account_id, names),
    }
