"""Notices of the core: each person chooses per kind (at once, daily digest, never) on an
account page and through the API; security notices (password, second factor, e-mail address,
API token, a new device) always go at once, in the person's language, and cannot be turned
off."""

import pytest
from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import as_user, patch, text
from tests.factories import PASSWORD, client_step_up, totp_enrol
from tilab.devices import browser_family
from tilab.models import KnownDevice, NoticePreference, OutboxEmail
from tilab.notices import notice_preferences_of, notice_preferences_set
from tilab.security_notices import credentials_change_notify, login_device_check

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "un autre mot de passe solide 2026"
PAGE = "/accounts/notifications/"
API = "/api/v1/me/notification-preferences/"


def security_emails(address: str) -> list[OutboxEmail]:
    return list(
        OutboxEmail.objects.filter(to=address, key__startswith="notice:security:").order_by("pk")
    )


def turned_everything_off(user):
    for kind in notice_preferences_of(user):
        NoticePreference.objects.create(
            user=user, kind=kind, delivery="none", updated_at=timezone.now()
        )


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["Bonjour Anne Le Goff,", "L'équipe Ti Lab", "/accounts/password/change/",
                "Le mot de passe de votre compte a été changé.",
                "Vos autres sessions et vos jetons d'API ont été fermés.",
                "Si vous n'êtes pas à l'origine de ce changement, changez votre mot de passe"]),
        ("en", ["Hello Anne Le Goff,", "The Ti Lab team", "/accounts/password/change/",
                "Your account password has been changed.",
                "Your other sessions and your API tokens have been closed.",
                "If you did not make this change, change your password straight away"]),
    ],
)  # fmt: skip
def test_a_password_change_is_told_at_once_even_to_whoever_turned_notices_off(
    client, maker, language, words
):
    maker.language = language
    maker.save(update_fields=["language"])
    turned_everything_off(maker)
    client.force_login(maker)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    [email] = security_emails(maker.email)
    assert email.language == language
    assert (
        email.subject
        == {
            "fr": "[Ti Lab] Sécurité : changement sur votre compte",
            "en": "[Ti Lab] Security: change to your account",
        }[language]
    )
    for word in words:
        assert word in " ".join(email.body.split())


# Each change of credentials, in the words of each language (the catalogue's).
CHANGES = {
    "password_set": ("Un mot de passe a été défini pour votre compte.",
                     "A password has been set for your account."),
    "password_reset": ("Le mot de passe de votre compte a été réinitialisé.",
                       "Your account password has been reset."),
    "mfa_added": ("Une double authentification a été ajoutée à votre compte.",
                  "Two-factor authentication has been added to your account."),
    "mfa_removed": ("Une double authentification a été retirée de votre compte.",
                    "Two-factor authentication has been removed from your account."),
    "mfa_reset": ("Les codes de secours de votre double authentification ont été renouvelés.",
                  "Your two-factor authentication backup codes have been renewed."),
}  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_of_credentials_is_told_in_the_persons_language(maker, change, language):
    maker.language = language
    maker.save(update_fields=["language"])

    credentials_change_notify(user=maker, change=change, now=timezone.now())

    [email] = security_emails(maker.email)
    assert email.language == language
    assert CHANGES[change][language == "en"] in email.body
    assert {"fr": "Date : ", "en": "Date: "}[language] in email.body


