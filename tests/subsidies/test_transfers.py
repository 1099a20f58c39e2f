"""The transfers a relay still owes: the CSV for its spreadsheet and the SEPA pain.001 file for
its bank, checked against the XML schema the standard publishes."""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.utils import timezone
from lxml import etree

from makers.models import Membership, ProductionReport
from subsidies import services
from subsidies.models import BankAccount, RedistributionLine
from subsidies.transfers import transfers_csv, transfers_pain001, unpaid_transfers
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
from tilab.errors import BadInput

PAIN_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
NOW = timezone.make_aware(datetime.datetime(2020, 6, 10, 9, 30))
TOMORROW = datetime.date(2020, 6, 11)
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
    lines = {line.payee_name: line for line in redistribution.lines.all()}
    services.payments_record(
        lines=[lines["Paul Tanguy"]], paid_on=NOW.date(), reference="VIR-2020-06-01",
        by=relay_staff, now=NOW,
    )  # fmt: skip
    redistribution.refresh_from_db()
    return redistribution, lines, people


def test_the_batch_holds_unpaid_payee_lines_and_lists_payees_without_iban(
    chain, django_assert_max_num_queries
):
    redistribution, lines, _people = chain
    with django_assert_max_num_queries(2):
        batch = unpaid_transfers(redistribution)
        names = [line.payee_name for line, _account in batch.payable]
        holders = [account.holder for _line, account in batch.payable]
    assert names == ["Anne Le Goff", "Yann Kervella", '=HYPERLINK("http://x")']
    assert holders == ["Anne Le Goff", "Yann Kervella-Ar Gall", "+33 Collectif & Cie"]
    assert [line.payee_name for line in batch.missing] == ["Gwen Morvan"]
    # 9 000 € shared on 120 units: 75 € a unit.
    assert batch.total_cents == 225_000 + 75_000 + 150_000
    # Paid (Paul) and own-use (PLA) lines are never transfers.
    assert "Paul Tanguy" not in names and "Achat groupé de PLA" not in names


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
        transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)


def read_csv(text):
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_csv_has_one_row_per_unpaid_payee_including_those_without_iban(chain):
    redistribution, lines, _people = chain
    header, *rows = read_csv(transfers_csv(redistribution))
    assert header == [
        "Ligne", "Bénéficiaire", "Type", "Titulaire du compte", "IBAN", "BIC",
        "Montant (EUR)", "Libellé du virement",
    ]  # fmt: skip
    by_name = {row[1]: row for row in rows}
    assert len(rows) == 4
    anne = lines["Anne Le Goff"]
    assert by_name["Anne Le Goff"] == [
        str(anne.pk), "Anne Le Goff", "maker", "Anne Le Goff", "FR7630006000011234567890189",
        "AGRIFRPPXXX", "2250.00", f"Programme Soutien aux makers 2020 – ligne {anne.pk}",
    ]  # fmt: skip
    gwen = by_name["Gwen Morvan"]
    assert gwen[3:6] == ["", "", ""] and gwen[6] == "1500.00"
    assert by_name["Yann Kervella"][6] == "750.00"
    assert "Paul Tanguy" not in by_name
    assert not any(row[1] == "Achat groupé de PLA" for row in rows)
    # Each amount is exactly its line's cents.
    cents = dict(RedistributionLine.objects.values_list("pk", "amount_cents"))
    assert all(int(Decimal(row[6]) * 100) == cents[int(row[0])] for row in rows)


def test_the_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(chain):
    redistribution, _lines, _people = chain
    rows = read_csv(transfers_csv(redistribution))[1:]
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


def test_the_sepa_file_validates_against_the_pain_001_001_03_schema(chain):
    redistribution, _lines, _people = chain
    xml = transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)
    # Checked here against the schema file itself, twice, not only through the library's flag.
    xmlschema.XMLSchema(str(PAIN_XSD)).validate(xml.decode())
    schema = etree.XMLSchema(etree.parse(str(PAIN_XSD)))
    assert schema.validate(parse(xml)), schema.error_log


