"""The edge lab: a CloudFront distribution in front of a private S3 bucket, a CloudFront Function
that normalises URLs on viewer request, and a Lambda@Edge function that adds security headers on
origin response.

Read it as a recipe: ``names`` (what it builds), ``steps`` (origin, viewer function, edge function),
``distribution_step`` (the distribution), ``edge_rules`` (what CloudFront demands of a Lambda@Edge
function), ``verify`` and ``viewer`` (requests through the distribution), ``text/``,
``template.sam.yaml``, ``cloudfront/normalise_url.js`` and ``functions/security_headers/app.py``.
"""

from pathlib import Path

from labs.catalog.edge import distribution_step, sabotage, steps, verify
from labs.catalog.edge.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


LAB = Lab(
    slug="edge",
    title="At the edge: CloudFront, CloudFront Functions and Lambda@Edge",
    summary="Serve a private S3 bucket through CloudFront, normalise URLs with a CloudFront Function, add security "
            "headers with Lambda@Edge.",
    use_case=_text("use_case"),
    services=("Amazon CloudFront", "CloudFront Functions", "Lambda@Edge", "AWS Lambda", "Amazon S3", "AWS IAM"),
    minutes=35,
    aws_cost="Well under US$0.01 a run: CloudFront, CloudFront Functions and Lambda@Edge bill per request (Lambda@Edge "
             "also per GB-second, with no free tier; a run makes about a hundred invocations). Deploying and deleting "
             "the distribution takes minutes in AWS, and the Lambda@Edge function can be deleted only hours later "
             "(it costs nothing meanwhile).",
    diagram="labs/diagrams/edge.svg",
    parts={"viewer": "Viewer", "distribution": "CloudFront", "viewer_function": "CloudFront Function",
           "edge_function": "Lambda@Edge", "role": "IAM role", "bucket": "S3 bucket"},
    steps=(
        Step("origin", "Create the private origin bucket", "An S3 bucket with all public access blocked, holding the site.",
             _text("step_origin"), steps.apply_origin, steps.check_origin, parts=("bucket",), services=("Amazon S3",)),
        Step("viewer-function", "Publish the viewer-request CloudFront Function",
             "JavaScript that lower-cases the URL and adds index.html to directory paths.",
             _text("step_viewer_function"), steps.apply_viewer_function, steps.check_viewer_function,
             parts=("viewer_function",), services=("CloudFront Functions", "Amazon CloudFront")),
        Step("edge-function", "Publish the origin-response Lambda@Edge function",
             "Python in us-east-1, no environment variables, a role for Lambda and Lambda@Edge, a numbered version.",
             _text("step_edge_function"), steps.apply_edge_function, steps.check_edge_function,
             parts=("edge_function", "role"), services=("Lambda@Edge", "AWS Lambda", "AWS IAM")),
        Step("distribution", "Create the distribution",
             "Origin access control, the bucket policy for this distribution only, both functions associated.",
             _text("step_distribution"), distribution_step.apply_distribution, distribution_step.check_distribution,
             parts=("distribution", "viewer"), services=("Amazon CloudFront", "Lambda@Edge", "Amazon S3")),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    site_files=steps.site_files,
    order=80,
)
