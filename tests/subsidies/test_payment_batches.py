"""Payment batches: a transfer file is made once, as a recorded batch (unique message id, its
lines, the bank details frozen, the exact bytes kept); no line in two open batches; payments
recorded per batch, with the lines the bank rejected freed; a batch cancelled only with a
reason; the relay's own-use lines settled without any transfer. Pages and API alike."""

import datetime

import pytest
from django.utils import timezone
from lxml import etree

from makers.models import Membership
from subsidies import bank, batches, services
from subsidies.ledger import ledger_verify
from subsidies.models import (
    BankAccount,
    LedgerEntry,
    Payment,
    PaymentBatch,
    PaymentBatchLine,
    RedistributionLine,
)
from subsidies.transfers import unpaid_transfers
from tests.conftest import as_user, count_queries, post, text
from tests.factories import make_personal_token, make_report
from tests.refusals import answered, refused
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.models import Decision

NOW = timezone.make_aware(datetime.datetime(2020, 6, 10, 9, 30))
LATER = NOW + datetime.timedelta(days=4)  # past the waiting period of bank details given at NOW
IBAN_RELAY = "FR76 3000 4000 0100 0123 4567 830"
IBAN_ANNE = "FR76 3000 6000 0112 3456 7890 189"
IBAN_BERTRAND = "DE89 3704 0044 0532 0130 00"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
BATCHES = "/api/v1/payment-batches/"


def creditor_ibans(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return [node.text for node in root.iterfind(".//p:CdtrAcct/p:Id/p:IBAN", NS)]


@pytest.fixture
def rennes(relay_staff):
    return relay_staff.relays.get()


@pytest.fixture
def ready(allocation, relay_staff, region_staff, rennes, anne):
    """LabFab de Rennes's approved redistribution of 15 000 €: 3 000 € of PLA kept, the rest to
    Anne and Bertrand, whose bank details (given long ago) may be used; the relay's paying
    account confirmed by the Région; and 10 visors made on behalf of the relay itself (a report
    the Région decides). Camille is the relay's only staffer: the Région approves (four eyes)."""
    Membership.objects.create(maker=anne, organisation=rennes.organisation)
    make_report(
        maker=anne, organisation=rennes.organisation, quantity=8, status="validated",
        decided_by=region_staff,
    )  # fmt: skip
    redistribution = services.redistribution_propose(
        allocation=allocation, own_use=[("Achat groupé de PLA", 300_000)], by=relay_staff, now=NOW
    )
    redistribution = services.redistribution_approve(
        redistribution=redistribution, by=region_staff, now=NOW
    )
    services.bank_account_set(
        owner=rennes.organisation, holder="LabFab de Rennes", iban=IBAN_RELAY, by=relay_staff,
        now=NOW,
    )  # fmt: skip
    relay_account = BankAccount.objects.get(organisation=rennes.organisation)
    bank.bank_change_confirm(change=relay_account.changes.get(), by=region_staff, now=NOW)
    bertrand = RedistributionLine.objects.get(maker__display_name="Bertrand Guillou").maker
    for owner, holder, iban in [
        (anne, "Anne Le Goff", IBAN_ANNE),
        (bertrand, "Bertrand", IBAN_BERTRAND),
    ]:
        services.bank_account_set(owner=owner, holder=holder, iban=iban, by=relay_staff, now=NOW)
    return redistribution


def line(payee_name: str) -> RedistributionLine:
    return next(line for line in RedistributionLine.objects.all() if line.payee_name == payee_name)


def make_batch(redistribution, by, *, format="sepa", now=LATER):
    return batches.payment_batch_create(
        redistribution=redistribution,
        format=format,
        execution_on=timezone.localdate(now),
        by=by,
        now=now,
    )


# --- Double export ----------------------------------------------------------------------------


def test_three_creations_over_the_same_lines_make_one_batch(ready, relay_staff):
    first = make_batch(ready, relay_staff)
    for format in ("sepa", "csv"):
        with refused("transfers_already_in_batch", kind=WrongState, batch=first.message_id):
            make_batch(ready, relay_staff, format=format)
    assert PaymentBatch.objects.count() == 1
    assert Decision.objects.filter(action="payment_batch_create").count() == 1


def test_a_batch_keeps_its_lines_frozen_bank_details_and_exact_file(ready, relay_staff, anne):
    batch = make_batch(ready, relay_staff)
    assert batch.message_id in bytes(batch.content).decode()
    assert batch.created_by == relay_staff and batch.created_at == LATER
    lines = {bl.line.payee_name: bl for bl in batch.lines.select_related("line__maker")}
    assert set(lines) == {"Anne Le Goff", "Bertrand Guillou"}
    assert lines["Anne Le Goff"].iban == "FR7630006000011234567890189"
    assert batch.total_cents == sum(bl.amount_cents for bl in lines.values())
    content = bytes(batch.content)
    # Anne changes banks afterwards: the batch keeps what was sent, the file its bytes.
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN_BERTRAND, by=anne.user, now=LATER
    )
    batch.refresh_from_db()
    assert bytes(batch.content) == content
    assert PaymentBatchLine.objects.get(line__maker=anne).iban == "FR7630006000011234567890189"


