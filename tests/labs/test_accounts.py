"""Connecting a learner's own AWS account, on moto: the role the template creates is assumed with
the learner's external id and refused when the external id is wrong or not needed; an IAM user's
keys are checked and stored encrypted; the pages show the account reached and never a secret."""

import json
import re

import pytest
import yaml
from django.urls import reverse

from labs import aws
from own_account import accounts
from own_account import aws_role
from own_account import vault
from labs.models import Sandbox
from tests.labs.aws_world import LEARNER_ACCOUNT, QUIET_MOTO, SITE_ACCOUNT, aws_world  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, QUIET_MOTO]


def trust(condition=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SITE_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_the_templates_role_connects_with_the_external_id_and_shows_the_account(aws_world, learner_client, learner):
    sandbox = Sandbox.aws_pending_for(learner)
    assert sandbox.external_id.startswith("sa-") and len(sandbox.external_id) == 35
    role_arn = aws_world.deploy_template(sandbox.external_id)
    assert role_arn == f"arn:aws:iam::{LEARNER_ACCOUNT}:role/{aws_role.ROLE_NAME}"

    response = learner_client.post(reverse("labs:account_role"), {"role_arn": role_arn, "region": "us-east-1"})
    assert response.status_code == 302 and response["Location"] == reverse("labs:account_confirm")
    sandbox.refresh_from_db()
    assert (sandbox.connection, sandbox.account_id, sandbox.role_arn) == ("role", LEARNER_ACCOUNT, role_arn)
    assert sandbox.caller_arn.startswith(f"arn:aws:sts::{LEARNER_ACCOUNT}:assumed-role/{aws_role.ROLE_NAME}/")
    assert sandbox.permissions_boundary == aws_role.boundary_arn(LEARNER_ACCOUNT)
    assert sandbox.confirmed_at is None and sandbox.keys_encrypted == ""

    # The caller identity is shown: the account, as AWS prints it, and who the site is there.
    html = learner_client.get(reverse("labs:account_confirm")).content.decode()
    assert "2109-8765-4321" in html and sandbox.caller_arn in html
    html = learner_client.get(reverse("labs:account")).content.decode()
    assert "Connected to account" in html and "2109-8765-4321" in html and "Not confirmed" in html


def test_the_external_id_is_required(aws_world, learner):
    """A role made for another external id (someone else's) cannot be connected."""
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.deploy_template("sa-someone-else-entirely")
    with pytest.raises(accounts.ConnectionRefused, match="could not assume .* with your external id") as refused:
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="us-east-1")
    assert sandbox.external_id in str(refused.value) and SITE_ACCOUNT in str(refused.value)
    sandbox.refresh_from_db()
    assert not sandbox.is_connected and sandbox.account_id == ""


def test_a_role_that_works_without_the_external_id_is_refused(aws_world, learner):
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.make_role("no-external-id", trust())
    with pytest.raises(accounts.ConnectionRefused, match="can be assumed without an external id"):
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="us-east-1")
    sandbox.refresh_from_db()
    assert not sandbox.is_connected


def test_a_role_that_takes_any_external_id_is_refused(aws_world, learner):
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.make_role("any-external-id", trust({"StringLike": {"sts:ExternalId": "*"}}))
    with pytest.raises(accounts.ConnectionRefused, match="with a wrong external id"):
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="us-east-1")


def test_a_role_with_the_external_id_condition_written_by_hand_connects(aws_world, learner):
    sandbox = Sandbox.aws_pending_for(learner)
    role_arn = aws_world.make_role("by-hand", trust({"StringEquals": {"sts:ExternalId": sandbox.external_id}}))
    accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region="us-east-1")
    assert sandbox.is_connected and sandbox.permissions_boundary == ""  # no template: no boundary policy


def test_what_is_not_a_role_arn_is_refused_before_any_call(aws_world, learner_client, learner):
    response = learner_client.post(reverse("labs:account_role"), {"role_arn": "arn:aws:iam::123:user/me",
                                                                   "region": "us-east-1"})
    assert response.status_code == 400 and "That is not an IAM role ARN" in response.content.decode()
    assert not Sandbox.aws_for(learner).is_connected


