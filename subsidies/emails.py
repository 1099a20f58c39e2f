"""The e-mails of the subsidy chain: the notice of a bank details change, one per recipient
(the payee, the relay's staff, and the Région for a relay's own paying account). Never more of
an IBAN than its last four characters. Written to the outbox (tilab.outbox) in the transaction
of the change, in each recipient's language, dates in Paris time."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tilab.outbox import language_of, outbox_email_write

from . import selectors
from .models import BankAccountChange

SUBJECT_PREFIX = "[Ti Lab] "
# RFC 3834: automatic e-mails say so, and well-behaved autoresponders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def bank_change_email(change: BankAccountChange, *, to: str, language: str) -> EmailMessage:
    account = change.account
    if account.maker_id:
        payee = account.maker.display_name
        path = reverse("subsidies:bank_account_edit", args=["maker", account.maker_id])
    else:
        payee = account.organisation.name
        path = reverse(
            "subsidies:bank_account_edit", args=["organisation", account.organisation_id]
        )
    context = {
        "change": change,
        "payee": payee,
        # A name, never an address.
        "url": settings.SITE_URL.rstrip("/") + path,
    }
    with (
        translation.override(language),
        timezone.override(ZoneInfo(settings.TIME_ZONE)),
    ):
        context["changed_by"] = change.changed_by.full_name or _("un membre de l'équipe du relais")
        subject = render_to_string("subsidies/email/bank_change_subject.txt", context)
        body = render_to_string("subsidies/email/bank_change.txt", context)
    return EmailMessage(
        subject=SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=AUTOMATIC,
    )


def bank_change_emails_write(*, change: BankAccountChange, now) -> int:
    """Queue the notice of a change to each recipient, once per (change, address); returns
    how many."""
    recipients = selectors.bank_change_recipients(change)
    for address in recipients:
        language = language_of(address)
        outbox_email_write(
            key=f"subsidies:bank_change:{change.pk}:{address}",
            message=bank_change_email(change, to=address, language=language),
            language=language,
            now=now,
        )
    return len(recipients)
