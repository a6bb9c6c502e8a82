"""The labs admin: every model lists and opens with data, and staff can tear runs down."""

import pytest
from django.urls import reverse

from labs.models import LabRun
from tests.factories import LabRunFactory, LedgerEntryFactory, RunEventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_lab_models_list_and_open(staff_client):
    run = LabRunFactory()
    event, entry = RunEventFactory(run=run), LedgerEntryFactory(run=run)
    for model, obj in (("sandbox", run.sandbox), ("labrun", run), ("ledgerentry", entry)):
        assert staff_client.get(reverse(f"admin:labs_{model}_changelist")).status_code == 200
        assert staff_client.get(reverse(f"admin:labs_{model}_change", args=[obj.pk])).status_code == 200
    html = staff_client.get(reverse("admin:labs_labrun_change", args=[run.pk])).content.decode()
    assert event.message in html and entry.name in html


def test_staff_can_tear_a_run_down(staff_client, django_capture_on_commit_callbacks):
    run = LabRunFactory()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:labs_labrun_changelist"), {"action": "tear_down", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == LabRun.Status.QUEUED and run.pending_action == "teardown"
