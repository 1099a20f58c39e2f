"""The bank transfers a relay still owes on an approved redistribution (`unpaid_transfers`), and
the files a payment batch keeps: a CSV for its spreadsheet and a SEPA credit transfer file
(pain.001.001.03) for its bank, built from the bank details frozen in the batch."""

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from text_unidecode import unidecode

from tilab.spreadsheets import csv_euros, french_csv_writer, spreadsheet_safe

from . import errors, selectors
from .models import BankAccount, PaymentBatchLine, Redistribution, RedistributionLine

logger = logging.getLogger(__name__)

SCHEMA = "pain.001.001.03"
REMITTANCE_MAX = 140  # SEPA unstructured remittance information
NOT_PROVIDED = "NOTPROVIDED"  # the EPC convention for "no BIC given" in an agent's Othr/Id
PAYEE_KINDS = (RedistributionLine.Kind.MAKER, RedistributionLine.Kind.ORGANISATION)


@dataclass
class TransferBatch:
    """What a relay still owes on a redistribution, at a moment: lines that may go into a
    transfer file now (`payable`, with the payee's bank account), and those that may not:
    payees who gave no IBAN (`missing`), bank details changed and not confirmed yet (`held`),
    an IBAN that is the relay's own paying account (`blocked`: never a transfer to itself),
    lines already in an open batch (`in_batch`), and the relay's own-use lines, settled as its
    own spending and never transferred (`own_use`)."""

    payable: list[tuple[RedistributionLine, BankAccount]]
    missing: list[RedistributionLine]
    total_cents: int
    held: list[tuple[RedistributionLine, BankAccount]] = field(default_factory=list)
    blocked: list[tuple[RedistributionLine, BankAccount]] = field(default_factory=list)
    in_batch: list[RedistributionLine] = field(default_factory=list)
    own_use: list[RedistributionLine] = field(default_factory=list)
    debtor: BankAccount | None = None


def is_own_use(line: RedistributionLine, relay_organisation_id: int) -> bool:
    """An own-use line, or one whose payee is the relay's own organisation: the relay's own
    spending, settled without any transfer (it would go from its IBAN to itself)."""
    return line.kind == RedistributionLine.Kind.OWN_USE or (
        line.organisation_id is not None and line.organisation_id == relay_organisation_id
    )


def unpaid_transfers(
    redistribution: Redistribution, *, now: datetime | None = None
) -> TransferBatch:
    """The unpaid lines of more than 0 € of an approved redistribution, sorted as described by
    `TransferBatch`, in line order, in four queries. A redistribution not approved yet owes
    nothing: the batch is empty."""
    now = now or timezone.now()
    if redistribution.status != Redistribution.Status.APPROVED:
        return TransferBatch(payable=[], missing=[], total_cents=0)
    relay_organisation_id = redistribution.allocation.relay.organisation_id
    lines = list(
        redistribution.lines.filter(amount_cents__gt=0, payment__isnull=True)
        .select_related("maker", "organisation")
        .order_by("pk")
    )
    debtor = BankAccount.objects.filter(organisation_id=relay_organisation_id).first()
    accounts = selectors.bank_accounts_for(lines)
    taken = set(
        PaymentBatchLine.objects.filter(line__in=lines, open=True).values_list("line_id", flat=True)
    )
    batch = TransferBatch(payable=[], missing=[], total_cents=0, debtor=debtor)
    for line in lines:
        if is_own_use(line, relay_organisation_id):
            batch.own_use.append(line)
            continue
        if line.pk in taken:
            batch.in_batch.append(line)
            continue
        account = accounts.get((line.kind, line.maker_id or line.organisation_id))
        if account is None:
            batch.missing.append(line)
        elif debtor is not None and account.iban == debtor.iban:
            batch.blocked.append((line, account))
        elif not account.usable_at(now):
            batch.held.append((line, account))
        else:
            batch.payable.append((line, account))
    batch.total_cents = sum(line.amount_cents for line, _account in batch.payable)
    return batch


@dataclass(frozen=True)
class Transfer:
    """One transfer of a file, with the bank details frozen when its batch was made."""

    line: RedistributionLine
    holder: str
    iban: str
    bic: str
    end_to_end_id: str


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


def transfers_csv(
    redistribution: Redistribution, transfers: list[Transfer], *, message_id: str
) -> bytes:
    """One row per transfer, for the relay's spreadsheet or online banking: line id, payee,
    kind, holder, IBAN, BIC, amount in euros with a decimal comma and no thousands separator
    ("1234,50", a number for French Excel), remittance text, batch message id. Fields are
    separated by ";" (what French spreadsheets expect); text cells that a spreadsheet would run
    as a formula (= + - @) start with an apostrophe. UTF-8 with a byte-order mark, which opens
    cleanly in Excel. (Batches made before the decimal comma keep their file as it was made.)"""
    buffer = io.StringIO()
    writer = french_csv_writer(buffer)
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
            _("Lot"),
        ]
    )
    for transfer in transfers:
        line = transfer.line
        writer.writerow(
            [
                line.pk,
                spreadsheet_safe(line.payee_name),
                spreadsheet_safe(str(line.get_kind_display())),
                spreadsheet_safe(transfer.holder),
                spreadsheet_safe(transfer.iban),
                spreadsheet_safe(transfer.bic),
                csv_euros(line.amount_cents),
                spreadsheet_safe(remittance_text(redistribution, line)),
                message_id,
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def bic_of(account: BankAccount) -> str:
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
    redistribution: Redistribution,
    transfers: list[Transfer],
    *,
    debtor: BankAccount,
    message_id: str,
    execution_on: date,
    now: datetime,
) -> bytes:
    """A SEPA credit transfer file (pain.001.001.03, checked against its XML schema) for these
    transfers: debtor the relay's own bank account, one transfer per line with the end-to-end
    id of its batch line, executed on `execution_on`, under the batch's message id. Building
    the file records nothing (`batches.payment_batch_create` does).

    Refuses (bad input) a file the SEPA schema refuses (transfer_file_invalid)."""
    config = {
        "name": sepa_text(debtor.holder, 70),
        "IBAN": debtor.iban,
        "batch": True,
        "currency": "EUR",
    }
    if bic := bic_of(debtor):
        config["BIC"] = bic
    transfer_file = _Transfer(
        config,
        msg_id=message_id,
        created_at=timezone.localtime(now).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for transfer in transfers:
        payment = {
            "name": sepa_text(transfer.holder, 70),
            "IBAN": transfer.iban,
            "amount": transfer.line.amount_cents,
            "execution_date": execution_on,
            "description": _sepa_remittance(redistribution, transfer.line),
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.bic:
            payment["BIC"] = transfer.bic
        transfer_file.add_payment(payment)
    try:
        return transfer_file.export(validate=True)
    except SepaValidationError as error:
        logger.exception("pain.001 for redistribution %s fails its schema", redistribution.pk)
        raise errors.TRANSFER_FILE_INVALID() from error
