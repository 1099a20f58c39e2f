"""The e-mails of needs and deliveries, one per recipient: to the establishment's contact (the
confirm link, its management link, a pledge, a delivery to confirm, a producer's message) and
to the person who pledged (the establishment's message).

Neither side ever sees the other's address: no address in the text, no Reply-To towards the
other side; answers go through the platform. Each is written to the outbox (tilab.outbox)
in the transaction of its event, in the recipient's language (their account's choice, else
the language the need was posted in), dates in Paris time.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tilab.outbox import language_of, outbox_email_write

from . import selectors, services
from .models import Delivery, Need, NeedMessage, Pledge

SUBJECT_PREFIX = "[Ti Lab] "
# RFC 3834: automatic e-mails say so, and well-behaved autoresponders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_url(need: Need) -> str:
    return absolute_url(reverse("needs:confirm", args=[services.need_confirm_token(need)]))


def manage_url(need: Need) -> str:
    return absolute_url(reverse("needs:manage", args=[services.need_manage_token(need)]))


def delivery_confirm_url(delivery: Delivery) -> str:
    return absolute_url(
        reverse("needs:delivery_confirm", args=[services.delivery_confirm_token(delivery)])
    )


def contact_language(need: Need) -> str:
    return language_of(need.contact_email, default=need.language)


def _write(key: str, build, *, language: str, now) -> None:
    outbox_email_write(key=f"needs:{key}", message=build(language), language=language, now=now)


def _build(template: str, context: dict, *, to: str, language: str) -> EmailMessage:
    with (
        translation.override(language),
        timezone.override(ZoneInfo(settings.TIME_ZONE)),
    ):
        context = {**context, "anonymous": _("un maker")}
        if "pledge" in context:
            context["producer"] = selectors.producer_public_name(
                context["pledge"], anonymous=context["anonymous"]
            )
        subject = render_to_string(f"needs/email/{template}_subject.txt", context)
        body = render_to_string(f"needs/email/{template}.txt", context)
    return EmailMessage(
        subject=SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=AUTOMATIC,
    )


def need_posted_email(need: Need, *, language: str) -> EmailMessage:
    """To the contact: the link that publishes the need, or once published its management link."""
    if need.status == Need.Status.UNCONFIRMED:
        context = {"need": need, "confirm_url": confirm_url(need)}
        return _build("need_confirm", context, to=need.contact_email, language=language)
    context = {"need": need, "manage_url": manage_url(need)}
    return _build("need_published", context, to=need.contact_email, language=language)


def need_posted_email_write(*, need: Need, now) -> None:
    """Queue the confirm link (unconfirmed need) or the management link (published need);
    each once per need."""
    kind = "confirm" if need.status == Need.Status.UNCONFIRMED else "manage"
    _write(
        f"need:{need.pk}:{kind}",
        lambda chosen: need_posted_email(need, language=chosen),
        language=contact_language(need),
        now=now,
    )


def need_contact_changed_email(need: Need, *, language: str) -> EmailMessage:
    """To a need's new contact address: its own link (links sent to the old one no longer
    open), the confirmation link while the need waits for it, else the management link."""
    if need.status == Need.Status.UNCONFIRMED:
        context = {"need": need, "confirm_url": confirm_url(need)}
    else:
        context = {"need": need, "manage_url": manage_url(need)}
    return _build("need_contact_changed", context, to=need.contact_email, language=language)


def need_contact_changed_email_write(*, need: Need, now) -> None:
    """Queue the new contact's link; once per change (a change is a moment)."""
    _write(
        f"need:{need.pk}:contact:{now.isoformat()}",
        lambda chosen: need_contact_changed_email(need, language=chosen),
        language=contact_language(need),
        now=now,
    )


def pledge_email(pledge: Pledge, *, language: str) -> EmailMessage:
    """To the contact: someone pledged (the producer's public name, never an address)."""
    need = pledge.need
    context = {"need": need, "pledge": pledge, "manage_url": manage_url(need)}
    return _build("pledge_made", context, to=need.contact_email, language=language)


def pledge_email_write(*, pledge: Pledge, now) -> None:
    _write(
        f"pledge:{pledge.pk}",
        lambda chosen: pledge_email(pledge, language=chosen),
        language=contact_language(pledge.need),
        now=now,
    )


def delivery_confirmation_email(delivery: Delivery, *, language: str) -> EmailMessage:
    """To the contact: a delivery was declared, confirm what was received."""
    pledge = delivery.pledge
    context = {
        "need": pledge.need,
        "pledge": pledge,
        "delivery": delivery,
        "confirm_url": delivery_confirm_url(delivery),
    }
    return _build("delivery_confirm", context, to=pledge.need.contact_email, language=language)


def delivery_confirmation_email_write(*, delivery: Delivery, now) -> None:
    _write(
        f"delivery:{delivery.pk}",
        lambda chosen: delivery_confirmation_email(delivery, language=chosen),
        language=contact_language(delivery.pledge.need),
        now=now,
    )


def message_email(message: NeedMessage, *, language: str) -> EmailMessage:
    """A message to the other side: the establishment's to the person who pledged (their
    account's address), a producer's to the establishment's contact."""
    pledge = message.pledge
    need = pledge.need
    context = {"need": need, "pledge": pledge, "message": message}
    if message.from_establishment:
        context["pledges_url"] = absolute_url(reverse("needs:my_pledges"))
        return _build("message_to_producer", context, to=pledge.pledged_by.email, language=language)
    context["manage_url"] = manage_url(need)
    return _build("message_to_establishment", context, to=need.contact_email, language=language)


def message_email_write(*, message: NeedMessage, now) -> None:
    pledge = message.pledge
    if message.from_establishment:
        language = language_of(pledge.pledged_by.email)
    else:
        language = contact_language(pledge.need)
    _write(
        f"message:{message.pk}",
        lambda chosen: message_email(message, language=chosen),
        language=language,
        now=now,
    )


def need_links_email(*, email: str, needs: list[Need], language: str) -> EmailMessage:
    """To a contact who asked again: the management link of each of their needs."""
    links = [{"need": need, "url": manage_url(need)} for need in needs]
    return _build("need_links", {"links": links}, to=email, language=language)


def need_links_email_write(*, email: str, needs: list[Need], now) -> None:
    """Queue the links asked for again; at most once a day per address (asking again renews
    a lost link, it floods nobody)."""
    language = language_of(email, default=needs[0].language)
    _write(
        f"links:{email}:{now.date().isoformat()}",
        lambda chosen: need_links_email(email=email, needs=needs, language=chosen),
        language=language,
        now=now,
    )
