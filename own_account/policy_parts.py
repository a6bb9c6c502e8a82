"""Parts of the site's role policy (own_account.aws_role): its prefix, run tag and helpers, and the
statements for the services the later labs build (EFS and ECS, streams and queues, Glue and Athena,
Step Functions, AppSync, CloudFront and Lambda@Edge, Aurora, RDS Proxy and the Data API). Kept here
so that aws_role.py stays readable; the tests read the whole policy as one document."""

PREFIX = "sa-"
RUN_TAG = "serverless-academy:run"  # labs.engine.lab.RUN_TAG: every run tags what it creates


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def _in_regions() -> dict:
    return {"StringEquals": {"aws:RequestedRegion": {"Ref": "AllowedRegions"}}}


def service_statements(account: str, role: dict) -> list[dict]:
    """The access policy's statements for the later labs' services (``account`` is the template's
    ``${AWS::AccountId}``; ``role`` matches the labs' roles, ``sa-*``)."""
    return [
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
        # The serverless relational lab: clusters and instances carry their names in their ARNs; a proxy and its
        # target group carry ids (prx-..., prx-tg-...), so those are limited to the allowed regions. RDS makes the
        # cluster's master secret itself (rds!cluster-...), with the caller's permission to create it.
        {"Sid": "LabDatabases", "Effect": "Allow", "Condition": _in_regions(),
         "Resource": [_sub(f"arn:${{AWS::Partition}}:rds:*:{account}:cluster:{PREFIX}*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:db:{PREFIX}*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:db-proxy:*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:target-group:*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:cluster-pg:*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:pg:*"),
                      _sub(f"arn:${{AWS::Partition}}:rds:*:{account}:subgrp:*")], "Action": [
            "rds:CreateDBCluster", "rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:CreateDBInstance",
            "rds:DeleteDBInstance", "rds:EnableHttpEndpoint", "rds:DisableHttpEndpoint", "rds:AddTagsToResource",
            "rds:ListTagsForResource", "rds:CreateDBProxy", "rds:DeleteDBProxy", "rds:DescribeDBProxyTargets",
            "rds:DescribeDBProxyTargetGroups", "rds:RegisterDBProxyTargets", "rds:DeregisterDBProxyTargets"]},
        {"Sid": "RdsManagedMasterSecrets", "Effect": "Allow", "Condition": _in_regions(),
         "Resource": _sub(f"arn:${{AWS::Partition}}:secretsmanager:*:{account}:secret:rds!cluster-*"),
         "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret"]},
        {"Sid": "RdsServiceLinkedRole", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": _sub(f"arn:${{AWS::Partition}}:iam::{account}:role/aws-service-role/rds.amazonaws.com/*"),
         "Condition": {"StringEquals": {"iam:AWSServiceName": "rds.amazonaws.com"}}},
        {"Sid": "PassLabRolesToRds", "Effect": "Allow", "Resource": role, "Action": "iam:PassRole",
         "Condition": {"StringEquals": {"iam:PassedToService": "rds.amazonaws.com"}}},
    ]
