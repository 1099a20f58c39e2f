"""The cast of every test: one user per role, and the switches for the real parts.

Real parts: the database is the one DATABASE_URL names (SQLite when unset); a real Celery
worker on a real broker for tests marked `worker`; a real headless Chromium for `tests/e2e`.
When one is missing on a laptop those tests are skipped with the reason; in CI (CI=true) they
fail instead, so a green CI run always means they ran.
"""

import os

import pytest
from django.core.cache import cache

from tests.factories import make_maker, make_relay, make_user
from tilab import roles
from tilab.reference import reference_data_ensure

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip on a laptop, fail in CI, when a real part a test needs is absent."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this real part: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache_and_fast_hashing(settings):
    # Rate limits and sessions live in the cache: no test inherits another's counters.
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


@pytest.fixture
def reference_data(db):
    """Departments and role groups, restored if a transactional test flushed them."""
    reference_data_ensure()


@pytest.fixture
def maker(reference_data):
    user = make_user(role=roles.MAKER, email="anne@example.org", full_name="Anne Le Goff")
    make_maker(user=user, display_name="Anne Le Goff", department="35", commune="Rennes")
    return user


@pytest.fixture
def relay_staff(reference_data):
    """Staff of LabFab de Rennes, which covers Ille-et-Vilaine (35) and Côtes-d'Armor (22)."""
    user = make_user(role=roles.RELAY_STAFF, email="camille@labfab.example.org")
    make_relay(name="LabFab de Rennes", departments=["35", "22"], staff=[user])
    return user


@pytest.fixture
def other_relay_staff(reference_data):
    """Staff of ENSTA Bretagne, which covers Finistère (29)."""
    user = make_user(role=roles.RELAY_STAFF, email="sophie@ensta.example.org")
    make_relay(name="ENSTA Bretagne", departments=["29"], staff=[user])
    return user


@pytest.fixture
def region_staff(reference_data):
    return make_user(role=roles.REGION_STAFF, email="helene@region.example.org")


@pytest.fixture
def facilitator(reference_data):
    return make_user(role=roles.FACILITATOR, email="benoit@tilab.example.org")


@pytest.fixture
def auditor(reference_data):
    return make_user(role=roles.AUDITOR, email="audit@example.org")


@pytest.fixture
def role_users(maker, relay_staff, region_staff, facilitator, auditor):
    return {
        roles.MAKER: maker,
        roles.RELAY_STAFF: relay_staff,
        roles.REGION_STAFF: region_staff,
        roles.FACILITATOR: facilitator,
        roles.AUDITOR: auditor,
    }
