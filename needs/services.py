"""Writes of needs and deliveries: posting and confirming a need, moderation, pledges,
deliveries and their confirmation by the establishment, messages, closing due needs.

The establishment acts without an account, through links signed by the platform (sent to the
contact address it gave). E-mails are written to the outbox in the transaction of their event.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation

from fablabs.models import Organisation
from figures.totals import delivered_totals_add
from makers import services as production
from makers.models import MAX_QUANTITY, CorroborationWithheld, ItemType, Maker, Membership
from tilab.errors import EMAIL_INVALID, ROLE_NOT_ALLOWED, Refusal
from tilab.links import link_sent_to, link_target, link_token
from tilab.outbox import supported_language
from tilab.services import decision_record
from webhooks.models import Event
from webhooks.services import webhook_event_emit

from . import errors, selectors
from .models import Delivery, Establishment, Need, NeedMessage, Pledge

log = logging.getLogger(__name__)

CONFIRM_SALT = "needs.need.confirm"
MANAGE_SALT = "needs.need.manage"
DELIVERY_SALT = "needs.delivery.confirm"


def _emails():
    """The needs' e-mails (they read this module's signed links, so imported late)."""
    from . import emails

    return emails


def _quantity_valid(value: int) -> bool:
    return isinstance(value, int) and 1 <= value <= MAX_QUANTITY


# Signed links --------------------------------------------------------------------------------


# Each link is opaque (tilab.links: an id and a digest of the contact's address, never the
# address) and ends with its purpose: the confirmation link a week after the need was posted,
# the management link some weeks after the need closed, a delivery's link some weeks after it was
# recorded. A contact who lost one asks for the links of their needs again (need_links_resend).
CONFIRM_LINK_DAYS = 7


def need_confirm_token(need: Need) -> str:
    return link_token(purpose=CONFIRM_SALT, pk=need.pk, address=need.contact_email)


def need_manage_token(need: Need) -> str:
    """The establishment's own link to its need: pledges, messages, deliveries to confirm."""
    return link_token(purpose=MANAGE_SALT, pk=need.pk, address=need.contact_email)


def delivery_confirm_token(delivery: Delivery) -> str:
    return link_token(purpose=DELIVERY_SALT, pk=delivery.pk)


def _need_from(token: str, salt: str) -> Need:
    try:
        pk, digest = link_target(token, purpose=salt)
        need = Need.objects.select_related("establishment", "item_type").get(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, Need.DoesNotExist) as error:
        raise errors.LINK_INVALID() from error
    if not link_sent_to(digest, purpose=salt, address=need.contact_email):
        raise errors.LINK_INVALID()
    return need


def need_from_confirm_token(token: str, *, now: datetime | None = None) -> Need:
    need = _need_from(token, CONFIRM_SALT)
    if (now or timezone.now()) > need.created_at + timedelta(days=CONFIRM_LINK_DAYS):
        raise errors.LINK_EXPIRED()
    return need


def need_from_manage_token(token: str, *, now: datetime | None = None) -> Need:
    need = _need_from(token, MANAGE_SALT)
    days = timedelta(days=settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE)
    if need.closed_at is not None and (now or timezone.now()) > need.closed_at + days:
        raise errors.LINK_EXPIRED()
    return need


def delivery_from_token(token: str, *, now: datetime | None = None) -> Delivery:
    """The delivery a confirmation link points to; a forged or altered link is refused
    (link_invalid), an old one has ended (link_expired)."""
    try:
        pk, _digest = link_target(token, purpose=DELIVERY_SALT)
        delivery = Delivery.objects.select_related("pledge__need").get(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, Delivery.DoesNotExist) as error:
        raise errors.LINK_INVALID() from error
    days = timedelta(days=settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE)
    if (now or timezone.now()) > delivery.recorded_at + days:
        raise errors.LINK_EXPIRED()
    return delivery


