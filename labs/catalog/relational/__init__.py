"""The serverless relational lab: an Aurora PostgreSQL Serverless v2 cluster that scales to zero and
pauses, its master password kept by RDS in Secrets Manager, an RDS Proxy in front of it, and a Lambda
function that writes and reads rows through the RDS Data API.

Read it as a recipe: ``names`` (what it builds), ``steps`` (cluster, proxy, function), ``verify`` (a
note written and read back), ``sabotage``, ``text/``, ``template.sam.yaml`` and
``functions/notes/app.py``.
"""

from dataclasses import dataclass
from pathlib import Path

from labs.catalog.relational import sabotage, steps, verify
from labs.catalog.relational.names import FUNCTION_SOURCE, RUNTIME, USAGE, variables
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _text(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()


@dataclass(frozen=True)
class RelationalLab(Lab):
    verify_intro: str = "Verifying the query path: the function writes a note through the Data API and reads it back"
    verified_message: str = ("Verified: the function's query path works (in AWS, the note is read back from Aurora; "
                             "locally, up to the Data API, as the verify says).")


LAB = RelationalLab(
    slug="relational",
    title="Serverless relational: Aurora Serverless v2, RDS Proxy and the Data API",
    summary="An Aurora PostgreSQL cluster set to scale to zero, its password in Secrets Manager, an RDS Proxy in "
            "front (which keeps it from pausing), and a Lambda function that queries it through the RDS Data API.",
    use_case=_text("use_case"),
    services=("Amazon Aurora", "Aurora Serverless v2", "Amazon RDS Proxy", "RDS Data API", "AWS Secrets Manager",
              "AWS Lambda", "AWS IAM"),
    minutes=40,
    aws_cost="A few US cents a run: the RDS Proxy (billed per ACU-hour of the Aurora Serverless v2 capacity behind "
             "it, at least 8 ACUs, while it exists) and a few ACU-minutes of Aurora (while the proxy is attached the "
             "cluster does not pause; without one a paused cluster bills storage only). Delete the run when done: AWS takes 10 to 20 minutes to create and delete "
             "the cluster and the proxy.",
    diagram="labs/diagrams/relational.svg",
    parts={"function": "Lambda function", "function_role": "Function's role", "data_api": "RDS Data API",
           "proxy": "RDS Proxy", "proxy_role": "Proxy's role", "secret": "Secrets Manager secret",
           "cluster": "Aurora Serverless v2 cluster"},
    steps=(
        Step("database", "Create the Aurora Serverless v2 cluster",
             "Aurora PostgreSQL, 0 to 2 ACU with auto-pause, its password managed in Secrets Manager, the Data API "
             "on, one db.serverless writer.", _text("step_database"), steps.apply_database, steps.check_database,
             parts=("cluster", "secret", "data_api"),
             services=("Amazon Aurora", "Aurora Serverless v2", "AWS Secrets Manager", "RDS Data API")),
        Step("proxy", "Put an RDS Proxy in front of it",
             "A proxy that logs in with the cluster's secret through a role that may read only that secret.",
             _text("step_proxy"), steps.apply_proxy, steps.check_proxy, parts=("proxy", "proxy_role"),
             services=("Amazon RDS Proxy", "AWS Secrets Manager", "AWS IAM")),
        Step("function", "Deploy the function that queries it",
             "Python that writes and reads notes through the Data API, with a role for that cluster and its secret "
             "only.", _text("step_function"), steps.apply_function, steps.check_function,
             parts=("function", "function_role"), services=("AWS Lambda", "RDS Data API", "AWS IAM")),
    ),
    verify=verify.CHECKS,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=100,
)
