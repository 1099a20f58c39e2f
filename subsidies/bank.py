"""Payees' bank details under control: a change is a money decision, notified at once to the
payee and to the relay, held out of transfer files until a second person confirms it or the
waiting period (`TILAB_IBAN_HOLD_DAYS`) passes, and kept in a history of changes. The relay's
own paying account is released only by a Région staffer's confirmation.

Neither the decision log nor the history nor the e-mails hold more than an IBAN's last four
characters: auditors and mailboxes read them.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from fablabs.models import Organisation, Relay
from makers.models import Maker
from tilab.permissions import held_back_by_second_factor
from tilab.permissions import require as _require
from tilab.services import decision_record

from . import errors
from .models import BankAccount, BankAccountChange


def iban_clean(text: str) -> IBAN:
    """An IBAN as typed (spaces, lower case) checked with its checksum and country format."""
    try:
        return IBAN(text or "")
    except SchwiftyException as error:
        raise errors.IBAN_INVALID(iban=text) from error


def bic_clean(text: str) -> str:
    text = (text or "").replace(" ", "").upper()
    if not text:
        return ""
    try:
        return str(BIC(text))
    except SchwiftyException as error:
        raise errors.BIC_INVALID(bic=text) from error


def is_relay_paying_account(owner: Maker | Organisation) -> bool:
    """The organisation is a relay: its account is the one the relay's transfers leave from."""
    return isinstance(owner, Organisation) and Relay.objects.filter(organisation=owner).exists()


def hold_period() -> timedelta:
    return timedelta(days=settings.TILAB_IBAN_HOLD_DAYS)


def _notify(change: BankAccountChange, *, now: datetime) -> None:
    from . import emails

    emails.bank_change_emails_write(change=change, now=now)


def bank_account_set(
    *, owner: Maker | Organisation, holder: str, iban: str, bic: str = "", by, now: datetime
) -> BankAccount:
    """Record where a payee is paid (IBAN checked: checksum, country format), as a change
    held out of transfer files: until `now + TILAB_IBAN_HOLD_DAYS` or a second person's
    confirmation, and for the relay's own paying account until a Région staffer confirms.
    The payee and the relay are e-mailed at once (after commit). Giving the same details
    again changes nothing. A change supersedes any change of the account still pending."""
    _require(by, "subsidies.change_bank_account", owner)
    holder = (holder or "").strip()
    if not holder:
        raise errors.HOLDER_MISSING()
    if len(holder) > 70:
        raise errors.HOLDER_TOO_LONG()
    checked = iban_clean(iban)
    bic = bic_clean(bic)
    if not bic:
        try:
            bic = str(checked.bic) if checked.bic else ""
        except SchwiftyException:
            bic = ""
    key = {"maker": owner} if isinstance(owner, Maker) else {"organisation": owner}
    needs_region = is_relay_paying_account(owner)
    usable_from = None if needs_region else now + hold_period()
    with transaction.atomic():
        # Lock the account: two changes at once queue up, and the later supersedes the other.
        account = BankAccount.objects.select_for_update().filter(**key).first()
        if account is not None and (account.holder, account.iban, account.bic) == (
            holder,
            checked.compact,
            bic,
        ):
            return account
        old_end = account.iban[-4:] if account is not None else ""
        created = account is None
        if created:
            account = BankAccount(**key)
        account.holder = holder
        account.iban = checked.compact
        account.bic = bic
        account.updated_by = by
        account.updated_at = now
        account.usable_from = usable_from
        account.confirmed_by = None
        account.confirmed_at = None
        account.save()
        account.changes.filter(confirmed_at__isnull=True, superseded=False).update(superseded=True)
        change = BankAccountChange.objects.create(
            account=account,
            holder=holder,
            old_iban_end=old_end,
            new_iban_end=checked.compact[-4:],
            changed_by=by,
            changed_at=now,
            usable_from=usable_from,
            needs_region=needs_region,
        )
        decision_record(
            actor=by,
            subject=account,
            action="bank_account_set",
            now=now,
            from_state="" if created else "changed",
            to_state="pending",
            # Never the full IBAN in the decision log: auditors read it.
            data={
                "iban_end": checked.compact[-4:],
                "old_iban_end": old_end,
                "created": created,
                "change": change.pk,
                "needs_region": needs_region,
                "usable_from": usable_from.isoformat() if usable_from else None,
            },
        )
        _notify(change, now=now)
    return account


def bank_change_confirm(*, change: BankAccountChange, by, now: datetime) -> BankAccountChange:
    """A second person confirms a pending change: the details go into transfer files from now
    on. Refused to whoever made the change (bank_change_own), to relay staff for the relay's
    own paying account (bank_change_needs_region), for a change already confirmed or
    superseded by a later one (409). Confirming at once from many places confirms it once:
    the account row is locked and the change claimed by a conditional update."""
    if change.changed_by_id == by.pk:
        raise errors.BANK_CHANGE_OWN()
    rule = "subsidies.confirm_bank_change"
    may = by.has_perm(rule, change) or held_back_by_second_factor(by, rule, change)
    if change.needs_region and not may:
        raise errors.BANK_CHANGE_NEEDS_REGION()
    _require(by, rule, change)
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=change.account_id)
        claimed = BankAccountChange.objects.filter(
            pk=change.pk, confirmed_at__isnull=True, superseded=False
        ).update(confirmed_by=by, confirmed_at=now)
        if not claimed:
            change.refresh_from_db()
            if change.superseded:
                raise errors.BANK_CHANGE_SUPERSEDED()
            raise errors.BANK_CHANGE_ALREADY_CONFIRMED()
        if account.usable_from is None or account.usable_from > now:
            account.usable_from = now
        account.confirmed_by = by
        account.confirmed_at = now
        account.save(update_fields=["usable_from", "confirmed_by", "confirmed_at"])
        decision_record(
            actor=by,
            subject=account,
            action="bank_change_confirm",
            now=now,
            from_state="pending",
            to_state="confirmed",
            data={
                "change": change.pk,
                "iban_end": change.new_iban_end,
                "changed_by": change.changed_by_id,
            },
        )
    change.refresh_from_db()
    return change
