"""Helpers that build a subsidy chain for tests: programmes, approved allocations, payees."""

import datetime
from fractions import Fraction

from django.utils import timezone

from fablabs.models import Relay
from subsidies import services

SPRING_2020 = (datetime.date(2020, 3, 16), datetime.date(2020, 5, 31))


def make_terms(
    *,
    relays,
    envelope_cents=3_000_000,
    basis="units",
    fixed_shares=(),
    item_weights=(),
    name="Soutien aux makers 2020",
    period=SPRING_2020,
) -> services.ProgrammeTerms:
    return services.ProgrammeTerms(
        name=name,
        envelope_cents=envelope_cents,
        period_start_on=period[0],
        period_end_on=period[1],
        basis=basis,
        relays=tuple(relays),
        item_weights=tuple((item, Fraction(weight)) for item, weight in item_weights),
        fixed_shares=tuple(fixed_shares),
    )


def make_programme(*, by, relays=None, **terms):
    relays = list(relays if relays is not None else Relay.objects.order_by("pk"))
    return services.programme_create(
        terms=make_terms(relays=relays, **terms), by=by, now=timezone.now()
    )


def approve_all(programme, *, by):
    for allocation in programme.allocations.order_by("pk"):
        services.allocation_approve(allocation=allocation, by=by, now=timezone.now())
    programme.refresh_from_db()
    return programme
