"""The diversion found from outside, replayed whole in production settings (a second factor
per act): one relay staffer invents a maker, enters 100,000 visors for them, gives them the
relay's IBAN and tries to carry the money through a new programme to the transfer file. Each
step that one person could take alone on the previous version is refused, or flagged and held,
and the money reaches no file. Through the API with sessions that typed their code, as the
pages do (the pages' own refusals are tested beside each rule)."""

import pytest
from django.utils import timezone

from fablabs.models import Relay
from makers.models import ProductionReport
from subsidies import bank, services
from subsidies.ledger import ledger_verify
from subsidies.models import BankAccount, PaymentBatch, RedistributionLine
from tests.conftest import as_user, post
from tests.factories import client_step_up, make_maker, make_report, make_terms, step_up
from tests.refusals import answered
from tests.subsidies.approval import confirm_body

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/production-reports/"
IBAN_RELAY = "FR76 3000 4000 0100 0123 4567 830"
IBAN_ANNE = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def rennes(relay_staff, region_staff, mfa_required):
    """LabFab de Rennes with its paying account confirmed by the Région long ago, and one
    honest maker, Anne, with a validated report and her own IBAN."""
    relay = Relay.objects.get(staff=relay_staff)
    step_up(relay_staff)
    step_up(region_staff)
    past = timezone.now() - timezone.timedelta(days=200)
    bank.bank_account_set(
        owner=relay.organisation,
        holder="LabFab de Rennes",
        iban=IBAN_RELAY,
        by=relay_staff,
        now=past,
    )
    bank.bank_change_confirm(
        change=relay.organisation.bank_account.changes.order_by("-pk").first(),
        by=region_staff,
        now=past,
    )
    anne = make_maker(display_name="Anne Le Goff", department="35")
    bank.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN_ANNE, by=relay_staff, now=past
    )
    make_report(maker=anne, quantity=300, status="validated", decided_by=relay_staff)
    return relay


def test_one_relay_staffer_alone_cannot_carry_invented_production_to_a_transfer_file(
    client, rennes, relay_staff, relay_colleague, region_staff, other_region_staff
):
    # Camille, a stepped-up session: every act below is hers alone.
    client_step_up(client, relay_staff)
    invented = post(
        client, "/api/v1/makers/", {"display_name": "Maker Fantôme", "department": "35"}
    )
    assert invented.status_code == 201, invented.content
    maker_id = invented.json()["id"]
    entry = {"maker": maker_id, "item_type": "visor", "quantity": 100_000,
             "produced_on": "2020-04-20", "material_cost_cents": 0}  # fmt: skip
    report = post(client, REPORTS, entry)
    assert report.status_code == 201, report.content
    report_id = report.json()["id"]

    # 1. She cannot validate her own entry: the Région decides a relay staffer's entries.
    body = answered(post(client, f"{REPORTS}{report_id}/validate/"), 403, "own_entry")
    assert "Région" in body["detail"]
    assert ProductionReport.objects.get(pk=report_id).status == "submitted"

    # 2. She gives the invented maker the relay's own IBAN: recorded, e-mailed, held.
    change = {"payee_kind": "maker", "payee_id": maker_id, "holder": "Maker Fantome",
              "iban": IBAN_RELAY}  # fmt: skip
    assert post(client, "/api/v1/bank-changes/", change).status_code == 201
    account = BankAccount.objects.get(maker_id=maker_id)
    assert account.usable_from is None or account.usable_from > timezone.now()

    # A careless Région agent validates the visors anyway (the Région decides staff entries).
    as_user(client, region_staff)
    client_step_up(client, region_staff)
    assert post(client, f"{REPORTS}{report_id}/validate/").status_code == 200

    # 3. A new 30,000 € programme: whoever created it does not approve its allocation.
    programme = services.programme_create(
        terms=make_terms(relays=(rennes,), envelope_cents=3_000_000),
        by=region_staff,
        now=timezone.now(),
    )
    allocation = programme.allocations.get()
    url = f"/api/v1/allocations/{allocation.pk}/approve/"
    answered(post(client, url, confirm_body(allocation)), 403, "allocation_own_proposal")
    as_user(client, other_region_staff)
    client_step_up(client, other_region_staff)
    assert post(client, url, confirm_body(allocation)).status_code == 200

    # 4. Camille proposes the redistribution; she cannot approve it herself.
    as_user(client, relay_staff)
    client_step_up(client, relay_staff)
    proposed = post(client, "/api/v1/redistributions/", {"allocation": allocation.pk})
    assert proposed.status_code in (200, 201), proposed.content
    redistribution_id = proposed.json()["id"]
    approve = f"/api/v1/redistributions/{redistribution_id}/approve/"
    recap = client.get(f"/api/v1/redistributions/{redistribution_id}/recap/").json()
    codes = {flag["code"] for flag in recap["flags"]}
    # The invented maker takes almost everything, and on the relay's own IBAN.
    assert {"production_outlier", "iban_of_relay"} <= codes
    seen = {"computed_at": recap["computed_at"], "fingerprint": recap["fingerprint"]}
    answered(post(client, approve, seen), 403, "redistribution_own_proposal")

    # Her colleague must acknowledge each flag with a motivation before approving.
    as_user(client, relay_colleague)
    client_step_up(client, relay_colleague)
    answered(post(client, approve, seen), 400, "anomalies_not_acknowledged")
    acknowledged = {**seen, "acknowledged_flags": sorted(codes), "motivation": "Vérifié"}
    assert post(client, approve, acknowledged).status_code == 200

    # 5. The transfer file: Anne is paid; the invented maker, on the relay's IBAN, is not.
    as_user(client, relay_staff)
    client_step_up(client, relay_staff)
    made = post(client, "/api/v1/payment-batches/",
                {"redistribution": redistribution_id, "format": "csv"})  # fmt: skip
    assert made.status_code == 201, made.content
    batch = PaymentBatch.objects.get(pk=made.json()["id"])
    paid = set(batch.lines.values_list("line__maker_id", flat=True))
    anne_line = RedistributionLine.objects.get(
        redistribution_id=redistribution_id, maker__display_name="Anne Le Goff"
    )
    assert paid == {anne_line.maker_id}
    assert IBAN_RELAY.replace(" ", "") not in bytes(batch.content).decode("utf-8-sig")
    assert ledger_verify().intact
