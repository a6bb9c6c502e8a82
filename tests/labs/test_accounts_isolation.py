"""One learner can never use, see or delete another learner's AWS account or runs: the account pages
only ever look up the signed-in learner's own sandbox, and another learner's run is a 404."""

import pytest
from django.urls import reverse

from labs import services
from labs.engine import runner
from labs.catalog import get_lab
from labs.models import LabRun, Sandbox
from tests.factories import UserFactory
from tests.labs.aws_world import QUIET_MOTO, aws_world  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, QUIET_MOTO]


def test_another_learner_cannot_use_see_or_delete_my_account_or_runs(aws_world, client,
                                                                      django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    mine = aws_world.connect(alice)
    run = services.lab_run_start(user=alice, lab=get_lab("fullstack"), mode="guided", website_origin="http://testserver",
                                 sandbox=mine)
    services.lab_run_request(run=run, action="apply", step="table")
    runner.execute(run.pk)

    client.force_login(bob)
    # His account page is his own: his external id, nothing of hers.
    html = client.get(reverse("labs:account")).content.decode()
    theirs = Sandbox.aws_for(bob)
    assert theirs.external_id in html and mine.external_id not in html and "2109-8765-4321" not in html
    assert mine.external_id not in client.get(reverse("labs:account_template")).content.decode()
    # Nothing of hers to check, confirm or disconnect: those act on his (unconnected) sandbox only.
    assert client.post(reverse("labs:account_check")).status_code == 404
    assert client.post(reverse("labs:account_disconnect")).status_code == 404
    assert client.get(reverse("labs:account_confirm")).status_code == 302
    # Her run and what it holds: 404 everywhere, absent from his lists, untouched by his "tear all down".
    for url in (run.get_absolute_url(), reverse("labs:run_live", args=[run.pk])):
        assert client.get(url).status_code == 404
    for url in (reverse("labs:run_action", args=[run.pk]), reverse("labs:run_teardown", args=[run.pk])):
        assert client.post(url, {"action": "apply", "step": "function"}).status_code == 404
    assert run.prefix not in client.get(reverse("labs:holding")).content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("labs:holding_teardown"))
    # He cannot deploy into her account: choosing "your AWS account" means his, which is not connected.
    response = client.post(reverse("labs:start", args=["fullstack"]), {"mode": "auto", "sandbox": "aws"})
    assert response["Location"] == reverse("labs:account")
    run.refresh_from_db()
    mine.refresh_from_db()
    assert run.status == LabRun.Status.WAITING and not run.abandon_requested and mine.is_connected
    assert LabRun.objects.count() == 1
