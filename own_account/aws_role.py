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
  labs' tables, buckets and log groups, and invoking the labs' functions). That closes the usual way
  out of a "may create roles" policy: making a role with more rights than your own.

The same managed policy serves a learner who connects with an IAM user's access key instead:
attach ``ServerlessAcademyLabsAccess`` to the user.
"""

from urllib.parse import urlencode

import yaml

PREFIX = "sa-"
RUN_TAG = "serverless-academy:run"  # labs.engine.lab.RUN_TAG: every run tags what it creates
ROLE_NAME = "ServerlessAcademyLabs"
ACCESS_POLICY_NAME = "ServerlessAcademyLabsAccess"
BOUNDARY_POLICY_NAME = "ServerlessAcademyLabsBoundary"
STACK_NAME = "serverless-academy-labs"
SESSION_SECONDS = 3600
TAGS = [{"Key": "serverless-academy:purpose", "Value": "labs-access"}]


def boundary_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{BOUNDARY_POLICY_NAME}"


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def _in_regions() -> dict:
    return {"StringEquals": {"aws:RequestedRegion": {"Ref": "AllowedRegions"}}}


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
                "cloudfront:ListOriginAccessControls"]},
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
            {"Sid": "LabLayerVersions", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:layer:{PREFIX}*:*"), "Action": [
                "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"]},
            {"Sid": "LabRolesOnlyWithTheBoundary", "Effect": "Allow", "Resource": role,
             "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
            {"Sid": "LabRoles", "Effect": "Allow", "Resource": role, "Action": [
                "iam:GetRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:TagRole", "iam:UntagRole"]},
            {"Sid": "PassLabRolesToLambdaOnly", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
            # The containers lab. EFS ARNs carry ids, not names: file systems and access points are created carrying
            # the run's tag and changed or deleted only while they carry it. Task definitions are registered carrying
            # it too; ECS clusters, services and task definition families carry names (sa-*). Creating a mount target
            # needs ec2:CreateNetworkInterface (EFS makes the mount target's interface with the caller's rights).
            {"Sid": "LabFileSystemsTaggedByARun", "Effect": "Allow", "Resource": "*",
             "Action": ["elasticfilesystem:CreateFileSystem", "elasticfilesystem:CreateAccessPoint",
                        "elasticfilesystem:TagResource", "ecs:RegisterTaskDefinition", "ecs:TagResource"],
             "Condition": {**_in_regions(), "Null": {f"aws:RequestTag/{RUN_TAG}": "false"}}},
            {"Sid": "LabFileSystemsWhileTagged", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:elasticfilesystem:*:{account}:file-system/*"),
                          _sub(f"arn:${{AWS::Partition}}:elasticfilesystem:*:{account}:access-point/*")],
             "Condition": {**_in_regions(), "Null": {f"aws:ResourceTag/{RUN_TAG}": "false"}}, "Action": [
                "elasticfilesystem:DeleteFileSystem", "elasticfilesystem:DeleteAccessPoint",
                "elasticfilesystem:CreateMountTarget", "elasticfilesystem:DeleteMountTarget",
                "elasticfilesystem:TagResource"]},
            {"Sid": "MountTargetNetworkInterfaces", "Effect": "Allow", "Action": "ec2:CreateNetworkInterface",
             "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:ec2:*:{account}:network-interface/*"),
                          _sub(f"arn:${{AWS::Partition}}:ec2:*:{account}:subnet/*"),
                          _sub(f"arn:${{AWS::Partition}}:ec2:*:{account}:security-group/*")]},
            {"Sid": "ReadFileSystemsNetworksAndTaskDefinitions", "Effect": "Allow", "Resource": "*",
             "Condition": _in_regions(), "Action": [
                "elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeAccessPoints",
                "elasticfilesystem:DescribeMountTargets", "elasticfilesystem:DescribeMountTargetSecurityGroups",
                "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces",
                "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions", "ecs:ListTaskDefinitionFamilies",
                "ecs:ListClusters"]},
            {"Sid": "LabClustersAndServices", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:ecs:*:{account}:cluster/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:ecs:*:{account}:service/{PREFIX}*/{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:ecs:*:{account}:task-definition/{PREFIX}*:*")], "Action": [
                "ecs:CreateCluster", "ecs:DescribeClusters", "ecs:DeleteCluster", "ecs:CreateService",
                "ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:ListServices",
                "ecs:TagResource", "ecs:DeregisterTaskDefinition", "ecs:DeleteTaskDefinitions"]},
            {"Sid": "PassLabRolesToEcsTasks", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
            # The clickstream lab: Firehose assumes a lab role (bounded like every lab role) to read the stream.
            {"Sid": "PassLabRolesToFirehose", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "firehose.amazonaws.com"}}},
            {"Sid": "LabEventSourceMappings", "Effect": "Allow", "Condition": {**_in_regions(), "ArnLike": {
                "lambda:FunctionArn": _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*")}},
             "Resource": [_sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:event-source-mapping:*"),
                          _sub(f"arn:${{AWS::Partition}}:lambda:*:{account}:function:{PREFIX}*")],
             "Action": ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping",
                        "lambda:DeleteEventSourceMapping"]},
            {"Sid": "LabStreams", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:kinesis:*:{account}:stream/{PREFIX}*"), "Action": [
                "kinesis:CreateStream", "kinesis:DeleteStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                "kinesis:AddTagsToStream", "kinesis:ListTagsForStream", "kinesis:ListShards", "kinesis:PutRecord",
                "kinesis:PutRecords"]},
            {"Sid": "LabDeliveryStreams", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:firehose:*:{account}:deliverystream/{PREFIX}*"), "Action": [
                "firehose:CreateDeliveryStream", "firehose:DeleteDeliveryStream", "firehose:DescribeDeliveryStream",
                "firehose:UpdateDestination", "firehose:TagDeliveryStream", "firehose:ListTagsForDeliveryStream"]},
            {"Sid": "LabQueues", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:sqs:*:{account}:{PREFIX}*"), "Action": [
                "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:ListQueueTags", "sqs:ReceiveMessage",
                "sqs:DeleteMessage", "sqs:SendMessage"]},
            # Glue names take no hyphens: the labs' databases are sa_<token>_...; the catalog itself is one ARN.
            {"Sid": "LabGlueTables", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:glue:*:{account}:catalog"),
                          _sub(f"arn:${{AWS::Partition}}:glue:*:{account}:database/sa_*"),
                          _sub(f"arn:${{AWS::Partition}}:glue:*:{account}:table/sa_*/*"),
                          _sub(f"arn:${{AWS::Partition}}:glue:*:{account}:userDefinedFunction/sa_*/*")], "Action": [
                "glue:CreateDatabase", "glue:GetDatabase", "glue:DeleteDatabase", "glue:CreateTable", "glue:GetTable",
                "glue:GetTables", "glue:UpdateTable", "glue:DeleteTable", "glue:GetPartitions", "glue:TagResource",
                "glue:GetTags", "glue:UntagResource"]},
            {"Sid": "LabQueriesInThePrimaryWorkgroup", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": _sub(f"arn:${{AWS::Partition}}:athena:*:{account}:workgroup/primary"), "Action": [
                "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
                "athena:StopQueryExecution"]},
            {"Sid": "PassLabRolesToStepFunctions", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}}},
            {"Sid": "LabStateMachines", "Effect": "Allow", "Condition": _in_regions(),
             "Resource": [_sub(f"arn:${{AWS::Partition}}:states:*:{account}:stateMachine:{PREFIX}*"),
                          _sub(f"arn:${{AWS::Partition}}:states:*:{account}:execution:{PREFIX}*:*")], "Action": [
                "states:CreateStateMachine", "states:DescribeStateMachine", "states:UpdateStateMachine",
                "states:DeleteStateMachine", "states:TagResource", "states:UntagResource", "states:ListTagsForResource",
                "states:StartExecution", "states:ListExecutions", "states:DescribeExecution",
                "states:GetExecutionHistory", "states:StopExecution"]},
            # An AppSync data source's service role (the secured-API lab) is passed to AppSync.
            {"Sid": "PassLabRolesToAppSync", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {"iam:PassedToService": "appsync.amazonaws.com"}}},
            # CloudFront creates these service-linked roles the first time a distribution uses Lambda@Edge.
            {"Sid": "LambdaEdgeServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:iam::{account}:role/aws-service-role/replicator.lambda.amazonaws.com/*"),
                          _sub(f"arn:${{AWS::Partition}}:iam::{account}:role/aws-service-role/logger.cloudfront.amazonaws.com/*")],
             "Condition": {"StringEquals": {"iam:AWSServiceName": ["replicator.lambda.amazonaws.com",
                                                                   "logger.cloudfront.amazonaws.com"]}}},
            # CloudFront is global (no region condition). Functions carry their names in their ARNs; distributions
            # and origin access controls carry ids, so those are limited to the account's.
            {"Sid": "LabCloudFrontFunctions", "Effect": "Allow",
             "Resource": _sub(f"arn:${{AWS::Partition}}:cloudfront::{account}:function/{PREFIX}*"), "Action": [
                "cloudfront:CreateFunction", "cloudfront:DescribeFunction", "cloudfront:GetFunction",
                "cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:TestFunction",
                "cloudfront:DeleteFunction"]},
            {"Sid": "LabDistributions", "Effect": "Allow",
             "Resource": [_sub(f"arn:${{AWS::Partition}}:cloudfront::{account}:distribution/*"),
                          _sub(f"arn:${{AWS::Partition}}:cloudfront::{account}:origin-access-control/*")], "Action": [
                "cloudfront:CreateDistribution", "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig",
                "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution", "cloudfront:TagResource",
                "cloudfront:ListTagsForResource", "cloudfront:CreateOriginAccessControl",
                "cloudfront:GetOriginAccessControl", "cloudfront:DeleteOriginAccessControl"]},
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
    """The most any role a lab creates may do: the labs' own tables, buckets and log groups."""
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
