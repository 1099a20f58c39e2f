"""Helpers that build needs, pledges and deliveries for tests."""

import datetime

from django.utils import timezone

from makers.models import ItemType
from needs import services


def make_establishment(
    *, name="EHPAD Les Tilleuls", care_type="ehpad", department="35", commune="Rennes"
):
    return services.establishment_find_or_create(
        name=name,
        care_type=care_type,
        department_id=department,
        commune=commune,
        now=timezone.now(),
    )


def make_need(*, establishment=None, item="visor", quantity=100, confirmed=True, **extra):
    establishment = establishment or make_establishment()
    need = services.need_post(
        establishment=establishment,
        item_type=ItemType.objects.get(slug=item),
        quantity=quantity,
        needed_by=extra.pop("needed_by", timezone.localdate() + datetime.timedelta(days=14)),
        contact_name=extra.pop("contact_name", "Claire Morvan"),
        contact_email=extra.pop("contact_email", "cadre.sante@ehpad-tilleuls.example.org"),
        now=timezone.now(),
        **extra,
    )
    if confirmed:
        need = services.need_confirm(token=services.need_confirm_token(need), now=timezone.now())
    return need


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
