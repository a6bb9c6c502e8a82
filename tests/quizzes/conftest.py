import pytest

from tests.factories import QuestionFactory

DVA = ["DVA-C02/development", "DVA-C02/security", "DVA-C02/deployment", "DVA-C02/troubleshooting"]


@pytest.fixture
def bank():
    """20 published questions per DVA-C02 domain (3 of them multiple response), plus 3 drafts."""
    for label in DVA:
        QuestionFactory.create_batch(17, domains=[label])
        QuestionFactory.create_batch(3, domains=[label], qtype="multiple")
    QuestionFactory.create_batch(3, domains=["DVA-C02/security"], status="draft")
