"""French and English that read right: "d'Anne Le Goff" and never "de EHPAD", a count of 0, 1
or 2 in the right number with its unit, one date format per context with full month names in
French, and no French spacing in what the code writes in English.

E-mails are written in French whatever the page's language; pages are checked in French in
full, and in English only where the words come from the code rather than from the catalogue
(dates, units, names), which the integrator translates."""

import datetime
import pathlib
import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

from makers.models import ItemType
from needs import emails as need_emails
from needs import services as needs
from subsidies import emails as subsidy_emails
from subsidies import services as subsidies
from subsidies.models import BankAccountChange
from tests.factories import (
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_programme,
    make_report,
    make_workshop,
    register_and_confirm,
)
from tilab.i18n import de_name, elide, elides, units
from workshops import emails as workshop_emails

TEMPLATES = pathlib.Path(settings.BASE_DIR) / "templates"
EHPAD = "EHPAD Les Ajoncs"
JUNE_18 = datetime.date(2020, 6, 18)


# --- The elision helper -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("Anne Le Goff", "d'Anne Le Goff"),
        ("Rennes", "de Rennes"),
        ("EHPAD Les Ajoncs", "d'EHPAD Les Ajoncs"),
        ("ENSTA Bretagne", "d'ENSTA Bretagne"),
        ("Élodie Tanguy", "d'Élodie Tanguy"),
        ("Océane", "d'Océane"),
        ("Yves Le Du", "d'Yves Le Du"),
        ("Yann Kervella", "de Yann Kervella"),  # Y before a vowel sounds like a consonant
        ("Hélène", "d'Hélène"),  # a mute h the helper knows
        ("Hôpital de Morlaix", "d'Hôpital de Morlaix"),
        ("Hennebont", "de Hennebont"),  # any other h keeps "de"
        ("La Fabrique du Loch", "de La Fabrique du Loch"),
        ("", "de "),
    ],
)
def test_de_elides_before_a_vowel_and_only_then(name, phrase):
    assert de_name(name) == phrase
    assert elides(name) == phrase.startswith("d'")


def test_elide_changes_only_the_words_before_the_given_name():
    with translation.override("fr"):
        text = "Part fixe de ENSTA Bretagne, que ENSTA Bretagne approuve, de Ouessant à Rennes"
        assert elide(text, "ENSTA Bretagne") == (
            "Part fixe d'ENSTA Bretagne, qu'ENSTA Bretagne approuve, de Ouessant à Rennes"
        )
        assert elide("Approuver le EHPAD", EHPAD[:5]) == "Approuver l'EHPAD"
        assert elide("Bilan de Rennes", "Rennes") == "Bilan de Rennes"
        assert elide("Garde Anne", "Anne") == "Garde Anne"  # "de" must be a word


def test_elide_keeps_html_escaped_and_safe():
    name = "Océane & Cie"
    with translation.override("fr"):
        html = elide(mark_safe(f"Message de {escape(name)}"), name)
        plain = elide(f"Message de {name}", name)
    assert isinstance(html, SafeData) and html == "Message d'Océane &amp; Cie"
    assert not isinstance(plain, SafeData) and plain == "Message d'Océane & Cie"


def test_elide_leaves_english_to_the_catalogue():
    with translation.override("en"):
        assert elide("Message de Anne Le Goff", "Anne Le Goff") == "Message de Anne Le Goff"


def test_the_template_filter_elides_a_translated_sentence():
    template = Template(
        "{% load i18n tilab_format %}{% blocktranslate with name=name asvar phrase %}"
        "Coordonnées bancaires de {{ name }}{% endblocktranslate %}{{ phrase|elide:name }}"
    )
    with translation.override("fr"):
        assert template.render(Context({"name": "Anne & Co"})) == (
            "Coordonnées bancaires d'Anne &amp; Co"
        )


# --- Units and counts -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["0 visière", "1 visière", "2 visières", "25\u202f000 visières"]),
        ("en", ["0 face shields", "1 face shield", "2 face shields", "25,000 face shields"]),
    ],
)
def test_a_quantity_carries_its_unit_in_the_right_number(reference_data, language, expected):
    visor = ItemType.objects.get(slug="visor")
    template = Template("{% load tilab_format %}{{ n|units:item }}")
    with translation.override(language):
        shown = [template.render(Context({"n": n, "item": visor})) for n in (0, 1, 2, 25_000)]
    assert shown == expected
    with translation.override(language):
        assert units(2, visor) == expected[2]


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "long", "short", "short_with_time"),
    [
        ("fr", "18 juin 2020", "18/06/2020", "18/06/2020 14:30"),
        ("en", "18 June 2020", "18 Jun 2020", "18 Jun 2020, 14:30"),
    ],
)
def test_each_context_has_one_date_format_per_language(language, long, short, short_with_time):
    moment = datetime.datetime(2020, 6, 18, 14, 30)
    with translation.override(language):
        assert date_format(JUNE_18, "DATE_FORMAT") == long
        assert date_format(JUNE_18, "SHORT_DATE_FORMAT") == short
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == short_with_time
        # French never abbreviates a month: "jui" would be June or July.
        assert date_format(datetime.date(2020, 7, 2), "DATE_FORMAT").split()[1] in {
            "juillet",
            "July",
        }


