"""AWS errors reach the learner as explanations: access denied names the missing permission, throttling
is retried with backoff (and explained if it never stops), a region or quota problem says what to change."""

import io

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError

from labs import aws
from own_account import aws_errors


def client_error(code, message="", operation="CreateFunction", status=400, retries=0):
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries}}, operation)


class Raw(io.BytesIO):
    def stream(self, **kwargs):
        yield self.getvalue()


def answer_with(client, event, status, body, times):
    """Make ``client`` answer its next ``times`` calls with ``status``/``body`` instead of sending them."""
    left = {"n": times}

    def reply(request, **kwargs):
        if left["n"] <= 0:
            return None
        left["n"] -= 1
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, Raw(body))

    client.meta.events.register(f"before-send.{event}", reply)
    return left


@pytest.fixture
def backoff(monkeypatch):
    """The delays botocore waits between retries, recorded instead of slept; the adaptive mode's
    client-side rate limiter does not wait either."""
    from botocore import endpoint
    from botocore.retries.bucket import TokenBucket

    slept = []
    monkeypatch.setattr(endpoint.time, "sleep", slept.append)
    monkeypatch.setattr(TokenBucket, "acquire", lambda self, amount=1, block=True: True)
    return slept


def test_throttling_is_retried_with_backoff_until_it_passes(moto_aws, backoff):
    dynamodb = aws.client(aws.Target("testing", "testing", "us-east-1"), "dynamodb")
    assert dynamodb.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 6}  # five retries
    answer_with(dynamodb, "dynamodb.ListTables", 400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}', 2)
    answer = dynamodb.list_tables()
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(backoff) == 2 and all(delay >= 0 for delay in backoff)


def test_throttling_that_never_stops_is_explained(moto_aws, backoff):
    dynamodb = aws.client(aws.Target("testing", "testing", "us-east-1"), "dynamodb")
    answer_with(dynamodb, "dynamodb.ListTables", 400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}', 10)
    with pytest.raises(ClientError) as raised:
        dynamodb.list_tables()
    assert len(backoff) == 5
    message = aws.error_message(raised.value)
    assert "AWS is throttling ListTables" in message and "retried 5 time(s) with backoff" in message
    assert "Wait a minute and try again" in message


def test_access_denied_names_the_missing_permission():
    said = ("User: arn:aws:sts::210987654321:assumed-role/ServerlessAcademyLabs/serverless-academy-7 is not authorized "
            "to perform: lambda:CreateFunction on resource: arn:aws:lambda:us-east-1:210987654321:function:sa-1-api "
            "because no identity-based policy allows the lambda:CreateFunction action")
    message = aws.error_message(client_error("AccessDeniedException", said, status=403))
    assert "missing the permission lambda:CreateFunction on arn:aws:lambda:us-east-1:210987654321:function:sa-1-api" in message
    assert "update the stack to the latest template" in message


def test_access_denied_without_the_action_in_the_message_names_it_from_the_call(moto_aws):
    dynamodb = aws.client(aws.Target("testing", "testing", "us-east-1"), "dynamodb")
    answer_with(dynamodb, "dynamodb.CreateTable", 400, b'{"__type": "AccessDeniedException", "message": "Access denied"}', 1)
    with pytest.raises(ClientError) as raised:
        dynamodb.create_table(TableName="sa-x-items", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    assert "missing the permission dynamodb:CreateTable" in aws.error_message(raised.value)
    assert aws_errors.iam_action("s3", "HeadBucket") == "s3:ListBucket"
    assert aws_errors.iam_action("apigateway", "CreateRestApi") == "apigateway:POST"
    assert aws_errors.iam_action("resourcegroupstaggingapi", "GetResources") == "tag:GetResources"


def test_a_service_control_policy_is_named_as_such():
    said = ("User: arn:aws:sts::1:assumed-role/R/s is not authorized to perform: s3:CreateBucket on resource: "
            "arn:aws:s3:::sa-1-web with an explicit deny in a service control policy")
    assert "service control policy denies it" in aws.error_message(client_error("AccessDenied", said, "CreateBucket", 403))


def test_block_public_access_says_what_to_turn_off():
    said = "User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting."
    message = aws.error_message(client_error("AccessDenied", said, "PutBucketPolicy", 403))
    assert "S3 Block Public Access is on" in message and "local sandbox" in message


def test_region_quota_session_and_key_problems_say_what_to_change():
    region = aws.error_message(client_error("OptInRequired", "The region is not enabled", "ListFunctions"))
    assert "may not be enabled in this account" in region and "choose another allowed one" in region
    quota = aws.error_message(client_error("LimitExceededException", "Too many roles", "CreateRole", 409))
    assert "reached a quota" in quota and "Service Quotas" in quota
    expired = aws.error_message(client_error("ExpiredTokenException", "The security token included in the request is expired"))
    assert "session expired" in expired
    bad = aws.error_message(client_error("InvalidClientTokenId", "The security token included in the request is invalid.",
                                         "GetCallerIdentity", 403))
    assert "does not accept these credentials" in bad
    unreachable = aws.error_message(EndpointConnectionError(endpoint_url="https://lambda.mars-1.amazonaws.com"))
    assert "may not be offered in this region" in unreachable and "lambda.mars-1" in unreachable


def test_other_errors_keep_awss_words_and_echoed_key_ids_are_cut():
    message = aws.error_message(client_error("ValidationException", "Key AKIAIOSFODNN7EXAMPLE is odd", "PutItem"))
    assert message == "PutItem: ValidationException: Key AKIA…MPLE is odd"
    assert aws.error_message(RuntimeError("boom")) == "RuntimeError: boom"
