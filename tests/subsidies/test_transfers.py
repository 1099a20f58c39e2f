"""The transfers a relay still owes, and the files of its payment batches: the CSV for its
spreadsheet and the SEPA pain.001 file for its bank, checked against the XML schema the
standard publishes."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.utils import timezone
from lxml import etree

from makers.models import Membership, ProductionReport
from subsidies import bank, batches, services, transfers
from subsidies.models import BankAccount, PaymentBatch, RedistributionLine
from subsidies.transfers import unpaid_transfers
from tests.factories import (
    approve_all,
    make_maker,
    make_organisation,
    make_programme,
    make_report,
    region_controller,
    relay_colleague,
)
from tests.refusals import refused
from tests.spreadsheets import french_euros_cents, french_excel_rows, french_number
from tilab.errors import BadInput

PAIN_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
NOW = timezone.make_aware(datetime.datetime(2020, 6, 10, 9, 30))
# The bank details given at NOW are out of transfer files for three days (TILAB_IBAN_HOLD_DAYS).
LATER = NOW + datetime.timedelta(days=4)
TOMORROW = datetime.date(2020, 6, 15)
IBAN_RELAY = "FR76 3000 4000 0100 0123 4567 830"  # BNP Paribas: schwifty knows its BIC
IBAN_ANNE = "FR76 3000 6000 0112 3456 7890 189"  # Crédit Agricole
IBAN_YANN = "FR76 9999 9000 0100 0123 4567 809"  # a bank code schwifty has no BIC for
IBAN_ORG = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def chain(region_staff, relay_staff):
    """LabFab de Rennes's approved redistribution of 10 000 €: 1 000 € kept for PLA, the rest
    to Anne (30 visors), Yann (10), Gwen (20, no IBAN yet), Paul (40, paid already) and an
    organisation (20 on its behalf, a name a spreadsheet would run as a formula)."""
    rennes = relay_staff.relays.get()
    people = {
        "anne": make_maker(display_name="Anne Le Goff", department="35"),
        "yann": make_maker(display_name="Yann Kervella", department="22"),
        "gwen": make_maker(display_name="Gwen Morvan", department="35"),
        "paul": make_maker(display_name="Paul Tanguy", department="22"),
    }
    org = make_organisation(name='=HYPERLINK("http://x")', department="35")
    Membership.objects.create(maker=people["anne"], organisation=org)
    for key, quantity in [("anne", 30), ("yann", 10), ("gwen", 20), ("paul", 40)]:
        make_report(
            maker=people[key], quantity=quantity, status="validated", decided_by=relay_staff
        )
    make_report(
        maker=people["anne"], organisation=org, quantity=20, status="validated",
        decided_by=relay_staff,
    )  # fmt: skip
    programme = make_programme(
        by=region_staff, relays=[rennes], envelope_cents=1_000_000, fixed_shares=[(rennes, 1)]
    )
    approve_all(programme, by=region_controller())
    allocation = programme.allocations.get()
    redistribution = services.redistribution_propose(
        allocation=allocation, own_use=[("Achat groupé de PLA", 100_000)], by=relay_staff,
        now=NOW,
    )  # fmt: skip
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=NOW
    )
    for owner, holder, iban in [
        (rennes.organisation, "LabFab de Rennes", IBAN_RELAY),
        (people["anne"], "Anne Le Goff", IBAN_ANNE),
        (people["yann"], "Yann Kervella-Ar Gall", IBAN_YANN),
        (people["paul"], "Paul Tanguy", IBAN_ANNE),
        (org, "+33 Collectif & Cie", IBAN_ORG),
    ]:
        services.bank_account_set(owner=owner, holder=holder, iban=iban, by=relay_staff, now=NOW)
    # The relay's own paying account is released by the Région only.
    relay_account = BankAccount.objects.get(organisation=rennes.organisation)
    bank.bank_change_confirm(change=relay_account.changes.get(), by=region_staff, now=NOW)
    lines = {line.payee_name: line for line in redistribution.lines.all()}
    services.payments_record(
        lines=[lines["Paul Tanguy"]], paid_on=NOW.date(), reference="VIR-2020-06-01",
        by=relay_staff, now=NOW,
    )  # fmt: skip
    redistribution.refresh_from_db()
    return redistribution, lines, people


def transfers_csv(redistribution, *, by, now=LATER) -> str:
    batch = batches.payment_batch_create(
        redistribution=redistribution, format=PaymentBatch.Format.CSV, by=by, now=now
    )
    return bytes(batch.content).decode("utf-8-sig")


def transfers_pain001(redistribution, *, by, execution_on=TOMORROW, now=LATER) -> bytes:
    batch = batches.payment_batch_create(
        redistribution=redistribution,
        format=PaymentBatch.Format.SEPA,
        execution_on=execution_on,
        by=by,
        now=now,
    )
    return bytes(batch.content)


def test_the_batch_holds_unpaid_payee_lines_and_lists_payees_without_iban(
    chain, django_assert_max_num_queries
):
    redistribution, lines, _people = chain
    with django_assert_max_num_queries(6):  # whatever the number of lines
        batch = unpaid_transfers(redistribution, now=LATER)
        names = [line.payee_name for line, _account in batch.payable]
        holders = [account.holder for _line, account in batch.payable]
    assert names == ["Anne Le Goff", "Yann Kervella", '=HYPERLINK("http://x")']
    assert holders == ["Anne Le Goff", "Yann Kervella-Ar Gall", "+33 Collectif & Cie"]
    assert [line.payee_name for line in batch.missing] == ["Gwen Morvan"]
    # 9 000 € shared on 120 units: 75 € a unit.
    assert batch.total_cents == 225_000 + 75_000 + 150_000
    # Paid (Paul) and own-use (PLA) lines are never transfers.
    assert "Paul Tanguy" not in names and "Achat groupé de PLA" not in names
    assert [line.payee_name for line in batch.own_use] == ["Achat groupé de PLA"]


def test_bank_details_given_today_are_held_out_of_transfers_for_three_days(chain):
    redistribution, _lines, _people = chain
    now = unpaid_transfers(redistribution, now=NOW)
    assert now.payable == [] and len(now.held) == 3
    assert len(unpaid_transfers(redistribution, now=LATER).payable) == 3


def test_a_redistribution_not_approved_owes_no_transfer(region_staff, relay_staff):
    rennes = relay_staff.relays.get()
    make_report(
        maker=make_maker(department="35"), quantity=5, status="validated", decided_by=relay_staff
    )
    programme = approve_all(
        make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)]),
        by=region_controller(),
    )
    redistribution = services.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=NOW
    )
    assert unpaid_transfers(redistribution).payable == []
    with refused("transfers_not_approved", kind=BadInput):
        transfers_pain001(redistribution, by=relay_staff)


def read_csv(text):
    return french_excel_rows(text)


def test_the_csv_has_one_row_per_payable_line_and_names_its_batch(chain, relay_staff):
    redistribution, lines, _people = chain
    header, *rows = read_csv(transfers_csv(redistribution, by=relay_staff))
    assert header == [
        "Ligne", "Bénéficiaire", "Type", "Titulaire du compte", "IBAN", "BIC",
        "Montant (EUR)", "Libellé du virement", "Lot",
    ]  # fmt: skip
    by_name = {row[1]: row for row in rows}
    assert len(rows) == 3
    anne = lines["Anne Le Goff"]
    message_id = PaymentBatch.objects.get().message_id
    assert by_name["Anne Le Goff"] == [
        str(anne.pk), "Anne Le Goff", "maker", "Anne Le Goff", "FR7630006000011234567890189",
        "AGRIFRPPXXX", "2250,00", f"Programme Soutien aux makers 2020 – ligne {anne.pk}",
        message_id,
    ]  # fmt: skip
    # Gwen gave no IBAN: she is not in the file (the batch's recap lists her).
    assert "Gwen Morvan" not in by_name
    assert by_name["Yann Kervella"][6] == "750,00"
    assert "Paul Tanguy" not in by_name
    assert not any(row[1] == "Achat groupé de PLA" for row in rows)
    # Each amount is a number for French Excel, exactly its line's cents, and they add up to
    # the batch's total to the cent.
    cents = dict(RedistributionLine.objects.values_list("pk", "amount_cents"))
    assert all(french_euros_cents(row[6]) == cents[int(row[0])] for row in rows)
    assert sum(french_number(row[6]) for row in rows) == Decimal("4500.00")
    assert PaymentBatch.objects.get().total_cents == 450_000


def test_the_csv_writes_cents_with_a_decimal_comma_and_no_thousands_separator(chain):
    redistribution, lines, _people = chain
    anne, yann = lines["Anne Le Goff"], lines["Yann Kervella"]
    # Amounts no split of this programme gives: cents, thousands, a single cent.
    anne.amount_cents, yann.amount_cents = 123_456_789, 5
    content = transfers.transfers_csv(
        redistribution,
        [
            transfers.Transfer(line, holder="A", iban="FR76", bic="", end_to_end_id=str(line.pk))
            for line in (anne, yann)
        ],
        message_id="LOT-1",
    )
    rows = french_excel_rows(content)[1:]
    assert [row[6] for row in rows] == ["1234567,89", "0,05"]
    assert sum(french_number(row[6]) for row in rows) == Decimal("1234567.94")
    assert not any("." in row[6] for row in rows)


def test_the_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(chain, relay_staff):
    redistribution, _lines, _people = chain
    rows = read_csv(transfers_csv(redistribution, by=relay_staff))[1:]
    organisation = next(row for row in rows if row[2] == "organisation")
    assert organisation[1] == '\'=HYPERLINK("http://x")'
    assert organisation[3] == "'+33 Collectif & Cie"
    for row in rows:
        for cell in row[1:]:
            assert cell[:1] not in {"=", "+", "-", "@"}, row


def parse(xml: bytes):
    return etree.fromstring(xml)


def texts(root, path):
    return [node.text for node in root.iterfind(path, NS)]


def test_the_sepa_file_validates_against_the_pain_001_001_03_schema(chain, relay_staff):
    redistribution, _lines, _people = chain
    xml = transfers_pain001(redistribution, by=relay_staff)
    # Checked here against the schema file itself, twice, not only through the library's flag.
    xmlschema.XMLSchema(str(PAIN_XSD)).validate(xml.decode())
    schema = etree.XMLSchema(etree.parse(str(PAIN_XSD)))
    assert schema.validate(parse(xml)), schema.error_log


def test_the_sepa_file_pays_each_payable_line_once_with_matching_sums(chain, relay_staff):
    redistribution, lines, _people = chain
    batch = unpaid_transfers(redistribution, now=LATER)
    root = parse(transfers_pain001(redistribution, by=relay_staff))
    recorded = PaymentBatch.objects.get()
    ids = dict(recorded.lines.values_list("line_id", "end_to_end_id"))
    expected = {ids[line.pk]: line.amount_cents for line, _account in batch.payable}

    transactions = root.findall(".//p:CdtTrfTxInf", NS)
    paid = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): int(
            Decimal(tx.findtext("p:Amt/p:InstdAmt", namespaces=NS)) * 100
        )
        for tx in transactions
    }
    assert paid == expected and len(transactions) == 3
    for path in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert texts(root, f"{path}/p:NbOfTxs") == ["3"]
        assert texts(root, f"{path}/p:CtrlSum") == ["4500.00"]
    assert batch.total_cents == 450_000
    assert texts(root, ".//p:ReqdExctnDt") == ["2020-06-15"]
    assert texts(root, ".//p:GrpHdr/p:MsgId") == [recorded.message_id]
    assert recorded.message_id.startswith("TILAB-20200614-")
    assert texts(root, ".//p:GrpHdr/p:CreDtTm") == ["2020-06-14T09:30:00"]
    # Paid, own-use and IBAN-less lines are not in the file.
    assert set(ids) == {line.pk for line, _account in batch.payable}
    for name in ("Paul Tanguy", "Achat groupé de PLA", "Gwen Morvan"):
        assert lines[name].pk not in ids


def test_the_sepa_file_names_debtor_and_creditors_by_account_holder_and_iban(chain, relay_staff):
    redistribution, lines, _people = chain
    root = parse(transfers_pain001(redistribution, by=relay_staff))
    ids = dict(PaymentBatch.objects.get().lines.values_list("line_id", "end_to_end_id"))
    assert texts(root, ".//p:Dbtr/p:Nm") == ["LabFab de Rennes"]
    assert texts(root, ".//p:DbtrAcct/p:Id/p:IBAN") == ["FR7630004000010001234567830"]
    # No BIC was typed for the relay: the one the IBAN's bank code gives is used.
    assert texts(root, ".//p:DbtrAgt/p:FinInstnId/p:BIC") == ["BNPAFRPP"]
    creditors = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): (
            tx.findtext("p:Cdtr/p:Nm", namespaces=NS),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
            tx.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS),
            tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
        )
        for tx in root.iterfind(".//p:CdtTrfTxInf", NS)
    }
    anne, yann = lines["Anne Le Goff"], lines["Yann Kervella"]
    assert creditors[ids[anne.pk]] == (
        "Anne Le Goff", "FR7630006000011234567890189", "AGRIFRPPXXX",
        f"Programme Soutien aux makers 2020 - ligne {anne.pk}",
    )  # fmt: skip
    # A bank schwifty cannot name: the transfer goes by IBAN alone (allowed within SEPA).
    assert creditors[ids[yann.pk]][:3] == (
        "Yann Kervella-Ar Gall", "FR7699999000010001234567809", None,
    )  # fmt: skip
    # Characters outside the SEPA set are replaced, never sent to a bank that may refuse them.
    org = lines['=HYPERLINK("http://x")']
    assert creditors[ids[org.pk]][0] == "+33 Collectif Cie"


def test_a_relay_bank_without_bic_is_marked_not_provided(chain, relay_staff):
    redistribution, _lines, _people = chain
    relay = relay_staff.relays.get()
    BankAccount.objects.filter(organisation=relay.organisation).update(
        iban="FR7699999000010001234567809", bic=""
    )
    xml = transfers_pain001(redistribution, by=relay_staff)
    root = parse(xml)
    assert texts(root, ".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["NOTPROVIDED"]
    assert etree.XMLSchema(etree.parse(str(PAIN_XSD))).validate(root)


def test_a_long_programme_name_is_shortened_never_the_line_number(chain, relay_staff):
    redistribution, lines, _people = chain
    programme = redistribution.allocation.programme
    programme.name = (
        "Soutien exceptionnel à la production de matériel de protection " * 3
    )  # 192 characters: a programme name holds 200
    programme.save(update_fields=["name"])
    root = parse(transfers_pain001(redistribution, by=relay_staff))
    for text in texts(root, ".//p:RmtInf/p:Ustrd"):
        assert len(text) <= 140
    anne = lines["Anne Le Goff"]
    assert any(text.endswith(f"... - ligne {anne.pk}") for text in texts(root, ".//p:Ustrd"))


def test_the_sepa_file_is_refused_without_the_relay_bank_account(chain, relay_staff):
    redistribution, _lines, _people = chain
    BankAccount.objects.filter(organisation=relay_staff.relays.get().organisation).delete()
    with refused("relay_bank_account_missing", kind=BadInput):
        transfers_pain001(redistribution, by=relay_staff)


def test_the_sepa_file_is_refused_when_nothing_is_payable(chain, relay_staff):
    redistribution, lines, _people = chain
    payable = [line for line, _account in unpaid_transfers(redistribution, now=LATER).payable]
    services.payments_record(
        lines=payable, paid_on=NOW.date(), reference="VIR-2", by=relay_staff, now=NOW
    )
    with refused("nothing_to_transfer", kind=BadInput):
        transfers_pain001(redistribution, by=relay_staff)
    with refused("nothing_to_transfer", kind=BadInput):
        transfers_csv(redistribution, by=relay_staff)
    # Gwen still has no IBAN: the recap lists her so the relay can ask.
    assert unpaid_transfers(redistribution).missing == [lines["Gwen Morvan"]]


def test_the_sepa_file_is_refused_for_a_past_execution_date(chain, relay_staff):
    redistribution, _lines, _people = chain
    with refused("execution_date_past", kind=BadInput, field="execution_on"):
        transfers_pain001(redistribution, by=relay_staff, execution_on=datetime.date(2020, 6, 9))


def test_making_a_batch_records_no_payment(chain, relay_staff):
    redistribution, _lines, _people = chain
    before = RedistributionLine.objects.filter(payment__isnull=False).count()
    transfers_pain001(redistribution, by=relay_staff)
    assert RedistributionLine.objects.filter(payment__isnull=False).count() == before == 1
    assert ProductionReport.objects.count() == 5
