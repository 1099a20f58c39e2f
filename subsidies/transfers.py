"""The bank transfers a relay still owes on an approved redistribution: as a CSV for its
spreadsheet and as a SEPA credit transfer file (pain.001.001.03) for its bank."""

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from text_unidecode import unidecode

from tilab.spreadsheets import spreadsheet_safe

from . import errors, selectors
from .models import BankAccount, Redistribution, RedistributionLine

logger = logging.getLogger(__name__)

SCHEMA = "pain.001.001.03"
REMITTANCE_MAX = 140  # SEPA unstructured remittance information
NOT_PROVIDED = "NOTPROVIDED"  # the EPC convention for "no BIC given" in an agent's Othr/Id
PAYEE_KINDS = (RedistributionLine.Kind.MAKER, RedistributionLine.Kind.ORGANISATION)


@dataclass
class TransferBatch:
    """What is left to transfer: payable lines with the payee's bank account, lines whose
    payee has not given an IBAN yet, and the total of the payable lines."""

    payable: list[tuple[RedistributionLine, BankAccount]]
    missing: list[RedistributionLine]
    total_cents: int


def unpaid_transfers(redistribution: Redistribution) -> TransferBatch:
    """The unpaid maker and organisation lines of more than 0 € of an approved redistribution,
    in line order, in two queries. Own-use lines are the relay's own money and never a
    transfer. A redistribution not approved yet owes nothing: the batch is empty."""
    if redistribution.status != Redistribution.Status.APPROVED:
        return TransferBatch(payable=[], missing=[], total_cents=0)
    lines = list(
        redistribution.lines.filter(kind__in=PAYEE_KINDS, amount_cents__gt=0, payment__isnull=True)
        .select_related("maker", "organisation")
        .order_by("pk")
    )
    accounts = selectors.bank_accounts_for(lines)
    payable, missing = [], []
    for line in lines:
        account = accounts.get((line.kind, line.maker_id or line.organisation_id))
        if account is None:
            missing.append(line)
        else:
            payable.append((line, account))
    return TransferBatch(
        payable=payable,
        missing=missing,
        total_cents=sum(line.amount_cents for line, _account in payable),
    )


def remittance_text(redistribution: Redistribution, line: RedistributionLine) -> str:
    """What the payee reads on their statement: "Programme <name> – ligne <id>"."""
    return _("Programme %(name)s – ligne %(id)s") % {
        "name": redistribution.allocation.programme.name,
        "id": line.pk,
    }


# The characters every SEPA bank accepts (EPC "Latin character set"); others may get a file
# refused, so they are transliterated ("é" → "e") or replaced by a space.
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]+")


def sepa_text(text: str, limit: int) -> str:
    return " ".join(_NOT_SEPA.sub(" ", unidecode(text)).split())[:limit]


def _sepa_remittance(redistribution: Redistribution, line: RedistributionLine) -> str:
    # Too long, the programme name is shortened, never the line number that lets the relay
    # and the payee match the transfer.
    text = sepa_text(remittance_text(redistribution, line), 10 * REMITTANCE_MAX)
    if len(text) <= REMITTANCE_MAX:
        return text
    tail = sepa_text(_("– ligne %(id)s") % {"id": line.pk}, REMITTANCE_MAX)
    return text[: REMITTANCE_MAX - len(tail) - 4].rstrip() + "... " + tail


def _euros_dot(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros}.{rest:02d}"


def transfers_csv(redistribution: Redistribution) -> str:
    """One row per unpaid payee line, for the relay's spreadsheet or online banking: line id,
    payee, kind, holder, IBAN, BIC, amount in euros ("1234.50"), remittance text. Payees without
    bank details get a row with empty bank columns, so the relay sees whom to ask. Fields are
    separated by ";" (what French spreadsheets expect); text cells that a spreadsheet would run
    as a formula (= + - @) start with an apostrophe. The caller picks the encoding (UTF-8 with
    a byte-order mark opens cleanly in Excel)."""
    batch = unpaid_transfers(redistribution)
    rows = [(line, account) for line, account in batch.payable]
    rows += [(line, None) for line in batch.missing]
    rows.sort(key=lambda row: row[0].pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Ligne"),
            _("Bénéficiaire"),
            _("Type"),
            _("Titulaire du compte"),
            _("IBAN"),
            _("BIC"),
            _("Montant (EUR)"),
            _("Libellé du virement"),
        ]
    )
    for line, account in rows:
        writer.writerow(
            [
                line.pk,
                spreadsheet_safe(line.payee_name),
                spreadsheet_safe(str(line.get_kind_display())),
                spreadsheet_safe(account.holder) if account else "",
                spreadsheet_safe(account.iban) if account else "",
                spreadsheet_safe(_bic_of(account)) if account else "",
                _euros_dot(line.amount_cents),
                spreadsheet_safe(remittance_text(redistribution, line)),
            ]
        )
    return buffer.getvalue()