def need_links_resend(*, email: str, now: datetime) -> int:
    """E-mail to `email` the management links of the needs it is the contact of and whose links
    still open; how many. The answer to the person asking is the same whatever this finds (no
    stranger learns whether an address posted needs); at most one such e-mail a day."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise EMAIL_INVALID(field="email")
    since = now - timedelta(days=settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE)
    needs = list(
        Need.objects.filter(contact_email__iexact=email)
        .exclude(status=Need.Status.UNCONFIRMED)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=since))
        .select_related("establishment", "item_type")
        .order_by("needed_by", "pk")
    )
    if needs:
        _emails().need_links_email_write(email=email, needs=needs, now=now)
    return len(needs)


# Needs -----------------------------------------------------------------------------------------


def establishment_find_or_create(
    *, name: str, care_type: str, department_id: str, commune: str, now: datetime
) -> Establishment:
    """The establishment of that name in that commune, created on first use."""
    name, commune = (name or "").strip(), (commune or "").strip()
    refused = []
    if not name or not commune:
        field = "commune" if name else "establishment_name"
        refused.append(errors.ESTABLISHMENT_INCOMPLETE(field=field))
    if care_type not in Establishment.CareType.values:
        refused.append(errors.CARE_TYPE_UNKNOWN())
    Refusal.raise_all(refused)
    establishment, _created = Establishment.objects.get_or_create(
        name=name[:200],
        commune=commune[:100],
        department_id=department_id,
        defaults={"care_type": care_type, "created_at": now},
    )
    return establishment


def need_post(
    *,
    establishment: Establishment,
    item_type: ItemType,
    quantity: int,
    needed_by: date,
    contact_name: str,
    contact_email: str,
    now: datetime,
    delivery_constraints: str = "",
    by=None,
) -> Need:
    """Post a need. It is published once the contact confirms the address by the e-mailed link;
    a signed-in person posting with their own verified address is confirmed at once.
    Refuses (bad input) every field that breaks a rule, at once."""
    contact_name, contact_email = (contact_name or "").strip(), (contact_email or "").strip()
    refused = [] if _quantity_valid(quantity) else [errors.QUANTITY_OUT_OF_RANGE()]
    if needed_by < timezone.localdate(now):
        refused.append(errors.NEEDED_BY_PAST())
    if not contact_name:
        refused.append(errors.CONTACT_NAME_MISSING())
    if "@" not in contact_email:
        refused.append(EMAIL_INVALID(field="contact_email"))
    if not item_type.is_active:
        refused.append(errors.ITEM_TYPE_NOT_OFFERED())
    Refusal.raise_all(refused)
    own_address = (
        by is not None
        and by.is_authenticated
        and by.emailaddress_set.filter(email__iexact=contact_email, verified=True).exists()
    )
    if not own_address:
        _confirmations_within_limit(contact_email, now=now)
    with transaction.atomic():
        need = Need.objects.create(
            establishment=establishment,
            item_type=item_type,
            quantity=quantity,
            needed_by=needed_by,
            department_id=establishment.department_id,
            delivery_constraints=(delivery_constraints or "").strip(),
            contact_name=contact_name[:150],
            contact_email=contact_email.lower(),
            created_by=by if by is not None and by.is_authenticated else None,
            created_at=now,
            status=Need.Status.OPEN if own_address else Need.Status.UNCONFIRMED,
            confirmed_at=now if own_address else None,
            language=supported_language(translation.get_language()),
        )
        _emails().need_posted_email_write(need=need, now=now)
        if need.status == Need.Status.OPEN:
            _need_published_emit(need, now=now)
    return need


def _need_published_emit(need: Need, *, now: datetime) -> None:
    """Tell the webhooks of the need's department (and the Région's): it is on the board."""
    webhook_event_emit(
        event=Event.NEED_POSTED,
        obj="need",
        obj_id=need.pk,
        url_name="need-detail",
        fields={
            "status": need.status,
            "department": need.department_id,
            "item_type": need.item_type.slug,
            "quantity": need.quantity,
            "needed_by": need.needed_by,
        },
        departments=[need.department_id],
        now=now,
    )


def _confirmations_within_limit(contact_email: str, *, now: datetime) -> None:
    """A need posted for someone else's address e-mails it a confirmation link: the address
    gets at most TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS of them a day, whoever posts and from
    wherever, so the form cannot be used to flood a stranger's mailbox (contact_email_busy)."""
    if not settings.TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS:
        return
    sent = Need.objects.filter(
        contact_email__iexact=contact_email,
        confirmed_at=None,
        created_at__gt=now - timedelta(days=1),
    ).count()
    if sent >= settings.TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS:
        raise errors.CONTACT_EMAIL_BUSY()


def need_submit(
    *,
    establishment_name: str,
    care_type: str,
    department_id: str,
    commune: str,
    item_type: ItemType,
    quantity: int,
    needed_by: date,
    contact_name: str,
    contact_email: str,
    now: datetime,
    delivery_constraints: str = "",
    by=None,
) -> Need:
    """Post a need as the page, the guest's form and the API do: the establishment found by
    its name, commune and department (or created), then the need (`need_post`). One
    transaction: a refused need leaves no establishment behind."""
    with transaction.atomic():
        establishment = establishment_find_or_create(
            name=establishment_name,
            care_type=care_type,
            department_id=department_id,
            commune=commune,
            now=now,
        )
        return need_post(
            establishment=establishment,
            item_type=item_type,
            quantity=quantity,
            needed_by=needed_by,
            contact_name=contact_name,
            contact_email=contact_email,
            delivery_constraints=delivery_constraints,
            by=by,
            now=now,
        )


