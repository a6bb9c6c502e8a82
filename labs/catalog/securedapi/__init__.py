"""The secured-API lab: a Cognito user pool signs users in; a REST API in API Gateway lets only
their tokens through (a Cognito authorizer) to a Lambda function that reads their claims, with an
admins-only route; an AppSync GraphQL API takes the same tokens by default and an API key for one
public query, with notes in DynamoDB and a Lambda resolver.

Read it as a recipe: ``names`` (what it builds), ``steps`` (user pool, function, REST API),
``graphql_step`` (table and AppSync's role, the GraphQL API), ``graphql/`` (schema and resolvers),
``users`` (sign-up and sign-in), ``verify``, ``sabotage``, ``text/``, ``template.sam.yaml`` and
``functions/claims/app.py``. The run page's panel is ``labs/securedapi_views.py``.
"""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from labs.catalog.securedapi import graphql_step, sabotage, steps, verify
from labs.catalog.securedapi.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


# What MiniStack 1.5.33 does with this lab's services (read in its source and tried; docs/labs.md).
LOCAL_ENFORCED = (
    "The REST API's Cognito authorizer verifies each token: RS256 signature against the pool's own keys (JWKS), "
    "issuer = your pool, expiry; a missing or forged token gets 401 before the function runs.",
    "Cognito signs real JWTs per pool and checks passwords, confirmation and group membership.",
    "AppSync runs the schema, the APPSYNC_JS resolvers (in Node.js) against the DynamoDB table, and the Lambda "
    "resolver; it refuses a request that carries no token and no API key, and an API key it did not issue.",
)
LOCAL_NOT_ENFORCED = (
    "AppSync does not verify user-pool tokens: any bearer string passes, and its claims are read unverified. The "
    "verify says so instead of counting it; the graphql step's check reads the API's authorization configuration.",
    "AppSync does not apply @aws_api_key / @aws_cognito_user_pools per field: the API key could call addNote here. "
    "The check reads the schema's directives; AWS enforces them.",
    "AppSync's data-source role is not used: resolvers reach the table and the function directly. The notes step's "
    "check reads the role's policy.",
    "Public Cognito calls (SignUp, InitiateAuth) are unsigned in AWS; the sandbox picks your account from a "
    "signature, so the site signs them. Calls carrying a token name your account in an X-Amz-Credential query "
    "parameter, which your function sees among its query parameters (in AWS it would not).",
)


@dataclass(frozen=True)
class SecuredApiLab(Lab):
    """The lab, plus the run page's panel: sign up, sign in, call both APIs."""

    run_panel: str = "labs/securedapi/_panel.html"
    verify_intro: str = "Verifying both APIs as a signed-in app would call them: no token, forged tokens, good tokens, the API key"
    verified_message: str = "Verified: only your pool's users get through, and only admins reach /admin."
    verify_summary: str = ("Real sign-ups and sign-ins, then the REST API and the GraphQL API called with no token, "
                           "forged tokens, good tokens and the API key.")
    local_real: tuple = LOCAL_ENFORCED
    local_stored: tuple = LOCAL_NOT_ENFORCED

    @cached_property
    def extra_sources(self) -> list[tuple[str, str]]:
        """The GraphQL schema and the resolvers' code, shown on the lab page under the function's."""
        from labs.engine.lab import _highlighted

        files = (("graphql/schema.graphql", "graphql"), ("graphql/addNote.js", "javascript"),
                 ("graphql/listNotes.js", "javascript"), ("graphql/notice.js", "javascript"))
        return [(name, _highlighted((self.folder / name).read_text(), language)) for name, language in files]


LAB = SecuredApiLab(
    slug="securedapi",
    title="A secured API: Cognito, API Gateway and AppSync",
    summary="Sign users in with a Cognito user pool; let only their tokens through a REST API's authorizer and an "
            "AppSync GraphQL API, with an admins-only route and one public query behind an API key.",
    use_case=_text("use_case"),
    services=("Amazon Cognito", "Amazon API Gateway", "AWS AppSync", "AWS Lambda", "Amazon DynamoDB", "AWS IAM"),
    minutes=35,
    aws_cost="About US$0.05 a run at list prices, almost all of it the three Cognito users (US$0.015 each a month "
             "on the Essentials plan); Cognito's 10,000 free monthly active users make that US$0 in practice, and the "
             "rest bills per request.",
    diagram="labs/diagrams/securedapi.svg",
    parts={"browser": "Your app (run page)", "pool": "Cognito user pool", "rest": "API Gateway + authorizer",
           "function": "Lambda (claims)", "role": "IAM roles", "graphql": "AppSync API", "table": "DynamoDB notes"},
    steps=(
        Step("users", "Create the user pool", "A user pool, a public app client, and the admins group.",
             _text("step_users"), steps.apply_users, steps.check_users, parts=("pool",)),
        Step("function", "Deploy the claims function", "It answers with the claims API Gateway verified; /admin "
             "only for the admins group.", _text("step_function"), steps.apply_function, steps.check_function,
             parts=("function", "role")),
        Step("rest", "Protect the REST API with a Cognito authorizer", "GET /me and GET /admin, each behind the "
             "user pool's authorizer.", _text("step_rest"), steps.apply_rest, steps.check_rest, parts=("rest",)),
        Step("notes", "Create the notes table and AppSync's role", "Where notes live, and what AppSync may do there.",
             _text("step_notes"), graphql_step.apply_notes, graphql_step.check_notes, parts=("table",),
             services=("Amazon DynamoDB", "AWS IAM")),
        Step("graphql", "Build the GraphQL API", "User pool by default, API key for one public query; DynamoDB and "
             "Lambda resolvers.", _text("step_graphql"), graphql_step.apply_graphql, graphql_step.check_graphql,
             parts=("graphql",)),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=70,
)
