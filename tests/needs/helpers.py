"""What an establishment types in the form that posts a need, for tests (needs themselves are
built by make_need, in tests/factories.py)."""

import datetime

from django.utils import timezone

from makers.models import ItemType


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