def need_confirm(*, token: str, now: datetime) -> Need:
    """Publish a need from the link e-mailed to its contact, and e-mail its management link
    (so the contact keeps it). Confirming twice changes nothing."""
    need = need_from_confirm_token(token, now=now)
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.status == Need.Status.UNCONFIRMED:
            need.status = Need.Status.OPEN
            need.confirmed_at = now
            need.save(update_fields=["status", "confirmed_at"])
            _emails().need_posted_email_write(need=need, now=now)
            _need_published_emit(need, now=now)
    return need


def need_withdraw(*, need: Need, now: datetime) -> Need:
    """The establishment no longer needs it (through its management link)."""
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.status not in (Need.Status.UNCONFIRMED, Need.Status.OPEN):
            raise errors.NEED_ALREADY_CLOSED()
        need.status = Need.Status.WITHDRAWN
        need.closed_at = now
        need.save(update_fields=["status", "closed_at"])
    return need


def need_remove(*, need: Need, reason: str, by, now: datetime) -> Need:
    """Moderation: take a need down (spam, not a care establishment…), with a reason."""
    if not (reason or "").strip():
        raise errors.MODERATION_REASON_MISSING()
    if not by.has_perm("needs.moderate", need):
        raise ROLE_NOT_ALLOWED(rule="needs.moderate")
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.status == Need.Status.REMOVED:
            raise errors.NEED_ALREADY_REMOVED()
        previous = need.status
        need.status = Need.Status.REMOVED
        need.moderation_reason = reason.strip()
        need.confirmed_at = need.confirmed_at or now
        need.closed_at = now
        need.save(update_fields=["status", "moderation_reason", "confirmed_at", "closed_at"])
        decision_record(
            actor=by,
            subject=need,
            action="need_remove",
            now=now,
            from_state=previous,
            to_state=need.status,
            motivation=need.moderation_reason,
        )
    return need


def need_contact_change(*, need: Need, email: str, by, now: datetime) -> Need:
    """Staff who may check a need (its relay, a facilitator) correct its contact address, after
    a call or on the establishment's request. The need's links are bound to the address they
    were sent to (tilab.links): those sent to the old one stop opening at once, and the new
    address is e-mailed its own (the confirmation link while the need waits for it, else the
    management link) through the outbox. The decision is recorded, without either address.
    The same address again changes nothing and sends nothing."""
    if not by.has_perm("needs.check", need):
        raise ROLE_NOT_ALLOWED(rule="needs.check")
    email = (email or "").strip().lower()
    if "@" not in email:
        raise EMAIL_INVALID(field="email")
    with transaction.atomic():
        need = (
            Need.objects.select_for_update()
            .select_related("establishment", "item_type")
            .get(pk=need.pk)
        )
        if need.status == Need.Status.REMOVED:
            raise errors.NEED_REMOVED()
        if need.contact_email.lower() == email:
            return need
        need.contact_email = email
        need.save(update_fields=["contact_email"])
        decision_record(
            actor=by,
            subject=need,
            action="need_contact_change",
            now=now,
            from_state="contact",
            to_state="contact_changed",
        )
        _emails().need_contact_changed_email_write(need=need, now=now)
    return need


def need_check(*, need: Need, by, now: datetime, note: str = "") -> Need:
    """A relay (for the departments it covers) or a facilitator checked that the establishment
    and its contact are real (a call, a known address): only a checked need's deliveries
    corroborate production. Nobody checks a need they posted or whose contact they are. The
    decision is recorded, with the note. Deliveries confirmed before the check are looked at
    again: those that now prove something corroborate the producer's reports."""
    if not by.has_perm("needs.check", need):
        raise ROLE_NOT_ALLOWED(rule="needs.check")
    note = (note or "").strip()
    with transaction.atomic():
        # The need first, then its deliveries: the order `delivery_confirm` takes them in.
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.status == Need.Status.REMOVED:
            raise errors.NEED_REMOVED()
        if need.status not in selectors.PUBLIC_STATUSES:
            raise errors.NEED_NOT_PUBLISHED()
        if need.checked_at is not None:
            raise errors.NEED_ALREADY_CHECKED()
        if need.created_by_id == by.pk or selectors.email_normalised(
            need.contact_email
        ) in selectors.emails_of({by.pk}):
            raise errors.NEED_CHECK_BY_ITS_AUTHOR()
        need.checked_at, need.checked_by = now, by
        need.save(update_fields=["checked_at", "checked_by"])
        decision_record(
            actor=by,
            subject=need,
            action="need_check",
            now=now,
            from_state="unchecked",
            to_state="checked",
            motivation=note,
        )
        waiting = (
            Delivery.objects.select_for_update(of=("self",))
            .filter(
                pledge__need=need,
                confirmed_at__isnull=False,
                corroboration_withheld=CorroborationWithheld.NEED_UNCHECKED,
            )
            .select_related("pledge__maker", "recorded_by")
            .order_by("pk")
        )
        for delivery in waiting:
            _delivery_corroborate(delivery=delivery, need=need, now=now)
    return need


