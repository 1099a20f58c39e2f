"""The daily digest: once a day, each person gets one e-mail with the notices they chose to
receive that way (tilab.notices) and, for relay and Région staff, what waits for them, counted
by the to-do of the home page (accounts.todo: one rule, in one place). It reads every app's
to-do, so it lives here, above them."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy

from subsidies.notices import ALLOCATIONS_TO_APPROVE
from tilab import roles
from tilab.models import NoticePreference
from tilab.notices import (
    DigestSection,
    NoticeKind,
    notice_digest_write,
    notice_kind_register,
    notice_preferences_of,
    site_url,
    users_with_pending_notices,
)

from .todo import todo_of

RELAY_TODO = "relay_todo"
Delivery = NoticePreference.Delivery


def register() -> None:
    notice_kind_register(
        NoticeKind(
            code=RELAY_TODO,
            label=gettext_lazy("Ce qui attend le relais"),
            help_text=gettext_lazy(
                "Déclarations à décider, IBAN manquants ou à confirmer, redistributions à "
                "approuver : leur nombre, chaque matin dans le résumé."
            ),
            roles=frozenset({roles.RELAY_STAFF}),
            default=Delivery.DIGEST,
            choices=(Delivery.DIGEST, Delivery.NONE),
        )
    )


# Which section of the to-do each kind puts in the digest.
SECTION_OF_KIND = {RELAY_TODO: "relay_staff", ALLOCATIONS_TO_APPROVE: "region_staff"}


def digest_sections_of(user, *, now: datetime) -> list[DigestSection]:
    """The to-do sections `user` asked to find in their digest, in the active language; a
    fixed number of queries (those of `todo_of`, plus one for the preferences)."""
    chosen = notice_preferences_of(user)
    wanted = {
        section for kind, section in SECTION_OF_KIND.items() if chosen.get(kind) == Delivery.DIGEST
    }
    if not wanted:
        return []
    return [
        DigestSection(
            heading=str(section.heading),
            lines=[(item.label, site_url(item.url)) for item in section.items],
        )
        for section in todo_of(user, now=now)
        if section.role in wanted
    ]


def digest_recipients() -> list[int]:
    """Who may get a digest today: anyone with notices kept for it, and relay and Région
    staff who did not turn their to-do off (whether anything waits is known per person)."""
    staff_roles = {roles.RELAY_STAFF: RELAY_TODO, roles.REGION_STAFF: ALLOCATIONS_TO_APPROVE}
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    staff = set()
    for role, kind in staff_roles.items():
        # The kind's default is the digest: those who chose anything else are left out.
        others = NoticePreference.objects.filter(kind=kind).exclude(delivery=Delivery.DIGEST)
        staff |= set(
            users.filter(groups__name=role)
            .exclude(pk__in=others.values("user_id"))
            .values_list("pk", flat=True)
        )
    pending = set(users.filter(pk__in=users_with_pending_notices()).values_list("pk", flat=True))
    return sorted(staff | pending)


def notice_digests_write(*, now: datetime) -> int:
    """Write today's digest of everyone concerned; returns how many went. Each person's
    digest is its own transaction and is written once a day (a second run writes nothing)."""
    written = 0
    users = get_user_model().objects.filter(pk__in=digest_recipients()).order_by("pk")
    for user in users.iterator(chunk_size=200):
        written += notice_digest_write(
            user=user, now=now, sections=lambda user=user: digest_sections_of(user, now=now)
        )
    return written