def test_the_sepa_file_pays_each_payable_line_once_with_matching_sums(chain):
    redistribution, lines, _people = chain
    root = parse(transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW))
    batch = unpaid_transfers(redistribution)
    expected = {f"TILAB-L{line.pk}": line.amount_cents for line, _account in batch.payable}

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
    assert texts(root, ".//p:ReqdExctnDt") == ["2020-06-11"]
    assert texts(root, ".//p:GrpHdr/p:MsgId") == [f"TILAB-R{redistribution.pk}-20200610073000"]
    assert texts(root, ".//p:GrpHdr/p:CreDtTm") == ["2020-06-10T09:30:00"]
    # Paid, own-use and IBAN-less lines are not in the file.
    for name in ("Paul Tanguy", "Achat groupé de PLA", "Gwen Morvan"):
        assert f"TILAB-L{lines[name].pk}" not in paid


def test_the_sepa_file_names_debtor_and_creditors_by_account_holder_and_iban(chain):
    redistribution, lines, _people = chain
    root = parse(transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW))
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
    assert creditors[f"TILAB-L{anne.pk}"] == (
        "Anne Le Goff", "FR7630006000011234567890189", "AGRIFRPPXXX",
        f"Programme Soutien aux makers 2020 - ligne {anne.pk}",
    )  # fmt: skip
    # A bank schwifty cannot name: the transfer goes by IBAN alone (allowed within SEPA).
    assert creditors[f"TILAB-L{yann.pk}"][:3] == (
        "Yann Kervella-Ar Gall", "FR7699999000010001234567809", None,
    )  # fmt: skip
    # Characters outside the SEPA set are replaced, never sent to a bank that may refuse them.
    org = lines['=HYPERLINK("http://x")']
    assert creditors[f"TILAB-L{org.pk}"][0] == "+33 Collectif Cie"


def test_a_relay_bank_without_bic_is_marked_not_provided(chain, relay_staff):
    redistribution, _lines, _people = chain
    relay = relay_staff.relays.get()
    BankAccount.objects.filter(organisation=relay.organisation).update(
        iban="FR7699999000010001234567809", bic=""
    )
    xml = transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)
    root = parse(xml)
    assert texts(root, ".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["NOTPROVIDED"]
    assert etree.XMLSchema(etree.parse(str(PAIN_XSD))).validate(root)


def test_a_long_programme_name_is_shortened_never_the_line_number(chain, relay_staff):
    redistribution, lines, _people = chain
    programme = redistribution.allocation.programme
    programme.name = "Soutien exceptionnel à la production de matériel de protection " * 4
    redistribution.allocation.programme = programme  # as a view would pass it, unsaved
    root = parse(transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW))
    for text in texts(root, ".//p:RmtInf/p:Ustrd"):
        assert len(text) <= 140
    anne = lines["Anne Le Goff"]
    assert any(text.endswith(f"... - ligne {anne.pk}") for text in texts(root, ".//p:Ustrd"))


def test_the_sepa_file_is_refused_without_the_relay_bank_account(chain, relay_staff):
    redistribution, _lines, _people = chain
    BankAccount.objects.filter(organisation=relay_staff.relays.get().organisation).delete()
    with refused("relay_bank_account_missing", kind=BadInput):
        transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)


def test_the_sepa_file_is_refused_when_nothing_is_payable(chain, relay_staff):
    redistribution, lines, _people = chain
    payable = [line for line, _account in unpaid_transfers(redistribution).payable]
    services.payments_record(
        lines=payable, paid_on=NOW.date(), reference="VIR-2", by=relay_staff, now=NOW
    )
    with refused("nothing_to_transfer", kind=BadInput):
        transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)
    # Gwen still has no IBAN: the CSV keeps showing her so the relay can ask.
    rows = read_csv(transfers_csv(redistribution))[1:]
    assert [row[1] for row in rows] == ["Gwen Morvan"]
    assert unpaid_transfers(redistribution).missing == [lines["Gwen Morvan"]]


def test_the_sepa_file_is_refused_for_a_past_execution_date(chain):
    redistribution, _lines, _people = chain
    with refused("execution_date_past", kind=BadInput, field="execution_on"):
        transfers_pain001(redistribution, execution_on=datetime.date(2020, 6, 9), now=NOW)


def test_building_the_files_records_no_payment(chain):
    redistribution, _lines, _people = chain
    before = RedistributionLine.objects.filter(payment__isnull=False).count()
    transfers_csv(redistribution)
    transfers_pain001(redistribution, execution_on=TOMORROW, now=NOW)
    assert RedistributionLine.objects.filter(payment__isnull=False).count() == before == 1
    assert ProductionReport.objects.count() == 5
