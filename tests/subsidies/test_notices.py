"""The subsidy chain's notices: a maker is told of a payment recorded to them (amount in euros
from cents, in their language), whichever way the relay records it, and the managers of an
organisation of a payment to it; Région staff who chose so are told at once of allocations to
approve, the others find them counted in their digest; the staff of the relays concerned and
the Région's are told when allocations are adjusted or recalculated, old and new amounts."""

from types import SimpleNamespace

import pytest

from makers.models import Membership
from subsidies import bank, batches, services
from subsidies.models import BankAccount, Payment
from tests.factories import (
    make_maker,
    make_organisation,
    make_programme,
    make_report,
    region_controller,
)
from tests.subsidies import test_payment_batches as paid
from tilab.models import OutboxEmail, PendingNotice
from tilab.money import format_euros
from tilab.notices import notice_preferences_set

pytestmark = pytest.mark.django_db
# LabFab de Rennes's approved redistribution, ready to pay (tests/subsidies/test_payment_batches).
rennes, ready = paid.rennes, paid.ready
NOW, LATER, line, make_batch = paid.NOW, paid.LATER, paid.line, paid.make_batch


def payment_emails(address: str) -> list[OutboxEmail]:
    return list(
        OutboxEmail.objects.filter(to=address, key__contains=":subsidies:payment_recorded:")
    )


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "fr",
            [
                "Bonjour Anne Le Goff,",
                "L'équipe Ti Lab",
                "juin 2020",
                "Votre relais a enregistré un virement de {amount} à votre nom le 14 juin "
                "2020, au titre du programme « Soutien aux makers 2020 ».",
                "Référence du virement : ",
            ],
        ),
        (
            "en",
            [
                "Hello Anne Le Goff,",
                "The Ti Lab team",
                "June 2020",
                "Your relay recorded a transfer of {amount} in your name on 14 June 2020, under "
                "the programme “Soutien aux makers 2020”.",
                "Transfer reference: ",
            ],
        ),
    ],
)
def test_a_maker_is_told_of_a_payment_in_euros_and_in_their_language(
    ready, relay_staff, maker, language, words
):
    maker.language = language
    maker.save(update_fields=["language"])
    batch = make_batch(ready, relay_staff)

    batches.payment_batch_record(batch=batch, paid_on=LATER.date(), by=relay_staff, now=LATER)

    [email] = payment_emails("anne@example.org")
    payment = Payment.objects.get(line=line("Anne Le Goff"))
    amount = format_euros(payment.amount_cents, language=language)
    assert email.language == language
    assert amount in email.subject and amount in email.body
    assert ("€" + amount.lstrip("€")) if language == "en" else amount.endswith("\u00a0€")
    assert batch.message_id in email.body  # the bank's reference
    assert "Soutien aux makers 2020" in email.body
    assert {"fr": f"Paiement de {amount} enregistré", "en": f"Payment of {amount} recorded"}[
        language
    ] in email.subject
    for word in words:
        assert word.format(amount=amount) in email.body


def test_a_payment_recorded_outside_a_batch_is_told_too(ready, relay_staff):
    services.payments_record(
        lines=[line("Anne Le Goff")], paid_on=LATER.date(), reference="VIR-42", by=relay_staff,
        now=LATER,
    )  # fmt: skip
    [email] = payment_emails("anne@example.org")
    assert "VIR-42" in email.body


def test_a_maker_who_chose_the_digest_finds_the_payment_there(ready, relay_staff, maker):
    notice_preferences_set(user=maker, choices={"payment_recorded": "digest"}, now=LATER)
    batches.payment_batch_record(
        batch=make_batch(ready, relay_staff), paid_on=LATER.date(), by=relay_staff, now=LATER
    )
    assert payment_emails("anne@example.org") == []
    assert PendingNotice.objects.filter(user=maker, kind="payment_recorded").count() == 1


def test_a_payment_to_a_maker_without_an_account_tells_nobody(ready, relay_staff):
    batches.payment_batch_record(
        batch=make_batch(ready, relay_staff), paid_on=LATER.date(), by=relay_staff, now=LATER
    )
    told = OutboxEmail.objects.filter(key__contains="payment_recorded")
    assert [email.to for email in told] == ["anne@example.org"]


