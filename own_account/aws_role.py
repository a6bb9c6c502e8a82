"""The CloudFormation template a learner deploys in their AWS account so the site can run labs there.

It makes three things (pure data here; no AWS calls, no ORM):

- ``ServerlessAcademyLabs``: the role the site assumes. Its trust policy allows only the site's
  account, and only with the learner's external id (``sts:ExternalId``), so another learner who
  learns the role's ARN cannot make the site use it.
- ``ServerlessAcademyLabsAccess``: what that role may do, which is what the labs do and no more.
  Wherever a service's ARNs carry the resource's name, it is limited to the labs' name prefix
  (``sa-``: every run names its resources ``sa-<token>-…``); regional services are limited to
  the allowed regions (``aws:RequestedRegion``). API Gateway's ARNs carry ids, not names, so it
  is limited to REST APIs in the allowed regions. Listing calls that cannot be scoped (to find
  what a run left behind) are read-only.
- ``ServerlessAcademyLabsBoundary``: a permissions boundary. The role may create IAM roles (a lab's
  Lambda function needs one) only named ``sa-*`` and only with this boundary attached, and may pass
  them only to Lambda, Step Functions and AppSync (a data source's role): whatever policy a lab puts on
  such a role, the function, state machine or data source can do at most what the boundary allows (the
  labs' tables, buckets, log groups, queues and topics, and invoking the labs' functions). That closes the usual way
  out of a "may create roles" policy: making a role with more rights than your own.

The same managed policy serves a learner who connects with an IAM user's access key instead:
attach ``ServerlessAcademyLabsAccess`` to the user.
"""

from urllib.parse import urlencode

import yaml

from own_account.policy_parts import PREFIX, RUN_TAG, _in_regions, _sub, service_statements  # noqa: F401
ROLE_NAME = "ServerlessAcademyLabs"
ACCESS_POLICY_NAME = "ServerlessAcademyLabsAccess"
BOUNDARY_POLICY_NAME = "ServerlessAcademyLabsBoundary"
STACK_NAME = "serverless-academy-labs"
SESSION_SECONDS = 3600
TAGS = [{"Key": "serverless-academy:purpose", "Value": "labs-access"}]


def boundary_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{BOUNDARY_POLICY_NAME}"


