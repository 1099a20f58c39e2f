"""Fixtures of the workshops tests: a second facilitator (the cast's is in tests/conftest.py,
with `workshop`)."""

import pytest

from tests.factories import make_user
from tilab import roles


@pytest.fixture
def other_facilitator(reference_data):
    """Morgane, a facilitator who is not the author of `workshop`."""
    return make_user(
        role=roles.FACILITATOR, email="morgane@tilab.example.org", full_name="Morgane Le Bihan"
    )
