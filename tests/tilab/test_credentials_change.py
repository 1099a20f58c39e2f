"""When a person's password or second factor changes, every other session and every personal
API token of theirs ends; the session that made the change stays signed in."""

import time

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from tests.factories import PASSWORD, client_step_up, make_personal_token, totp_enrol
from tilab.models import User

NEW_PASSWORD = "un autre mot de passe solide 2026"


def signed_in(client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


def token_works(token) -> bool:
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


@pytest.fixture
def person(relay_staff):
    return relay_staff


@pytest.fixture
def here(person):
    """The browser where the person makes the change, signed in with their password."""
    client = Client()
    assert client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert signed_in(client)
    return client


@pytest.fixture
def elsewhere(person):
    """Another of the person's sessions (another browser, or a thief's), and one of their
    tokens."""
    client = Client()
    client.force_login(person)
    assert signed_in(client)
    return client


@pytest.fixture
def token(person):
    token = make_personal_token(person, scope="write")
    assert token_works(token)
    return token


def assert_only_here_remains(here, elsewhere, token, person):
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not token_works(token)
    assert not person.auth_token_set.exists()
    assert User.objects.get(pk=person.pk).sessions_ended_at is not None


def test_a_password_change_ends_the_other_sessions_and_the_tokens(here, elsewhere, token, person):
    response = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert_only_here_remains(here, elsewhere, token, person)


def test_a_password_reset_ends_every_session_and_the_tokens(elsewhere, token, person):
    stranger = Client()  # the person who forgot their password, signed in nowhere
    key = default_token_generator.make_token(person)
    url = f"/accounts/password/reset/key/{user_pk_to_url_str(person)}-{key}/"
    form_url = stranger.get(url)["Location"]
    response = stranger.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not signed_in(elsewhere)
    assert not token_works(token)
    # The new password opens a session again.
    assert stranger.post("/accounts/login/", {"login": person.email, "password": NEW_PASSWORD})
    assert signed_in(stranger)


# allauth sends these signals once its transaction commits: these tests commit, as a request
# in production does, so that the session making the change is re-hashed before its answer.
@pytest.mark.django_db(transaction=True)
def test_activating_an_authenticator_app_ends_the_other_sessions_and_the_tokens(
    here, elsewhere, token, person
):
    # Activating asks for the password again first.
    here.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert here.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = here.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = here.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert_only_here_remains(here, elsewhere, token, person)


def test_removing_the_authenticator_app_ends_the_other_sessions_and_the_tokens(here, person):
    totp_enrol(person)
    client_step_up(here, person)  # removing it asks for the code first
    elsewhere = Client()
    elsewhere.force_login(person)
    token = make_personal_token(person, scope="write")
    response = here.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert_only_here_remains(here, elsewhere, token, person)


@pytest.mark.django_db(transaction=True)
def test_new_recovery_codes_end_the_other_sessions_and_the_tokens(here, person):
    totp_enrol(person)
    client_step_up(here, person)
    assert here.get("/accounts/2fa/recovery-codes/generate/").status_code == 200
    elsewhere = Client()
    elsewhere.force_login(person)
    token = make_personal_token(person, scope="write")
    response = here.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert_only_here_remains(here, elsewhere, token, person)


def test_nothing_ends_for_other_people(here, person, maker):
    other = Client()
    other.force_login(maker)
    their_token = make_personal_token(maker, scope="write")
    here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert signed_in(other)
    assert token_works(their_token)


def test_sessions_of_an_account_whose_sessions_never_ended_keep_django_s_hash(person):
    # An upgrade signs nobody out: without an end of sessions the hash is Django's own.
    from django.contrib.auth.base_user import AbstractBaseUser

    assert person.sessions_ended_at is None
    assert person.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(person)
