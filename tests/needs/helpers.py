"""Helpers of the needs tests: what an establishment types in the form that posts a need, and
the steps after it (production to deliver from, pledges, deliveries, confirmations). Needs
themselves are built by make_need, in tests/factories.py."""

import datetime

from django.utils import timezone

from makers.models import ItemType
from needs import services
from tests.factories import make_report


def validated(maker, relay_staff, quantity, **extra):
    """A validated report of `maker` (a user with a maker profile): production to deliver."""
    return make_report(
        maker=maker.maker, status="validated", decided_by=relay_staff, quantity=quantity, **extra
    )


def pledge_for(maker, need, quantity=50):
    """`maker` (a user) pledges `quantity` in their own name."""
    return services.pledge_create(
        need=need, quantity=quantity, by=maker, maker=maker.maker, now=timezone.now()
    )


def deliver(pledge, quantity, *, by=None, on=None):
    """A delivery on `pledge`, recorded by whoever pledged unless `by` says, today unless `on`."""
    return services.delivery_record(
        pledge=pledge,
        quantity=quantity,
        delivered_on=on or timezone.localdate(),
        by=by or pledge.pledged_by,
        now=timezone.now(),
    )


def confirm(delivery, quantity):
    """The establishment confirms `quantity` received, through the link of its e-mail."""
    token = services.delivery_confirm_token(delivery)
    return services.delivery_confirm(token=token, confirmed_quantity=quantity, now=timezone.now())


def need_post_form(**changes) -> dict:
    """What an establishment types in the form that posts a need (`/besoins/nouveau/`)."""
    return {
        "establishment_name": "EHPAD Les Tilleuls",
        "care_type": "ehpad",
        "commune": "Rennes",
        "department": "35",
        "item_type": str(ItemType.objects.get(slug="visor").pk),
        "quantity": "200",
        "needed_by": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        "delivery_constraints": "Accueil de 9 h à 17 h",
        "contact_name": "Claire Morvan",
        "contact_email": "cadre.sante@ehpad-tilleuls.example.org",
        **changes,
    }
