"""Makers are told of the decisions on their reports (validated, rejected with the reason,
changed or corrected by their relay), in their language, as they chose; a maker entered by
their relay without an account gets the refusal by e-mail or on paper, from that relay only."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from makers import services
from makers.models import ItemType, Maker, ProductionReport
from tests.conftest import text
from tests.factories import make_maker, make_report
from tilab.models import NoticePreference, OutboxEmail, PendingNotice
from tilab.notices import notice_preferences_set

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def emails_to(address: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(to=address).order_by("pk"))


def speaking(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "fr",
            ["Bonjour Anne Le Goff,", "L'équipe Ti Lab", "avril 2020", "a été refusée.",
             "Motif : Photo", "Vous pouvez la corriger : elle repartira vers votre relais."],
        ),
        (
            "en",
            ["Hello Anne Le Goff,", "The Ti Lab team", "April 2020", "Face shield",
             "has been rejected.", "Reason: Photo",
             "You can correct it: it will go back to your relay."],
        ),
    ],
)  # fmt: skip
def test_a_maker_is_told_of_a_rejection_with_its_reason_in_their_language(
    maker, anne, relay_staff, language, words
):
    speaking(maker, language)
    report = make_report(anne)
    services.production_report_reject(
        report=report, by=relay_staff, now=NOW, reason="Photo illisible, merci de la refaire"
    )

    [email] = emails_to("anne@example.org")
    assert email.language == language
    assert {"fr": f"Déclaration n° {report.pk} refusée", "en": f"Report no. {report.pk} rejected"}[
        language
    ] in email.subject
    assert "Photo illisible, merci de la refaire" in email.body
    for word in words:
        assert word in email.body
    assert "/maker/" in email.body
    assert "/accounts/notifications/" in email.body  # where to choose otherwise


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_maker_who_asked_for_validations_at_once_is_told_at_once(
    maker, anne, relay_staff, language
):
    speaking(maker, language)
    notice_preferences_set(user=maker, choices={"report_validated": "immediate"}, now=NOW)
    report = make_report(anne, quantity=1200)

    services.production_report_validate(report=report, by=relay_staff, now=NOW)

    [email] = emails_to("anne@example.org")
    assert email.language == language
    assert "1,200" in email.body if language == "en" else "1\u202f200" in email.body
    assert ("Face shield" if language == "en" else "Visière") in email.body
    assert {
        "fr": "a été validée : elle compte désormais dans les chiffres du réseau.",
        "en": "has been validated: it now counts in the network's figures.",
    }[language] in " ".join(email.body.split())


def test_validations_go_to_the_digest_by_default_and_rejections_at_once(maker, anne, relay_staff):
    kept, refused = make_report(anne), make_report(anne, quantity=30)
    services.production_reports_validate(report_ids=[kept.pk], by=relay_staff, now=NOW)
    services.production_report_reject(report=refused, by=relay_staff, now=NOW, reason="Doublon")

    assert [e.subject for e in emails_to("anne@example.org")] == [
        f"[Ti Lab] Déclaration n° {refused.pk} refusée"
    ]
    [pending] = PendingNotice.objects.filter(user=maker)
    assert pending.kind == "report_validated"
    assert f"n° {kept.pk}" in pending.subject


def test_a_maker_who_wants_no_notice_of_a_kind_gets_none(maker, anne, relay_staff):
    notice_preferences_set(user=maker, choices={"report_rejected": "none"}, now=NOW)
    services.production_report_reject(
        report=make_report(anne), by=relay_staff, now=NOW, reason="Doublon"
    )

    assert emails_to("anne@example.org") == []
    assert not PendingNotice.objects.filter(user=maker).exists()


def test_a_decision_rolled_back_tells_nobody(maker, anne, relay_staff):
    report = make_report(anne)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="x")
        raise RuntimeError

    assert emails_to("anne@example.org") == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_maker_is_told_when_their_relay_changes_a_waiting_report(
    maker, anne, relay_staff, language
):
    speaking(maker, language)
    report = make_report(anne, quantity=24)

    services.production_report_update(report=report, by=relay_staff, now=NOW, quantity=42)

    [email] = emails_to("anne@example.org")
    assert email.language == language
    assert {"fr": f"n° {report.pk}", "en": f"no. {report.pk}"}[language] in email.subject
    assert "42 × " + ("Face shield" if language == "en" else "Visière") in email.body
    assert {
        "fr": "qui attend toujours une décision. Elle indique désormais",
        "en": "which is still awaiting a decision. It now reads",
    }[language] in " ".join(email.body.split())


@pytest.mark.parametrize(
    "language, number, words",
    [
        ("fr", "n° ", "remplacera l'originale une fois validée."),
        ("en", "no. ", "will replace the original once validated."),
    ],
)
def test_a_maker_is_told_when_their_relay_corrects_a_validated_report(
    maker, anne, relay_staff, language, number, words
):
    speaking(maker, language)
    original = make_report(anne, status="validated", decided_by=relay_staff)
    OutboxEmail.objects.all().delete()

    correction = services.production_report_correct(
        report=original, by=relay_staff, now=NOW, source=ProductionReport.Source.RELAY, quantity=20
    )

    [email] = emails_to("anne@example.org")
    assert email.language == language
    assert f"{number}{original.pk}" in email.body and f"{number}{correction.pk}" in email.body
    assert words in " ".join(email.body.split())


# --- Several decisions at once: one notice per maker ------------------------------------------


@pytest.fixture
def yann(other_maker):
    """Yann Kervella's maker profile (Vitré, 35): decided in the same bulk as Anne's reports."""
    return other_maker.maker


# The English of these sentences comes with the catalogue (see the merge notes).
GROUPED = {
    "validated": {
        "fr": ("3 déclarations validées",
               "Votre relais a validé 3 déclarations : elles comptent désormais dans les "
               "chiffres du réseau."),
        "en": ("3 reports validated",
               "Your relay has validated 3 reports: they now count in the network's figures."),
    },
    "rejected": {
        "fr": ("3 déclarations refusées",
               "Votre relais a refusé 3 déclarations :"),
        "en": ("3 reports rejected", "Your relay has rejected 3 reports:"),
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_bulk_validation_tells_each_maker_once_listing_their_reports(
    maker, anne, other_maker, yann, relay_staff, language
):
    speaking(maker, language)
    for user in (maker, other_maker):
        notice_preferences_set(user=user, choices={"report_validated": "immediate"}, now=NOW)
    annes = [make_report(anne, quantity=10 + i) for i in range(3)]
    yanns = make_report(yann, quantity=7)

    services.production_reports_validate(
        report_ids=[r.pk for r in [*annes, yanns]], by=relay_staff, now=NOW
    )

    [email] = emails_to("anne@example.org")
    subject, sentence = GROUPED["validated"][language]
    assert email.subject == f"[Ti Lab] {subject}"
    body = " ".join(email.body.split())
    assert sentence in body
    number, item = {"fr": ("n° ", "Visière"), "en": ("no. ", "Face shield")}[language]
    for report in annes:
        assert (
            f"- {number}{report.pk}{' :' if language == 'fr' else ':'} {report.quantity} × {item}"
            in body
        )
    [his] = emails_to("yann@example.org")  # his one report, as when decided alone
    assert his.subject == f"[Ti Lab] Déclaration n° {yanns.pk} validée"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_bulk_rejection_tells_each_maker_once_with_the_reason(maker, anne, relay_staff, language):
    speaking(maker, language)
    reports = [make_report(anne, quantity=10 + i) for i in range(3)]

    services.production_reports_reject(
        report_ids=[r.pk for r in reports], by=relay_staff, now=NOW, reason="Photos illisibles"
    )

    [email] = emails_to("anne@example.org")
    subject, sentence = GROUPED["rejected"][language]
    assert email.subject == f"[Ti Lab] {subject}"
    body = " ".join(email.body.split())
    assert sentence in body
    assert {"fr": "Motif : Photos illisibles", "en": "Reason: Photos illisibles"}[language] in body
    assert {
        "fr": "Vous pouvez les corriger : elles repartiront vers votre relais.",
        "en": "You can correct them: they will go back to your relay.",
    }[language] in body
    number = {"fr": "n° ", "en": "no. "}[language]
    for report in reports:
        assert f"{number}{report.pk}" in body


def test_a_bulk_validation_kept_for_the_digest_is_one_notice_per_maker(maker, anne, relay_staff):
    reports = [make_report(anne, quantity=10 + i) for i in range(3)]
    services.production_reports_validate(
        report_ids=[r.pk for r in reports], by=relay_staff, now=NOW
    )
    [pending] = PendingNotice.objects.filter(user=maker)
    assert pending.subject == "3 déclarations validées"
    for report in reports:
        assert f"n° {report.pk} : " in pending.body


def test_a_maker_changing_their_own_report_is_not_told_of_it(maker, anne):
    report = make_report(anne)
    services.production_report_update(report=report, by=maker, now=NOW, quantity=25)

    assert emails_to("anne@example.org") == []


# --- A maker without an account -------------------------------------------------------------


@pytest.fixture
def bertrand(reference_data):
    """A maker of Côtes-d'Armor (22) entered by LabFab de Rennes, without an account."""
    return make_maker(
        display_name="Bertrand Guillou",
        department="22",
        contact_email="bertrand@example.org",
        contact_phone="06 12 34 56 78",
    )


