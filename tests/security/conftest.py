"""Fixtures of the security tests (the cast is in tests/conftest.py)."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import make_user
from tilab import roles


@pytest.fixture
def everyone(reference_data):
    """Someone who may use every page: superuser, staff, every role."""
    user = make_user(email="tout@tilab.example.org", is_staff=True, is_superuser=True)
    user.groups.add(*Group.objects.filter(name__in=roles.ROLES))
    return user
