"""The e-mails of needs and deliveries, one per recipient: to the establishment's contact (the
confirm link, its management link, a pledge, a delivery to confirm, a producer's message) and
to the person who pledged (the establishment's message).

Neither side ever sees the other's address: no address in the text, no Reply-To towards the
other side; answers go through the platform. Written in French, the platform's language (a
need does not record the language its author read the site in), dates in Paris time.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def _build(template: str, context: dict, *, to: str) -> EmailMessage:
    with (
        translation.override(settings.LANGUAGE_CODE),
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


def need_posted_email(need: Need) -> EmailMessage:
    """To the contact: the link that publishes the need, or once published its management link."""
    if need.status == Need.Status.UNCONFIRMED:
        return _build(
            "need_confirm", {"need": need, "confirm_url": confirm_url(need)}, to=need.contact_email
        )
    return _build(
        "need_published", {"need": need, "manage_url": manage_url(need)}, to=need.contact_email
    )


def pledge_email(pledge: Pledge) -> EmailMessage:
    """To the contact: someone pledged (the producer's public name, never an address)."""
    need = pledge.need
    context = {"need": need, "pledge": pledge, "manage_url": manage_url(need)}
    return _build("pledge_made", context, to=need.contact_email)


def delivery_confirmation_email(delivery: Delivery) -> EmailMessage:
    """To the contact: a delivery was declared, confirm what was received."""
    pledge = delivery.pledge
    context = {
        "need": pledge.need,
        "pledge": pledge,
        "delivery": delivery,
        "confirm_url": delivery_confirm_url(delivery),
    }
    return _build("delivery_confirm", context, to=pledge.need.contact_email)


def message_email(message: NeedMessage) -> EmailMessage:
    """A message to the other side: the establishment's to the person who pledged (their
    account's address), a producer's to the establishment's contact."""
    pledge = message.pledge
    need = pledge.need
    context = {"need": need, "pledge": pledge, "message": message}
    if message.from_establishment:
        context["pledges_url"] = absolute_url(reverse("needs:my_pledges"))
        return _build("message_to_producer", context, to=pledge.pledged_by.email)
    context["manage_url"] = manage_url(need)
    return _build("message_to_establishment", context, to=need.contact_email)
