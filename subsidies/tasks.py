"""Background work of the subsidy chain: the notices of bank details changes. Each task
fetches by id and is safe to run twice (each e-mail is sent once per change and recipient,
remembered by `tilab.emails.email_send_once`)."""

from celery import shared_task

from tilab.emails import RETRY, email_send_once

from . import emails, selectors
from .models import BankAccountChange


@shared_task(name="subsidies.bank_change_notify", **RETRY)
def bank_change_notify(*, change_id: int) -> int:
    """Tell the payee and the relay (and the Région, for a relay's paying account) that bank
    details changed. Returns how many e-mails left now."""
    change = (
        BankAccountChange.objects.select_related(
            "account__maker", "account__organisation", "changed_by"
        )
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    sent = 0
    for address in selectors.bank_change_recipients(change):
        sent += email_send_once(
            app="subsidies",
            what=f"bank_change:{change.pk}:{address}",
            build=lambda address=address: emails.bank_change_email(change, to=address),
        )
    return sent
