"""The clickstream lab's AWS SAM template translates to CloudFormation offline and declares what
the lab's steps build, with the same settings."""

import yaml
from samtranslator.translator.transform import transform

from labs.catalog import get_lab
from labs.catalog.clickstream import delivery_steps, names, steps
from tests.labs.test_sam_and_catalog import CloudFormationLoader, NoManagedPolicies


def _translated(monkeypatch) -> dict:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml.load(get_lab("clickstream").sam_source, Loader=CloudFormationLoader)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://lab-artifacts/code.zip"
    return transform(template, {"BucketName": "sa-clicks-bucket"}, NoManagedPolicies())["Resources"]


def test_the_clickstream_sam_template_translates_with_the_steps_settings(monkeypatch):
    resources = _translated(monkeypatch)
    types = sorted(resource["Type"] for resource in resources.values())
    for wanted in ("AWS::Kinesis::Stream", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Lambda::Function",
                   "AWS::Lambda::EventSourceMapping", "AWS::KinesisFirehose::DeliveryStream", "AWS::S3::Bucket",
                   "AWS::Glue::Database", "AWS::Glue::Table", "AWS::IAM::Role"):
        assert wanted in types, wanted
    [mapping] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    wanted = steps.mapping_settings("QUEUE")
    for key in ("BatchSize", "MaximumBatchingWindowInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
                "MaximumRecordAgeInSeconds"):
        assert mapping[key] == wanted[key], key
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ClickFailures", "Arn"]}
    s3 = resources["ClicksToS3"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert (s3["Prefix"], s3["ErrorOutputPrefix"]) == (names.PREFIX, names.ERROR_PREFIX)
    assert s3["BufferingHints"] == {"SizeInMBs": names.BUFFER_MB, "IntervalInSeconds": names.BUFFER_SECONDS}
    table = resources["ClicksTable"]["Properties"]["TableInput"]
    ctx = type("Ctx", (), {"name": lambda self, what: f"sa-x-{what}", "account_id": "1"})()
    expected = delivery_steps.table_input(ctx)
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == list(delivery_steps.COLUMNS)
    assert table["PartitionKeys"] == expected["PartitionKeys"]
    assert {k: v for k, v in table["Parameters"].items() if k.startswith("projection.")} == {
        k: v for k, v in expected["Parameters"].items() if k.startswith("projection.")}
    counter = resources["CounterFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in counter] == [["dynamodb:UpdateItem"], ["sqs:SendMessage"]]
