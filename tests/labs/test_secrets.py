"""A learner's AWS keys at rest: Fernet round trip, rotation with MultiFernet, and a planted secret that
must appear nowhere: not in logs (even at DEBUG), run events, rendered pages, an error page, the admin
or a database dump."""

import io
import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from labs import aws
from labs.engine import runner
from own_account import vault
from labs.models import LabRun, Sandbox
from tests.factories import UserFactory
from tests.labs.aws_world import QUIET_MOTO, aws_world  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, QUIET_MOTO]


def test_keys_round_trip_and_never_print(settings):
    settings.LABS_SECRET_KEYS = [Fernet.generate_key().decode()]
    keys = vault.StoredKeys("AKIAABCDEFGHIJKL1234", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    token = vault.encrypt_keys(keys)
    assert "AKIA" not in token and "wJalr" not in token and token != vault.encrypt_keys(keys)  # random IV
    assert vault.decrypt_keys(token) == keys
    assert "wJalr" not in repr(keys) and "ABCDEFGH" not in repr(keys) and str(keys) == "access key …1234"


def test_rotation_reencrypts_with_the_new_key_and_the_old_one_can_go(settings, aws_world):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LABS_SECRET_KEYS = [old]
    key_id, secret = aws_world.user_keys()
    from own_account import accounts

    sandbox = accounts.sandbox_connect_keys(sandbox=Sandbox.aws_pending_for(UserFactory()), access_key_id=key_id,
                                            secret_access_key=secret, region="us-east-1")
    before = sandbox.keys_encrypted

    settings.LABS_SECRET_KEYS = [new, old]  # the new key in front: both decrypt, the new one encrypts
    assert vault.decrypt_keys(before).secret_access_key == secret
    out = io.StringIO()
    call_command("lab_account", "rotate-keys", stdout=out)
    assert "Re-encrypted 1 stored key pair" in out.getvalue()
    sandbox.refresh_from_db()
    assert sandbox.keys_encrypted != before

    settings.LABS_SECRET_KEYS = [new]  # the old key removed
    assert vault.decrypt_keys(sandbox.keys_encrypted).secret_access_key == secret
    assert aws.target_for(sandbox).secret_access_key == secret
    with pytest.raises(vault.SecretUnreadable):
        vault.decrypt_keys(before)

    settings.LABS_SECRET_KEYS = [Fernet.generate_key().decode()]  # a key that never encrypted it
    with pytest.raises(aws.SandboxUnavailable, match="cannot be decrypted"):
        aws.target_for(sandbox)


def test_a_bad_key_setting_says_what_is_wrong(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.LABS_SECRET_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        vault.encrypt_keys(vault.StoredKeys("AKIA" + "A" * 16, "s" * 40))


def test_a_planted_secret_is_nowhere(aws_world, client, settings, caplog, monkeypatch):
    """Connect with keys, confirm, run the lab (apply and check a step, fail one, tear down), view
    every page, provoke an error page with the keys in the POST, dump the database: the secret
    access key appears nowhere, nor does the full access key id."""
    caplog.set_level(logging.DEBUG)  # the site's LOGGING keeps the AWS SDK at WARNING, whatever the root says
    key_id, secret = aws_world.user_keys("planted")
    learner = UserFactory()
    client.force_login(learner)
    pages = []

    pages.append(client.post(reverse("labs:account_keys"), {  # refused: the warning is not acknowledged
        "access_key_id": key_id, "secret_access_key": secret, "region": "us-east-1"}))
    response = client.post(reverse("labs:account_keys"), {
        "access_key_id": key_id, "secret_access_key": secret, "region": "us-east-1", "understood": "on"}, follow=True)
    pages.append(response)
    sandbox = Sandbox.aws_for(learner)
    assert sandbox.connection == "keys" and sandbox.key_hint == key_id[-4:]
    pages.append(client.post(reverse("labs:account_confirm"), {"account_id": sandbox.account_id, "lab": "fullstack",
                                                                "mode": "guided"}, follow=True))
    run = LabRun.objects.get(user=learner)
    for action, step in (("apply", "table"), ("check", "function")):
        client.post(reverse("labs:run_action", args=[run.pk]), {"action": action, "step": step})
        runner.execute(run.pk)
    client.post(reverse("labs:run_teardown", args=[run.pk]))
    runner.execute(run.pk)
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED and run.step_states["table"] == "passed"
    for url in (reverse("labs:account"), reverse("labs:account_confirm"), reverse("labs:holding"),
                reverse("labs:index"), reverse("labs:detail", args=["fullstack"]), run.get_absolute_url(),
                reverse("labs:run_live", args=[run.pk]), reverse("dashboard")):
        pages.append(client.get(url))

    # An error page, with the keys in the POST and in local variables of the failing frames.
    def broken(self, operation_name, api_params):
        raise RuntimeError("the network went away")

    settings.DEBUG = True
    with monkeypatch.context() as patched:
        patched.setattr("botocore.client.BaseClient._make_api_call", broken)
        client.raise_request_exception = False
        other = UserFactory()
        client.force_login(other)
        error_page = client.post(reverse("labs:account_keys"), {
            "access_key_id": key_id, "secret_access_key": secret, "region": "us-east-1", "understood": "on"})
    assert error_page.status_code == 500 and "the network went away" in error_page.content.decode()
    pages.append(error_page)
    settings.DEBUG = False

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    pages.append(client.get(reverse("admin:labs_sandbox_change", args=[sandbox.pk])))
    pages.append(client.get(reverse("admin:labs_sandbox_changelist")))
    pages.append(client.get(reverse("admin:labs_labrun_change", args=[run.pk])))

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    events = json.dumps(list(run.events.values("message", "detail")))
    logs = "\n".join(record.getMessage() + (caplog.text or "") for record in caplog.records)

    assert all(page.status_code in (200, 400, 500) for page in pages), [page.status_code for page in pages]
    where = {"logs": logs, "events": events, "dump": dump.getvalue(),
             **{f"page {index}": page.content.decode() for index, page in enumerate(pages)}}
    for name, text in where.items():
        assert secret not in text, f"the secret access key is in {name}"
        assert key_id not in text, f"the access key id is in {name}"
    assert sandbox.keys_encrypted in dump.getvalue()  # what is stored is the ciphertext
    assert f"…{key_id[-4:]}" in pages[3].content.decode()  # the account page: the hint is all it shows
    assert len(caplog.records) > 0