@pytest.fixture
def refused_for_bertrand(bertrand, relay_staff, region_staff):
    # Entered by the relay, so decided by the Région (four eyes).
    report = make_report(bertrand, entered_by=relay_staff, source="relay", quantity=36)
    return services.production_report_reject(
        report=report, by=region_staff, now=NOW, reason="Date impossible"
    )


def test_the_relay_enters_a_new_maker_with_an_address_and_a_phone(relay_staff):
    report = services.production_report_submit(
        by=relay_staff,
        now=NOW,
        new_maker_name="Gwen Le Bihan",
        new_maker_department=relay_staff.relays.get().departments.get(code="22"),
        new_maker_email="Gwen@Example.org ",
        new_maker_phone="06  00 00 00 00",
        item_type=ItemType.objects.get(slug="visor"),
        quantity=10,
        produced_on=datetime.date(2020, 4, 2),
        material_cost_cents=0,
    )
    assert report.maker.user is None
    assert (report.maker.contact_email, report.maker.contact_phone) == (
        "gwen@example.org",
        "06 00 00 00 00",
    )


def test_the_relay_prints_the_refusal_with_its_reason_and_the_report(
    client, relay_staff, refused_for_bertrand
):
    client.force_login(relay_staff)
    page = text(client.get(f"/validation/declarations/{refused_for_bertrand.pk}/refus/"))

    assert "Date impossible" in page
    assert "Bertrand Guillou" in page and "LabFab de Rennes" in page
    assert "36" in page and "Visière" in page
    assert "06 12 34 56 78" in page
    assert "data-print" in page


