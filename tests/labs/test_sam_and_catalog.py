"""Each lab's AWS SAM template is valid (aws-sam-translator turns it into CloudFormation,
offline) and deploys what the lab's steps build; the catalog declares complete labs."""

import copy

import pytest
import yaml
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import intrinsics_multi_constructor

from labs.catalog import all_labs, get_lab
from labs.catalog import fullstack as fullstack_lab
from labs.catalog.fullstack import steps as fullstack_steps
from labs.catalog.video.names import VIDEO_SUFFIXES


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt), without touching yaml.SafeLoader."""


CloudFormationLoader.add_multi_constructor("!", intrinsics_multi_constructor)


class NoManagedPolicies:
    def load(self):
        return {}


def translate(template: dict) -> dict:
    # `sam package` replaces a local CodeUri with the S3 location it uploads to; do the same.
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://lab-artifacts/items_api.zip"
    return transform(packaged, {"AllowedOrigin": "http://127.0.0.1:8000"}, NoManagedPolicies())


@pytest.fixture
def template(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return yaml.load(fullstack_lab.LAB.sam_source, Loader=CloudFormationLoader)


def test_the_fullstack_sam_template_translates_to_cloudformation(template):
    resources = translate(template)["Resources"]
    types = sorted(resource["Type"] for resource in resources.values())
    assert types.count("AWS::Lambda::Permission") == 4
    for wanted in ("AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::Lambda::Function", "AWS::ApiGateway::RestApi",
                   "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::S3::Bucket", "AWS::S3::BucketPolicy"):
        assert wanted in types
    function = resources["ItemsFunction"]["Properties"]
    assert function["Runtime"] == "python3.12" and function["Handler"] == "app.handler"
    role = resources["ItemsFunctionRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert statements[0]["Action"] == list(fullstack_steps.TABLE_ACTIONS)  # the same least privilege as the step
    swagger = resources["ItemsApi"]["Properties"]["Body"]["paths"]
    assert set(swagger) == {"/items", "/items/{id}"}
    assert {method for path in swagger.values() for method in path} >= {"get", "post", "delete", "options"}
    assert resources["ItemsTable"]["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_a_broken_template_is_caught(template):
    template["Resources"]["ItemsFunction"]["Properties"]["Events"]["ListItems"]["Properties"]["Method"] = 42
    del template["Resources"]["ItemsFunction"]["Properties"]["Handler"]
    with pytest.raises(InvalidDocumentException):
        translate(template)


def test_every_lab_is_complete():
    for lab in all_labs():
        assert get_lab(lab.slug) is lab
        assert lab.steps and lab.verify and lab.services and lab.minutes > 0 and lab.aws_cost
        assert set(part for step in lab.steps for part in step.parts) <= set(lab.parts)
        slugs = [step.slug for step in lab.steps]
        assert len(slugs) == len(set(slugs))
        for step in lab.steps:
            html = step.instructions_html
            assert "Console" in html and "AWS CLI" in html, f"{step.slug} lacks the console or CLI way"
            assert "<script" not in html and f"__tabbed_{step.slug}_" in html
        assert lab.sam_template.exists()
    assert get_lab("nope") is None


def test_the_video_sam_template_translates_to_cloudformation(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(get_lab("video").sam_source, Loader=CloudFormationLoader)
    template["Resources"]["TranscoderFunction"]["Properties"]["CodeUri"] = "s3://lab-artifacts/video_transcoder.zip"
    template["Resources"]["FfmpegLayer"]["Properties"]["ContentUri"] = "s3://lab-artifacts/ffmpeg-layer.zip"
    resources_ = transform(template, {"UploadsBucketName": "up", "OutputBucketName": "out"}, NoManagedPolicies())["Resources"]
    types = [resource["Type"] for resource in resources_.values()]
    assert types.count("AWS::Lambda::Permission") == len(VIDEO_SUFFIXES)
    for wanted in ("AWS::Lambda::LayerVersion", "AWS::Lambda::Function", "AWS::IAM::Role", "AWS::S3::Bucket",
                   "AWS::Lambda::EventInvokeConfig"):
        assert wanted in types
    function = resources_["TranscoderFunction"]["Properties"]
    assert (function["MemorySize"], function["Timeout"], function["EphemeralStorage"]) == (3008, 900, {"Size": 2048})
    notifications = resources_["UploadsBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert len(notifications) == len(VIDEO_SUFFIXES)
    assert all(n["Filter"]["S3Key"]["Rules"][0] == {"Name": "prefix", "Value": "uploads/"} for n in notifications)
    statements = resources_["TranscoderFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in statements] == ["s3:GetObject", "s3:PutObject"]  # the steps' least privilege


def test_the_catalog_is_every_lab_folder_and_nothing_else_names_a_lab():
    """Adding a lab is adding a folder: the catalog finds it, and the engine, the toolkit, the pages
    and the own-account code import no particular lab (the video lab's run-page panel and the
    benchmarks are the lab-specific exceptions)."""
    import ast
    import pkgutil
    from pathlib import Path

    import labs.catalog

    folders = {module.name for module in pkgutil.iter_modules(labs.catalog.__path__) if module.ispkg}
    assert folders == {lab.folder.name for lab in all_labs()} == {lab.slug for lab in all_labs()}
    root = Path(labs.catalog.__file__).resolve().parents[2]
    generic = [*(root / "labs" / "engine").glob("*.py"), *(root / "labs" / "toolkit").glob("*.py"),
               *(root / "own_account").glob("*.py"),
               *(root / "labs" / name for name in ("views.py", "services.py", "selectors.py", "models.py",
                                                  "admin.py", "aws.py", "sandbox.py", "urls.py"))]
    for path in generic:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labs.catalog."):
                raise AssertionError(f"{path.relative_to(root)} imports {node.module}")
            if isinstance(node, ast.ImportFrom) and node.module == "labs.catalog":
                assert {alias.name for alias in node.names} <= {"all_labs", "get_lab"}, path