def needs_close_due(*, now: datetime) -> int:
    """Close the open needs whose date has passed (beat). Idempotent."""
    return Need.objects.filter(
        status=Need.Status.OPEN, needed_by__lt=timezone.localdate(now)
    ).update(status=Need.Status.EXPIRED, closed_at=now)


# Pledges ---------------------------------------------------------------------------------------


def _may_act_for(user, *, maker: Maker | None, organisation: Organisation | None) -> bool:
    if maker is not None:
        return maker.user_id == user.pk
    return Membership.objects.filter(organisation=organisation, maker__user=user).exists()


def pledge_create(
    *,
    need: Need,
    quantity: int,
    by,
    now: datetime,
    maker: Maker | None = None,
    organisation: Organisation | None = None,
    message: str = "",
) -> Pledge:
    """Promise part of an open need, as oneself (a maker) or for an organisation one belongs
    to. One active pledge per producer and need: change it by withdrawing it first."""
    if (maker is None) == (organisation is None):
        raise errors.PRODUCER_AMBIGUOUS()
    if not by.has_perm("needs.pledge") or not _may_act_for(
        by, maker=maker, organisation=organisation
    ):
        raise ROLE_NOT_ALLOWED(rule="needs.pledge")
    if not _quantity_valid(quantity):
        raise errors.QUANTITY_OUT_OF_RANGE()
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.status != Need.Status.OPEN:
            raise errors.NEED_NOT_OPEN()
        producer = {"maker": maker} if maker is not None else {"organisation": organisation}
        if need.pledges.filter(status=Pledge.Status.ACTIVE, **producer).exists():
            raise errors.ALREADY_PLEDGED()
        pledge = Pledge.objects.create(
            need=need,
            quantity=quantity,
            message=(message or "").strip(),
            pledged_by=by,
            pledged_at=now,
            **producer,
        )
        _emails().pledge_email_write(pledge=pledge, now=now)
    return pledge


def pledge_withdraw(*, pledge: Pledge, by, now: datetime) -> Pledge:
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if not _may_act_for(by, maker=pledge.maker, organisation=pledge.organisation):
            raise ROLE_NOT_ALLOWED(rule="needs.pledge")
        if pledge.status == Pledge.Status.WITHDRAWN:
            raise errors.PLEDGE_ALREADY_WITHDRAWN()
        if pledge.deliveries.exists():
            raise errors.PLEDGE_HAS_DELIVERY()
        pledge.status = Pledge.Status.WITHDRAWN
        pledge.save(update_fields=["status"])
    return pledge


# Deliveries ------------------------------------------------------------------------------------


def delivery_record(
    *, pledge: Pledge, quantity: int, delivered_on: date, by, now: datetime
) -> Delivery:
    """Record a delivery against one's pledge. What a producer says it delivered never goes
    beyond what its reports say it produced; the establishment is asked to confirm. Beyond the
    pledge or the need is taken, and the delivery carries it in `beyond`
    (selectors.delivered_beyond) for the producer to be told."""
    refused = [] if _quantity_valid(quantity) else [errors.QUANTITY_OUT_OF_RANGE()]
    if delivered_on > timezone.localdate(now):
        refused.append(errors.DELIVERED_ON_IN_FUTURE())
    Refusal.raise_all(refused)
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("need").get(pk=pledge.pk)
        if not _may_act_for(by, maker=pledge.maker, organisation=pledge.organisation):
            raise ROLE_NOT_ALLOWED(rule="needs.pledge")
        if pledge.status != Pledge.Status.ACTIVE:
            raise errors.PLEDGE_WITHDRAWN()
        # Locked so that a removal cannot slip in between this check and the delivery.
        if Need.objects.select_for_update().get(pk=pledge.need_id).status == Need.Status.REMOVED:
            raise errors.NEED_REMOVED()
        # The producer's row is the queue: two deliveries at once cannot both pass the check.
        if pledge.maker_id:
            Maker.objects.select_for_update().get(pk=pledge.maker_id)
        else:
            Organisation.objects.select_for_update().get(pk=pledge.organisation_id)
        output = selectors.producer_output(
            maker_id=pledge.maker_id,
            organisation_id=pledge.organisation_id,
            item_type_id=pledge.need.item_type_id,
        )
        if not output.allows(quantity):
            raise errors.DELIVERY_BEYOND_PRODUCTION(
                produced=output.produced, delivered=output.delivered
            )
        delivery = Delivery.objects.create(
            pledge=pledge,
            quantity=quantity,
            delivered_on=delivered_on,
            recorded_by=by,
            recorded_at=now,
        )
        _emails().delivery_confirmation_email_write(delivery=delivery, now=now)
        # Read under the need's lock: no other delivery to the need changes these totals.
        delivery.beyond = selectors.delivered_beyond(pledge)
    return delivery


