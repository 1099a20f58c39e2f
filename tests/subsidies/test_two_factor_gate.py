"""The second factor on money decisions is one predicate (tilab.permissions: the money
permissions declared with `add_money_perm`, `mfa_gate_open`, `held_back_by_second_factor`): it
asks whether THIS session presented the second factor recently (or THIS token carries
"money"), not whether the account has one. The pages, the API and the services refuse and
accept together; a page asks for the code on the spot and comes back."""

from datetime import timedelta

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.utils import timezone

from subsidies import services
from tests.factories import (
    PASSWORD,
    client_step_up,
    make_programme,
    make_relay,
    region_controller,
    step_up,
    totp_code,
    totp_enrol,
)
from tests.refusals import answered, refused
from tests.subsidies.approval import confirm_body, confirm_form
from tilab.errors import NotAllowed
from tilab.permissions import held_back_by_second_factor

APPROVE = "subsidies.approve_allocation"


@pytest.fixture
def programme(mfa_required, region_staff, relay_staff):
    """Proposed by another agent of the Région: `region_staff` may approve it (four eyes)."""
    loch = make_relay(name="La Fabrique du Loch", departments=["56"])
    return make_programme(
        by=region_controller(),
        relays=[relay_staff.relays.get(), loch],
        fixed_shares=[(relay_staff.relays.get(), 50), (loch, 50)],
    )


@pytest.fixture
def allocation(programme):
    return programme.allocations.order_by("pk").first()


def page_of(programme) -> str:
    return f"/subventions/{programme.pk}/"


def approve_on_the_page(client, allocation, programme):
    return client.post(
        f"/subventions/allocations/{allocation.pk}/approuver/",
        confirm_form(allocation),
        headers={"referer": f"http://testserver{page_of(programme)}"},
    )


def approve_by_api(client, allocation, **headers):
    return client.post(
        f"/api/v1/allocations/{allocation.pk}/approve/",
        confirm_body(allocation),
        content_type="application/json",
        **headers,
    )


def reauthentication_url(back: str) -> str:
    return f"/accounts/2fa/reauthenticate/?next={back.replace('/', '%2F')}"


def test_only_the_second_factor_presented_recently_lets_region_staff_decide(
    mfa_required, region_staff, relay_staff, auditor, settings
):
    # No authenticator app: held back.
    assert not region_staff.has_perm(APPROVE)
    assert held_back_by_second_factor(region_staff, APPROVE)
    # An authenticator app on the account is not enough: this request must have presented it.
    totp_enrol(region_staff)
    assert not region_staff.has_perm(APPROVE)
    assert held_back_by_second_factor(region_staff, APPROVE)
    # Presented 14 minutes ago (the limit is 15 by default): let through.
    step_up(region_staff, at=timezone.now() - timedelta(minutes=14))
    assert region_staff.has_perm(APPROVE)
    assert not held_back_by_second_factor(region_staff, APPROVE)
    # Presented 16 minutes ago: asked again; the limit is a setting.
    step_up(region_staff, at=timezone.now() - timedelta(minutes=16))
    assert not region_staff.has_perm(APPROVE)
    assert held_back_by_second_factor(region_staff, APPROVE)
    settings.TILAB_STEP_UP_MAX_AGE = 20 * 60
    assert region_staff.has_perm(APPROVE)
    settings.TILAB_STEP_UP_MAX_AGE = 15 * 60

    # Other roles are refused by their role, whatever their second factor.
    for other in (relay_staff, auditor):
        step_up(other)
        assert not other.has_perm(APPROVE)
        assert not held_back_by_second_factor(other, APPROVE)
    # Not a money decision: no gate to be held back by.
    assert not held_back_by_second_factor(auditor, "subsidies.manage_programmes")

    # The demo's relaxation: no second factor asked.
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    step_up(region_staff, at=timezone.now() - timedelta(days=1))
    assert region_staff.has_perm(APPROVE)
    assert not held_back_by_second_factor(region_staff, APPROVE)


def test_without_an_authenticator_app_the_page_sends_to_its_activation_and_all_refuse_alike(
    client, allocation, programme, region_staff, relay_staff
):
    client.force_login(region_staff)
    page = approve_on_the_page(client, allocation, programme)
    api = approve_by_api(client, allocation)

    assert (page.status_code, page["Location"]) == (302, "/accounts/2fa/totp/activate/")
    assert "/accounts/2fa/totp/activate/" in answered(api, 403, "two_factor_required")["detail"]
    with refused("two_factor_required", kind=NotAllowed):
        services.allocation_approve(allocation=allocation, by=region_staff, now=timezone.now())
    # Someone whose role never decides is refused for the role, not asked for a second factor.
    with refused("role_not_allowed", kind=NotAllowed):
        services.allocation_approve(allocation=allocation, by=relay_staff, now=timezone.now())
    allocation.refresh_from_db()
    assert allocation.status == "proposed"


