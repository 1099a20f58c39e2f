"""Whether an address has an account, or attends a workshop, shows neither in the answer nor in
its timing: sign-up and password reset answer the same way and do the same costly work (the
password hash), whether the address is known or not."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from tests.factories import PASSWORD, make_user
from tilab.models import OutboxEmail, User


class CountingHasher(MD5PasswordHasher):
    """A real hasher that counts what it hashes: the costly step whose absence a stopwatch
    would notice (PBKDF2 takes hundreds of milliseconds in production)."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


@pytest.fixture
def counted(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_no_enumeration.CountingHasher"]
    CountingHasher.hashed = 0
    return CountingHasher


def _sign_up(email: str):
    client = Client()
    before = CountingHasher.hashed
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    return response, CountingHasher.hashed - before


def _answer(response) -> tuple:
    return response.status_code, response.get("Location")


def test_signing_up_with_a_known_address_answers_and_works_as_with_a_new_one(
    reference_data, counted
):
    make_user(email="connue@example.org")
    new, hashed_new = _sign_up("nouvelle@example.org")
    known, hashed_known = _sign_up("connue@example.org")

    assert _answer(known) == _answer(new)
    assert hashed_known == hashed_new >= 1
    assert User.objects.filter(email="nouvelle@example.org").exists()
    # Each address is told by e-mail what happened to it, the owner of the known one that
    # someone tried to sign up with it.
    assert OutboxEmail.objects.filter(to="connue@example.org").count() == 1
    assert OutboxEmail.objects.filter(to="nouvelle@example.org").count() == 1


def test_a_password_reset_answers_the_same_for_a_known_and_an_unknown_address(reference_data):
    make_user(email="connue@example.org")
    known = Client().post("/accounts/password/reset/", {"email": "connue@example.org"})
    unknown = Client().post("/accounts/password/reset/", {"email": "inconnue@example.org"})
    assert _answer(known) == _answer(unknown)
    assert OutboxEmail.objects.filter(to="connue@example.org").count() == 1
    assert OutboxEmail.objects.filter(to="inconnue@example.org").count() == 1