def _delivery_corroborate(*, delivery: Delivery, need: Need, now: datetime) -> None:
    """Apply the rule of corroboration (selectors.corroboration_withheld) to a confirmed
    delivery: the producer's matching reports are marked corroborated, or with the reason the
    delivery proves nothing. Within the caller's transaction."""
    pledge = delivery.pledge
    withheld = selectors.corroboration_withheld(
        need=need, pledge=pledge, recorded_by=delivery.recorded_by
    )
    delivery.corroboration_withheld = withheld or None
    delivery.save(update_fields=["corroboration_withheld"])
    if delivery.confirmed_quantity:
        production.production_reports_corroborate(
            maker_id=pledge.maker_id,
            organisation_id=pledge.organisation_id,
            item_type_id=need.item_type_id,
            quantity=delivery.confirmed_quantity,
            delivered_on=delivery.delivered_on,
            withheld=withheld,
            now=now,
        )


def delivery_confirm(*, token: str, confirmed_quantity: int, now: datetime) -> Delivery:
    """The establishment confirms what it received (at most what was delivered). The matching
    reports are marked corroborated, unless the delivery proves nothing (the need's contact is
    the producer, or nobody checked the need: the reports then carry the reason), and the
    delivered totals grow, in the same transaction. Confirming twice changes nothing; a need
    taken down by moderation takes no confirmation (need_removed)."""
    delivery = delivery_from_token(token)
    with transaction.atomic():
        # The need first, then the delivery: the order `need_check` takes them in.
        need = Need.objects.select_for_update().get(pk=delivery.pledge.need_id)
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("pledge__maker", "recorded_by")
            .get(pk=delivery.pk)
        )
        if delivery.confirmed_at is not None:
            return delivery
        if need.status == Need.Status.REMOVED:
            raise errors.NEED_REMOVED()
        if (
            not isinstance(confirmed_quantity, int)
            or not 0 <= confirmed_quantity <= delivery.quantity
        ):
            raise errors.RECEIVED_QUANTITY_OUT_OF_RANGE(max=delivery.quantity)
        delivery.confirmed_quantity = confirmed_quantity
        delivery.confirmed_at = now
        delivery.save(update_fields=["confirmed_quantity", "confirmed_at"])
        _delivery_corroborate(delivery=delivery, need=need, now=now)
        if confirmed_quantity:
            delivered_totals_add(
                department_id=need.department_id,
                item_type_id=need.item_type_id,
                quantity=confirmed_quantity,
                now=now,
            )
        received = (
            Delivery.objects.filter(pledge__need=need, confirmed_at__isnull=False).aggregate(
                total=Sum("confirmed_quantity")
            )["total"]
            or 0
        )
        if need.status == Need.Status.OPEN and received >= need.quantity:
            need.status = Need.Status.FULFILLED
            need.closed_at = now
            need.save(update_fields=["status", "closed_at"])
    return delivery


# Messages --------------------------------------------------------------------------------------


def need_message_send(
    *, pledge: Pledge, body: str, from_establishment: bool, now: datetime, by=None
) -> NeedMessage:
    """A message between the establishment (through its link) and a producer who pledged,
    relayed by e-mail without showing either address."""
    body = (body or "").strip()
    if not body:
        raise errors.MESSAGE_EMPTY()
    if not from_establishment and not _may_act_for(
        by, maker=pledge.maker, organisation=pledge.organisation
    ):
        raise ROLE_NOT_ALLOWED(rule="needs.pledge")
    with transaction.atomic():
        message = NeedMessage.objects.create(
            pledge=pledge,
            from_establishment=from_establishment,
            body=body[:5000],
            sent_by=by if by is not None and by.is_authenticated else None,
            created_at=now,
        )
        _emails().message_email_write(message=message, now=now)
    return message
