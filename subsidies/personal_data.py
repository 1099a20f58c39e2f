"""What the subsidies app holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): subsidy lines paid to them as a maker, their bank details. The relay
teams they belong to are declared by `fablabs.personal_data`."""

from tilab.personal_data import delete, keep, register

from .models import BankAccount, BankAccountChange, PaymentBatchLine, RedistributionLine


def _line_export(line: RedistributionLine) -> dict:
    payment = getattr(line, "payment", None)
    return {
        "programme": line.redistribution.allocation.programme.name,
        "relay": line.redistribution.allocation.relay.organisation.name,
        "status": line.redistribution.status,
        "amount_cents": line.amount_cents,
        "figures": line.figures,
        "paid_on": payment.paid_on if payment else None,
        "payment_reference": payment.reference if payment else "",
    }


register(
    RedistributionLine,
    section="subsidy_lines",
    owner="maker__user",
    select_related=(
        "payment",
        "redistribution__allocation__programme",
        "redistribution__allocation__relay__organisation",
    ),
    export=_line_export,
    erase=keep,
    why=(
        "Kept with their payments: public money paid must stay accounted for, and the ledger "
        "is append-only. The payee is the maker profile, which is anonymised."
    ),
)

register(
    BankAccount,
    section="bank_account",
    many=False,
    owner="maker__user",
    decisions=True,
    export=("holder", "iban", "bic", "updated_at"),
    erase=delete,
    why=(
        "Deleted: nothing is paid to an anonymous maker any more; payments already made keep "
        "their reference. Organisations' bank details are theirs, not a person's."
    ),
)


def _batch_line_export(batch_line: PaymentBatchLine) -> dict:
    return {
        "batch": batch_line.batch.message_id,
        "made_at": batch_line.batch.created_at,
        "amount_cents": batch_line.amount_cents,
        "holder": batch_line.holder,
        "iban": batch_line.iban,
        "bic": batch_line.bic,
        "status": batch_line.status,
    }


register(
    PaymentBatchLine,
    section="payment_batch_lines",
    owner="line__maker__user",
    select_related=("batch",),
    export=_batch_line_export,
    erase=keep,
    why=(
        "Kept: the transfer files made with public money are accounting records, with the bank "
        "details they were sent to; the payee is the maker profile, which is anonymised."
    ),
)

register(
    BankAccountChange,
    section="bank_account_changes",
    owner="account__maker__user",
    export=(
        "holder",
        "old_iban_end",
        "new_iban_end",
        "changed_at",
        "usable_from",
        "confirmed_at",
        "superseded",
    ),
    erase=delete,
    why=(
        "Deleted with the bank details they changed; the decisions recorded about each change "
        "(who, when, the last four characters) stay in the decision log."
    ),
)
