"""What the containers lab builds, by name, and its settings."""

from labs.engine.lab import Names

RUNTIME = "python3.12"
FUNCTION_SOURCE = "reports"
HANDLER = "app.handler"
TIMEOUT, MEMORY = 15, 128
MOUNT_PATH = "/mnt/reports"  # the function's LocalMountPath: Lambda requires it to start with /mnt/
ROOT_PATH = "/reports"  # the access point's root directory inside the file system
POSIX_UID = POSIX_GID = 1000  # every NFS call through the access point acts as this user
ROOT_PERMISSIONS = "750"
CONTAINER = "reader"
CONTAINER_PATH = "/reports"
IMAGE = "public.ecr.aws/docker/library/busybox:stable"
# The reader lists the reports every minute and prints the newest one (it only reads: readOnly mount).
COMMAND = ["sh", "-c", "while true; do ls -l /reports; cat $(ls -t /reports/*.json | head -1); sleep 60; done"]
TASK_CPU, TASK_MEMORY = "256", "512"  # the smallest Fargate size: 0.25 vCPU, 0.5 GB
PLATFORM_VERSION = "LATEST"  # EFS volumes need Fargate platform version 1.4.0 or later (LATEST is)
FUNCTION_POLICY = "reports-writer"
TASK_POLICY = "read-reports"

LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TASKS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

# A day's orders the verify asks the function to turn into a report (and the totals it must compute).
SAMPLE_DAY = "2026-12-04"
SAMPLE_ORDERS = [
    {"id": "o-1", "region": "eu", "amount": "19.90"},
    {"id": "o-2", "region": "us", "amount": "5.10"},
    {"id": "o-3", "region": "eu", "amount": "30.00"},
]
SAMPLE_TOTALS = {"orders": 3, "revenue": "55.00", "by_region": {"eu": "49.90", "us": "5.10"}}

# What one run uses in AWS (own_account.pricing.PRICES keys), generous: the reader task runs about an hour at
# 0.25 vCPU / 0.5 GB, a few KB of reports sit on EFS for a day, the function runs a few dozen times.
USAGE = {
    "fargate_vcpu_hours": 0.25, "fargate_gb_hours": 0.5,
    "efs_standard_gb_months": 0.001,
    "lambda_requests": 40, "lambda_gb_seconds": 40 * 0.125 * 0.5,
    "logs_ingest": 0.001,
}


def file_system_name(names: Names) -> str:
    """The file system's Name tag and its CreationToken (which makes CreateFileSystem idempotent)."""
    return names("reports-fs")


def access_point_name(names: Names) -> str:
    return names("reports-ap")


def function_name(names: Names) -> str:
    return names("reports")


def role_name(names: Names) -> str:
    return names("reports-role")


def task_role_name(names: Names) -> str:
    return names("reader-task-role")


def cluster_name(names: Names) -> str:
    return names("cluster")


def family(names: Names) -> str:
    return names("reader")


def service_name(names: Names) -> str:
    return names("reader")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    return {
        "REGION": region, "ACCOUNT": account_id, "FS_NAME": file_system_name(names),
        "AP_NAME": access_point_name(names), "FUNCTION": function_name(names), "ROLE": role_name(names),
        "TASK_ROLE": task_role_name(names), "CLUSTER": cluster_name(names), "FAMILY": family(names),
        "SERVICE": service_name(names),
    }