def test_removing_the_second_factor_is_told(client, relay_staff):
    totp_enrol(relay_staff)
    client.force_login(relay_staff)
    client_step_up(client, relay_staff)

    assert client.post("/accounts/2fa/totp/deactivate/").status_code == 302

    [email] = security_emails(relay_staff.email)
    assert "double authentification" in email.body


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["[Ti Lab] Sécurité : adresse e-mail changée",
                "L'adresse e-mail principale de votre compte est désormais "
                "anne.nouvelle@example.org (avant : anne@example.org).",
                "Si vous n'êtes pas à l'origine de ce changement"]),
        ("en", ["[Ti Lab] Security: email address changed",
                "Your account's primary email address is now anne.nouvelle@example.org "
                "(previously: anne@example.org).",
                "If you did not make this change"]),
    ],
)  # fmt: skip
def test_an_e_mail_change_is_told_at_the_new_address_and_the_old_one(maker, language, words):
    maker.language = language
    maker.save(update_fields=["language"])
    new = EmailAddress.objects.create(user=maker, email="anne.nouvelle@example.org", verified=True)
    old = EmailAddress.objects.get(user=maker, email="anne@example.org")
    maker.email = new.email
    maker.save(update_fields=["email"])
    # As allauth says it once the new address is the primary one.
    account_signals.email_changed.send(
        sender=type(maker), request=None, user=maker, from_email_address=old, to_email_address=new
    )

    assert len(security_emails("anne.nouvelle@example.org")) == 1
    [to_old] = security_emails("anne@example.org")
    assert to_old.language == language
    told = to_old.subject + "\n" + " ".join(to_old.body.split())
    for word in words:
        assert word in told


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["[Ti Lab] Sécurité : nouveau jeton d'API", "a été créé pour votre compte (début : ",
                "Si ce n'est pas vous, révoquez-le sur la page de vos jetons."]),
        ("en", ["[Ti Lab] Security: new API token", "has been created for your account (starting: ",
                "If this wasn't you, revoke it on your tokens page."]),
    ],
)  # fmt: skip
def test_a_new_api_token_is_told(client, maker, language, words):
    maker.language = language
    maker.save(update_fields=["language"])
    client.force_login(maker)
    client.post("/accounts/tokens/", {"scope": "read", "create": "1"})

    [email] = security_emails(maker.email)
    assert email.language == language
    assert "/accounts/tokens/" in email.body
    told = email.subject + "\n" + " ".join(email.body.split())
    for word in words:
        assert word in told


def test_a_sign_in_from_a_new_browser_is_told_but_not_the_first_nor_a_known_one(maker):
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"
    for agent in (firefox, firefox):
        assert Client(HTTP_USER_AGENT=agent).post(
            "/accounts/login/", {"login": maker.email, "password": PASSWORD}
        )
    assert security_emails(maker.email) == []

    Client(HTTP_USER_AGENT=phone).post(
        "/accounts/login/", {"login": maker.email, "password": PASSWORD}
    )

    [email] = security_emails(maker.email)
    assert "iPhone" in email.body
    assert not login_device_check(user=maker, user_agent=phone, now=timezone.now()).notified


FIREFOX_140 = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
FIREFOX_141 = "Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0"
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)


def signs_in(browser: Client, user, agent: str):
    browser.defaults["HTTP_USER_AGENT"] = agent
    response = browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    # Signed out, the device cookie kept (Client.logout() would clear every cookie).
    browser.cookies.pop(settings.SESSION_COOKIE_NAME)
    return response


def test_sign_in_gives_the_browser_a_lasting_signed_device_cookie(maker, settings):
    settings.SESSION_COOKIE_SECURE = True  # as in production
    response = signs_in(Client(), maker, FIREFOX_140)

    cookie = response.cookies["tilab_device"]
    assert cookie["httponly"] and cookie["secure"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 300 * 24 * 3600
    assert ":" in cookie.value  # signed: a forged value is ignored


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_personal_data_page_declares_the_device_cookie(client, language):
    client.cookies["django_language"] = language
    page = text(client.get(reverse("personal_data")))
    assert "<code>tilab_device</code>" in page
    assert {"fr": "quatre cookies", "en": "four cookies"}[language] in page


def test_a_browser_update_with_its_cookie_is_not_a_new_device(maker):
    browser = Client()
    signs_in(browser, maker, FIREFOX_140)
    signs_in(browser, maker, FIREFOX_141)
    assert security_emails(maker.email) == []


def test_a_browser_of_a_known_family_without_the_cookie_is_not_a_new_device(maker):
    signs_in(Client(), maker, FIREFOX_140)
    signs_in(Client(), maker, FIREFOX_141)  # a private window: no cookie, a newer version
    assert security_emails(maker.email) == []


# The English of the first sentence comes with the catalogue (see the merge notes).
NEW_DEVICE = {
    "fr": ("[Ti Lab] Sécurité : connexion depuis un nouvel appareil",
           "Votre compte vient de se connecter depuis un navigateur ou un appareil que nous ne "
           "connaissions pas.", "Navigateur : Mozilla/5.0"),
    "en": ("[Ti Lab] Security: sign-in from a new device",
           "Your account has just signed in from a browser or device we did not recognise.",
           "Browser: Mozilla/5.0"),
}  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "en"])
def test_another_browser_family_is_a_new_device(maker, language):
    maker.language = language
    maker.save(update_fields=["language"])
    signs_in(Client(), maker, FIREFOX_140)
    signs_in(Client(), maker, CHROME_LINUX)  # Chrome on the same computer: no cookie of its own

    [email] = security_emails(maker.email)
    assert "Chrome/142" in email.body
    subject, sentence, agent = NEW_DEVICE[language]
    assert email.subject == subject
    body = " ".join(email.body.split())
    assert sentence in body and agent in body
    assert "new version" not in body and "nouvelle version" not in body


