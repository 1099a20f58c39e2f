"""The second factor asked on the spot, in a real browser: a Région staffer whose session never
presented it opens the recap of an allocation to approve, types the code of their authenticator
app on an accessible page, comes back to the recap and approves."""

import re

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible
from tests.factories import make_programme, region_controller, totp_code, totp_enrol

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_region_staff_type_their_code_when_asked_and_come_back_to_approve(
    desktop, settings, region_staff, relay_staff
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    relay = relay_staff.relays.get()
    # Four eyes: another agent proposed it.
    programme = make_programme(by=region_controller(), relays=[relay], fixed_shares=[(relay, 100)])
    e2e.log_in(desktop, region_staff.email)  # the password alone
    totp_enrol(region_staff)  # enrolled from elsewhere, afterwards

    desktop.goto(f"/subventions/{programme.pk}/")
    desktop.get_by_role("link", name=re.compile("Vérifier puis approuver")).click()
    desktop.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    assert "saisissez le code" in desktop.get_by_role("status").inner_text()
    assert_accessible(desktop, "the page asking for the code")

    desktop.get_by_label("Code").fill(totp_code(region_staff))
    desktop.get_by_role("button", name="Confirmer").click()
    allocation = programme.allocations.get()
    desktop.wait_for_url(re.compile(rf"/subventions/allocations/{allocation.pk}/approuver/$"))
    desktop.get_by_role("button", name="Confirmer l'approbation").click()
    desktop.wait_for_url(re.compile(rf"/subventions/{programme.pk}/$"))
    assert "approuvée" in desktop.get_by_role("status").inner_text()
    assert programme.allocations.get().status == "approved"
