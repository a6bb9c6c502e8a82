"""DynamoDB tables: on-demand, keyed by one string attribute; and the check that says what is off."""

from labs.engine.lab import CheckResult, Context, Found
from labs.toolkit.calls import missing, wait_until


def ensure_table(ctx: Context, name: str, key: str = "id") -> str:
    """Create the table once (recorded first) and wait until it is ACTIVE; its ARN."""
    dynamodb = ctx.clients.dynamodb
    table = missing(dynamodb.describe_table, TableName=name)
    if table is None:
        with ctx.creating("dynamodb:table", name, name) as made:
            created = dynamodb.create_table(
                TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST", Tags=ctx.tag_list(),
            )
            made.arn = created["TableDescription"]["TableArn"]
        description = created["TableDescription"]
    else:
        description = table["Table"]
    if description["TableStatus"] != "ACTIVE":
        wait_until(lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
                   f"table {name} to become ACTIVE")
    return description["TableArn"]


def check_table(ctx: Context, name: str, key: str = "id", used_by: str = "the function") -> CheckResult:
    """The table exists, is keyed on ``key`` (a String, no sort key), on-demand and ACTIVE."""
    found = missing(ctx.clients.dynamodb.describe_table, TableName=name)
    if found is None:
        return CheckResult.failed(f"There is no DynamoDB table named {name} in {ctx.region}. Create it with the "
                                  f"partition key {key} (type String) and on-demand capacity.")
    table = found["Table"]
    keys = {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]}
    types = {item["AttributeName"]: item["AttributeType"] for item in table.get("AttributeDefinitions", [])}
    if keys != {(key, "HASH")} or types.get(key) != "S":
        described = ", ".join(f"{attr} ({kind}, {types.get(attr, '?')})" for attr, kind in sorted(keys))
        return CheckResult.failed(f"The table's key is {described}, but {used_by} reads and writes items by {key} "
                                  "(a String partition key, no sort key). A key cannot be changed: delete the table "
                                  "and create it again.")
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing != "PAY_PER_REQUEST":
        return CheckResult.failed("The table uses provisioned capacity. Switch it to on-demand (PAY_PER_REQUEST): "
                                  "you pay per request and a quiet lab costs nothing.")
    if table["TableStatus"] != "ACTIVE":
        return CheckResult.failed(f"The table is {table['TableStatus']}, not ACTIVE yet: check again in a moment.")
    return CheckResult.passed(f"Table {name} is ACTIVE, keyed on {key} (String), on-demand.",
                              Found("dynamodb:table", name, name, table["TableArn"]))
