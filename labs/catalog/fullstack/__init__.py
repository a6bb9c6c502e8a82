"""The full-stack web app lab: static site in S3, REST API in API Gateway + Lambda, data in DynamoDB.

Read it as a recipe: ``names`` (what it builds), ``steps`` (table, function, API, website),
``verify`` (end to end over HTTP), ``text/`` (what the learner reads), ``template.sam.yaml``,
``functions/items_api/app.py`` (the function) and ``site/`` (the single-page app).
"""

from pathlib import Path

from labs.catalog.fullstack import sabotage, steps, verify
from labs.catalog.fullstack.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


LAB = Lab(
    slug="fullstack",
    title="A full-stack serverless web app",
    summary="Put a single-page app in S3, give it a REST API with API Gateway and Lambda, keep its data in DynamoDB.",
    use_case=_text("use_case"),
    services=("Amazon S3", "Amazon API Gateway", "AWS Lambda", "Amazon DynamoDB", "AWS IAM"),
    minutes=25,
    aws_cost="Well under US$0.01 a run: each service bills per request or per GB, and the AWS Free Tier covers it.",
    diagram="labs/diagrams/fullstack.svg",
    parts={"browser": "Browser", "website": "S3 website", "api": "API Gateway", "function": "Lambda",
           "role": "IAM role", "table": "DynamoDB"},
    steps=(
        Step("table", "Create the DynamoDB table", "Where the items live: on-demand, keyed by id.",
             _text("step_table"), steps.apply_table, steps.check_table, parts=("table",)),
        Step("function", "Deploy the Lambda function", "The code behind the API, with a role that may use just the table.",
             _text("step_function"), steps.apply_function, steps.check_function, parts=("function", "role")),
        Step("api", "Build the REST API", "/items routes as Lambda proxy integrations, the invoke permission, CORS, a stage.",
             _text("step_api"), steps.apply_api, steps.check_api, parts=("api",)),
        Step("website", "Publish the website", "An S3 bucket with website hosting, serving the app.",
             _text("step_website"), steps.apply_website, steps.check_website, parts=("website",)),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    site_files=steps.website_files,
    order=10,
)