def test_only_confirmed_bank_details_go_into_a_batch(ready, relay_staff, anne):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN_BERTRAND, by=relay_staff, now=LATER
    )
    batch = make_batch(ready, relay_staff, now=LATER + datetime.timedelta(hours=1))
    assert [bl.line.payee_name for bl in batch.lines.all()] == ["Bertrand Guillou"]
    assert "FR7630006000011234567890189" not in bytes(batch.content).decode()


def test_the_same_bytes_are_downloaded_again_on_the_page(client, ready, relay_staff):
    as_user(client, relay_staff)
    recap = client.get(f"/subventions/redistributions/{ready.pk}/nouveau-lot/")
    html = text(recap)
    assert "Anne Le Goff" in html and "Bertrand Guillou" in html
    assert "Ce qui se passe ensuite" in html and "Confirmer et créer le lot" in html
    assert "no-store" in recap["Cache-Control"]
    # The relay's own money is never a transfer.
    assert "jamais virées" in text(client.get(f"/subventions/redistributions/{ready.pk}/"))

    response = client.post(
        f"/subventions/redistributions/{ready.pk}/nouveau-lot/", {"format": "sepa"}
    )
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/subventions/lots/{batch.pk}/"
    first = client.get(f"/subventions/lots/{batch.pk}/fichier/")
    second = client.get(f"/subventions/lots/{batch.pk}/fichier/")
    assert first.content == second.content == bytes(batch.content)
    assert "no-store" in first["Cache-Control"]
    assert first["Content-Disposition"] == f'attachment; filename="{batch.filename}"'

    again = client.post(
        f"/subventions/redistributions/{ready.pk}/nouveau-lot/", {"format": "csv"}, follow=True
    )
    assert batch.message_id in text(again)
    assert PaymentBatch.objects.count() == 1


def test_the_same_bytes_are_downloaded_again_through_the_api(client, ready, relay_staff):
    as_user(client, relay_staff)
    body = {"redistribution": ready.pk, "format": "sepa", "execution_on": str(timezone.localdate())}
    created = post(client, BATCHES, body)
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    batch = created.json()
    assert {line["payee"] for line in batch["lines"]} == {"Anne Le Goff", "Bertrand Guillou"}
    assert "FR76" not in created.content.decode()  # the last four characters only
    files = [client.get(f"{BATCHES}{batch['id']}/file/") for _ in range(2)]
    # A bank's program naming the type it wants gets the file, not 406.
    files.append(client.get(f"{BATCHES}{batch['id']}/file/", HTTP_ACCEPT="application/xml"))
    assert [f.status_code for f in files] == [200, 200, 200]
    assert files[0].content == files[1].content == files[2].content
    assert batch["message_id"].encode() in files[0].content
    assert files[0]["Cache-Control"] == "no-store"
    answered(post(client, BATCHES, body), 409, "transfers_already_in_batch")
    assert client.get(BATCHES).json()["results"][0]["message_id"] == batch["message_id"]
    assert PaymentBatch.objects.count() == 1


# --- Self-transfer --------------------------------------------------------------------------


def test_own_use_is_never_in_the_file_and_is_settled_without_transfer(ready, relay_staff, rennes):
    batch = make_batch(ready, relay_staff)
    relay_iban = "FR7630004000010001234567830"
    assert relay_iban not in creditor_ibans(bytes(batch.content))
    in_batch = {bl.line.payee_name for bl in batch.lines.all()}
    assert "Achat groupé de PLA" not in in_batch and rennes.organisation.name not in in_batch

    payments = batches.own_use_settle(redistribution=ready, by=relay_staff, now=LATER)
    settled = {payment.line.payee_name for payment in payments}
    assert settled == {"Achat groupé de PLA", rennes.organisation.name}
    assert all(payment.own_use and payment.batch is None for payment in payments)
    entries = LedgerEntry.objects.filter(payment__in=payments)
    # Each to the account its approval named: no IBAN, no transfer.
    assert {entry.destination for entry in entries} == {
        f"relay:{rennes.pk}:own_use",
        f"organisation:{rennes.organisation.pk}",
    }
    assert Decision.objects.filter(action="own_use_settle").count() == 2
    with refused("nothing_to_settle", kind=WrongState):
        batches.own_use_settle(redistribution=ready, by=relay_staff, now=LATER)
    check = ledger_verify()
    assert check.intact, check.breaks


