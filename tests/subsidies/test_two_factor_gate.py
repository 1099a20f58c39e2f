"""The two-factor gate on money decisions is one predicate (tilab.permissions: the money
permissions declared with `add_money_perm`, and `held_back_by_second_factor`): the pages, the
API and the services refuse and accept together, and say the same thing."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from subsidies import services
from tests.factories import make_programme, make_relay, region_controller
from tests.refusals import answered, refused
from tilab.errors import NotAllowed
from tilab.permissions import held_back_by_second_factor

APPROVE = "subsidies.approve_allocation"


@pytest.fixture
def allocation(settings, region_staff, relay_staff):
    """Proposed by another agent of the Région: `region_staff` may approve it (four eyes)."""
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    loch = make_relay(name="La Fabrique du Loch", departments=["56"])
    programme = make_programme(
        by=region_controller(),
        relays=[relay_staff.relays.get(), loch],
        fixed_shares=[(relay_staff.relays.get(), 50), (loch, 50)],
    )
    return programme.allocations.order_by("pk").first()


def test_only_the_second_factor_holds_region_staff_back(
    allocation, region_staff, relay_staff, auditor, settings
):
    assert not region_staff.has_perm(APPROVE)
    assert held_back_by_second_factor(region_staff, APPROVE)
    # Other roles are refused by their role, whatever their second factor.
    for other in (relay_staff, auditor):
        assert not held_back_by_second_factor(other, APPROVE)
    # Not a money decision: no gate to be held back by.
    assert not held_back_by_second_factor(auditor, "subsidies.manage_programmes")

    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    assert region_staff.has_perm(APPROVE)
    assert not held_back_by_second_factor(region_staff, APPROVE)

    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    TOTP.activate(region_staff, generate_totp_secret())
    assert region_staff.has_perm(APPROVE)
    assert not held_back_by_second_factor(region_staff, APPROVE)


def test_the_page_the_api_and_the_service_refuse_alike_until_the_second_factor(
    client, allocation, region_staff, relay_staff
):
    client.force_login(region_staff)
    page = client.post(f"/subventions/allocations/{allocation.pk}/approuver/")
    api = client.post(f"/api/v1/allocations/{allocation.pk}/approve/")

    assert page.status_code == 403
    assert "/accounts/2fa/totp/activate/" in page.content.decode()
    answered(api, 403, "two_factor_required")
    with refused("two_factor_required", kind=NotAllowed):
        services.allocation_approve(allocation=allocation, by=region_staff, now=timezone.now())
    # Someone whose role never decides is refused for the role, not asked for a second factor.
    with refused("role_not_allowed", kind=NotAllowed):
        services.allocation_approve(allocation=allocation, by=relay_staff, now=timezone.now())
    allocation.refresh_from_db()
    assert allocation.status == "proposed"

    TOTP.activate(region_staff, generate_totp_secret())
    assert client.post(f"/api/v1/allocations/{allocation.pk}/approve/").status_code == 200
