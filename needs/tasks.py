"""Background work of needs and deliveries: the e-mails, and the beat that closes due needs.
Each task fetches by id, sends at most one e-mail, and is safe to run twice.

How they are safe to run twice: each e-mail sent is remembered in the shared cache (Redis in
production) for 30 days under a key naming what it says, taken with an atomic `cache.add`
before sending; a second run, or two runs at once, send nothing. A send that fails forgets the
key, so the retry sends it: a lost confirm link would leave an establishment unable to publish
or to confirm, which is worse than the rare duplicate a cache out of reach may cause.
"""

import logging

from celery import shared_task
from django.utils import timezone

from tilab.emails import RETRY, email_send_once

from . import emails, services
from .models import Delivery, Need, NeedMessage, Pledge

log = logging.getLogger(__name__)


@shared_task(name="needs.need_posted_notify", **RETRY)
def need_posted_notify(*, need_id: int) -> bool:
    """To the contact: the link that publishes the need (while unconfirmed), or the management
    link (once published). Safe to run twice: each of the two e-mails is sent once per need.
    Returns whether an e-mail left."""
    need = Need.objects.select_related("establishment", "item_type").filter(pk=need_id).first()
    if need is None:
        return False
    if need.status == Need.Status.UNCONFIRMED:
        kind = "confirm"
    elif need.status == Need.Status.OPEN:
        kind = "manage"
    else:
        return False
    return email_send_once(
        app="needs", what=f"need:{need.pk}:{kind}", build=lambda: emails.need_posted_email(need)
    )


@shared_task(name="needs.pledge_notify", **RETRY)
def pledge_notify(*, pledge_id: int) -> bool:
    """To the establishment: someone pledged, with the management link. Safe to run twice
    (once per pledge); nothing is sent for a pledge withdrawn meanwhile."""
    pledge = (
        Pledge.objects.select_related(
            "need__establishment", "need__item_type", "maker", "organisation"
        )
        .filter(pk=pledge_id, status=Pledge.Status.ACTIVE)
        .first()
    )
    if pledge is None:
        return False
    return email_send_once(
        app="needs", what=f"pledge:{pledge.pk}", build=lambda: emails.pledge_email(pledge)
    )


@shared_task(name="needs.delivery_confirmation_request", **RETRY)
def delivery_confirmation_request(*, delivery_id: int) -> bool:
    """To the establishment: the signed link confirming a delivery. Safe to run twice (once
    per delivery); nothing is sent for a delivery already confirmed."""
    delivery = (
        Delivery.objects.select_related(
            "pledge__need__establishment",
            "pledge__need__item_type",
            "pledge__maker",
            "pledge__organisation",
        )
        .filter(pk=delivery_id, confirmed_at__isnull=True)
        .first()
    )
    if delivery is None:
        return False
    return email_send_once(
        app="needs",
        what=f"delivery:{delivery.pk}",
        build=lambda: emails.delivery_confirmation_email(delivery),
    )


@shared_task(name="needs.need_message_deliver", **RETRY)
def need_message_deliver(*, message_id: int) -> bool:
    """Relay a message to the other side (the establishment's contact, or the account of the
    person who pledged) without either address. Safe to run twice (once per message)."""
    message = (
        NeedMessage.objects.select_related(
            "pledge__need__establishment",
            "pledge__need__item_type",
            "pledge__maker",
            "pledge__organisation",
            "pledge__pledged_by",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return False
    return email_send_once(
        app="needs", what=f"message:{message.pk}", build=lambda: emails.message_email(message)
    )


@shared_task(name="needs.needs_close_due")
def needs_close_due() -> int:
    """Close the open needs whose date has passed. Idempotent."""
    return services.needs_close_due(now=timezone.now())