def test_the_template_trusts_only_the_site_with_the_learners_external_id(aws_world, learner_client, learner):
    response = learner_client.get(reverse("labs:account_template"))
    assert response["Content-Disposition"] == 'attachment; filename="serverless-academy-labs-role.yaml"'
    template = yaml.safe_load(response.content)
    external_id = Sandbox.aws_for(learner).external_id
    assert template["Parameters"]["ExternalId"]["Default"] == external_id
    assert template["Parameters"]["SiteAccountId"]["Default"] == SITE_ACCOUNT
    role = template["Resources"]["LabsRole"]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert role["MaxSessionDuration"] == 3600


def test_the_access_policy_is_scoped_to_the_lab_prefix_regions_and_the_boundary():
    policy = aws_role.access_policy()
    text = json.dumps(policy)
    for statement in policy["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Deny":
            continue
        if resources == ["*"] and f"aws:RequestTag/{aws_role.RUN_TAG}" in json.dumps(statement.get("Condition")):
            # Creating what has an id, not a name, in its ARN: only in the allowed regions, tagged with a run.
            assert all(action.split(":")[1].startswith(("Create", "Register", "Tag")) for action in statement["Action"]), statement
            assert "aws:RequestedRegion" in json.dumps(statement["Condition"])
            continue
        function_arn = statement.get("Condition", {}).get("ArnLike", {}).get("lambda:FunctionArn", {})
        if resources == ["*"] and "sa-*" in function_arn.get("Fn::Sub", ""):
            continue  # event source mappings have ids, not names: scoped by the labs' function they invoke
        if resources == ["*"]:
            # Unscoped only for reads that cannot be scoped: finding what runs left, reading policies.
            # ValidateTemplate takes no resource: it reads the template it is given.
            assert all(action.split(":")[1].startswith(("List", "Describe", "Get")) or action == "cloudformation:ValidateTemplate"
                       for action in statement["Action"]), statement
            continue
        for resource in resources:
            arn = resource["Fn::Sub"]
            # ARNs that carry no name: API Gateway's and event source mappings' ids (a mapping is allowed only
            # for a function named sa-*), Glue's catalog (its databases are sa_*), Athena's primary workgroup.
            scoped_by_function = "sa-*" in json.dumps(statement.get("Condition", {}).get("ArnLike", {}))
            assert ("sa-*" in arn or ":apigateway:" in arn or "sa_*" in arn or arn.endswith(":catalog")
                    or arn.endswith(":workgroup/primary") or ":cognito-idp:" in arn or ":appsync:" in arn or (":event-source-mapping:" in arn and scoped_by_function)
                    or arn.endswith((":distribution/*", ":origin-access-control/*")) or "aws-service-role/" in arn
                    or arn.endswith(":aws:transform/Serverless-2016-10-31")
                    # RDS Proxies and their target groups carry ids (prx-...); RDS names the secrets it manages
                    # rds!cluster-...; the default parameter and subnet groups are RDS's own.
                    or arn.endswith((":db-proxy:*", ":target-group:*", ":secret:rds!cluster-*", ":cluster-pg:*",
                                     ":pg:*", ":subgrp:*"))
                    # EFS ARNs carry ids: only what carries a run's tag (the containers lab).
                    or (":elasticfilesystem:" in arn and f"aws:ResourceTag/{aws_role.RUN_TAG}" in json.dumps(statement["Condition"]))
                    or (":ec2:" in arn and statement["Action"] == "ec2:CreateNetworkInterface")), arn
    create = next(s for s in policy["Statement"] if s["Sid"] == "LabRolesOnlyWithTheBoundary")
    assert create["Condition"]["StringEquals"]["iam:PermissionsBoundary"]["Fn::Sub"].endswith(aws_role.BOUNDARY_POLICY_NAME)
    passing = next(s for s in policy["Statement"] if s["Sid"] == "PassLabRolesToLambdaOnly")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert "aws:RequestedRegion" in text and '"iam:*"' not in text
    # EC2: reads, and the network interface EFS makes for a mount target (the containers lab); nothing else.
    ec2 = {a for st in policy["Statement"] for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
           if a.startswith("ec2:")}
    assert ec2 <= {"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
                   "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface"}, ec2


def test_roles_labs_create_get_the_permissions_boundary(aws_world, learner):
    sandbox = aws_world.connect(learner)
    iam = aws.clients_for(sandbox).iam
    iam.create_role(RoleName="sa-test0001-role", AssumeRolePolicyDocument=json.dumps(trust()))
    boundary = iam.get_role(RoleName="sa-test0001-role")["Role"]["PermissionsBoundary"]
    assert boundary["PermissionsBoundaryArn"] == aws_role.boundary_arn(LEARNER_ACCOUNT)


def test_every_action_gets_a_fresh_role_session_that_is_never_stored(aws_world, learner):
    sandbox = aws_world.connect(learner)
    first, second = aws.target_for(sandbox), aws.target_for(sandbox)
    assert first.session_token and first.access_key_id != second.access_key_id
    assert first.secret_access_key not in repr(first) and first.session_token not in repr(first)
    stored = json.dumps(list(Sandbox.objects.filter(pk=sandbox.pk).values()), default=str)
    assert first.secret_access_key not in stored and first.session_token not in stored


def test_keys_connect_encrypted_and_show_only_their_last_four_characters(aws_world, learner_client, learner):
    key_id, secret = aws_world.user_keys()
    response = learner_client.post(reverse("labs:account_keys"), {
        "access_key_id": key_id, "secret_access_key": secret, "region": "us-east-1", "understood": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    sandbox = Sandbox.aws_for(learner)
    assert (sandbox.connection, sandbox.account_id, sandbox.key_hint) == ("keys", LEARNER_ACCOUNT, key_id[-4:])
    assert key_id not in sandbox.keys_encrypted and secret not in sandbox.keys_encrypted
    assert vault.decrypt_keys(sandbox.keys_encrypted) == vault.StoredKeys(key_id, secret)
    assert aws.target_for(sandbox).access_key_id == key_id
    html = learner_client.get(reverse("labs:account")).content.decode()
    assert f"…{key_id[-4:]}" in html and key_id not in html and secret not in html
    assert "long-lived secret" in html


def test_the_keys_form_never_echoes_what_was_typed(aws_world, learner_client, learner):
    key_id, secret = aws_world.user_keys()
    # Refused by the form (the warning was not acknowledged), by the checks (not a secret key, a region
    # this site does not deploy to).
    for data in ({"access_key_id": key_id, "secret_access_key": secret, "region": "us-east-1"},
                 {"access_key_id": key_id, "secret_access_key": secret + "!", "region": "us-east-1", "understood": "on"},
                 {"access_key_id": key_id, "secret_access_key": secret, "region": "eu-west-3", "understood": "on"}):
        response = learner_client.post(reverse("labs:account_keys"), data)
        html = response.content.decode()
        assert response.status_code == 400
        assert key_id not in html and secret not in html and "Access key ID" in html
    assert not Sandbox.aws_for(learner).is_connected


def test_root_and_temporary_keys_are_refused(aws_world, monkeypatch, learner):
    with pytest.raises(accounts.ConnectionRefused, match="temporary key"):
        accounts.check_keys(access_key_id="ASIA" + "A" * 16, secret_access_key="s" * 40, region="us-east-1")
    key_id, secret = aws_world.user_keys()
    monkeypatch.setattr(accounts, "_identity", lambda clients: {"Account": LEARNER_ACCOUNT,
                                                                "Arn": f"arn:aws:iam::{LEARNER_ACCOUNT}:root"})
    with pytest.raises(accounts.ConnectionRefused, match="root user keys"):
        accounts.sandbox_connect_keys(sandbox=Sandbox.aws_pending_for(learner), access_key_id=key_id,
                                      secret_access_key=secret, region="us-east-1")


def test_checking_and_disconnecting(aws_world, learner_client, learner):
    sandbox = aws_world.connect(learner)
    response = learner_client.post(reverse("labs:account_check"), follow=True)
    assert "The connection works" in response.content.decode()
    learner_client.post(reverse("labs:account_disconnect"))
    sandbox.refresh_from_db()
    assert sandbox.disconnected_at is not None and not sandbox.is_connected and sandbox.keys_encrypted == ""
    # The learner keeps their external id: the stack they deployed still works after reconnecting.
    again = Sandbox.aws_pending_for(learner)
    assert again.pk != sandbox.pk and again.external_id == sandbox.external_id
    accounts.sandbox_connect_role(sandbox=again, role_arn=sandbox.role_arn, region="us-east-1")
    assert again.is_connected


def test_the_page_says_when_the_site_does_not_know_its_own_account(learner_client, settings, monkeypatch):
    """Issue 15: a page view made the server look up its own AWS credentials (which probes the EC2
    metadata address on a machine without any). Now a page reads only the setting."""
    settings.LABS_AWS_SITE_ACCOUNT_ID = ""
    accounts.forget_site_account()

    def no_lookup(*args, **kwargs):
        raise AssertionError("a page view looked up the site's AWS identity")

    monkeypatch.setattr(aws, "site_identity", no_lookup)
    monkeypatch.setattr(aws, "site_client", no_lookup)
    html = learner_client.get(reverse("labs:account")).content.decode()
    assert learner_client.get(reverse("labs:account_template")).status_code == 200
    accounts.forget_site_account()
    assert "Connecting with a role is not available on this site yet" in html


def test_the_operator_command_names_the_sites_account(moto_aws):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("lab_account", "identify", stdout=out)
    assert "Set LABS_AWS_SITE_ACCOUNT_ID=123456789012" in out.getvalue()


def test_a_quick_create_link_when_the_template_is_published(aws_world, learner_client, learner, settings):
    settings.LABS_AWS_TEMPLATE_URL = "https://example-bucket.s3.amazonaws.com/labs-role.yaml"
    html = learner_client.get(reverse("labs:account")).content.decode()
    external_id = Sandbox.aws_for(learner).external_id
    assert "#/stacks/quickcreate?templateURL=https%3A%2F%2Fexample-bucket" in html
    assert f"param_ExternalId={external_id}" in html and f"param_SiteAccountId={SITE_ACCOUNT}" in html


def test_learners_see_what_they_can_act_on_and_operators_see_the_setup_problem(client, settings, caplog):
    """Issue 14: the own-account page showed the operator's setup error to learners and nudged
    them towards access keys. Learners now see that the role is not available yet, the key form
    is folded and marked not recommended; staff see the setting; logs and `check` tell operators."""
    from django.core.checks import run_checks

    from tests.factories import UserFactory

    settings.LABS_AWS_SITE_ACCOUNT_ID = ""
    accounts.forget_site_account()
    client.force_login(UserFactory())
    with caplog.at_level("WARNING"):
        html = client.get(reverse("labs:account")).content.decode()
    assert "Connecting with a role is not available on this site yet" in html
    assert "LABS_AWS_SITE_ACCOUNT_ID" not in html and "Not recommended" in html
    assert '<details class="card connect-card keys-card">' in html
    assert any("role connections are unavailable" in record.getMessage() for record in caplog.records)
    client.force_login(UserFactory(is_staff=True))
    assert "LABS_AWS_SITE_ACCOUNT_ID" in client.get(reverse("labs:account")).content.decode()
    assert "labs.I001" in [message.id for message in run_checks(include_deployment_checks=True)]
    settings.LABS_AWS_SITE_ACCOUNT_ID = "111122223333"
    assert "labs.I001" not in [message.id for message in run_checks(include_deployment_checks=True)]
    accounts.forget_site_account()