def test_a_password_session_is_asked_for_the_code_after_totp_was_enrolled_elsewhere(
    client, programme, region_staff
):
    """Scenario 1 of issue 16: a session opened with the password alone recorded payments once
    TOTP had been enrolled from another session; the account's TOTP opened the gate."""
    first, second = programme.allocations.order_by("pk")
    response = client.post("/accounts/login/", {"login": region_staff.email, "password": PASSWORD})
    assert response.status_code == 302
    # Enrolled elsewhere, here without the signal that would also end this session: the gate
    # must hold on its own.
    totp_enrol(region_staff)

    # The page asks for the code, to come back to the programme; nothing is approved.
    page = approve_on_the_page(client, first, programme)
    assert (page.status_code, page["Location"]) == (302, reauthentication_url(page_of(programme)))
    first.refresh_from_db()
    assert first.status == "proposed"
    # The API and the service refuse alike.
    assert (
        "/accounts/2fa/reauthenticate/"
        in (answered(approve_by_api(client, second), 403, "two_factor_required")["detail"])
    )
    with refused("two_factor_required", kind=NotAllowed):
        services.allocation_approve(allocation=first, by=region_staff, now=timezone.now())

    # The code, on the page it was sent to; back to the programme, where approving works.
    asked = client.get(page["Location"])
    assert asked.status_code == 200
    assert 'name="code"' in asked.content.decode()
    typed = client.post(page["Location"], {"code": totp_code(region_staff)})
    assert (typed.status_code, typed["Location"]) == (302, page_of(programme))
    approved = approve_on_the_page(client, first, programme)
    assert (approved.status_code, approved["Location"]) == (302, page_of(programme))
    assert approve_by_api(client, second).status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("approved", "approved")


def test_a_second_factor_older_than_the_setting_is_asked_again(
    client, allocation, programme, region_staff
):
    client_step_up(client, region_staff)
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= 16 * 60
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()

    page = approve_on_the_page(client, allocation, programme)
    assert (page.status_code, page["Location"]) == (302, reauthentication_url(page_of(programme)))
    answered(approve_by_api(client, allocation), 403, "two_factor_required")

    client_step_up(client, region_staff)
    assert approve_on_the_page(client, allocation, programme)["Location"] == page_of(programme)
    allocation.refresh_from_db()
    assert allocation.status == "approved"


def test_the_programme_page_offers_approval_to_staff_who_can_type_their_code(
    client, allocation, programme, region_staff
):
    client.force_login(region_staff)
    html = client.get(page_of(programme)).content.decode()
    assert "/accounts/2fa/totp/activate/" in html  # no authenticator app yet
    assert f"/subventions/allocations/{allocation.pk}/approuver/" not in html

    totp_enrol(region_staff)
    html = client.get(page_of(programme)).content.decode()
    assert f"/subventions/allocations/{allocation.pk}/approuver/" in html
    assert "/accounts/2fa/totp/activate/" not in html


def test_an_htmx_request_held_back_is_sent_to_the_code_page_whole(
    client, allocation, programme, region_staff
):
    totp_enrol(region_staff)
    client.force_login(region_staff)
    response = client.post(
        f"/subventions/allocations/{allocation.pk}/approuver/",
        headers={"hx-request": "true", "referer": f"http://testserver{page_of(programme)}"},
    )
    assert response["HX-Redirect"] == reauthentication_url(page_of(programme))


def test_a_token_without_the_money_scope_is_refused_even_after_the_code(
    client, allocation, region_staff
):
    from tests.factories import make_personal_token

    # Made before the authenticator app, as "write": it never decides on money.
    token = make_personal_token(region_staff, scope="write")
    client_step_up(client, region_staff)
    program = client.__class__()
    response = approve_by_api(program, allocation, HTTP_AUTHORIZATION=f"Token {token}")
    answered(response, 403, "token_scope_missing")
    allocation.refresh_from_db()
    assert allocation.status == "proposed"


def test_a_money_token_is_made_right_after_the_code_and_decides(client, allocation, region_staff):
    totp_enrol(region_staff)
    client.force_login(region_staff)
    tokens = "/accounts/tokens/"
    # Without a fresh code: asked for it, back to the tokens page; no token made.
    response = client.post(
        tokens, {"scope": "money"}, headers={"referer": f"http://testserver{tokens}"}
    )
    assert (response.status_code, response["Location"]) == (302, reauthentication_url(tokens))
    assert not region_staff.auth_token_set.exists()

    client_step_up(client, region_staff)
    token = client.post(tokens, {"scope": "money"}).context["new_token"]
    program = client.__class__()
    response = approve_by_api(program, allocation, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    allocation.refresh_from_db()
    assert allocation.status == "approved"
