"""What the needs app holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): the needs they posted or are the contact of, their pledges (as a maker
or for an organisation), the deliveries against them, and the messages of those pledges."""

from django.db.models import Q

from tilab.personal_data import anonymise, anonymous_address, keep, register

from .models import Delivery, Need, NeedMessage, Pledge
from .services import need_withdraw

WITHDRAWN_MESSAGE = "Message retiré : son auteur a supprimé son compte."

_anonymise_contact = anonymise(
    contact_name="Contact anonyme",
    contact_email=lambda need: anonymous_address("contact", need.pk),
)


def _needs_erase(rows, person, now) -> None:
    own = rows.filter(contact_email__iexact=person.email)
    # Never published (the address was not confirmed): nothing refers to it.
    own.filter(status=Need.Status.UNCONFIRMED, pledges__isnull=True).delete()
    # Open: nobody could be reached for it any more (its links carry the address), so it
    # leaves the board as if the establishment had withdrawn it.
    for need in own.filter(status=Need.Status.OPEN):
        need_withdraw(need=need, now=now)
    _anonymise_contact(own, person, now)
    rows.update(created_by=None)


def _producer(pledge: Pledge) -> str:
    # The person's own maker profile, or the organisation they pledged for.
    return pledge.organisation.name if pledge.organisation_id else pledge.maker.display_name


register(
    Need,
    section="needs",
    owner=lambda person: Q(created_by=person.user) | Q(contact_email__iexact=person.email),
    decisions=True,
    select_related=("establishment", "item_type"),
    order_by=("created_at", "pk"),
    export=lambda need: {
        "id": need.pk,
        "establishment": need.establishment.name,
        "commune": need.establishment.commune,
        "item": need.item_type.name_fr,
        "quantity": need.quantity,
        "needed_by": need.needed_by,
        "delivery_constraints": need.delivery_constraints,
        "contact_name": need.contact_name,
        "contact_email": need.contact_email,
        "status": need.status,
        "created_at": need.created_at,
        "confirmed_at": need.confirmed_at,
        "closed_at": need.closed_at,
    },
    erase=_needs_erase,
    why=(
        "Kept, for the pledges and deliveries made against them, but the contact goes where "
        "the person is it: name and address anonymised, still open needs withdrawn, needs "
        "never confirmed deleted. Needs they posted for another contact only lose their link "
        "to the account."
    ),
)

register(
    Pledge,
    section="pledges",
    owner=lambda person: Q(pledged_by=person.user) | Q(maker__user=person.user),
    select_related=("need__establishment", "need__item_type", "maker", "organisation"),
    order_by=("pledged_at", "pk"),
    export=lambda pledge: {
        "id": pledge.pk,
        "need": pledge.need_id,
        "establishment": pledge.need.establishment.name,
        "item": pledge.need.item_type.name_fr,
        "producer": _producer(pledge),
        "quantity": pledge.quantity,
        "message": pledge.message,
        "status": pledge.status,
        "pledged_at": pledge.pledged_at,
    },
    erase=anonymise(message=""),
    why=(
        "Kept: the establishment counts on what was promised and delivered, and deliveries "
        "make the delivered totals. The person's message is cleared; the producer is the "
        "anonymised maker profile, or the organisation."
    ),
)

register(
    Delivery,
    section="deliveries",
    owner=lambda person: (
        Q(recorded_by=person.user)
        | Q(pledge__pledged_by=person.user)
        | Q(pledge__maker__user=person.user)
    ),
    order_by=("recorded_at", "pk"),
    export=lambda delivery: {
        "pledge": delivery.pledge_id,
        "quantity": delivery.quantity,
        "delivered_on": delivery.delivered_on,
        "recorded_at": delivery.recorded_at,
        "confirmed_quantity": delivery.confirmed_quantity,
        "confirmed_at": delivery.confirmed_at,
    },
    erase=keep,
    why=(
        "Kept: quantities and dates only, counted in the delivered totals and confirmed by "
        "the establishment; who recorded them is the anonymised account."
    ),
)

register(
    NeedMessage,
    section="need_messages",
    # What they wrote, and what the establishment wrote to them about their pledges.
    owner=lambda person: Q(sent_by=person.user) | Q(pledge__pledged_by=person.user),
    order_by=("created_at", "pk"),
    export=lambda message: {
        "pledge": message.pledge_id,
        "from_establishment": message.from_establishment,
        "body": message.body,
        "created_at": message.created_at,
    },
    erase=lambda rows, person, now: rows.filter(sent_by=person.user).update(
        body=WITHDRAWN_MESSAGE, sent_by=None
    ),
    why=(
        "The person's own messages are withdrawn (the text replaced, the author unlinked), so "
        "the conversation keeps its order and dates; the establishment's messages are its "
        "own and stay."
    ),
)
