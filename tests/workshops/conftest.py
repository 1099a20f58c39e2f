"""Fixtures and helpers of the workshops tests: a second facilitator (the cast's is in
tests/conftest.py, with `workshop`), and workshops moved to the past."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_user
from tilab import roles
from workshops.models import Workshop


def moved_to_the_past(workshop, *, days: int = 3) -> Workshop:
    """`workshop`, refreshed, as if it had started `days` ago, registration closed since then:
    the services refuse to schedule a workshop in the past, so tests move it behind their back."""
    starts_at = timezone.now() - datetime.timedelta(days=days)
    Workshop.objects.filter(pk=workshop.pk).update(
        starts_at=starts_at, registration_deadline=starts_at
    )
    workshop.refresh_from_db()
    return workshop


@pytest.fixture
def other_facilitator(reference_data):
    """Morgane, a facilitator who is not the author of `workshop`."""
    return make_user(
        role=roles.FACILITATOR, email="morgane@tilab.example.org", full_name="Morgane Le Bihan"
    )
