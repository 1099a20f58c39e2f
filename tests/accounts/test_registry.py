"""The personal-data registry: every model holding a person's name, e-mail, address, phone or
IBAN is declared where it lives, or listed below as holding nobody's; and what the export once
forgot (the needs a person posted, pledges, deliveries, their messages, workshop messages) is
exported and handled when the account is deleted."""

import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from accounts import services
from figures.models import DeliveredTotal
from needs import services as needs
from needs.models import Delivery, Need, NeedMessage, Pledge
from tests.factories import make_need, make_report, make_user, make_workshop
from tilab import personal_data
from tilab.models import Decision
from workshops import services as workshops
from workshops.models import Registration, WorkshopMessage

# A field whose name says it may hold a person's name, e-mail, address, phone or IBAN.
PERSONAL_NAME = re.compile(r"name|mail|phone|mobile|address|iban|contact|holder", re.IGNORECASE)

# Fields that match by name yet hold no person's data, "app_label.Model.field": why not.
NOT_PERSONAL = {
    # Django's and allauth's tables.
    "auth.Group.name": "a role's name",
    "auth.Permission.name": "a permission's label",
    "auth.Permission.codename": "a permission's code",
    "account.EmailConfirmation.email_address": (
        "a link to an e-mail address (declared by the core), deleted with it"
    ),
    "socialaccount.SocialApp.name": "a login provider's name (ProConnect)",
    # Reference data and catalogues.
    "tilab.Department.name": "a département's name",
    "tilab.Department.region_name": "a region's name",
    "fablabs.Capability.name_fr": "a capability of the catalogue",
    "fablabs.Capability.name_en": "a capability of the catalogue",
    "makers.ItemType.name_fr": "an item of the catalogue",
    "makers.ItemType.name_en": "an item of the catalogue",
    "workshops.Theme.name_fr": "a workshop theme",
    "workshops.Theme.name_en": "a workshop theme",
    # Public names of organisations and places, and of things.
    "fablabs.Organisation.name": "an organisation's public name, shown in the directory",
    "needs.Establishment.name": "a care establishment's name: a place, not a person",
    "subsidies.Programme.name": "a subsidy programme's title",
    "makers.ProductionImport.filename": "the name of an uploaded spreadsheet file",
    "figures.ProductionExport.filename": "the name of a generated export file",
    "subsidies.PaymentBatch.filename": "the name of a transfer file: its message id",
    "subsidies.PaymentBatch.debtor_iban": "the paying relay organisation's account",
}


def personal_fields(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.EmailField) or PERSONAL_NAME.search(field.name)
    ]


def test_the_detector_finds_names_addresses_and_ibans():
    from subsidies.models import BankAccount

    assert personal_fields(Registration) == ["name", "email"]
    assert personal_fields(Need) == ["contact_name", "contact_email"]
    assert "iban" in personal_fields(BankAccount)


def test_every_model_holding_a_persons_name_address_phone_or_iban_is_declared():
    missing = [
        f"{model._meta.label}.{name}"
        for model in apps.get_models(include_auto_created=True)
        if personal_data.declared(model) is None
        for name in personal_fields(model)
        if f"{model._meta.label}.{name}" not in NOT_PERSONAL
    ]
    assert missing == [], (
        "Declare these in the app's personal_data.py (or, if they hold nobody's data, add "
        "them to NOT_PERSONAL with the reason)"
    )


def test_the_list_of_fields_holding_nobodys_data_names_real_undeclared_fields():
    for key in NOT_PERSONAL:
        app_label, model_name, field = key.split(".")
        model = apps.get_model(app_label, model_name)
        assert field in personal_fields(model), key
        assert personal_data.declared(model) is None, key


def test_every_declaration_says_why_and_has_its_own_section():
    sections = set()
    for declaration in personal_data.declarations():
        assert declaration.why.strip(), declaration.model
        key = (declaration.within, declaration.section)
        assert key not in sections, key
        sections.add(key)
        if declaration.within is not None:
            parent = [d for d in personal_data.declarations() if d.section == declaration.within]
            assert [d.many for d in parent] == [False], declaration.model


def test_a_model_is_declared_once():
    with pytest.raises(ImproperlyConfigured):
        personal_data.register(
            Need,
            section="needs_again",
            owner="created_by",
            export=("quantity",),
            erase=personal_data.keep,
            why="twice",
        )


# --- Needs, pledges, deliveries and messages -------------------------------------------------

CLAIRE = "claire.morvan@ehpad-tilleuls.example.org"


@pytest.fixture
def claire(reference_data):
    """The care manager of an EHPAD, with an account, who posts its needs."""
    return make_user(email=CLAIRE, full_name="Claire Morvan")


@pytest.fixture
def needs_world(claire, maker, relay_staff, facilitator):
    """Claire posted two needs (one without signing in, never confirmed); Anne pledged,
    delivered and wrote; the establishment answered; a facilitator wrote to a workshop's
    registrants."""
    now = timezone.now()
    anne = maker.maker
    need = make_need(contact_name="Claire Morvan", contact_email=CLAIRE, by=claire)
    # Posted without signing in, with her address: found by it, never confirmed.
    forgotten = make_need(contact_name="Claire Morvan", contact_email=CLAIRE, confirmed=False)
    make_report(maker=anne, quantity=40, status="validated", decided_by=relay_staff)
    pledge = needs.pledge_create(
        need=need, quantity=30, by=maker, maker=anne, message="Je passe mardi.", now=now
    )
    delivery = needs.delivery_record(
        pledge=pledge, quantity=20, delivered_on=timezone.localdate(), by=maker, now=now
    )
    needs.delivery_confirm(
        token=needs.delivery_confirm_token(delivery), confirmed_quantity=20, now=now
    )
    needs.need_message_send(
        pledge=pledge,
        body="Le portail est à l'arrière.",
        from_establishment=False,
        by=maker,
        now=now,
    )
    needs.need_message_send(
        pledge=pledge, body="Merci, à mardi !", from_establishment=True, now=now
    )
    workshop = make_workshop(by=facilitator, title="Atelier visières")
    workshops.registration_create(workshop=workshop, now=now, user=maker)
    workshops.workshop_message_send(
        workshop=workshop,
        subject="Le lieu change",
        body="Rendez-vous salle B.",
        include_waitlist=False,
        by=facilitator,
        now=now,
    )
    return {"need": need, "forgotten": forgotten, "pledge": pledge, "workshop": workshop}