def access_policy() -> dict:
    """What the site may do in the learner's account (CloudFormation intrinsics inside)."""
    account = "${AWS::AccountId}"
    role = _sub(f"arn:${{AWS::Partition}}:iam::{account}:role/{PREFIX}*")
    boundary = _sub(f"arn:${{AWS::Partition}}:iam::{account}:policy/{BOUNDARY_POLICY_NAME}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "FindWhatRunsLeft", "Effect": "Allow", "Resource": "*", "Action": [
                "iam:ListAccountAliases", "iam:ListRoles", "dynamodb:ListTables", "lambda:ListFunctions",
                "lambda:ListLayers", "lambda:ListLayerVersions", "s3:ListAllMyBuckets", "logs:DescribeLogGroups",
                "tag:GetResources", "kinesis:ListStreams", "firehose:ListDeliveryStreams", "glue:GetDatabases",
                "sqs:ListQueues", "lambda:ListEventSourceMappings", "lambda:GetEventSourceMapping",
                "states:ListStateMachines", "cognito-idp:ListUserPools",
                "appsync:ListGraphqlApis", "cloudfront:ListDistributions", "cloudfront:ListFunctions",
                "cloudfront:ListOriginAccessControls", "sns:ListTopics", "sns:ListSubscriptions",
                "events:ListEventBuses", "events:ListRules", "cloudformation:ListStacks", "rds:DescribeDBClusters",
                "rds:DescribeDBInstances", "rds:DescribeDBProxies",
                # An RDS Proxy goes in two subnets of the default VPC: the site reads which (and changes nothing in EC2).
                "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"]},
            # User pools and GraphQL APIs have ids, not names, in their ARNs (like REST APIs): they are limited
            # to the allowed regions, and may only be created carrying the run's tag.
            {"Sid": "LabUserPoolsAndGraphqlApisTaggedByARun", "Effect": "Allow", "Resource": "*",
             "Action": ["cognito-idp:CreateUserPool", "appsync:CreateGraphqlApi"],
             "Condition": {**_in_regions(), "Null": {f"aws:RequestTag/{RUN_TAG}": "false"}}},
            {"Sid": "LabUserPools", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:cognito-idp:*:{account}:userpool/*"), "Action": [
                "cognito-idp:DescribeUserPool", "cognito-idp:DeleteUserPool", "cognito-idp:CreateUserPoolClient",
                "cognito-idp:ListUserPoolClients", "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:UpdateUserPoolClient", "cognito-idp:CreateGroup", "cognito-idp:GetGroup",
                "cognito-idp:DeleteGroup", "cognito-idp:AdminConfirmSignUp", "cognito-idp:AdminGetUser",
                "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminAddUserToGroup",
                "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminListGroupsForUser"]},
            {"Sid": "LabGraphqlApis", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:appsync:*:{account}:apis/*"), "Action": [
                "appsync:GetGraphqlApi", "appsync:UpdateGraphqlApi", "appsync:DeleteGraphqlApi", "appsync:CreateApiKey",
                "appsync:ListApiKeys", "appsync:StartSchemaCreation", "appsync:GetSchemaCreationStatus",
                "appsync:GetIntrospectionSchema", "appsync:CreateDataSource", "appsync:GetDataSource",
                "appsync:UpdateDataSource", "appsync:CreateResolver", "appsync:GetResolver", "appsync:UpdateResolver",
                "appsync:TagResource"]},
            # The SAM lab: stacks and change sets named sa-*, the SAM transform, and ValidateTemplate
            # (which takes no resource). CloudFormation acts with these same permissions (no service role).
            {"Sid": "LabStacks", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:cloudformation:*:{account}:stack/{PREFIX}*/*"),
                          _sub(f"arn:${{AWS::Partition}}:cloudformation:*:{account}:changeSet/{PREFIX}*/*")], "Action": [
                "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                "cloudformation:DeleteChangeSet", "cloudformation:ListChangeSets", "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStackResource", "cloudformation:GetTemplate", "cloudformation:UpdateStack",
                "cloudformation:DeleteStack", "cloudformation:TagResource"]},
            {"Sid": "TheSamTransform", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub("arn:${AWS::Partition}:cloudformation:*:aws:transform/Serverless-2016-10-31"),
             "Action": ["cloudformation:CreateChangeSet"]},
            {"Sid": "ValidateTemplates", "Effect": "Allow", "Resource": "*", "Action": ["cloudformation:ValidateTemplate"]},
            {"Sid": "LabTables", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:dynamodb:*:{account}:table/{PREFIX}*"), "Action": [
                "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
                "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
                "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                "dynamodb:Query", "dynamodb:Scan"]},
            {"Sid": "LabFunctions", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:layer:{PREFIX}*")], "Action": [
                "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction",
                "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy", "lambda:InvokeFunction",
                "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
                "lambda:PutFunctionEventInvokeConfig", "lambda:GetFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig", "lambda:PublishLayerVersion",
                "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",  # teardown stops new invocations first
                # Lambda@Edge (the edge lab): a numbered version, and the replication CloudFront starts when a
                # distribution associates it (and stops when the association goes).
                "lambda:PublishVersion", "lambda:ListVersionsByFunction", "lambda:EnableReplication*",
                "lambda:DisableReplication*"]},
            {"Sid": "LabTopics", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:sns:*:{account}:{PREFIX}*"), "Action": [
                "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
                "sns:TagResource", "sns:ListTagsForResource", "sns:Subscribe", "sns:Unsubscribe",
                "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
                "sns:Publish"]},
            {"Sid": "LabEventBuses", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:events:*:{account}:event-bus/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:events:*:{account}:rule/{PREFIX}*/{PREFIX}*")], "Action": [
                "events:CreateEventBus", "events:DeleteEventBus", "events:DescribeEventBus", "events:PutRule",
                "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
                "events:ListTargetsByRule", "events:PutEvents", "events:TagResource", "events:ListTagsForResource"]},
            {"Sid": "LabLayerVersions", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:layer:{PREFIX}*:*"), "Action": [
                "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"]},
            {"Sid": "LabRolesOnlyWithTheBoundary", "Effect": "Allow", "Resource": role,
             "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"],
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
            {"Sid": "LabRoles", "Effect": "Allow", "Resource": role, "Action": [
                "iam:GetRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:TagRole", "iam:UntagRole"]},
            {"Sid": "PassLabRolesToLambdaOnly", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
            *service_statements(account, role),
            {"Sid": "ReadPolicies", "Effect": "Allow", "Resource": "*",
             "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"]},
            {"Sid": "LabRestApis", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub("arn:${AWS::Partition}:apigateway:*::/restapis"),
                          _sub("arn:${AWS::Partition}:apigateway:*::/restapis/*"),
                          _sub("arn:${AWS::Partition}:apigateway:*::/tags/*")],
             "Action": ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH",
                        "apigateway:DELETE"]},
            {"Sid": "LabBuckets", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*"), "Action": [
                "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation",
                "s3:GetBucketWebsite", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite",
                "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketNotification", "s3:PutBucketNotification",
                "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"]},
            {"Sid": "LabObjects", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*/*"), "Action": [
                "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion",
                "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]},
            {"Sid": "LabLogGroups", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/{PREFIX}*:*")],
             "Action": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource",
                        "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"]},
            {"Sid": "TheBoundaryStays", "Effect": "Deny",
             "Action": ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"], "Resource": role},
            {"Sid": "TheBoundaryIsNotEdited", "Effect": "Deny", "Resource": boundary, "Action": [
                "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]},
        ],
    }


def boundary_policy() -> dict:
    """The most any role a lab creates may do: the labs' own tables, buckets, log groups, queues and topics."""
    account = "${AWS::AccountId}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "LabTablesItems", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:dynamodb:*:{account}:table/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:dynamodb:*:{account}:table/{PREFIX}*/index/*")],
             "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                        "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"]},
            {"Sid": "LabBucketObjects", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*"), _sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*/*")],
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]},
            {"Sid": "LabFunctionsFromAppSync", "Effect": "Allow", "Action": "lambda:InvokeFunction",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*:*")]},
            {"Sid": "OwnLogs", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/{PREFIX}*:*"),
                          # Lambda@Edge logs where it ran, to /aws/lambda/us-east-1.<function>.
                          _sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/us-east-1.{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:logs:*:{account}:log-group:/aws/lambda/us-east-1.{PREFIX}*:*")],
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]},
            # The clickstream lab: a consumer reads the labs' streams, sets failures aside in the labs' queues;
            # Firehose's role invokes the labs' transform and writes multipart objects.
            {"Sid": "LabStreamsRead", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:kinesis:*:{account}:stream/{PREFIX}*"),
             "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                        "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams", "kinesis:SubscribeToShard"]},
            {"Sid": "LabQueuesSend", "Effect": "Allow", "Resource": _sub(f"arn:${{AWS::Partition}}:sqs:*:{account}:{PREFIX}*"),
             "Action": ["sqs:SendMessage"]},
            {"Sid": "LabFunctionsInvoke", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*"),
             "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]},
            {"Sid": "LabBucketUploads", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*"), _sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}*/*")],
             "Action": ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]},
            # The relational lab: its function queries the lab's clusters through the Data API, which logs in with
            # the cluster's RDS-managed secret; the proxy's role reads that secret.
            {"Sid": "LabClustersThroughTheDataApi", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:cluster:{PREFIX}*"),
             "Action": ["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction",
                        "rds-data:CommitTransaction", "rds-data:RollbackTransaction"]},
            {"Sid": "RdsManagedMasterSecretsRead", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:secretsmanager:*:{account}:secret:rds!cluster-*"),
             "Action": ["secretsmanager:GetSecretValue"]},
            # The containers lab: a function in a VPC manages its network interfaces; the function and the Fargate
            # task mount the labs' file systems (their own policies name the file system and the access point).
            {"Sid": "LabFunctionsInAVpc", "Effect": "Allow", "Resource": "*", "Action": [
                "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]},
            {"Sid": "LabFileSystemClients", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:elasticfilesystem:*:{account}:file-system/*"),
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]},
            # A lab's state machine invokes the lab's functions (its own policy names each one).
            {"Sid": "InvokeLabFunctions", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*"),
             "Action": "lambda:InvokeFunction"},
            {"Sid": "LabQueuesConsumed", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:sqs:*:{account}:{PREFIX}*"),
             "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]},
            {"Sid": "LabTopicsPublished", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:sns:*:{account}:{PREFIX}*"), "Action": ["sns:Publish"]},
        ],
    }


def template(*, regions: list[str], external_id: str = "", site_account_id: str = "") -> dict:
    """The template. Given an external id and the site's account, they are the parameters' defaults
    (what a learner downloads); without them (the copy published for quick-create links) the
    console fills them from the link."""
    external = {"Type": "String", "MinLength": 2, "MaxLength": 1224, "AllowedPattern": r"[\w+=,.@:/-]+",
                "Description": "Your external id, from the labs' account page. The role can only be assumed with it."}
    site = {"Type": "String", "AllowedPattern": r"\d{12}",
            "Description": "The Serverless Academy site's AWS account (the one that assumes this role)."}
    if external_id:
        external["Default"] = external_id
    if site_account_id:
        site["Default"] = site_account_id
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Serverless Academy labs: a role the site assumes (with your external id) to deploy, check and "
                       "tear down labs, limited to resources named sa-* in the allowed regions.",
        "Parameters": {
            "ExternalId": external,
            "SiteAccountId": site,
            "AllowedRegions": {"Type": "CommaDelimitedList", "Default": ",".join(regions),
                               "Description": "The regions the labs may deploy to."},
        },
        "Resources": {
            "LabsBoundary": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": BOUNDARY_POLICY_NAME,
                "Description": "Permissions boundary of every role a Serverless Academy lab creates",
                "PolicyDocument": boundary_policy()}},
            "LabsAccess": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": ACCESS_POLICY_NAME,
                "Description": "What Serverless Academy labs may do: resources named sa-*, in the allowed regions",
                "PolicyDocument": access_policy()}},
            "LabsRole": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": ROLE_NAME,
                "Description": "Assumed by the Serverless Academy site, with your external id, to run labs",
                "MaxSessionDuration": SESSION_SECONDS,
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TheSiteWithYourExternalIdOnly", "Effect": "Allow",
                    "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${SiteAccountId}:root")},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}}]},
                "ManagedPolicyArns": [{"Ref": "LabsAccess"}],
                "Tags": TAGS}},
        },
        "Outputs": {
            "RoleArn": {"Description": "Paste this into the labs' account page", "Value": {"Fn::GetAtt": ["LabsRole", "Arn"]}},
        },
    }


def template_yaml(**kwargs) -> str:
    header = ("# Serverless Academy labs: the role the site assumes in your AWS account.\n"
              "# Deploy it with CloudFormation (it needs CAPABILITY_NAMED_IAM), then paste the RoleArn output\n"
              "# into the labs' account page. Delete the stack to take the access away.\n")
    return header + yaml.safe_dump(template(**kwargs), sort_keys=False, width=110)


def quick_create_url(*, template_url: str, region: str, external_id: str, site_account_id: str) -> str:
    """The CloudFormation console's quick-create link for the published template, parameters filled in."""
    query = urlencode({"templateURL": template_url, "stackName": STACK_NAME, "param_ExternalId": external_id,
                       "param_SiteAccountId": site_account_id})
    return f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/quickcreate?{query}"


def console_upload_url(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/create"
