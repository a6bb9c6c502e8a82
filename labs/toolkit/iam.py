"""A Lambda function's execution role: created once with Lambda's trust, its inline policy
(re)written; and, for checks, what the role's policies grant."""

import json

from labs.engine.lab import CheckResult, Context
from labs.toolkit.calls import as_list, document, matches, missing

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def logs_statement(region: str, account_id: str, function: str) -> dict:
    """The statement that lets a function write its own log group and nothing else."""
    log_group = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{function}"
    return {"Sid": "OwnLogs", "Effect": "Allow", "Action": list(LOG_ACTIONS), "Resource": [log_group, f"{log_group}:*"]}


def ensure_execution_role(ctx: Context, *, role: str, description: str, policy_name: str, policy: dict,
                          trust: dict | None = None) -> str:
    """Create the function's execution role once (recorded in the ledger first) and (re)write its
    inline policy; returns the role's ARN. ``trust`` replaces Lambda's trust policy when another service
    assumes the role (a state machine's role trusts states.amazonaws.com; Lambda@Edge needs
    edgelambda.amazonaws.com too), and is restored if it drifted."""
    iam = ctx.clients.iam
    existing_role = missing(iam.get_role, RoleName=role)
    if existing_role is None:
        with ctx.creating("iam:role", role, role) as made:
            made.arn = iam.create_role(
                RoleName=role, AssumeRolePolicyDocument=json.dumps(trust or LAMBDA_TRUST),
                Description=description, Tags=ctx.tag_list(),
            )["Role"]["Arn"]
        role_arn = made.arn
    else:
        role_arn = existing_role["Role"]["Arn"]
        if trust is not None and document(existing_role["Role"].get("AssumeRolePolicyDocument")) != trust:
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    with ctx.creating("iam:role-policy", f"{role}/{policy_name}", f"{role}/{policy_name}"):
        iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
    return role_arn


def role_statements(iam, role: str) -> tuple[list[dict], list[str]]:
    """(every statement of the role's inline and attached policies, the attached policies' names)."""
    statements, managed = [], []
    for policy_name in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
        policy = document(iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"])
        statements += as_list(policy.get("Statement", []))
    for attached in iam.list_attached_role_policies(RoleName=role).get("AttachedPolicies", []):
        managed.append(attached["PolicyName"])
        policy = missing(iam.get_policy, PolicyArn=attached["PolicyArn"])
        if policy:
            version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["Policy"]["DefaultVersionId"])
            statements += as_list(document(version["PolicyVersion"]["Document"]).get("Statement", []))
    return statements, managed


def allows(statements: list[dict], action: str, resource: str) -> bool:
    """Whether an Allow statement (and no Deny) grants ``action`` on ``resource``."""
    def hits(statement) -> bool:
        actions = [a.lower() for a in as_list(statement.get("Action", []))]
        resources = as_list(statement.get("Resource", []))
        return any(matches(a, action.lower()) for a in actions) and any(matches(r, resource) for r in resources)

    if any(s.get("Effect") == "Deny" and hits(s) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and hits(s) for s in statements)


def lambda_role(ctx: Context, role: str) -> tuple[dict | None, CheckResult | None]:
    """The role as IAM describes it, or the check's failure: missing, or not trusting Lambda."""
    found = missing(ctx.clients.iam.get_role, RoleName=role)
    if found is None:
        return None, CheckResult.failed(f"There is no IAM role named {role}. The function needs an execution role "
                                        "that Lambda can assume (trusted entity: lambda.amazonaws.com).")
    trust = document(found["Role"].get("AssumeRolePolicyDocument"))
    principals = [s.get("Principal", {}) for s in as_list(trust.get("Statement", [])) if s.get("Effect") == "Allow"]
    services = {service for p in principals if isinstance(p, dict) for service in as_list(p.get("Service", []))}
    if "lambda.amazonaws.com" not in services:
        return None, CheckResult.failed(f"The role {role} does not trust lambda.amazonaws.com, so Lambda cannot "
                                        "assume it. Edit its trust policy to allow sts:AssumeRole for "
                                        "lambda.amazonaws.com.")
    return found["Role"], None