def test_region_staff_who_chose_so_are_told_at_once_of_allocations_to_approve(
    region_staff, relay_staff
):
    controller = region_controller()
    notice_preferences_set(
        user=controller, choices={"allocations_to_approve": "immediate"}, now=LATER
    )
    programme = make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=1_500_000,
        basis="units", fixed_shares=[(relay_staff.relays.get(), 1)],
    )  # fmt: skip

    [email] = OutboxEmail.objects.filter(key__contains="allocations_to_approve")
    assert email.to == controller.email  # never whoever proposed (four eyes)
    assert programme.name in email.subject
    assert "LabFab de Rennes : 15\u202f000,00\u00a0€" in email.body
    assert (
        f"/subventions/programmes/{programme.pk}/" in email.body or str(programme.pk) in email.body
    )
    # Région staff on the digest (the default) get no line per programme: their digest counts.
    assert not PendingNotice.objects.filter(kind="allocations_to_approve").exists()


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["Bonjour Erwan Le Meur,", "LabFab de Rennes : 15\u202f000,00\u00a0€",
                "propose ces allocations aux relais, qui attendent votre approbation :"]),
        ("en", ["Hello Erwan Le Meur,", "LabFab de Rennes: €15,000.00",
                "proposes these allocations to relays, which are awaiting your approval:"]),
    ],
)  # fmt: skip
def test_allocations_to_approve_are_told_in_the_readers_language(
    region_staff, relay_staff, language, words
):
    controller = region_controller()
    controller.language = language
    controller.save(update_fields=["language"])
    notice_preferences_set(
        user=controller, choices={"allocations_to_approve": "immediate"}, now=LATER
    )
    rennes_relay = relay_staff.relays.get()
    make_programme(
        by=region_staff, relays=[rennes_relay], envelope_cents=1_500_000, name="Élan 2021",
        basis="units", fixed_shares=[(rennes_relay, 1)],
    )  # fmt: skip

    [email] = OutboxEmail.objects.filter(key__contains="allocations_to_approve")
    assert email.language == language
    assert {
        "fr": "1 allocation à approuver : Élan 2021",
        "en": "1 allocation to approve: Élan 2021",
    }[language] in email.subject
    body = " ".join(email.body.split(" "))
    for word in words:
        assert word in body


# --- A payment to an organisation: its managers are told -------------------------------------


@pytest.fixture
def atelier(anne, other_maker, relay_staff, region_staff, allocation):
    """L'Atelier des Capucins (Rennes), managed by Anne, Yann a mere member; 16 visors made on
    its behalf; LabFab de Rennes's redistribution approved, nothing paid yet."""
    organisation = make_organisation(name="Atelier des Capucins", department="35")
    Membership.objects.create(maker=anne, organisation=organisation, is_manager=True)
    Membership.objects.create(maker=other_maker.maker, organisation=organisation)
    make_report(
        maker=anne, organisation=organisation, quantity=16, status="validated",
        decided_by=relay_staff,
    )  # fmt: skip
    redistribution = services.redistribution_propose(
        allocation=allocation, own_use=[], by=relay_staff, now=NOW
    )
    services.redistribution_approve(redistribution=redistribution, by=region_staff, now=NOW)
    return organisation


def org_payment_emails() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(key__contains="organisation_payment_recorded"))


@pytest.mark.parametrize(
    "language, sentence",
    [
        ("fr", "LabFab de Rennes a enregistré le 14 juin 2020 un virement de {amount} pour "
               "Atelier des Capucins, que vous gérez, au titre du programme « Soutien aux "
               "makers 2020 »."),
        ("en", "LabFab de Rennes recorded a transfer of {amount} on 14 June 2020 for Atelier "
               "des Capucins, which you manage, under the programme “Soutien aux makers 2020”."),
    ],
)  # fmt: skip
def test_the_managers_of_an_organisation_are_told_of_a_payment_to_it(
    atelier, relay_staff, maker, language, sentence
):
    maker.language = language
    maker.save(update_fields=["language"])

    [payment] = services.payments_record(
        lines=[line("Atelier des Capucins")], paid_on=LATER.date(), reference="VIR-77",
        by=relay_staff, now=LATER,
    )  # fmt: skip

    [email] = org_payment_emails()  # Anne, the manager; not Yann, a member
    assert email.to == "anne@example.org"
    assert email.language == language
    amount = format_euros(payment.amount_cents, language=language)
    assert {
        "fr": f"Paiement de {amount} enregistré pour Atelier des Capucins",
        "en": f"Payment of {amount} recorded for Atelier des Capucins",
    }[language] in email.subject
    body = email.body
    assert sentence.format(amount=amount) in body
    assert {"fr": "Référence du virement : VIR-77", "en": "Transfer reference: VIR-77"}[
        language
    ] in body
    assert "/subventions/mes-versements/" in body
    # Her own payment notice is another kind: none went for her as a maker.
    assert payment_emails("anne@example.org") == []