def test_templates_name_a_date_context_rather_than_a_pattern():
    """A pattern of its own in a template is how "jeu 18 Jui 2020" and "06/18/2020" got in;
    allowed besides the named contexts: the weekday of workshops, and machine formats."""
    allowed = {
        "DATE_FORMAT",
        "DATETIME_FORMAT",
        "SHORT_DATE_FORMAT",
        "SHORT_DATETIME_FORMAT",
        "MONTH_DAY_FORMAT",
        "l j F Y",
        "l j F Y, H:i",
        "d/m/Y H:i:s",  # the audit log, to the second
        "Y-m-d",
        "c",
    }
    found = {
        (path.relative_to(TEMPLATES).as_posix(), pattern)
        for path in TEMPLATES.rglob("*.*")
        if path.suffix in {".html", ".txt"}
        for pattern in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text())
    }
    assert {(where, pattern) for where, pattern in found if pattern not in allowed} == set()


# --- E-mails, in French -----------------------------------------------------------------------


@pytest.fixture
def public_anne(maker):
    """Anne Le Goff, named in what she pledges (she chose a public profile)."""
    maker.maker.is_public = True
    maker.maker.save(update_fields=["is_public"])
    make_report(maker=maker.maker, quantity=50)
    return maker


@pytest.fixture
def ehpad_need(reference_data):
    return make_need(establishment=make_establishment(name=EHPAD))


@pytest.mark.django_db
def test_need_e_mails_elide_the_establishment_s_name(reference_data):
    need = make_need(establishment=make_establishment(name=EHPAD), confirmed=False)
    email = need_emails.need_posted_email(need, language="fr")
    assert "Confirmez le besoin d'EHPAD Les Ajoncs" in email.subject
    assert " de EHPAD" not in email.subject + email.body


@pytest.mark.django_db
@pytest.mark.parametrize(("quantity", "shown"), [(1, "1 visière"), (2, "2 visières")])
def test_a_pledge_e_mail_says_what_was_pledged_with_its_unit(
    public_anne, ehpad_need, quantity, shown
):
    pledge = needs.pledge_create(
        need=ehpad_need, quantity=quantity, by=public_anne, maker=public_anne.maker,
        now=timezone.now(),
    )  # fmt: skip
    email = need_emails.pledge_email(pledge, language="fr")
    assert f"Anne Le Goff s'engage sur {shown}" in email.subject
    assert f"Anne Le Goff s'engage à fournir {shown} pour votre besoin" in email.body

    delivery = needs.delivery_record(
        pledge=pledge, quantity=quantity, delivered_on=JUNE_18, by=public_anne, now=timezone.now()
    )
    body = need_emails.delivery_confirmation_email(delivery, language="fr").body
    assert f"Anne Le Goff déclare vous avoir livré {shown} le 18 juin 2020" in body


@pytest.mark.django_db
def test_a_message_from_the_establishment_is_from_d_ehpad(public_anne, ehpad_need):
    pledge = needs.pledge_create(
        need=ehpad_need, quantity=2, by=public_anne, maker=public_anne.maker, now=timezone.now()
    )
    message = needs.need_message_send(
        pledge=pledge, body="Merci !", from_establishment=True, by=None, now=timezone.now()
    )
    assert "Message d'EHPAD Les Ajoncs" in need_emails.message_email(message, language="fr").subject


@pytest.mark.django_db
def test_the_bank_change_e_mail_elides_the_payee_and_writes_its_dates_in_words(relay_staff, maker):
    subsidies.bank_account_set(
        owner=maker.maker, holder="Anne Le Goff", iban="FR76 3000 6000 0112 3456 7890 189",
        by=relay_staff, now=timezone.make_aware(datetime.datetime(2020, 6, 10, 9, 30)),
    )  # fmt: skip
    change = BankAccountChange.objects.latest("pk")
    body = subsidy_emails.bank_change_email(change, to=maker.email, language="fr").body
    assert "Les coordonnées bancaires d'Anne Le Goff ont été modifiées le 10 juin 2020 à 09:30" in (
        body
    )
    assert "de Anne" not in body and "/2020" not in body