def test_a_payee_given_the_relays_iban_is_never_paid_on_it(ready, relay_staff, anne):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN_RELAY, by=relay_staff, now=NOW
    )
    plan = unpaid_transfers(ready, now=LATER)
    assert [line.payee_name for line, _account in plan.blocked] == ["Anne Le Goff"]
    batch = make_batch(ready, relay_staff)
    assert [bl.line.payee_name for bl in batch.lines.all()] == ["Bertrand Guillou"]


def test_own_use_is_settled_on_the_page_and_through_the_api(client, ready, relay_staff):
    as_user(client, relay_staff)
    response = client.post(f"/subventions/redistributions/{ready.pk}/depense-propre/")
    assert response.status_code == 302
    assert Payment.objects.filter(own_use=True).count() == 2
    answered(
        post(client, f"/api/v1/redistributions/{ready.pk}/settle-own-use/"),
        409,
        "nothing_to_settle",
    )


# --- Payments per batch -----------------------------------------------------------------------


def test_payments_are_recorded_per_batch_and_a_rejected_line_is_freed(ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    bertrand = line("Bertrand Guillou")
    batches.payment_batch_record(
        batch=batch, paid_on=LATER.date(), rejected=[bertrand.pk], by=relay_staff, now=LATER
    )
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RECORDED and batch.recorded_by == relay_staff
    payment = Payment.objects.get()
    assert (payment.line, payment.batch, payment.reference) == (
        line("Anne Le Goff"), batch, batch.message_id,
    )  # fmt: skip
    assert PaymentBatchLine.objects.get(line=bertrand).status == "rejected"
    assert Decision.objects.filter(action="payment_reject", object_id=str(bertrand.pk)).exists()
    # Bertrand is free for a later batch; Anne, paid, is in none.
    later = make_batch(ready, relay_staff, now=LATER + datetime.timedelta(days=1))
    assert [bl.line_id for bl in later.lines.all()] == [bertrand.pk]
    with refused("batch_not_open", kind=WrongState):
        batches.payment_batch_record(batch=batch, paid_on=LATER.date(), by=relay_staff, now=LATER)
    check = ledger_verify()
    assert check.intact, check.breaks


def test_recording_is_all_or_nothing(ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    before = (Payment.objects.count(), LedgerEntry.objects.count(), Decision.objects.count())
    with refused("batch_rejected_not_in_batch", kind=BadInput):
        batches.payment_batch_record(
            batch=batch, paid_on=LATER.date(), rejected=[10**9], by=relay_staff, now=LATER
        )
    with refused("batch_all_rejected", kind=BadInput):
        batches.payment_batch_record(
            batch=batch, paid_on=LATER.date(), by=relay_staff, now=LATER,
            rejected=list(batch.lines.values_list("line", flat=True)),
        )  # fmt: skip
    with refused("paid_on_in_future", kind=BadInput):
        batches.payment_batch_record(
            batch=batch,
            paid_on=LATER.date() + datetime.timedelta(days=1),
            by=relay_staff,
            now=LATER,
        )
    assert (
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        Decision.objects.count(),
    ) == before
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.OPEN


def test_a_line_in_an_open_batch_is_not_paid_outside_it(ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    with refused("transfers_already_in_batch", kind=WrongState, batch=batch.message_id):
        services.payments_record(
            lines=[line("Anne Le Goff")], paid_on=LATER.date(), reference="V", by=relay_staff,
            now=LATER,
        )  # fmt: skip


def test_payments_are_recorded_on_the_page_with_a_recap(client, ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    as_user(client, relay_staff)
    url = f"/subventions/lots/{batch.pk}/paiements/"
    recap = text(client.get(url))
    assert "Récapitulatif" in recap and "Ce qui se passe ensuite" in recap
    bertrand = line("Bertrand Guillou")
    response = client.post(
        url, {"paid_on": "2020-06-15", "reference": "", "rejected": [bertrand.pk]}
    )
    assert response.status_code == 302
    assert list(Payment.objects.values_list("line__maker__display_name", flat=True)) == [
        "Anne Le Goff"
    ]
    assert "rejetée par la banque" in text(client.get(f"/subventions/lots/{batch.pk}/"))


def test_payments_are_recorded_through_the_api(client, ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    as_user(client, relay_staff)
    bertrand = line("Bertrand Guillou")
    url = f"{BATCHES}{batch.pk}/record/"
    answered(
        post(client, url, {"paid_on": "2020-06-15", "rejected": [10**9]}),
        400,
        "batch_rejected_not_in_batch",
    )
    response = post(
        client, url, {"paid_on": "2020-06-15", "reference": "VIR-1", "rejected": [bertrand.pk]}
    )
    assert response.status_code == 200, response.content
    statuses = {row["payee"]: row["status"] for row in response.json()["lines"]}
    assert statuses == {"Anne Le Goff": "paid", "Bertrand Guillou": "rejected"}
    answered(post(client, url, {"paid_on": "2020-06-15"}), 409, "batch_not_open")


# --- Cancelling ---------------------------------------------------------------------------


def test_a_batch_is_cancelled_only_with_a_reason_which_frees_its_lines(ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    with refused("batch_cancel_reason_missing", kind=BadInput, field="reason"):
        batches.payment_batch_cancel(batch=batch, reason="  ", by=relay_staff, now=LATER)
    batches.payment_batch_cancel(
        batch=batch, reason="Fichier refusé par la banque", by=relay_staff, now=LATER
    )
    batch.refresh_from_db()
    assert (batch.status, batch.cancel_reason) == ("cancelled", "Fichier refusé par la banque")
    decision = Decision.objects.get(action="payment_batch_cancel")
    assert decision.motivation == "Fichier refusé par la banque"
    again = make_batch(ready, relay_staff)
    assert again.lines.count() == 2 and again.message_id != batch.message_id
    with refused("batch_not_open", kind=WrongState):
        batches.payment_batch_record(batch=batch, paid_on=LATER.date(), by=relay_staff, now=LATER)
    assert not Payment.objects.exists()


def test_a_batch_is_cancelled_on_the_page_and_through_the_api(client, ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    as_user(client, relay_staff)
    url = f"/subventions/lots/{batch.pk}/annuler/"
    assert "Ce qui se passe ensuite" in text(client.get(url))
    assert client.post(url, {"reason": ""}).status_code == 200  # the form asks for the reason
    answered(
        post(client, f"{BATCHES}{batch.pk}/cancel/", {"reason": ""}),
        400,
        "batch_cancel_reason_missing",
    )
    response = post(client, f"{BATCHES}{batch.pk}/cancel/", {"reason": "Jamais envoyé"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert client.post(url, {"reason": "encore"}).status_code == 302
    assert PaymentBatch.objects.get().cancel_reason == "Jamais envoyé"


# --- Who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["region_staff", "auditor"])
def test_region_and_auditors_read_batches_but_neither_download_nor_change_them(
    client, request, ready, relay_staff, role
):
    batch = make_batch(ready, relay_staff)
    as_user(client, request.getfixturevalue(role))
    assert client.get("/subventions/lots/").status_code == 200
    html = text(client.get(f"/subventions/lots/{batch.pk}/"))
    assert batch.message_id in html and "Télécharger le fichier" not in html
    assert "FR76" not in html
    assert client.get(f"/subventions/lots/{batch.pk}/fichier/").status_code == 404
    assert client.post(f"/subventions/lots/{batch.pk}/annuler/", {"reason": "x"}).status_code == 403
    assert client.get(f"{BATCHES}{batch.pk}/").status_code == 200
    answered(client.get(f"{BATCHES}{batch.pk}/file/"), 403, "role_not_allowed")
    answered(post(client, f"{BATCHES}{batch.pk}/cancel/", {"reason": "x"}), 403, "role_not_allowed")
    answered(
        post(client, f"{BATCHES}{batch.pk}/record/", {"paid_on": "2020-06-15"}),
        403,
        "role_not_allowed",
    )
    assert PaymentBatch.objects.get().status == "open"


@pytest.mark.parametrize("who", ["other_relay_staff", "maker"])
def test_nobody_else_sees_a_batch(client, request, ready, relay_staff, who):
    batch = make_batch(ready, relay_staff)
    as_user(client, request.getfixturevalue(who))
    assert client.get(f"/subventions/lots/{batch.pk}/").status_code == 404
    assert client.get(f"{BATCHES}{batch.pk}/").status_code == 404


def test_exporting_ibans_takes_the_second_factor(client, ready, relay_staff, mfa_required):
    with refused("two_factor_required", kind=NotAllowed):
        make_batch(ready, relay_staff)
    as_user(client, relay_staff)
    body = {"redistribution": ready.pk, "format": "csv"}
    answered(post(client, BATCHES, body), 403, "two_factor_required")
    client.post(f"/subventions/redistributions/{ready.pk}/nouveau-lot/", {"format": "csv"})
    assert not PaymentBatch.objects.exists()


def test_the_batch_recap_flags_an_iban_shared_by_two_payees(client, ready, relay_staff):
    bertrand = line("Bertrand Guillou").maker
    services.bank_account_set(
        owner=bertrand, holder="Bertrand", iban=IBAN_ANNE, by=relay_staff, now=NOW
    )
    html = text(
        as_user(client, relay_staff).get(f"/subventions/redistributions/{ready.pk}/nouveau-lot/")
    )
    assert html.count("IBAN partagé avec un autre bénéficiaire") == 2


def test_no_sepa_file_leaves_a_relay_account_changed_until_the_region_confirms(
    ready, relay_staff, region_staff, rennes
):
    services.bank_account_set(
        owner=rennes.organisation, holder="LabFab", iban=IBAN_BERTRAND, by=relay_staff, now=NOW
    )
    with refused("relay_bank_account_pending", kind=WrongState):
        make_batch(ready, relay_staff)
    change = BankAccount.objects.get(organisation=rennes.organisation).changes.latest("pk")
    bank.bank_change_confirm(change=change, by=region_staff, now=LATER)
    batch = make_batch(ready, relay_staff)
    assert batch.debtor_iban == "DE89370400440532013000"


# --- A program's money acts (API) -----------------------------------------------------------


def _money_acts(batch):
    """Every money act on a batch through the API: (method, url, body)."""
    return [
        ("get", f"{BATCHES}{batch.pk}/file/", None),
        ("post", BATCHES, {"redistribution": batch.redistribution_id, "format": "csv"}),
        ("post", f"{BATCHES}{batch.pk}/record/", {"paid_on": "2020-06-15"}),
        ("post", f"{BATCHES}{batch.pk}/cancel/", {"reason": "Erreur de date"}),
    ]


def _call(client, method, url, body, **headers):
    if method == "get":
        return client.get(url, headers=headers)
    return post(client, url, body, headers=headers)


def test_a_token_without_the_money_scope_does_no_money_act(client, ready, relay_staff):
    batch = make_batch(ready, relay_staff)
    auth = {"authorization": f"Token {make_personal_token(relay_staff, scope='write')}"}
    for method, url, body in _money_acts(batch):
        answered(_call(client, method, url, body, **auth), 403, "token_scope_missing")
    # Reading the batch is no money act.
    assert client.get(f"{BATCHES}{batch.pk}/", headers=auth).status_code == 200
    assert PaymentBatch.objects.get().status == "open"


def test_a_money_token_makes_downloads_and_records_a_batch(client, ready, relay_staff):
    auth = {"authorization": f"Token {make_personal_token(relay_staff, scope='money')}"}
    created = post(client, BATCHES, {"redistribution": ready.pk, "format": "sepa"}, headers=auth)
    assert created.status_code == 201, created.content
    url = f"{BATCHES}{created.json()['id']}/"
    files = [client.get(f"{url}file/", headers=auth).content for _ in range(3)]
    assert files[0] == files[1] == files[2] == bytes(PaymentBatch.objects.get().content)
    recorded = post(client, f"{url}record/", {"paid_on": "2020-06-15"}, headers=auth)
    assert recorded.status_code == 200 and recorded.json()["status"] == "recorded"


def test_a_session_without_a_recent_second_factor_does_no_money_act(
    client, ready, relay_staff, settings
):
    batch = make_batch(ready, relay_staff)
    # Required from now on, as in production (the fixture `mfa_required` would refuse the
    # batch above already).
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    as_user(client, relay_staff)
    for method, url, body in _money_acts(batch):
        answered(_call(client, method, url, body), 403, "two_factor_required")
    assert client.get(f"{BATCHES}{batch.pk}/").status_code == 200
    assert PaymentBatch.objects.get().status == "open"


def test_the_list_of_batches_costs_the_same_however_many(client, ready, relay_staff):
    as_user(client, relay_staff)
    batch = make_batch(ready, relay_staff)
    one = count_queries(client, BATCHES, expected=1)
    for _ in range(5):
        batches.payment_batch_cancel(batch=batch, reason="Refait", by=relay_staff, now=LATER)
        batch = make_batch(ready, relay_staff)
    assert count_queries(client, BATCHES, expected=6) == one
