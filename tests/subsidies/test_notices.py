"""The subsidy chain's notices: a maker is told of a payment recorded to them (amount in euros
from cents, in their language), whichever way the relay records it; Région staff who chose so
are told at once of allocations to approve, the others find them counted in their digest."""

import pytest

from subsidies import batches, services
from subsidies.models import Payment
from tests.factories import make_programme, region_controller
from tests.subsidies import test_payment_batches as paid
from tilab.models import OutboxEmail, PendingNotice
from tilab.money import format_euros
from tilab.notices import notice_preferences_set

pytestmark = pytest.mark.django_db
# LabFab de Rennes's approved redistribution, ready to pay (tests/subsidies/test_payment_batches).
rennes, ready = paid.rennes, paid.ready
LATER, line, make_batch = paid.LATER, paid.line, paid.make_batch


def payment_emails(address: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(to=address, key__contains="payment_recorded"))


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["Bonjour Anne Le Goff,", "L'équipe Ti Lab", "juin 2020"]),
        ("en", ["Hello Anne Le Goff,", "The Ti Lab team", "June 2020"]),
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
    for word in words:
        assert word in email.body


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