@pytest.mark.django_db
def test_workshop_e_mails_write_the_day_with_its_month_in_full(facilitator):
    workshop = make_workshop(
        by=facilitator,
        capacity=1,
        starts_at=timezone.make_aware(datetime.datetime(2030, 7, 18, 14, 30)),
    )
    seated = register_and_confirm(workshop, name="Anne Le Goff", email="anne@example.org")
    waiting = register_and_confirm(workshop, name="Erwan", email="erwan@example.org")
    confirmed = workshop_emails.registration_email(seated, "confirmed", language="fr").body
    waitlisted = workshop_emails.registration_email(waiting, "waitlisted", language="fr").body
    cancelled = workshop_emails.cancellation_email(seated, language="fr").body
    for body in (confirmed, waitlisted, cancelled):
        assert "jeudi 18 juillet 2030" in body
        assert not re.search(r"\b(jui|jeu|juil)\.? ", body)


# --- Pages, with counts 0, 1 and 2 ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reports", "caption"),
    [(0, "Aucune déclaration ne correspond"), (1, "1 déclaration"), (2, "2 déclarations")],
)
def test_the_validation_queue_counts_its_reports_in_french(
    client, relay_staff, maker, reports, caption
):
    for _ in range(reports):
        make_report(maker=maker.maker)
    client.force_login(relay_staff)
    html = client.get("/validation/").content.decode()
    assert re.search(r">\s*" + caption + r"\s*(</caption>| :)", html)
    assert "0 déclarations" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("pledges", "lines"), [(0, 0), (1, 1), (2, 2)])
def test_the_need_page_names_who_pledged_with_units(
    client, reference_data, public_anne, other_maker, ehpad_need, pledges, lines
):
    other_maker.maker.is_public = True
    other_maker.maker.save(update_fields=["is_public"])
    make_report(maker=other_maker.maker, quantity=50)
    for user, quantity in list(zip([public_anne, other_maker], [1, 2], strict=True))[:pledges]:
        needs.pledge_create(
            need=ehpad_need, quantity=quantity, by=user, maker=user.maker, now=timezone.now()
        )
    html = client.get(f"/besoins/{ehpad_need.pk}/").content.decode()
    promised = ["Anne Le Goff promet 1 visière<", "Yann Kervella promet 2 visières<"]
    assert [line for line in promised if line in html.replace("\n", "")] == promised[:lines]
    assert "100 visières" in html
    assert f"Promis : {[0, 1, 3][pledges]} sur 100 visières" in html
    if not pledges:
        assert "Personne ne s'est encore engagé." in html


@pytest.fixture
def production_in_35_and_29(maker, relay_staff, other_relay_staff):
    """Validated visors in Ille-et-Vilaine (LabFab de Rennes) and Finistère (ENSTA Bretagne)."""
    make_report(maker=maker.maker, quantity=30, status="validated", decided_by=relay_staff)
    brest = make_maker(display_name="Iwen Le Gall", department="29")
    make_report(maker=brest, quantity=10, status="validated", decided_by=other_relay_staff)


@pytest.mark.django_db
def test_the_programme_form_and_recap_elide_the_relay(
    client, region_staff, production_in_35_and_29
):
    client.force_login(region_staff)
    form = client.get("/subventions/nouveau/").content.decode()
    assert "Part fixe d&#x27;ENSTA Bretagne" in form and "Part fixe de LabFab de Rennes" in form
    programme = make_programme(by=region_staff)
    ensta = programme.allocations.get(relay__organisation__name="ENSTA Bretagne")
    recap = client.get(f"/subventions/allocations/{ensta.pk}/approuver/").content.decode()
    assert "Approuver l'allocation d'ENSTA Bretagne" in recap
    assert "de ENSTA" not in recap


@pytest.mark.django_db
def test_the_programme_history_puts_its_colon_in_the_translated_sentence(
    client, region_staff, production_in_35_and_29
):
    programme = make_programme(by=region_staff)
    rennes, ensta = programme.allocations.order_by("relay__organisation__name")
    subsidies.allocations_adjust(
        programme=programme,
        amounts={ensta.pk: ensta.amount_cents + 100, rennes.pk: rennes.amount_cents - 100},
        motivation="Parts revues",
        by=region_staff,
        now=timezone.now(),
    )
    client.force_login(region_staff)
    html = client.get(f"/subventions/{programme.pk}/").content.decode()
    assert "Allocation ajustée : ENSTA Bretagne" in html


@pytest.mark.django_db
def test_a_directory_organisation_s_pages_elide_its_name(client, region_staff, facilitator):
    organisation = make_organisation(name="Atelier Ouvert de Quimper", department="29")
    client.force_login(facilitator)
    html = client.get(f"/annuaire/organisations/{organisation.slug}/curation/").content.decode()
    assert "Curation d'Atelier Ouvert de Quimper" in html


# --- English: what the code writes ------------------------------------------------------------


@pytest.mark.django_db
def test_english_pages_get_english_dates_and_units(client, reference_data, ehpad_need):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/besoins/{ehpad_need.pk}/").content.decode()
    with translation.override("en"):
        assert date_format(ehpad_need.needed_by, "DATE_FORMAT") in html
    assert "100 face shields" in html
    assert "100 visières" not in html
    assert not re.search(r"\d{2}/\d{2}/\d{4}", html)