def test_a_cookie_this_person_never_used_is_a_new_device(maker, other_maker):
    shared = Client()
    signs_in(shared, other_maker, FIREFOX_140)  # the library's computer
    signs_in(Client(), maker, FIREFOX_140)  # Anne's own Firefox, with its own cookie

    signs_in(shared, maker, FIREFOX_140)

    assert len(security_emails(maker.email)) == 1
    assert security_emails(other_maker.email) == []


def test_a_forged_device_cookie_counts_as_none(maker):
    signs_in(Client(), maker, FIREFOX_140)
    forged = Client()
    forged.cookies["tilab_device"] = "made-up"
    signs_in(forged, maker, CHROME_LINUX)
    assert len(security_emails(maker.email)) == 1


def test_a_browser_known_before_the_cookie_keeps_being_known(maker):
    KnownDevice.objects.create(
        user=maker,
        family=browser_family(FIREFOX_140),
        user_agent=FIREFOX_140,
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    browser = Client()
    signs_in(browser, maker, FIREFOX_141)  # no cookie yet: known by its family
    signs_in(browser, maker, FIREFOX_141)  # its cookie now
    assert security_emails(maker.email) == []
    assert KnownDevice.objects.filter(user=maker).count() == 1


@pytest.mark.parametrize(
    "agent, family",
    [
        (FIREFOX_140, "Firefox, Linux"),
        (CHROME_LINUX, "Chrome, Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0",
            "Edge, Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari, iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/142.0.0.0 Mobile Safari/537.36",
            "Chrome, Android",
        ),
        ("curl/8.11.1", "curl"),
        ("", "?"),
    ],
)
def test_a_browser_family_names_no_version(agent, family):
    assert browser_family(agent) == family


# --- Preferences: the page ------------------------------------------------------------------


def test_the_page_offers_each_kind_of_the_persons_roles_and_lists_security_apart(client, maker):
    page = text(as_user(client, maker).get(PAGE))

    assert "Avis par e-mail" in page
    assert "Sécurité de votre compte" in page  # listed, always sent
    assert 'name="security"' not in page
    for kind in (
        "report_validated",
        "report_rejected",
        "report_corrected",
        "payment_recorded",
        "organisation_payment_recorded",
    ):
        assert f'name="{kind}"' in page
    assert "Paiement reçu par une organisation que vous gérez" in page
    assert 'name="relay_todo"' not in page  # relay staff's only
    assert 'name="allocation_changed"' not in page  # relay and Région staff's


@pytest.mark.parametrize("role", ["relay_staff", "region_staff"])
def test_relay_and_region_staff_choose_how_they_hear_of_allocations_changed(client, request, role):
    user = request.getfixturevalue(role)
    page = text(as_user(client, user).get(PAGE))
    assert "Allocation ajustée ou recalculée" in page
    for delivery in ("immediate", "digest", "none"):
        assert f'name="allocation_changed" value="{delivery}"' in page
    response = client.post(PAGE, {"allocation_changed": "digest"})
    assert response.status_code == 302
    assert notice_preferences_of(user)["allocation_changed"] == "digest"
    assert "/accounts/notifications/" in text(client.get("/accounts/tokens/"))  # account menu


def test_relay_staff_choose_their_digest_or_nothing_never_at_once(client, relay_staff):
    page = text(as_user(client, relay_staff).get(PAGE))
    assert 'name="relay_todo" value="digest"' in page
    assert 'name="relay_todo" value="immediate"' not in page


def test_choices_are_saved_from_the_page(client, maker):
    as_user(client, maker)
    response = client.post(
        PAGE,
        {
            "report_validated": "immediate",
            "report_rejected": "digest",
            "report_corrected": "none",
            "payment_recorded": "immediate",
        },
    )
    assert response.status_code == 302
    chosen = notice_preferences_of(maker)
    assert (chosen["report_validated"], chosen["report_rejected"], chosen["report_corrected"]) == (
        "immediate",
        "digest",
        "none",
    )
    assert chosen["security"] == "immediate"


def test_a_wrong_choice_is_shown_on_its_field(client, relay_staff):
    as_user(client, relay_staff)
    response = client.post(PAGE, {"relay_todo": "immediate"})
    assert response.status_code == 200
    assert "relay_todo" in response.context["form"].errors
    assert notice_preferences_of(relay_staff)["relay_todo"] == "digest"


def test_the_page_asks_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Preferences: the API -------------------------------------------------------------------


def test_the_api_lists_and_changes_the_callers_choices(client, maker):
    as_user(client, maker)
    listed = {row["kind"]: row for row in client.get(API).json()}
    assert listed["security"] == {
        "kind": "security",
        "label": "Sécurité de votre compte",
        "delivery": "immediate",
        "choices": ["immediate"],
        "always_sent": True,
    }
    assert listed["report_validated"]["delivery"] == "digest"
    assert listed["organisation_payment_recorded"] == {
        "kind": "organisation_payment_recorded",
        "label": "Paiement reçu par une organisation que vous gérez",
        "delivery": "immediate",
        "choices": ["immediate", "digest", "none"],
        "always_sent": False,
    }
    assert "allocation_changed" not in listed

    response = patch(client, API, {"preferences": {"report_validated": "none"}})

    assert response.status_code == 200, response.content
    changed = {row["kind"]: row["delivery"] for row in response.json()}
    assert changed["report_validated"] == "none"
    assert changed["report_rejected"] == "immediate"  # left as it was


@pytest.mark.parametrize(
    "choices, code",
    [
        ({"security": "none"}, "notice_kind_always_sent"),
        ({"relay_todo": "digest"}, "notice_kind_unknown"),  # not a relay's staff
        ({"nonsense": "digest"}, "notice_kind_unknown"),
    ],
)
def test_the_api_refuses_what_cannot_be_chosen(client, maker, choices, code):
    as_user(client, maker)
    response = patch(client, API, {"preferences": choices})
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not NoticePreference.objects.filter(user=maker).exists()


def test_a_delivery_the_kind_does_not_offer_is_refused(relay_staff):
    from tilab.errors import BadInput

    with pytest.raises(BadInput) as refusal:
        notice_preferences_set(user=relay_staff, choices={"relay_todo": "immediate"}, now=None)
    assert refusal.value.code == "notice_delivery_not_offered"


def test_the_api_lists_allocations_changed_to_relay_staff(client, relay_staff):
    as_user(client, relay_staff)
    listed = {row["kind"]: row for row in client.get(API).json()}
    assert listed["allocation_changed"]["delivery"] == "immediate"
    response = patch(client, API, {"preferences": {"allocation_changed": "none"}})
    assert response.status_code == 200, response.content
    assert notice_preferences_of(relay_staff)["allocation_changed"] == "none"


def test_the_api_is_for_signed_in_people(client):
    assert client.get(API).status_code in (401, 403)


def test_the_schema_documents_the_preferences(client):
    schema = client.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/me/notification-preferences/"]
    assert {"get", "patch"} <= set(operations)