def test_the_export_holds_the_needs_a_person_posted_with_their_contact(claire, needs_world):
    data = services.personal_data_export(user=claire, now=timezone.now())
    assert sorted(n["status"] for n in data["needs"]) == ["open", "unconfirmed"]
    assert {n["contact_email"] for n in data["needs"]} == {CLAIRE}
    assert data["pledges"] == []


def test_the_export_holds_a_makers_pledges_deliveries_and_messages(maker, needs_world):
    data = services.personal_data_export(user=maker, now=timezone.now())
    [pledge] = data["pledges"]
    assert (pledge["quantity"], pledge["message"]) == (30, "Je passe mardi.")
    assert pledge["establishment"] == "EHPAD Les Tilleuls"
    [delivery] = data["deliveries"]
    assert (delivery["quantity"], delivery["confirmed_quantity"]) == (20, 20)
    assert [(m["from_establishment"], m["body"]) for m in data["need_messages"]] == [
        (False, "Le portail est à l'arrière."),
        (True, "Merci, à mardi !"),
    ]
    assert data["needs"] == [] and data["workshop_messages"] == []
    assert CLAIRE not in json.dumps(data) and "Claire" not in json.dumps(data)


def test_the_export_holds_the_messages_a_facilitator_sent_and_the_workshops_they_run(
    facilitator, needs_world
):
    data = services.personal_data_export(user=facilitator, now=timezone.now())
    [message] = data["workshop_messages"]
    assert (message["subject"], message["workshop"]) == ("Le lieu change", "Atelier visières")
    assert [w["title"] for w in data["account"]["facilitated_workshops"]] == ["Atelier visières"]


def test_both_exports_read_the_new_sections(client, maker, needs_world):
    client.force_login(maker)
    rows = client.get("/maker/mes-donnees/export.csv").content.decode("utf-8-sig")
    for section in ("pledges;1;message", "deliveries;1;quantity", "need_messages;2;body"):
        assert section in rows


def test_deleting_the_contact_of_needs_anonymises_them_and_withdraws_the_open_one(
    claire, needs_world
):
    services.account_delete(user=claire, now=timezone.now())
    need = Need.objects.get(pk=needs_world["need"].pk)
    assert need.contact_name == "Contact anonyme"
    assert need.contact_email == f"contact-{need.pk}@anonyme.invalid"
    assert (need.status, need.created_by) == ("withdrawn", None)
    # Never published, never pledged: gone.
    assert not Need.objects.filter(pk=needs_world["forgotten"].pk).exists()
    # What makers promised and delivered stays.
    assert Pledge.objects.get(pk=needs_world["pledge"].pk).quantity == 30
    assert Delivery.objects.filter(pledge=needs_world["pledge"]).count() == 1
    assert CLAIRE not in json.dumps(
        list(Need.objects.values("contact_name", "contact_email")), default=str
    )


def test_deleting_a_maker_keeps_pledges_and_deliveries_without_their_words(maker, needs_world):
    delivered = list(DeliveredTotal.objects.values_list("item_type", "quantity"))
    services.account_delete(user=maker, now=timezone.now())
    pledge = Pledge.objects.get(pk=needs_world["pledge"].pk)
    assert (pledge.quantity, pledge.status, pledge.message) == (30, "active", "")
    assert pledge.producer_name == f"Maker anonyme n° {pledge.maker_id}"
    assert Delivery.objects.get(pledge=pledge).confirmed_quantity == 20
    assert list(DeliveredTotal.objects.values_list("item_type", "quantity")) == delivered
    messages = list(NeedMessage.objects.filter(pledge=pledge).order_by("pk"))
    assert [(m.body, m.sent_by) for m in messages] == [
        ("Message retiré : son auteur a supprimé son compte.", None),
        ("Merci, à mardi !", None),
    ]
    # The establishment's need is untouched.
    assert Need.objects.get(pk=needs_world["need"].pk).contact_email == CLAIRE


def test_deleting_a_facilitator_keeps_what_registrants_were_told(facilitator, needs_world):
    services.account_delete(user=facilitator, now=timezone.now())
    message = WorkshopMessage.objects.get(workshop=needs_world["workshop"])
    assert (message.subject, message.sent_by_id) == ("Le lieu change", facilitator.pk)
    assert not needs_world["workshop"].facilitators.filter(pk=facilitator.pk).exists()
    facilitator.refresh_from_db()
    assert facilitator.email == f"deleted-{facilitator.pk}@anonyme.invalid"


def test_the_deletion_records_what_it_handled_without_naming_anyone(maker, needs_world):
    anne = maker.maker
    services.account_delete(user=maker, now=timezone.now())
    data = Decision.objects.get(action="account_delete").data
    assert data["maker"] == anne.pk and data["registrations"] == 1
    assert data["rows"]["pledges"] == 1 and data["rows"]["need_messages"] == 2
    assert "anne" not in json.dumps(data).lower()
