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


@pytest.fixture
def walker(reference_data, settings):
    """The authorisation matrix's walker (one client per caller) over its world, for the tests
    that walk the matrix's pages and operations (the matrix itself, odd input, caching)."""
    from tests.security.matrix_world import world_build
    from tests.security.test_authorisation_matrix import Walker

    # The two-factor gate on money decisions is tested on its own (tests/tilab/test_mfa_gate).
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    return Walker(world_build())
