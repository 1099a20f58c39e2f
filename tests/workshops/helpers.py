"""Helpers that build workshops for tests."""

import datetime

from django.utils import timezone

from workshops import services
from workshops.models import Theme


def make_details(**overrides) -> services.WorkshopDetails:
    starts_at = overrides.pop("starts_at", None) or timezone.now() + datetime.timedelta(days=10)
    values = {
        "title": "Makers et hôpitaux : ce que 2020 nous a appris",
        "description": "Un atelier ouvert pour partager les pratiques de coopération.",
        "theme": Theme.objects.get(slug="cooperation"),
        "starts_at": starts_at,
        "duration_minutes": 120,
        "capacity": 10,
        "registration_deadline": starts_at - datetime.timedelta(hours=12),
        "address": "1 rue de la République",
        "commune": "Rennes",
        "department_id": "35",
        "online_url": "",
        "is_public": True,
    }
    values.update(overrides)
    return services.WorkshopDetails(**values)


def make_workshop(*, by, co_facilitators=(), **overrides):
    return services.workshop_create(
        details=make_details(**overrides),
        by=by,
        now=timezone.now(),
        co_facilitators=co_facilitators,
    )


def register_guest(workshop, n: int, *, now=None):
    return services.registration_create(
        workshop=workshop,
        now=now or timezone.now(),
        name=f"Invité {n}",
        email=f"invite{n}@example.org",
    )
