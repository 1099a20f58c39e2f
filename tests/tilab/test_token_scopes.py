"""Personal API tokens have a scope (read, write, money) and an expiry. A "read" token cannot
write, a "write" token cannot decide on money, and only a token made right after the second
factor carries "money". The scope is enforced in one place: tilab.permissions
(DeclaredPermission for reading and writing, `add_money_perm` for money)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from tests.factories import (
    client_step_up,
    make_personal_token,
    make_programme,
    region_controller,
    step_up,
    totp_enrol,
)
from tests.refusals import answered, refused
from tests.subsidies.approval import confirm_body
from tilab import services
from tilab.errors import NotAllowed
from tilab.models import PersonalTokenScope

PROGRAMMES = "/api/v1/programmes/"


def program(token) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def allocation(region_staff, relay_staff):
    relay = relay_staff.relays.get()
    # Four eyes: another agent of the Région proposed it; `region_staff` approves.
    programme = make_programme(by=region_controller(), relays=[relay], fixed_shares=[(relay, 100)])
    return programme.allocations.get()


def approve(client, allocation):
    return client.post(
        f"/api/v1/allocations/{allocation.pk}/approve/",
        confirm_body(allocation),
        content_type="application/json",
    )


def create_programme(client):
    # Incomplete on purpose: past the token's scope, the content is refused (400).
    return client.post(PROGRAMMES, {}, content_type="application/json")


@pytest.mark.parametrize("mfa", [False, True], ids=["demo", "production"])
def test_a_read_token_reads_but_neither_writes_nor_decides_on_money(
    settings, mfa, region_staff, allocation
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = mfa
    token = program(make_personal_token(region_staff, scope="read"))
    assert token.get(PROGRAMMES).status_code == 200
    answered(create_programme(token), 403, "token_scope_missing")
    answered(approve(token, allocation), 403, "token_scope_missing")
    allocation.refresh_from_db()
    assert allocation.status == "proposed"


@pytest.mark.parametrize("mfa", [False, True], ids=["demo", "production"])
def test_a_write_token_writes_but_does_not_decide_on_money(settings, mfa, region_staff, allocation):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = mfa
    token = program(make_personal_token(region_staff, scope="write"))
    assert token.get(PROGRAMMES).status_code == 200
    assert create_programme(token).status_code == 400  # refused for its content, not its scope
    body = answered(approve(token, allocation), 403, "token_scope_missing")
    assert "/accounts/tokens/" in body["detail"]
    allocation.refresh_from_db()
    assert allocation.status == "proposed"


def test_a_money_token_decides_on_money(mfa_required, region_staff, allocation):
    token = program(make_personal_token(step_up(region_staff), scope="money"))
    assert approve(token, allocation).status_code == 200
    allocation.refresh_from_db()
    assert allocation.status == "approved"


def test_a_money_token_is_made_only_right_after_the_second_factor(
    mfa_required, region_staff, maker
):
    with refused("two_factor_required", kind=NotAllowed):
        services.personal_token_create(user=region_staff, scope="money", now=timezone.now())
    totp_enrol(region_staff)
    with refused("two_factor_required", kind=NotAllowed):
        services.personal_token_create(user=region_staff, scope="money", now=timezone.now())
    stale = timezone.now() - timedelta(minutes=16)
    with refused("two_factor_required", kind=NotAllowed):
        services.personal_token_create(
            user=step_up(region_staff, at=stale), scope="money", now=timezone.now()
        )
    presented = timezone.now() - timedelta(minutes=1)
    token, _text = services.personal_token_create(
        user=step_up(region_staff, at=presented), scope="money", now=timezone.now()
    )
    assert (token.scope.scope, token.scope.second_factor_at) == ("money", presented)
    # Nor by those who never decide on money.
    assert not PersonalTokenScope.objects.filter(token__user=maker).exists()
    with refused("role_not_allowed", kind=NotAllowed):
        services.personal_token_create(user=step_up(maker), scope="money", now=timezone.now())


def test_the_demo_makes_money_tokens_without_the_second_factor(settings, region_staff):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    token, _text = services.personal_token_create(
        user=region_staff, scope="money", now=timezone.now()
    )
    assert (token.scope.scope, token.scope.second_factor_at) == ("money", None)


def test_a_token_lives_the_days_of_the_setting(settings, maker):
    now = timezone.now()
    token, text = services.personal_token_create(user=maker, scope="read", now=now)
    assert token.expiry == now + timedelta(days=90)
    settings.TILAB_API_TOKEN_DAYS = 7
    token, _text = services.personal_token_create(user=maker, scope="read", now=now)
    assert token.expiry == now + timedelta(days=7)


def test_an_expired_token_is_refused(maker):
    token, text = services.personal_token_create(
        user=maker, scope="read", now=timezone.now() - timedelta(days=91)
    )
    assert program(text).get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(pk=token.pk).exists()


def test_a_token_made_outside_the_page_only_reads(region_staff):
    _token, text = AuthToken.objects.create(user=region_staff)  # knox's own, no scope
    assert program(text).get("/api/v1/me/").status_code == 200
    answered(create_programme(program(text)), 403, "token_scope_missing")


def test_tokens_made_before_scopes_write_without_money_and_live_90_days_at_most(
    region_staff, allocation
):
    old, old_text = AuthToken.objects.create(user=region_staff, expiry=timedelta(days=365))
    soon, _ = AuthToken.objects.create(user=region_staff, expiry=timedelta(days=3))
    migration = importlib.import_module("tilab.migrations.0004_token_scopes_and_sessions_ended_at")
    migration.existing_tokens_write_without_money(apps, None)

    old.refresh_from_db()
    soon.refresh_from_db()
    assert (old.scope.scope, soon.scope.scope) == ("write", "write")
    assert old.expiry <= timezone.now() + timedelta(days=90)
    assert soon.expiry <= timezone.now() + timedelta(days=3)
    assert create_programme(program(old_text)).status_code == 400
    answered(approve(program(old_text), allocation), 403, "token_scope_missing")


def test_the_me_endpoint_says_what_the_token_may_do_and_until_when(maker):
    token, text = services.personal_token_create(user=maker, scope="write", now=timezone.now())
    body = program(text).get("/api/v1/me/").json()
    assert body["token_scopes"] == ["read", "write"]
    # The API writes times in Paris time (TIME_ZONE): the date of Paris, not of UTC.
    assert body["token_expires_at"].startswith(timezone.localtime(token.expiry).date().isoformat())
    browser = Client()
    browser.force_login(maker)
    assert browser.get("/api/v1/me/").json()["token_scopes"] is None


def test_the_page_shows_the_scope_and_expiry_at_creation_and_in_the_list(client, maker):
    client.force_login(maker)
    page = client.get("/accounts/tokens/")
    # A maker never decides on money: no "money" choice.
    assert 'value="money"' not in page.content.decode()
    response = client.post("/accounts/tokens/", {"create": "1", "scope": "write"})
    created = response.context["created"]
    html = response.content.decode()
    assert "Portée : lecture et écriture." in html
    assert timezone.localtime(created.expiry).strftime("%d/%m/%Y") in html  # Paris's date
    listed = client.get("/accounts/tokens/").content.decode()
    assert "Lecture et écriture" in listed
    # Nothing chosen is the least: reading.
    response = client.post("/accounts/tokens/", {"create": "1"})
    assert response.context["created"].scope.scope == "read"


def test_staff_are_offered_a_money_token_made_after_their_code(client, mfa_required, relay_staff):
    totp_enrol(relay_staff)
    client_step_up(client, relay_staff)
    assert 'value="money"' in client.get("/accounts/tokens/").content.decode()
    response = client.post("/accounts/tokens/", {"create": "1", "scope": "money"})
    assert response.context["created"].scope.scope == "money"
