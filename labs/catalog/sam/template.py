"""The full-stack lab's SAM template, packaged the way `sam package` does it (CodeUri pointed at the
uploaded zip) and validated offline the way `sam validate --lint` does (aws-sam-translator runs the
AWS::Serverless transform, cfn-lint checks the result against the resource schemas)."""

import copy
import hashlib
import io
import json
import logging
import os
import urllib.request
import zipfile
from functools import cache

import yaml

from labs.catalog.sam.names import (
    BROKEN_DESCRIPTION, BROKEN_KEY, FULLSTACK, FUNCTION_LOGICAL_ID, FUNCTION_SOURCE, STAGE, TEMPLATE,
)
from labs.engine.lab import function_zip


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt), without touching yaml.SafeLoader."""


def _intrinsics():
    from samtranslator.yaml_helper import intrinsics_multi_constructor

    CloudFormationLoader.add_multi_constructor("!", intrinsics_multi_constructor)


def source() -> dict:
    """The full-stack lab's template, as a dict (read each time: it is the one source)."""
    _intrinsics()
    return yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)


@cache
def package() -> bytes:
    """The function's deployment package, built from the full-stack lab's code (reproducible bytes)."""
    return function_zip(FULLSTACK / "functions" / FUNCTION_SOURCE)


def parse(text: str) -> dict:
    """A template as a dict, from JSON or YAML (short tags included)."""
    _intrinsics()
    return yaml.load(text, Loader=CloudFormationLoader)


def is_items_package(package_bytes: bytes | None) -> bool:
    """Whether a zip is the items function's code: its app.py is the full-stack lab's (however it was zipped)."""
    try:
        with zipfile.ZipFile(io.BytesIO(package_bytes or b"")) as archive:
            return archive.read("app.py") == (FULLSTACK / "functions" / FUNCTION_SOURCE / "app.py").read_bytes()
    except (zipfile.BadZipFile, KeyError):
        return False


def deployed_code(location: str) -> bytes | None:
    """The code Lambda holds for a function (GetFunction's presigned Code.Location), or None."""
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(location, timeout=30) as answer:
            return answer.read()
    except (OSError, ValueError):
        return None


def package_digest() -> str:
    return hashlib.sha256(package()).hexdigest()


def packaged(bucket: str, key: str, *, boundary: str = "", broken: bool = False) -> dict:
    """The template with the function's CodeUri at s3://bucket/key. ``boundary`` (an AWS account whose
    labs role may only create roles under a permissions boundary) goes on the function's role.
    ``broken``: version 2, whose code was never uploaded (the update that fails)."""
    template = source()
    function = template["Resources"][FUNCTION_LOGICAL_ID]["Properties"]
    function["CodeUri"] = f"s3://{bucket}/{BROKEN_KEY if broken else key}"
    if broken:
        function["Description"] = BROKEN_DESCRIPTION
    if boundary:
        function["PermissionsBoundary"] = boundary
    return template


def body(template: dict) -> str:
    return json.dumps(template, indent=1, sort_keys=False, default=str)  # an unquoted YAML date stays text


def parameters(origin: str) -> list[dict]:
    return [{"ParameterKey": "AllowedOrigin", "ParameterValue": origin},
            {"ParameterKey": "StageName", "ParameterValue": STAGE}]


def translate(template: dict, origin: str, region: str) -> tuple[dict | None, str]:
    """(the CloudFormation the AWS::Serverless transform makes, "") or (None, what is wrong)."""
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            return {}

    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator builds ARNs for it
    try:
        return transform(copy.deepcopy(template), {"AllowedOrigin": origin, "StageName": STAGE}, NoManagedPolicies()), ""
    except InvalidDocumentException as error:
        return None, "; ".join(str(cause) for cause in error.causes) or str(error)
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


_lint_results: dict[str, list[tuple[str, str, str]]] = {}


def lint(text: str, region: str) -> list[tuple[str, str, str]]:
    """cfn-lint's findings on the template text: (rule id, severity, message); cached by content."""
    key = hashlib.sha256(f"{region}\n{text}".encode()).hexdigest()
    if key not in _lint_results:
        from cfnlint.api import ManualArgs
        from cfnlint.api import lint as run_lint

        # cfn-lint logs the whole transformed template at INFO, and the translator its metrics.
        for logger in ("cfnlint", "samtranslator"):
            logging.getLogger(logger).setLevel(logging.WARNING if logger == "cfnlint" else logging.ERROR)
        found = run_lint(text, config=ManualArgs(regions=[region]))
        _lint_results[key] = [(m.rule.id, getattr(m.rule, "severity", ""), m.message) for m in found]
    return _lint_results[key]


def lint_errors(text: str, region: str) -> list[str]:
    return [f"{rule} {message}" for rule, severity, message in lint(text, region) if rule.startswith("E")]
