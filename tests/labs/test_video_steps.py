"""The video lab's steps on moto: each apply builds its part (recorded in the ledger first),
running it again creates nothing twice, the ffmpeg layer is published through S3 and reused,
and each check fails for the right reason with a message a learner can act on. The ffmpeg
binary is a stand-in here (publishing the real 170 MB one is what an AWS run does)."""

import copy
import json

import pytest

from labs.engine import resources
from labs.catalog import video as video_lab
from labs.catalog.video import function_step
from labs.catalog.video import names as video_names
from labs.catalog.video import steps as video_steps
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.engine.lab import StepBlocked
from tests.labs.conftest import MOTO_ACCOUNT, make_context

UPLOADS = f"sa-unit0001-uploads-{MOTO_ACCOUNT}"
OUTPUTS = f"sa-unit0001-renditions-{MOTO_ACCOUNT}"
FUNCTION, ROLE = "sa-unit0001-transcoder", "sa-unit0001-transcoder-role"


@pytest.fixture
def fake_ffmpeg(tmp_path, monkeypatch, settings):
    binary = tmp_path / "bin" / "ffmpeg"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\necho 'ffmpeg version n0.0-test Copyright (c) the tests'\n")
    binary.chmod(0o755)
    monkeypatch.setattr(video_ffmpeg, "ffmpeg_binary", lambda: binary)
    settings.VAR_DIR = tmp_path / "var"
    return binary


@pytest.fixture
def ctx(moto_aws, fake_ffmpeg):
    return make_context()


@pytest.fixture
def local(monkeypatch):
    """Steps behave as in the local sandbox (ffmpeg from this machine, no layer)."""
    monkeypatch.setattr(video_names, "is_local", lambda ctx: True)


def apply_through(ctx, last: str):
    for step in video_lab.LAB.steps:
        step.apply(ctx)
        if step.slug == last:
            return


def check(ctx, slug: str):
    return video_lab.LAB.step(slug).check(ctx)


def counts(ctx) -> dict:
    c = ctx.clients
    policy = json.loads(c.lambda_.get_policy(FunctionName=FUNCTION)["Policy"])
    return {
        "buckets": len(c.s3.list_buckets()["Buckets"]),
        "objects": sum(len(c.s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])) for b in c.s3.list_buckets()["Buckets"]),
        "layer_versions": len(c.lambda_.list_layer_versions(LayerName=video_ffmpeg.LAYER_NAME)["LayerVersions"]),
        "roles": len(c.iam.list_roles()["Roles"]),
        "role_policies": len(c.iam.list_role_policies(RoleName=ROLE)["PolicyNames"]),
        "functions": len(c.lambda_.list_functions()["Functions"]),
        "permissions": len(policy["Statement"]),
        "notifications": len(c.s3.get_bucket_notification_configuration(Bucket=UPLOADS)["LambdaFunctionConfigurations"]),
        "ledger": len(ctx.recorder.ledger),
    }


