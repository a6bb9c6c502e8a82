"""Lambda-runtime parity, for every lab in labs/catalog/*/: a function imports only what the AWS
Lambda Python runtime of its declared version has (that version's standard library, from
stdlib-list, plus boto3/botocore), nothing of this project, dynamic imports included; the runtime
it declares is one AWS offers; and its SAM template declares the same. MiniStack runs functions
under its own interpreter (this machine's Python 3.11 with the project's virtualenv), so none of
this would show in the local sandbox."""

import textwrap
from datetime import date

import pytest
import yaml

from labs.catalog import all_labs
from labs.engine.runtimes import PYTHON_RUNTIMES, import_findings, runtime_problem, standard_library
from tests.labs.test_sam_and_catalog import CloudFormationLoader

FUNCTIONS = [(lab, name) for lab in all_labs() for name in lab.functions]


@pytest.mark.parametrize(("lab", "name"), FUNCTIONS, ids=[f"{lab.slug}/{name}" for lab, name in FUNCTIONS])
def test_parity_each_function_imports_only_what_its_lambda_runtime_has(lab, name):
    findings = import_findings(lab.function_folder(name), lab.runtime)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("lab", all_labs(), ids=lambda lab: lab.slug)
def test_parity_each_lab_declares_a_runtime_aws_offers_and_its_template_agrees(lab):
    assert runtime_problem(lab.runtime) == ""
    template = yaml.load(lab.sam_source, Loader=CloudFormationLoader)
    globals_runtime = template.get("Globals", {}).get("Function", {}).get("Runtime")
    functions = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions, f"{lab.slug}'s template has no function"
    for function in functions:
        assert function.get("Runtime", globals_runtime) == lab.runtime
        code = (lab.sam_template.parent / function["CodeUri"]).resolve()  # what `sam build` packages, from the template's folder
        assert code.is_dir() and code.name in lab.functions and (code / "app.py").exists(), function["CodeUri"]


def write_function(tmp_path, source: str):
    folder = tmp_path / "catalog" / "lab" / "functions" / "fn"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(textwrap.dedent(source))
    (folder / "helpers.py").write_text("import json\n")
    return folder


@pytest.mark.parametrize("module", ["imp", "distutils.core", "asyncore", "asynchat", "smtpd"])
def test_parity_modules_gone_in_312_fail_there_and_pass_on_311(tmp_path, module):
    """The machine's Python is 3.11, where these exist: the list must come from the declared runtime."""
    folder = write_function(tmp_path, f"import {module}\n")
    assert module.split(".")[0] in standard_library("python3.11")
    assert import_findings(folder, "python3.11") == []
    [finding] = import_findings(folder, "python3.12")
    assert finding.line == 1 and "does not have" in finding.problem and "python3.12" in finding.problem


def test_parity_dynamic_imports_and_project_imports_are_seen(tmp_path):
    folder = write_function(tmp_path, """\
        import importlib
        import boto3, botocore.exceptions
        from urllib.parse import unquote_plus
        import helpers
        yaml = importlib.import_module("yaml")
        django = __import__("django")
        from labs.engine import lab
        loader = importlib.import_module(name_from_somewhere)
        """)
    problems = {finding.line: finding.problem for finding in import_findings(folder, "python3.12")}
    assert set(problems) == {5, 6, 7, 8}
    assert "imports yaml" in problems[5] and "imports django" in problems[6]
    assert "part of this project" in problems[7] and "computed name" in problems[8]


def test_parity_runtimes_aws_does_not_offer_are_refused():
    assert "offers no runtime 'python3.8'" in runtime_problem("python3.8")
    assert "offers no runtime 'python3.9'" in runtime_problem("python3.9")  # deprecated 2025-12-15
    assert "no longer creates functions on python3.10" in runtime_problem("python3.10", today=date(2027, 1, 1))
    assert runtime_problem("python3.12", today=date(2027, 1, 1)) == ""
    assert set(PYTHON_RUNTIMES) == {"python3.10", "python3.11", "python3.12", "python3.13", "python3.14"}


def test_parity_the_largest_upload_fits_the_configured_tmp_not_this_machines_disk(settings):
    """Memory and ephemeral storage are not enforced locally (/tmp is this machine's disk): what must
    fit in the function's /tmp is compared with its configured EphemeralStorage. The transcoder needs
    the source and its renditions there (about twice the upload)."""
    from labs.catalog.video.names import EPHEMERAL_MB, MIN_EPHEMERAL_MB
    from labs.video_views import upload_limit_bytes

    assert 2 * upload_limit_bytes() <= MIN_EPHEMERAL_MB * 1024 * 1024 <= EPHEMERAL_MB * 1024 * 1024
    settings.LABS_VIDEO_UPLOAD_MB = 1200  # an operator raising the limit past what /tmp holds is caught
    assert 2 * upload_limit_bytes() > MIN_EPHEMERAL_MB * 1024 * 1024
