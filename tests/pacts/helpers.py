"""Small helpers to build pacts in tests."""

import datetime

from django.utils import timezone

from pacts import services
from pacts.models import Party

START = datetime.date(2026, 1, 5)
END = datetime.date(2026, 12, 31)


def make_pact(*, by, title="Atelier de réparation partagé", department="35", theme="repair",
              reviews=(datetime.date(2026, 6, 30),)):  # fmt: skip
    return services.pact_create(
        title=title,
        purpose="Ouvrir un atelier de réparation au public deux soirs par semaine.",
        commons="Plans des gabarits et guide de réparation.",
        licence="CC-BY-SA-4.0",
        theme=theme,
        department_id=department,
        starts_on=START,
        ends_on=END,
        review_dates=list(reviews),
        by=by,
        now=timezone.now(),
    )


def add_parties(pact, *, by, public_rep, commons_rep, organisation, money_cents=None):
    version = pact.versions.get()
    public = services.party_add(
        version=version, kind=Party.Kind.REGION, name="Région Bretagne",
        representative=public_rep, by=by, now=timezone.now(),
    )  # fmt: skip
    commons = services.party_add(
        version=version, kind=Party.Kind.ORGANISATION, organisation=organisation,
        representative=commons_rep, by=by, now=timezone.now(),
    )  # fmt: skip
    services.commitment_add(
        party=commons, kind="skills", description="Deux bénévoles formés", by=by,
        now=timezone.now(),
    )  # fmt: skip
    if money_cents:
        services.commitment_add(
            party=public, kind="money", description="Matériaux", amount_cents=money_cents,
            by=by, now=timezone.now(),
        )  # fmt: skip
    return public, commons


def signed_pact(*, by, public_rep, commons_rep, organisation, **kwargs):
    pact = make_pact(by=by, **kwargs)
    public, commons = add_parties(
        pact, by=by, public_rep=public_rep, commons_rep=commons_rep, organisation=organisation
    )
    services.pact_propose(version=pact.versions.get(), by=by, now=timezone.now())
    for party, who in ((public, public_rep), (commons, commons_rep)):
        services.pact_sign(party=party, confirmed=True, by=who, now=timezone.now())
    pact.refresh_from_db()
    return pact
