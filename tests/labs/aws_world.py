"""A moto world for labs in a learner's own AWS account: the site's account (moto's default,
123456789012, whose credentials come from the environment like on a server) and a learner's
account (210987654321) where the learner deploys the role template.

moto's STS does not evaluate trust policies (any role can be assumed, even one that does not
exist), so :func:`enforce_trust` applies the rule AWS applies, for what these tests need: the
role must exist, an ``Allow`` statement must name the caller's account (``…:root``) or the
caller, and its ``StringEquals``/``StringLike`` condition on ``sts:ExternalId`` must hold.

Import the fixtures into a test module: ``from tests.labs.aws_world import aws_world  # noqa: F401``.
"""

import contextlib
import fnmatch
import json
from dataclasses import dataclass, field

import pytest

from labs import aws
from own_account import accounts
from own_account import aws_role
from labs.models import Sandbox
from tests.labs.conftest import moto_aws  # noqa: F401 - a fixture
from tests.labs import moto_cloudfront, moto_rds

SITE_ACCOUNT = "123456789012"
LEARNER_ACCOUNT = "210987654321"
OTHER_ACCOUNT = "210987654322"
REGION = "us-east-1"
# moto warns that STS's model has no AccessDenied shape; AWS answers AccessDenied all the same.
QUIET_MOTO = pytest.mark.filterwarnings("ignore:Exception\\(STSClientError\\) with code AccessDenied")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def trust_allows(document, caller_account: str, external_id: str | None) -> bool:
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow" or "sts:AssumeRole" not in _as_list(statement.get("Action", [])):
            continue
        principals = _as_list((statement.get("Principal") or {}).get("AWS", []))
        if not any(p in (f"arn:aws:iam::{caller_account}:root", caller_account, "*") for p in principals):
            continue
        conditions = statement.get("Condition", {})
        wanted_equal = conditions.get("StringEquals", {}).get("sts:ExternalId")
        wanted_like = conditions.get("StringLike", {}).get("sts:ExternalId")
        if wanted_equal is not None and external_id not in _as_list(wanted_equal):
            continue
        if wanted_like is not None and (external_id is None or not any(
                fnmatch.fnmatchcase(external_id, pattern) for pattern in _as_list(wanted_like))):
            continue
        return True
    return False


@dataclass
class World:
    enforcing: dict = field(default_factory=lambda: {"on": True})
    site_account: str = SITE_ACCOUNT
    learner_account: str = LEARNER_ACCOUNT
    region: str = REGION

    @contextlib.contextmanager
    def trust_off(self):
        self.enforcing["on"] = False
        try:
            yield
        finally:
            self.enforcing["on"] = True

    def admin_clients(self, account: str | None = None) -> aws.Clients:
        """Clients acting as an administrator of ``account`` (the learner's by default): for setting up."""
        account = account or self.learner_account
        with self.trust_off():
            credentials = aws.site_client("sts", self.region).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/test-admin", RoleSessionName="test-setup")["Credentials"]
        return aws.Clients(aws.role_target(credentials, self.region))

    def deploy_template(self, external_id: str, *, account: str | None = None) -> str:
        """Deploy the labs' role template with CloudFormation in the learner's account: the RoleArn output."""
        cloudformation = self.admin_clients(account).cloudformation
        body = aws_role.template_yaml(regions=[self.region], external_id=external_id, site_account_id=self.site_account)
        cloudformation.create_stack(StackName=aws_role.STACK_NAME, TemplateBody=body,
                                    Capabilities=["CAPABILITY_NAMED_IAM"])
        outputs = cloudformation.describe_stacks(StackName=aws_role.STACK_NAME)["Stacks"][0]["Outputs"]
        return next(output["OutputValue"] for output in outputs if output["OutputKey"] == "RoleArn")

    def make_role(self, name: str, trust: dict, *, account: str | None = None) -> str:
        iam = self.admin_clients(account).iam
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    def set_alias(self, alias: str, *, account: str | None = None) -> None:
        iam = self.admin_clients(account).iam
        for old in iam.list_account_aliases()["AccountAliases"]:
            iam.delete_account_alias(AccountAlias=old)
        iam.create_account_alias(AccountAlias=alias)

    def user_keys(self, name: str = "labs-user", *, account: str | None = None) -> tuple[str, str]:
        iam = self.admin_clients(account).iam
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def connect(self, user, *, confirm: bool = True, account: str | None = None) -> Sandbox:
        """A learner's AWS sandbox connected the recommended way (the template's role). The template
        names its role, so one account holds one learner's: give a second learner another account."""
        sandbox = Sandbox.aws_pending_for(user)
        role_arn = self.deploy_template(sandbox.external_id, account=account)
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=role_arn, region=self.region)
        if confirm:
            accounts.sandbox_confirm(sandbox=sandbox, typed=sandbox.account_id)
        return sandbox


