"""Rotating SECRET_KEY (README, "Rotating SECRET_KEY"): with the old key in SECRET_KEY_FALLBACKS,
the links already e-mailed to people without an account and the sessions still open; once the
old key leaves the fallbacks, they do not."""

import pytest
from django.urls import reverse

from needs import services as needs
from tests.factories import make_need, make_workshop, register_guest
from workshops import services as workshops

pytestmark = pytest.mark.django_db

OLD, NEW = "old-key-" + "x" * 50, "new-key-" + "y" * 50


@pytest.fixture
def old_key(settings):
    settings.SECRET_KEY = OLD
    settings.SECRET_KEY_FALLBACKS = []
    return settings


def _rotate(settings, *, keep_old: bool) -> None:
    settings.SECRET_KEY = NEW
    settings.SECRET_KEY_FALLBACKS = [OLD] if keep_old else []


@pytest.mark.parametrize("keep_old", [True, False])
def test_an_establishments_link_survives_one_rotation_with_the_old_key_as_fallback(
    client, old_key, keep_old
):
    need = make_need()
    url = reverse("needs:manage", args=[needs.need_manage_token(need)])
    assert client.get(url).status_code == 200
    _rotate(old_key, keep_old=keep_old)
    response = client.get(url)
    if keep_old:
        assert response.status_code == 200
        assert need.establishment.name in response.content.decode()
    else:
        assert response.status_code == 400  # as a forged link
    # A link made after the rotation opens either way.
    fresh = reverse("needs:manage", args=[needs.need_manage_token(need)])
    assert client.get(fresh).status_code == 200


@pytest.mark.parametrize("keep_old", [True, False])
def test_a_guests_registration_link_survives_one_rotation_with_the_old_key_as_fallback(
    client, old_key, facilitator, keep_old
):
    registration = register_guest(make_workshop(by=facilitator), 1)
    url = reverse(
        "workshops:registration_manage",
        kwargs={"token": workshops.registration_cancel_token(registration)},
    )
    assert client.get(url).status_code == 200
    _rotate(old_key, keep_old=keep_old)
    assert client.get(url).status_code == (200 if keep_old else 400)


@pytest.mark.parametrize("keep_old", [True, False])
def test_a_session_survives_one_rotation_with_the_old_key_as_fallback(client, old_key, maker,
                                                                     keep_old):  # fmt: skip
    client.force_login(maker)
    assert client.get("/accounts/tokens/").status_code == 200
    _rotate(old_key, keep_old=keep_old)
    response = client.get("/accounts/tokens/")
    assert response.status_code == (200 if keep_old else 302)
