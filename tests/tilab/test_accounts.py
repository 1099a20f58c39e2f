"""Sign-up, e-mail verification, login with and without two-factor, password reset.

These go through allauth's real views with the test client. E-mail delivery is the only part
replaced: Django's test runner collects outgoing mail in `mail.outbox` instead of sending it.
allauth's e-mails go through the outbox, sent once the request's writes commit (`committed`).
"""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail

from tests.factories import PASSWORD
from tilab import roles
from tilab.models import User


def current_code(secret: str) -> str:
    """The code an authenticator app shows now, never one about to expire mid-test."""
    while time.time() % 30 > 27:
        time.sleep(0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """What a request queued on commit (the outbox's send) runs when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_person_signs_up_confirms_their_address_and_becomes_a_maker(
    client, reference_data, committed
):
    with committed():
        response = client.post(
            "/accounts/signup/",
            {"email": "Yann.Kerbrat@Example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    user = User.objects.get(email="yann.kerbrat@example.org")
    assert user.groups.filter(name=roles.MAKER).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["yann.kerbrat@example.org"]

    # Not verified yet: logging in leads to the "confirm your address" page, not in.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "yann.kerbrat@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    confirm_url = link_in(mail.outbox[0])
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified
    # A new maker is asked to present themself before logging production.
    assert client.get("/maker/", follow=True).redirect_chain == [("/maker/profil/", 302)]


def test_sign_up_refuses_an_address_already_in_use(client, maker):
    response = client.post(
        "/accounts/signup/",
        {"email": "anne@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    # allauth answers as if it worked (no account enumeration) and warns the owner by e-mail.
    assert User.objects.filter(email="anne@example.org").count() == 1
    assert response.status_code in (200, 302)


def test_login_and_logout_without_two_factor(client, maker):
    response = client.post("/accounts/login/", {"login": "anne@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == maker.pk
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused_with_a_message(client, maker):
    response = client.post("/accounts/login/", {"login": "anne@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_login_with_two_factor_asks_for_the_code(client, region_staff):
    secret = generate_totp_secret()
    TOTP.activate(region_staff, secret)

    response = client.post("/accounts/login/", {"login": region_staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == region_staff.pk


def test_a_user_activates_an_authenticator_app(client, relay_staff):
    client.post("/accounts/login/", {"login": relay_staff.email, "password": PASSWORD})
    assert int(client.session["_auth_user_id"]) == relay_staff.pk
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302:
        # Security settings ask for the password again before changing them.
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=relay_staff, type=Authenticator.Type.TOTP).exists()


def test_password_reset_by_email(client, maker, committed):
    with committed():
        response = client.post("/accounts/password/reset/", {"email": "anne@example.org"})
    assert response.status_code == 302
    reset_url = link_in(mail.outbox[-1])
    response = client.get(reset_url)
    # allauth moves the key out of the URL before showing the form.
    form_url = response["Location"] if response.status_code == 302 else reset_url
    new_password = "une autre phrase de passe 2021"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    maker.refresh_from_db()
    assert maker.check_password(new_password)


@pytest.mark.django_db
def test_password_reset_does_not_reveal_whether_an_address_exists(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302


def test_the_e_mail_page_shows_one_primary_action_and_removal_as_a_danger(client, maker):
    client.force_login(maker)
    page = client.get("/accounts/email/").content.decode()
    buttons = re.findall(r'<button[^>]*name="(action_\w+)"[^>]*class="([^"]*)"', page)
    # The list's form: one primary action; the form that adds an address has its own.
    assert dict(buttons) == {
        "action_primary": "",
        "action_send": "secondary",
        "action_remove": "danger",
        "action_add": "",
    }