@pytest.fixture
def aws_world(moto_aws, settings, monkeypatch):  # noqa: F811
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    world = World()
    moto_cloudfront.extend(monkeypatch)  # what moto's CloudFront lacks for the edge lab
    moto_rds.extend(monkeypatch)  # what moto's RDS lacks for the relational lab
    settings.LABS_AWS_SITE_ACCOUNT_ID = SITE_ACCOUNT
    settings.LABS_AWS_REGIONS = [REGION]
    settings.LABS_AWS_ACCOUNT_BLOCKLIST = []
    accounts.forget_site_account()
    original = STSBackend.assume_role

    def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
        if world.enforcing["on"]:
            account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
            try:
                role = iam_backends[account]["aws"].get_role(name)
            except Exception:  # noqa: BLE001 - AWS answers AccessDenied for a role that is not there
                role = None
            document = role.assume_role_policy_document if role else "{}"
            document = json.loads(document) if isinstance(document, str) else document
            if role is None or not trust_allows(document, self.account_id, external_id):
                raise STSClientError("AccessDenied", f"User: arn:aws:iam::{self.account_id}:user/site is not "
                                                     f"authorized to perform: sts:AssumeRole on resource: {role_arn}")
        return original(self, region_name, role_session_name, role_arn, policy, duration, external_id)

    monkeypatch.setattr(STSBackend, "assume_role", assume_role)
    appsync_stand_in(monkeypatch)
    yield world
    accounts.forget_site_account()


# moto 5.2 has AppSync APIs, keys and schemas but no data sources or resolvers ("Not yet implemented");
# the secured-API lab makes both. A stand-in answers those calls from memory, per API, as AWS would. moto's
# GetIntrospectionSchema also drops the schema's directives (AWS keeps them with includeDirectives), so
# the stand-in serves the SDL StartSchemaCreation was given.
APPSYNC_STAND_IN = {"CreateDataSource", "GetDataSource", "UpdateDataSource", "CreateResolver", "GetResolver",
                    "UpdateResolver"}


def appsync_stand_in(monkeypatch):
    from botocore.awsrequest import AWSResponse

    store: dict = {}

    def remember(params, model, context, **kwargs):
        if model.name in APPSYNC_STAND_IN or model.name == "GetIntrospectionSchema":
            context["stand_in_params"] = dict(params)
        if model.name == "StartSchemaCreation":  # moto handles it; the SDL is kept for the introspection
            definition = params["definition"]
            store.setdefault(params["apiId"], {})["sdl"] = definition if isinstance(definition, bytes) else definition.encode()

    def answer(model, context, **kwargs):
        import io

        if model.name == "GetIntrospectionSchema":
            sdl = store.get(context.get("stand_in_params", {}).get("apiId"), {}).get("sdl")
            return None if sdl is None else (AWSResponse("", 200, {}, None), {
                "schema": io.BytesIO(sdl), "ResponseMetadata": {"HTTPStatusCode": 200}})
        if model.name not in APPSYNC_STAND_IN:
            return None
        params = context.get("stand_in_params", {})
        api = store.setdefault(params.get("apiId"), {})
        if model.name.endswith("DataSource"):
            key, shape = ("ds", params["name"]), "dataSource"
        else:
            key, shape = ("resolver", params["typeName"], params["fieldName"]), "resolver"
        if model.name.startswith("Get"):
            if key not in api:
                return AWSResponse("", 404, {}, None), {
                    "Error": {"Code": "NotFoundException", "Message": f"{key[-1]} not found"},
                    "ResponseMetadata": {"HTTPStatusCode": 404}}
        else:
            api[key] = {k: v for k, v in params.items() if k != "apiId"}
        return AWSResponse("", 200, {}, None), {shape: api[key], "ResponseMetadata": {"HTTPStatusCode": 200}}

    original = aws.client

    def client(target, service):
        made = original(target, service)
        if service == "appsync" and getattr(made, "_world", None) is not store:  # clients are reused
            made._world = store
            made.meta.events.register_first("before-parameter-build.appsync", remember)
            made.meta.events.register_first("before-call.appsync", answer)
        return made

    monkeypatch.setattr(aws, "client", client)