def test_a_manager_who_chose_the_digest_finds_the_organisations_payment_there(
    atelier, relay_staff, maker
):
    notice_preferences_set(
        user=maker, choices={"organisation_payment_recorded": "digest"}, now=LATER
    )
    services.payments_record(
        lines=[line("Atelier des Capucins")], paid_on=LATER.date(), reference="VIR-77",
        by=relay_staff, now=LATER,
    )  # fmt: skip
    assert org_payment_emails() == []
    [pending] = PendingNotice.objects.filter(user=maker, kind="organisation_payment_recorded")
    assert "Atelier des Capucins" in pending.subject


def test_a_batch_paying_an_organisation_tells_its_managers(
    atelier, relay_staff, region_staff, maker
):
    rennes_organisation = relay_staff.relays.get().organisation
    services.bank_account_set(
        owner=rennes_organisation, holder="LabFab de Rennes", iban=paid.IBAN_RELAY,
        by=relay_staff, now=NOW,
    )  # fmt: skip
    change = BankAccount.objects.get(organisation=rennes_organisation).changes.get()
    bank.bank_change_confirm(change=change, by=region_staff, now=NOW)
    for owner, holder, iban in [
        (atelier, "Atelier des Capucins", paid.IBAN_BERTRAND),
        (maker.maker, "Anne Le Goff", paid.IBAN_ANNE),
        (line("Bertrand Guillou").maker, "Bertrand", paid.IBAN_BERTRAND),
    ]:
        services.bank_account_set(owner=owner, holder=holder, iban=iban, by=relay_staff, now=NOW)
    batch = make_batch(line("Atelier des Capucins").redistribution, relay_staff)

    batches.payment_batch_record(batch=batch, paid_on=LATER.date(), by=relay_staff, now=LATER)

    [email] = org_payment_emails()
    assert email.to == "anne@example.org"
    assert batch.message_id in email.body


# --- Allocations adjusted or recalculated: the relays concerned and the Région are told ------


@pytest.fixture
def two_relays(region_staff, relay_staff, other_relay_staff, anne):
    """10 000 € on validated units between LabFab de Rennes (Anne's 40 visors) and ENSTA
    Bretagne (Yann's 40), proposed by Hélène: 5 000 € each, nothing approved."""
    rennes_relay, ensta = relay_staff.relays.get(), other_relay_staff.relays.get()
    make_report(maker=anne, quantity=40, status="validated", decided_by=relay_staff)
    yann = make_maker(display_name="Yann Kerouac", department="29")
    make_report(maker=yann, quantity=40, status="validated", decided_by=other_relay_staff)
    programme = make_programme(
        by=region_staff, relays=[rennes_relay, ensta], envelope_cents=1_000_000,
        name="Élan 2021",
    )  # fmt: skip
    return SimpleNamespace(programme=programme, rennes=rennes_relay, ensta=ensta)


def allocation_emails(address: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(to=address, key__contains="allocation_changed"))


