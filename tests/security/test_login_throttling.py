"""Wrong passwords are limited per account and per address, the admin's login included.

allauth's real views, its real rate limiter, the project's cache (Redis when REDIS_URL is set).
Only the limiter's clock is moved forward, to see the window pass without waiting 5 minutes.
"""

import time

import pytest
from allauth.core.internal import ratelimit
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from tests.factories import PASSWORD, make_user
from tilab.models import OutboxEmail

LOGIN = "/accounts/login/"
TOO_MANY_FR = "Trop de tentatives de connexion échouées"
TOO_MANY_EN = "Too many failed login attempts"


def attempt(client, email: str, password: str = "pas le bon mot de passe"):
    return client.post(LOGIN, {"login": email, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def from_address(address: str, **headers) -> Client:
    return Client(REMOTE_ADDR=address, **headers)


class LimiterClock:
    """allauth's limiter reads time.time() from its own module: only that clock moves."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)

    def __init__(self):
        self.ahead = 0.0

    def time(self):
        return time.time() + self.ahead


@pytest.fixture
def limiter_clock(monkeypatch):
    clock = LimiterClock()
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


def test_the_sixth_wrong_password_for_an_account_is_refused_with_a_french_message(maker):
    client = from_address("203.0.113.10")
    for _ in range(5):
        response = attempt(client, maker.email)
        assert response.status_code == 200
        assert TOO_MANY_FR not in response.content.decode()

    response = attempt(client, maker.email)

    assert TOO_MANY_FR in response.content.decode()
    assert not logged_in(client)


def test_the_right_password_is_refused_too_until_the_window_has_passed(maker, limiter_clock):
    client = from_address("203.0.113.11")
    for _ in range(5):
        attempt(client, maker.email)

    limiter_clock.ahead = 4 * 60  # still inside the 5 minutes
    response = attempt(client, maker.email, PASSWORD)
    assert TOO_MANY_FR in response.content.decode()
    assert not logged_in(client)

    limiter_clock.ahead = 5 * 60 + 1
    response = attempt(client, maker.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_one_address_guessing_does_not_lock_the_owner_out_from_elsewhere(maker):
    attacker = from_address("198.51.100.66")
    for _ in range(6):
        attempt(attacker, maker.email)
    assert TOO_MANY_FR in attempt(attacker, maker.email, PASSWORD).content.decode()

    owner = from_address("203.0.113.50")
    response = attempt(owner, maker.email, PASSWORD)
    assert response.status_code == 302 and logged_in(owner)
    assert not OutboxEmail.objects.exists()


def guess_from_many_addresses(email: str, failures: int = 20) -> None:
    """`failures` wrong passwords, five per address (what allauth lets each one try)."""
    for n in range(failures):
        attempt(from_address(f"198.51.100.{n // 5 + 1}"), email)


def test_guessing_spread_over_many_addresses_locks_the_account_and_tells_its_owner(maker):
    guess_from_many_addresses(maker.email)

    owner = from_address("203.0.113.51")
    response = attempt(owner, maker.email, PASSWORD)
    assert TOO_MANY_FR in response.content.decode()
    assert not logged_in(owner)
    # Told once, with the way back in.
    (notice,) = OutboxEmail.objects.all()
    assert notice.to == maker.email
    assert "/accounts/password/reset/" in notice.body


def test_nineteen_failures_from_many_addresses_lock_nothing(maker):
    guess_from_many_addresses(maker.email, failures=19)
    owner = from_address("203.0.113.52")
    assert attempt(owner, maker.email, PASSWORD).status_code == 302


def test_a_password_reset_lifts_the_lock_at_once(maker):
    guess_from_many_addresses(maker.email)
    owner = from_address("203.0.113.53")
    owner.post("/accounts/password/reset/", {"email": maker.email})
    reset_link = next(
        line
        for line in OutboxEmail.objects.latest("created_at", "pk").body.splitlines()
        if "/accounts/password/reset/key/" in line
    )
    path = reset_link[reset_link.index("/accounts/") :].strip()
    form_page = owner.get(path, follow=True)
    new_password = "un nouveau mot de passe bien long"
    response = owner.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302

    elsewhere = from_address("203.0.113.54")
    response = attempt(elsewhere, maker.email, new_password)
    assert response.status_code == 302 and logged_in(elsewhere)


def test_an_address_trying_many_accounts_is_stopped_and_others_are_not(reference_data):
    victims = [make_user(email=f"cible{n}@example.org") for n in range(6)]
    attacker = from_address("192.0.2.66")
    for victim in victims[:5]:
        assert TOO_MANY_FR not in attempt(attacker, victim.email).content.decode()

    response = attempt(attacker, victims[5].email, PASSWORD)
    assert TOO_MANY_FR in response.content.decode()
    assert not logged_in(attacker)

    # Someone else, elsewhere, signs in to that very account.
    neighbour = from_address("192.0.2.77")
    response = attempt(neighbour, victims[5].email, PASSWORD)
    assert response.status_code == 302 and logged_in(neighbour)


def test_a_successful_login_does_not_use_up_the_allowance(maker):
    client = from_address("203.0.113.12")
    for _ in range(10):
        other = from_address("203.0.113.12")
        assert attempt(other, maker.email, PASSWORD).status_code == 302
    for _ in range(5):
        attempt(client, maker.email)
    assert TOO_MANY_FR in attempt(client, maker.email).content.decode()


def test_the_message_is_in_english_for_someone_who_chose_english(maker):
    client = from_address("203.0.113.13")
    client.cookies["django_language"] = "en"
    for _ in range(5):
        attempt(client, maker.email)

    page = attempt(client, maker.email).content.decode()

    assert TOO_MANY_EN in page
    assert TOO_MANY_FR not in page


# --- Behind the reverse proxy -----------------------------------------------------------------


def via_proxy(client_address: str, spoofed: str = "") -> Client:
    """A request as the TLS proxy forwards it: the proxy appends the client it saw."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return from_address("10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_the_proxy_each_client_counts_for_itself(settings, reference_data):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    accounts = [make_user(email=f"compte{n}@example.org") for n in range(7)]
    for account in accounts[:5]:
        attempt(via_proxy("198.51.100.20"), account.email)

    # Another client through the same proxy is not caught by the first one's failures...
    neighbour = via_proxy("198.51.100.21")
    assert attempt(neighbour, accounts[5].email, PASSWORD).status_code == 302
    assert logged_in(neighbour)
    # ...and the first one cannot escape by writing a false address in front of its own.
    liar = via_proxy("198.51.100.20", spoofed="192.0.2.1")
    assert TOO_MANY_FR in attempt(liar, accounts[6].email, PASSWORD).content.decode()


def test_only_as_many_forwarded_addresses_as_trusted_proxies_are_believed(settings):
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.30"
    )
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert get_adapter(request).get_client_ip(request) == "10.0.0.2"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert get_adapter(request).get_client_ip(request) == "198.51.100.30"


# --- The Django admin -------------------------------------------------------------------------


def test_the_admin_login_is_allauths_login(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)

    # The admin's own form is gone: a password posted to it logs nobody in.
    response = client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 302 and not logged_in(client)

    response = client.post(
        f"{LOGIN}?next=/admin/",
        {"login": admin_user.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_account_is_limited_like_any_other(admin_user):
    client = from_address("203.0.113.14")
    for _ in range(5):
        attempt(client, admin_user.email)
    response = attempt(client, admin_user.email, PASSWORD)
    assert TOO_MANY_FR in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_admin_asks_for_the_second_factor(client, admin_user):
    TOTP.activate(admin_user, generate_totp_secret())
    response = client.post(
        f"{LOGIN}?next=/admin/",
        {"login": admin_user.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_a_signed_in_person_without_staff_status_gets_no_admin_login(client, maker):
    client.force_login(maker)
    assert client.get("/admin/login/").status_code == 403


# --- Sign-up and password reset keep allauth's limits ------------------------------------------


def test_sign_ups_from_one_address_are_limited(reference_data):
    client = from_address("203.0.113.15")
    answers = [
        client.post(
            "/accounts/signup/",
            {
                "email": f"nouveau{n}@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        ).status_code
        for n in range(21)
    ]
    assert answers[:20] == [302] * 20
    assert answers[20] == 429


def test_password_reset_requests_for_one_address_are_limited(maker):
    client = from_address("203.0.113.16")
    answers = [
        client.post("/accounts/password/reset/", {"email": maker.email}).status_code
        for _ in range(6)
    ]
    assert answers == [302] * 5 + [429]
    assert OutboxEmail.objects.filter(to=maker.email).count() == 5  # written, sent after commit
    page = client.post("/accounts/password/reset/", {"email": maker.email}).content.decode()
    assert "Trop de demandes" in page
