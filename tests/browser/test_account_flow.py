"""A learner connects their own AWS account in real Chromium, against a moto-mocked AWS: the role
from the template (deployed in the learner's mocked account), the external id, the account the
site reached, the confirmation with the cost estimate, typed from the keyboard; then the runs
still holding resources, torn down in one action. Screenshots go to tests/browser/artifacts/."""

import re

import moto  # noqa: F401 - imported before any boto3 session exists, so every session gets moto's hooks
import pytest
from playwright.sync_api import expect

from labs.models import LabRun, LedgerEntry, Sandbox
from tests.factories import LabRunFactory, LedgerEntryFactory, UserFactory
from tests.labs.aws_world import QUIET_MOTO, aws_world  # noqa: F401 - a fixture
from tests.labs.conftest import moto_aws  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), QUIET_MOTO]


def log_in(page, base, username):
    UserFactory(username=username)
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_learner_connects_an_aws_account_confirms_it_and_cleans_up(page, live_server, aws_world, shot):
    base = live_server.url
    log_in(page, base, "ada")
    page.goto(base + "/labs/fullstack/")
    start = page.get_by_role("complementary")
    expect(start.get_by_label("Your AWS account (not connected)")).to_be_disabled()
    start.get_by_role("link", name="Connect an AWS account").click()

    expect(page.get_by_role("heading", name="Your AWS account", level=1)).to_be_visible()
    sandbox = Sandbox.objects.get(user__username="ada")
    expect(page.locator("#external-id")).to_have_text(sandbox.external_id)
    expect(page.get_by_role("link", name="Download the template")).to_be_visible()
    shot(page, "account-connect", full_page=True)

    # The learner deploys the template in their account (here: moto's CloudFormation) and pastes the ARN.
    role_arn = aws_world.deploy_template(sandbox.external_id)
    page.get_by_label("Role ARN").fill(role_arn)
    page.get_by_role("button", name="Connect the role").click()
    expect(page).to_have_url(re.compile(r"/labs/account/confirm/$"))
    expect(page.get_by_text("Connected: the site assumed your role in account 2109-8765-4321")).to_be_visible()
    expect(page.locator(".confirm-account")).to_have_text("2109-8765-4321")
    expect(page.get_by_text("Prices checked").first).to_be_hidden()  # in the collapsed breakdown
    page.get_by_text("How it adds up").first.click()
    expect(page.get_by_text("Prices checked").first).to_be_visible()
    shot(page, "account-confirm", full_page=True)

    # A wrong id is refused; the right one, typed from the keyboard, confirms.
    field = page.get_by_label(re.compile("Type the account id"))
    field.fill("123456789012")
    field.press("Enter")
    expect(page.get_by_text("That is not the account id")).to_be_visible()
    shot(page, "account-confirm-refused")
    field = page.get_by_label(re.compile("Type the account id"))
    field.fill("2109 8765 4321")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/labs/account/(#[\w-]*)?$"))
    expect(page.get_by_role("heading", name=re.compile("Connected to account 2109-8765-4321"))).to_be_visible()
    expect(page.locator(".account-card")).to_contain_text("Confirmed")
    shot(page, "account-connected", full_page=True)

    # The lab page now offers the account, with the estimate.
    page.goto(base + "/labs/fullstack/")
    expect(page.get_by_role("complementary").get_by_text("under US$0.01 a run")).to_be_visible()
    shot(page, "account-lab-detail")

    # Runs still holding resources, in the account and in the local sandbox; torn down in one action.
    learner = sandbox.user
    sandbox.refresh_from_db()
    in_aws = LabRunFactory(user=learner, sandbox=sandbox, status=LabRun.Status.LIVE, outcome=LabRun.Outcome.PASSED)
    for kind in ("dynamodb:table", "lambda:function", "s3:bucket"):
        LedgerEntryFactory(run=in_aws, kind=kind)
    failed = LabRunFactory(user=learner, status=LabRun.Status.TEARDOWN_FAILED, outcome=LabRun.Outcome.FAILED)
    LedgerEntryFactory(run=failed, status=LedgerEntry.Status.DELETE_FAILED, leftover=True)
    page.goto(base + "/labs/")
    page.get_by_role("link", name="Runs still holding resources (2)").click()
    expect(page.get_by_role("heading", name="Runs still holding resources")).to_be_visible()
    expect(page.locator(".holding-table tbody tr")).to_have_count(2)
    shot(page, "account-holding", full_page=True)
    page.get_by_role("button", name="Switch to dark theme").click()
    shot(page, "account-holding-dark", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/labs/account/")
    shot(page, "account-connected-phone-dark", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(base + "/labs/runs/holding/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Tear all of them down").click()
    expect(page.get_by_text("Tearing down 2 runs")).to_be_visible()
    for run in (in_aws, failed):
        run.refresh_from_db()
        assert (run.status, run.pending_action) == ("queued", "teardown")