ADJUSTED = {
    "fr": {
        "subject": "[Ti Lab] 2 allocations ajustées : Élan 2021",
        "relay_subject": "[Ti Lab] 1 allocation ajustée : Élan 2021",
        "said": "La Région a ajusté 2 allocations du programme « Élan 2021 » :",
        "rennes": "- LabFab de Rennes : 6\u202f000,00\u00a0€ au lieu de 5\u202f000,00\u00a0€",
        "ensta": "- ENSTA Bretagne : 4\u202f000,00\u00a0€ au lieu de 5\u202f000,00\u00a0€",
        "motif": "Motif : Rennes a fourni les plaques PET.",
    },
    "en": {
        "subject": "[Ti Lab] 2 allocations adjusted: Élan 2021",
        "relay_subject": "[Ti Lab] 1 allocation adjusted: Élan 2021",
        "said": "The Région has adjusted 2 allocations of the programme “Élan 2021”:",
        "rennes": "- LabFab de Rennes: €6,000.00 instead of €5,000.00",
        "ensta": "- ENSTA Bretagne: €4,000.00 instead of €5,000.00",
        "motif": "Reason: Rennes a fourni les plaques PET.",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_adjustment_is_told_to_each_relay_concerned_and_the_region_with_both_amounts(
    two_relays, region_staff, relay_staff, other_relay_staff, language
):
    controller = region_controller()
    for user in (controller, relay_staff, other_relay_staff):
        user.language = language
        user.save(update_fields=["language"])
    allocations = {a.relay_id: a for a in two_relays.programme.allocations.all()}

    services.allocations_adjust(
        programme=two_relays.programme,
        amounts={
            allocations[two_relays.rennes.pk].pk: 600_000,
            allocations[two_relays.ensta.pk].pk: 400_000,
        },
        motivation="Rennes a fourni les plaques PET.",
        by=region_staff,
        now=LATER,
    )

    words = ADJUSTED[language]
    [to_region] = allocation_emails(controller.email)
    assert to_region.language == language
    assert to_region.subject == words["subject"]
    body = to_region.body
    for said in ("said", "rennes", "ensta", "motif"):
        assert words[said] in body
    assert f"/subventions/{two_relays.programme.pk}/" in body
    [to_rennes] = allocation_emails(relay_staff.email)  # its own line only
    assert to_rennes.subject == words["relay_subject"]
    assert words["rennes"] in to_rennes.body and "ENSTA" not in to_rennes.body
    [to_ensta] = allocation_emails(other_relay_staff.email)
    assert words["ensta"] in to_ensta.body and "LabFab" not in to_ensta.body
    assert allocation_emails(region_staff.email) == []  # whoever adjusted knows


RECALCULATED = {
    "fr": (
        "[Ti Lab] 2 allocations recalculées : Élan 2021",
        "Le programme « Élan 2021 » a été recalculé à partir des chiffres validés à ce jour ; "
        "2 allocations changent :",
        "- LabFab de Rennes : 6\u202f666,67\u00a0€ au lieu de 5\u202f000,00\u00a0€",
    ),
    "en": (
        "[Ti Lab] 2 allocations recalculated: Élan 2021",
        "The programme “Élan 2021” has been recalculated from the figures validated to date; "
        "2 allocations change:",
        "- LabFab de Rennes: €6,666.67 instead of €5,000.00",
    ),
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_recalculation_is_told_with_the_old_and_new_amounts(
    two_relays, region_staff, relay_staff, other_relay_staff, anne, language
):
    controller = region_controller()
    controller.language = language
    controller.save(update_fields=["language"])
    make_report(maker=anne, quantity=40, status="validated", decided_by=relay_staff)

    services.allocations_recompute(programme=two_relays.programme, by=region_staff, now=LATER)

    subject, said, rennes_line = RECALCULATED[language]
    [email] = allocation_emails(controller.email)
    assert email.subject == subject
    assert said in email.body and rennes_line in email.body
    [to_rennes] = allocation_emails(relay_staff.email)
    assert "6\u202f666,67\u00a0€ au lieu de 5\u202f000,00\u00a0€" in to_rennes.body
    assert len(allocation_emails(other_relay_staff.email)) == 1


def test_a_recalculation_that_changes_no_amount_tells_nobody(two_relays, region_staff):
    services.allocations_recompute(programme=two_relays.programme, by=region_staff, now=LATER)
    assert not OutboxEmail.objects.filter(key__contains="allocation_changed").exists()
    assert not PendingNotice.objects.filter(kind="allocation_changed").exists()


def test_relay_staff_who_chose_the_digest_find_the_adjustment_there(
    two_relays, region_staff, relay_staff
):
    notice_preferences_set(user=relay_staff, choices={"allocation_changed": "digest"}, now=LATER)
    allocations = list(two_relays.programme.allocations.order_by("pk"))
    services.allocations_adjust(
        programme=two_relays.programme,
        amounts={allocations[0].pk: 500_100, allocations[1].pk: 499_900},
        motivation="Arrondi",
        by=region_staff,
        now=LATER,
    )
    assert allocation_emails(relay_staff.email) == []
    [pending] = PendingNotice.objects.filter(user=relay_staff)
    assert pending.kind == "allocation_changed"
    assert "au lieu de" in pending.body