def _bic_of(account: BankAccount) -> str:
    """The BIC given, else the one the IBAN's bank code points to (when schwifty knows it)."""
    if account.bic:
        return account.bic
    try:
        bic = IBAN(account.iban).bic
    except SchwiftyException:
        return ""
    return str(bic) if bic else ""


class _Transfer(SepaTransfer):
    """sepaxml's transfer with a message id and creation time of ours (it would draw them from
    the clock and at random), and the EPC's NOTPROVIDED for a debtor bank without a BIC."""

    def __init__(self, config, *, msg_id: str, created_at: str):
        self._wanted_msg_id, self._created_at = msg_id, created_at
        super().__init__(config, schema=SCHEMA)

    def _create_header(self):
        self.msg_id = self._wanted_msg_id
        super()._create_header()
        self._xml.find("CstmrCdtTrfInitn/GrpHdr/CreDtTm").text = self._created_at

    def _finalize_batch(self):
        super()._finalize_batch()
        for agent in self._xml.iter("FinInstnId"):
            if len(agent) == 0:
                other = ElementTree.SubElement(agent, "Othr")
                ElementTree.SubElement(other, "Id").text = NOT_PROVIDED


def transfers_pain001(
    redistribution: Redistribution, *, execution_on: date, now: datetime
) -> bytes:
    """A SEPA credit transfer file (pain.001.001.03, checked against its XML schema) for the
    payable lines of `unpaid_transfers`: debtor the relay's own bank account, one transfer per
    line with end-to-end id `TILAB-L<line id>`, executed on `execution_on`. Lines whose payee
    has no IBAN are left out (the batch's `missing` lists them): pay them once they are given.
    Building the file records nothing: the payments are recorded once the bank has made them.

    Refuses (bad input) a redistribution not approved (transfers_not_approved), an execution
    date past (execution_date_past), a relay without bank account (relay_bank_account_missing),
    nothing payable (nothing_to_transfer), a file the SEPA schema refuses
    (transfer_file_invalid)."""
    if redistribution.status != Redistribution.Status.APPROVED:
        raise errors.TRANSFERS_NOT_APPROVED()
    if execution_on < timezone.localdate(now):
        raise errors.EXECUTION_DATE_PAST()
    relay = redistribution.allocation.relay
    debtor = BankAccount.objects.filter(organisation_id=relay.organisation_id).first()
    if debtor is None:
        raise errors.RELAY_BANK_ACCOUNT_MISSING()
    batch = unpaid_transfers(redistribution)
    if not batch.payable:
        raise errors.NOTHING_TO_TRANSFER()
    config = {
        "name": sepa_text(debtor.holder, 70),
        "IBAN": debtor.iban,
        "batch": True,
        "currency": "EUR",
    }
    if bic := _bic_of(debtor):
        config["BIC"] = bic
    transfer = _Transfer(
        config,
        msg_id=f"TILAB-R{redistribution.pk}-{now.astimezone(UTC):%Y%m%d%H%M%S}",
        created_at=timezone.localtime(now).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for line, account in batch.payable:
        payment = {
            "name": sepa_text(account.holder, 70),
            "IBAN": account.iban,
            "amount": line.amount_cents,
            "execution_date": execution_on,
            "description": _sepa_remittance(redistribution, line),
            "endtoend_id": f"TILAB-L{line.pk}",
        }
        if bic := _bic_of(account):
            payment["BIC"] = bic
        transfer.add_payment(payment)
    try:
        return transfer.export(validate=True)
    except SepaValidationError as error:
        logger.exception("pain.001 for redistribution %s fails its schema", redistribution.pk)
        raise errors.TRANSFER_FILE_INVALID() from error