def test_each_step_applies_and_then_passes_its_check(ctx):
    for step in video_lab.LAB.steps:
        assert not step.check(ctx).ok, f"{step.slug} passes before it is built"
        step.apply(ctx)
        result = step.check(ctx)
        assert result.ok, f"{step.slug}: {result.message}"
    assert [entry.kind for entry in ctx.recorder.ledger] == [
        "s3:bucket", "s3:bucket", "lambda:layer-version", "iam:role", "iam:role-policy", "logs:log-group",
        "lambda:function", "lambda:permission"]
    assert all(entry.status == "created" for entry in ctx.recorder.ledger)
    assert (ctx.outputs["uploads_bucket"], ctx.outputs["output_bucket"]) == (UPLOADS, OUTPUTS)

    c = ctx.clients
    layer = ctx.outputs["layer_arn"]
    assert f":layer:{video_ffmpeg.LAYER_NAME}:" in layer
    assert ctx.recorder.ledger[2].physical_id == layer
    described = c.lambda_.list_layer_versions(LayerName=video_ffmpeg.LAYER_NAME)["LayerVersions"][0]
    assert f"sha256:{video_ffmpeg.describe().sha256}" in described["Description"]
    assert c.s3.list_objects_v2(Bucket=OUTPUTS).get("KeyCount", 0) == 0  # the staged layer zip is gone

    config = c.lambda_.get_function(FunctionName=FUNCTION)["Configuration"]
    assert (config["Runtime"], config["Handler"], config["MemorySize"], config["Timeout"]) == ("python3.12", "app.handler", 3008, 900)
    assert config["EphemeralStorage"] == {"Size": 2048}
    assert [layer_ref["Arn"] for layer_ref in config["Layers"]] == [layer]
    assert config["Environment"]["Variables"] == {"OUTPUT_BUCKET": OUTPUTS, "EPHEMERAL_MB": "2048"}
    retries = c.lambda_.get_function_event_invoke_config(FunctionName=FUNCTION)
    assert (retries["MaximumRetryAttempts"], retries["MaximumEventAgeInSeconds"]) == (1, 3600)

    statement = json.loads(c.lambda_.get_policy(FunctionName=FUNCTION)["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{UPLOADS}"
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == MOTO_ACCOUNT
    configurations = c.s3.get_bucket_notification_configuration(Bucket=UPLOADS)["LambdaFunctionConfigurations"]
    rules = sorted((r["Value"] for conf in configurations for r in conf["Filter"]["Key"]["FilterRules"] if r["Name"] == "suffix"))
    assert rules == sorted(video_steps.VIDEO_SUFFIXES)
    assert all(conf["Events"] == ["s3:ObjectCreated:*"] for conf in configurations)
    policy = json.loads(json.dumps(c.iam.get_role_policy(RoleName=ROLE, PolicyName=function_step.POLICY_NAME)["PolicyDocument"]))
    assert policy["Statement"][:2] == [
        {"Sid": "ReadUploads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{UPLOADS}/uploads/*"},
        {"Sid": "WriteRenditions", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{OUTPUTS}/*"}]


def test_resources_are_named_with_the_run_prefix_and_tagged(ctx):
    apply_through(ctx, "trigger")
    c = ctx.clients
    for bucket in (UPLOADS, OUTPUTS):
        assert {"Key": "serverless-academy:run", "Value": "sa-unit0001"} in c.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
        block = c.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())
    assert c.lambda_.get_function(FunctionName=FUNCTION)["Tags"] == {"serverless-academy:run": "sa-unit0001"}


def test_applying_everything_twice_creates_nothing_twice(ctx):
    apply_through(ctx, "trigger")
    once = counts(ctx)
    apply_through(ctx, "trigger")
    assert counts(ctx) == once
    assert once["layer_versions"] == 1 and once["permissions"] == 1 and once["notifications"] == len(video_steps.VIDEO_SUFFIXES)


def test_another_run_reuses_the_layer_built_from_the_same_binary(ctx):
    apply_through(ctx, "ffmpeg")
    first = ctx.outputs["layer_arn"]
    other = make_context(prefix="sa-unit0002")
    apply_through(other, "ffmpeg")
    assert other.outputs["layer_arn"] == first
    assert [entry.kind for entry in other.recorder.ledger] == ["s3:bucket", "s3:bucket"]  # not its to delete
    assert any("Reusing the ffmpeg layer" in event["message"] for event in other.recorder.events)
    assert check(other, "ffmpeg").ok


def test_a_layer_the_learner_keeps_is_not_in_the_ledger(ctx):
    ctx.outputs["keep_layer"] = True
    apply_through(ctx, "ffmpeg")
    assert ctx.outputs["layer_arn"] and "lambda:layer-version" not in [e.kind for e in ctx.recorder.ledger]
    assert any("keep it after teardown" in event["message"] for event in ctx.recorder.events)


def test_in_the_local_sandbox_the_function_uses_the_machines_ffmpeg(ctx, local, fake_ffmpeg):
    apply_through(ctx, "trigger")
    for step in video_lab.LAB.steps:
        assert check(ctx, step.slug).ok, step.slug
    assert "lambda:layer-version" not in [entry.kind for entry in ctx.recorder.ledger]
    config = ctx.clients.lambda_.get_function(FunctionName=FUNCTION)["Configuration"]
    assert config["Environment"]["Variables"] == {"OUTPUT_BUCKET": OUTPUTS, "EPHEMERAL_MB": "2048", "FFMPEG_PATH": str(fake_ffmpeg)}
    assert not config.get("Layers")
    assert ctx.outputs["ffmpeg"]["version"] == "n0.0-test"
    assert "runs on this machine" in check(ctx, "ffmpeg").message


def test_steps_out_of_order_say_what_comes_first(ctx):
    with pytest.raises(StepBlocked, match="do step 1 first"):
        video_steps.apply_ffmpeg(ctx)
    with pytest.raises(StepBlocked, match="do step 1 first"):
        function_step.apply_function(ctx)
    with pytest.raises(StepBlocked, match="do step 3 first"):
        video_steps.apply_trigger(ctx)
    video_steps.apply_buckets(ctx)
    with pytest.raises(StepBlocked, match="do step 2 first"):
        function_step.apply_function(ctx)


# Checks that fail, and say why ------------------------------------------------------------

def test_bucket_check_finds_a_missing_bucket_and_public_access(ctx):
    video_steps.apply_buckets(ctx)
    ctx.clients.s3.put_public_access_block(Bucket=OUTPUTS, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    result = check(ctx, "buckets")
    assert not result.ok and "does not block all public access" in result.message and "BlockPublicPolicy" in result.message
    ctx.clients.s3.delete_bucket(Bucket=OUTPUTS)
    result = check(ctx, "buckets")
    assert not result.ok and f"no output bucket named {OUTPUTS}" in result.message


def test_ffmpeg_check_finds_no_layer(ctx):
    video_steps.apply_buckets(ctx)
    result = check(ctx, "ffmpeg")
    assert not result.ok and "no version of the layer sa-ffmpeg" in result.message and "from S3" in result.message


def put_policy(ctx, *statements):
    ctx.clients.iam.put_role_policy(RoleName=ROLE, PolicyName=function_step.POLICY_NAME,
                                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{UPLOADS}/uploads/*"}
WRITE = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{OUTPUTS}/*"}


@pytest.mark.parametrize("statements, says", [
    ([READ], "cannot write the output bucket"),
    ([READ, {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{UPLOADS}/*"}], "invoke itself in a loop"),
    ([WRITE], "cannot read the uploads"),
    ([READ, WRITE, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], "beyond the lab's two buckets"),
    ([READ, WRITE, {"Effect": "Allow", "Action": ["s3:Put*"], "Resource": f"arn:aws:s3:::{UPLOADS}/*"}], "invoke itself in a loop"),
    ([{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": f"arn:aws:s3:::{UPLOADS}/*"},
      {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": [f"arn:aws:s3:::{OUTPUTS}/*"]}], ""),
])
def test_function_check_judges_what_the_role_may_do(ctx, statements, says):
    apply_through(ctx, "function")
    put_policy(ctx, *statements)
    result = check(ctx, "function")
    if says:
        assert not result.ok and says in result.message, result.message
    else:
        assert result.ok, result.message


def test_function_check_refuses_a_role_lambda_cannot_assume(ctx):
    apply_through(ctx, "function")
    ctx.clients.iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    result = check(ctx, "function")
    assert not result.ok and "does not trust lambda.amazonaws.com" in result.message


@pytest.mark.parametrize("change, says", [
    ({"MemorySize": 128}, "CPU in proportion to memory"),
    ({"Timeout": 3}, "times out after 3 s"),
    ({"Environment": {"Variables": {"OUTPUT_BUCKET": UPLOADS}}}, "OUTPUT_BUCKET"),
    ({"Layers": []}, "has no ffmpeg: attach the layer sa-ffmpeg"),
    ({"Handler": "lambda_function.lambda_handler"}, "the handler must be app.handler"),
])
def test_function_check_explains_a_configuration_that_would_fail(ctx, change, says):
    apply_through(ctx, "function")
    ctx.clients.lambda_.update_function_configuration(FunctionName=FUNCTION, **change)
    result = check(ctx, "function")
    assert not result.ok and says in result.message, result.message


def test_function_check_explains_too_little_tmp(ctx):
    apply_through(ctx, "function")
    config = ctx.clients.lambda_.get_function(FunctionName=FUNCTION)["Configuration"]
    config["EphemeralStorage"] = {"Size": 512}  # moto keeps the size a function was created with
    problem = function_step._function_problem(ctx, config, config["Role"])
    assert "512 MB of /tmp" in problem and "2048 MB" in problem


def test_in_the_local_sandbox_a_wrong_ffmpeg_path_is_explained(ctx, local):
    apply_through(ctx, "function")
    ctx.clients.lambda_.update_function_configuration(FunctionName=FUNCTION, Environment={"Variables": {
        "OUTPUT_BUCKET": OUTPUTS, "FFMPEG_PATH": "/usr/local/bin/nothing-here"}})
    result = check(ctx, "function")
    assert not result.ok and "FFMPEG_PATH" in result.message and "/usr/local/bin/nothing-here" in result.message


def notify(ctx, *configurations):
    ctx.clients.s3.put_bucket_notification_configuration(
        Bucket=UPLOADS, NotificationConfiguration={"LambdaFunctionConfigurations": list(configurations)})


def configuration(ctx, *, prefix="uploads/", suffix=".mp4", events=("s3:ObjectCreated:*",)):
    arn = ctx.clients.lambda_.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    rules = ([{"Name": "prefix", "Value": prefix}] if prefix else []) + ([{"Name": "suffix", "Value": suffix}] if suffix else [])
    return {"LambdaFunctionArn": arn, "Events": list(events), "Filter": {"Key": {"FilterRules": rules}}}


def test_trigger_check_finds_the_missing_notification(ctx):
    apply_through(ctx, "trigger")
    notify(ctx)
    result = check(ctx, "trigger")
    assert not result.ok and "Uploads do not trigger the function" in result.message and "uploads/" in result.message


def test_trigger_check_finds_the_missing_permission(ctx):
    apply_through(ctx, "trigger")
    ctx.clients.lambda_.remove_permission(FunctionName=FUNCTION, StatementId=video_steps.PERMISSION_ID)
    result = check(ctx, "trigger")
    assert not result.ok and "S3 has no permission to invoke" in result.message
    assert f"arn:aws:s3:::{UPLOADS}" in result.message


def test_trigger_check_refuses_a_permission_for_another_bucket(ctx):
    apply_through(ctx, "trigger")
    c = ctx.clients.lambda_
    c.remove_permission(FunctionName=FUNCTION, StatementId=video_steps.PERMISSION_ID)
    c.add_permission(FunctionName=FUNCTION, StatementId="other", Action="lambda:InvokeFunction",
                     Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::someone-elses-bucket")
    assert "S3 has no permission to invoke" in check(ctx, "trigger").message


@pytest.mark.parametrize("configurations, says", [
    ([{"prefix": "upload/"}, {"prefix": "upload/", "suffix": ".mov"}], "prefix filter is 'upload/', not 'uploads/'"),
    ([{"prefix": ""}, {"prefix": "", "suffix": ".mov"}], "prefix filter is none"),
    ([{"events": ("s3:ObjectCreated:Put",)}, {"suffix": ".mov", "events": ("s3:ObjectCreated:Put",)}], "CompleteMultipartUpload"),
    ([{}], "No configuration covers .mov"),
    ([{"suffix": ""}], "no suffix filter"),
])
def test_trigger_check_explains_a_wrong_filter(ctx, configurations, says):
    apply_through(ctx, "trigger")
    notify(ctx, *[configuration(ctx, **options) for options in configurations])
    result = check(ctx, "trigger")
    assert not result.ok and says in result.message, result.message


def test_trigger_apply_keeps_notifications_it_does_not_own(ctx):
    apply_through(ctx, "function")
    other = copy.deepcopy(configuration(ctx, prefix="thumbnails/", suffix=".jpg"))
    other["LambdaFunctionArn"] = other["LambdaFunctionArn"].replace(FUNCTION, "sa-unit0001-thumbnailer")
    notify(ctx, other)
    video_steps.apply_trigger(ctx)
    arns = [c["LambdaFunctionArn"] for c in ctx.clients.s3.get_bucket_notification_configuration(Bucket=UPLOADS)["LambdaFunctionConfigurations"]]
    assert arns.count(other["LambdaFunctionArn"]) == 1 and len(arns) == 1 + len(video_steps.VIDEO_SUFFIXES)


def test_checks_report_what_they_found_for_the_ledger(ctx):
    apply_through(ctx, "trigger")
    found = [item.kind for step in video_lab.LAB.steps for item in step.check(ctx).found]
    assert found == ["s3:bucket", "s3:bucket", "iam:role", "lambda:function", "logs:log-group", "lambda:permission"]


# Teardown ---------------------------------------------------------------------------------

def test_teardown_of_the_ledger_deletes_everything_including_the_layer(ctx):
    apply_through(ctx, "trigger")
    ctx.clients.s3.put_object(Bucket=OUTPUTS, Key="clip/tv-1080p.mp4", Body=b"...")  # what the function wrote
    for entry in reversed(ctx.recorder.ledger):
        assert resources.delete(ctx.clients, entry.kind, entry.physical_id, entry.name) in (resources.DELETED, resources.GONE)
    c = ctx.clients
    assert c.s3.list_buckets()["Buckets"] == [] and c.lambda_.list_functions()["Functions"] == []
    assert c.lambda_.list_layer_versions(LayerName=video_ffmpeg.LAYER_NAME)["LayerVersions"] == []
    assert [r for r in c.iam.list_roles()["Roles"] if r["RoleName"] == ROLE] == []
    again = [resources.delete(c, e.kind, e.physical_id, e.name) for e in reversed(ctx.recorder.ledger)]
    assert set(again) == {resources.GONE}


def test_a_layer_version_whose_arn_never_reached_the_ledger_is_found_by_its_digest(ctx):
    apply_through(ctx, "ffmpeg")
    entry = next(e for e in ctx.recorder.ledger if e.kind == "lambda:layer-version")
    assert resources.delete(ctx.clients, entry.kind, "", entry.name) == resources.DELETED
    assert ctx.clients.lambda_.list_layer_versions(LayerName=video_ffmpeg.LAYER_NAME)["LayerVersions"] == []
    command = resources.manual_command(entry.kind, entry.physical_id, entry.name)
    assert command.startswith("aws lambda delete-layer-version --layer-name arn:aws:lambda:") and command.endswith(" 1")


# Pieces -----------------------------------------------------------------------------------

def test_bucket_access_reads_wildcards_the_way_iam_does():
    access = function_step.bucket_access([
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::up/*"},
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::out/*"]},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ], "up", "out")
    assert (access.reads_uploads, access.writes_outputs, access.writes_uploads, access.broad) == (True, True, False, ())
    narrow = function_step.bucket_access([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::up/other/*"}], "up", "out")
    assert not narrow.reads_uploads


def test_the_layer_zip_holds_an_executable_bin_ffmpeg_and_is_built_once(fake_ffmpeg):
    import stat
    import zipfile

    binary = video_ffmpeg.describe()
    built = video_ffmpeg.layer_zip(binary)
    again = video_ffmpeg.layer_zip(binary)
    assert built == again
    with zipfile.ZipFile(built) as archive:
        [info] = archive.infolist()
        assert info.filename == "bin/ffmpeg" and stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert archive.read(info) == fake_ffmpeg.read_bytes()


def test_the_page_says_what_a_minute_of_video_costs():
    assert 0.0025 < video_names.cost_per_video_minute() < 0.0035
    assert "US$0.003 per minute of 1080p video" in video_lab.LAB.aws_cost
    assert "What it costs in your AWS account" in video_lab.LAB.use_case_html and "3,008 MB" in video_lab.LAB.use_case_html