@pytest.mark.parametrize(
    "language, words",
    [("fr", ["Bonjour,", "Date impossible", "Visière"]), ("en", ["Hello,", "Face shield"])],
)
def test_the_relay_e_mails_the_refusal_to_a_maker_without_an_account(
    client, relay_staff, refused_for_bertrand, language, words
):
    client.force_login(relay_staff)
    url = f"/validation/declarations/{refused_for_bertrand.pk}/refus/"
    response = client.post(url, {"email": "bertrand.g@example.org", "language": language})
    assert response.status_code == 302

    [email] = emails_to("bertrand.g@example.org")
    assert email.language == language
    for word in words:
        assert word in email.body
    assert "Date impossible" in email.body  # the reason as the relay wrote it
    assert "LabFab de Rennes" in email.body
    assert "/accounts/notifications/" not in email.body  # no account, no preferences
    # The address is kept for next time; the same refusal is not sent twice to it.
    refused_for_bertrand.maker.refresh_from_db()
    assert refused_for_bertrand.maker.contact_email == "bertrand.g@example.org"
    client.post(url, {"email": "bertrand.g@example.org", "language": language})
    assert len(emails_to("bertrand.g@example.org")) == 1


def test_another_relay_and_other_roles_cannot_see_the_refusal(
    client, refused_for_bertrand, other_relay_staff, maker, region_staff
):
    url = f"/validation/declarations/{refused_for_bertrand.pk}/refus/"
    client.force_login(other_relay_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "x@example.org", "language": "fr"}).status_code == 404
    for user in (maker, region_staff):
        client.force_login(user)
        assert client.get(url).status_code in (403, 404)
    assert emails_to("x@example.org") == []


def test_a_refusal_of_a_maker_with_an_account_is_not_sent_by_the_relay(
    client, relay_staff, anne, maker
):
    report = make_report(anne)
    services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="x")
    client.force_login(relay_staff)
    assert client.get(f"/validation/declarations/{report.pk}/refus/").status_code == 404


def test_the_queue_links_a_refusal_to_tell_a_maker_without_an_account(
    client, relay_staff, refused_for_bertrand
):
    client.force_login(relay_staff)
    page = text(client.get("/validation/?status=rejected"))
    assert f"/validation/declarations/{refused_for_bertrand.pk}/refus/" in page


def test_a_maker_told_at_once_has_no_notice_waiting(maker, anne, relay_staff):
    notice_preferences_set(user=maker, choices={"report_validated": "immediate"}, now=NOW)
    services.production_report_validate(report=make_report(anne), by=relay_staff, now=NOW)
    assert NoticePreference.objects.filter(user=maker).count() == 1
    assert not PendingNotice.objects.exists()


def test_the_api_takes_a_new_makers_address_and_phone_and_never_shows_them(client, relay_staff):
    client.force_login(relay_staff)
    response = client.post(
        "/api/v1/makers/",
        {
            "display_name": "Gwen Le Bihan",
            "department": "22",
            "contact_email": "gwen@example.org",
            "contact_phone": "06 00 00 00 00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert "gwen@example.org" not in response.content.decode()
    maker = Maker.objects.get(pk=response.json()["id"])
    assert (maker.contact_email, maker.contact_phone) == ("gwen@example.org", "06 00 00 00 00")


def test_validating_three_reports_in_the_queue_sends_one_e_mail(client, maker, anne, relay_staff):
    notice_preferences_set(user=maker, choices={"report_validated": "immediate"}, now=NOW)
    reports = [make_report(anne, quantity=10 + i) for i in range(3)]
    client.force_login(relay_staff)

    response = client.post(
        "/validation/decider/", {"ids": [r.pk for r in reports], "action": "validate"}
    )

    assert response.status_code == 302
    [email] = emails_to("anne@example.org")
    assert email.subject == "[Ti Lab] 3 déclarations validées"
