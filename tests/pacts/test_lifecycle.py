"""A pact's life in services: draft, proposed, signed by each party's representative only,
active, reported, ended or renewed; amendments as new versions, the signed text untouched."""

import datetime

import pytest
from django.utils import timezone

from pacts import services
from pacts.models import Pact, PactVersion, Signature
from tests.factories import make_organisation, make_user
from tests.pacts.helpers import add_parties, make_pact, signed_pact
from tilab import roles
from tilab.errors import NotAllowed
from tilab.models import Decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(facilitator, region_staff):
    fablab_rep = make_user(email="rep@fablab.example.org", full_name="Gaëlle Rep")
    return {
        "facilitator": facilitator,
        "region": region_staff,
        "fablab_rep": fablab_rep,
        "fablab": make_organisation(name="FabLab de Lannion", department="22"),
    }


def _signed(cast, **kwargs):
    return signed_pact(
        by=cast["facilitator"], public_rep=cast["region"], commons_rep=cast["fablab_rep"],
        organisation=cast["fablab"], **kwargs,
    )  # fmt: skip


def test_a_pact_goes_from_draft_to_signed_with_one_decision_per_signature(cast):
    pact = _signed(cast)
    assert pact.status == Pact.Status.SIGNED and pact.signed_at
    assert pact.versions.get().status == PactVersion.Status.SIGNED
    actions = list(
        Decision.objects.filter(object_id=str(pact.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "pact_create",
        "pact_propose",
        "pact_sign",
        "pact_sign",
        "pact_version_in_force",
    ]


def test_only_a_party_s_representative_signs_it(cast):
    pact = make_pact(by=cast["facilitator"])
    public, _commons = add_parties(
        pact, by=cast["facilitator"], public_rep=cast["region"],
        commons_rep=cast["fablab_rep"], organisation=cast["fablab"],
    )  # fmt: skip
    services.pact_propose(version=pact.versions.get(), by=cast["facilitator"], now=timezone.now())
    with pytest.raises(NotAllowed) as refused:
        services.pact_sign(party=public, confirmed=True, by=cast["facilitator"], now=timezone.now())
    assert refused.value.code == "pact_sign_not_representative"
    assert not Signature.objects.exists()


def test_signing_needs_the_recap_confirmed_and_happens_once(cast):
    pact = make_pact(by=cast["facilitator"])
    public, _ = add_parties(
        pact, by=cast["facilitator"], public_rep=cast["region"],
        commons_rep=cast["fablab_rep"], organisation=cast["fablab"],
    )  # fmt: skip
    services.pact_propose(version=pact.versions.get(), by=cast["facilitator"], now=timezone.now())
    with pytest.raises(Exception) as refused:
        services.pact_sign(party=public, confirmed=False, by=cast["region"], now=timezone.now())
    assert refused.value.code == "pact_sign_not_confirmed"
    services.pact_sign(party=public, confirmed=True, by=cast["region"], now=timezone.now())
    with pytest.raises(Exception) as refused:
        services.pact_sign(party=public, confirmed=True, by=cast["region"], now=timezone.now())
    assert refused.value.code == "pact_already_signed"


def test_a_draft_is_not_signed_and_a_proposed_text_is_not_edited(cast):
    pact = make_pact(by=cast["facilitator"])
    public, _ = add_parties(
        pact, by=cast["facilitator"], public_rep=cast["region"],
        commons_rep=cast["fablab_rep"], organisation=cast["fablab"],
    )  # fmt: skip
    with pytest.raises(Exception) as refused:
        services.pact_sign(party=public, confirmed=True, by=cast["region"], now=timezone.now())
    assert refused.value.code == "pact_not_proposed"
    services.pact_propose(version=pact.versions.get(), by=cast["facilitator"], now=timezone.now())
    with pytest.raises(Exception) as refused:
        services.commitment_add(
            party=public, kind="time", description="Une heure", by=cast["facilitator"],
            now=timezone.now(),
        )  # fmt: skip
    assert refused.value.code == "pact_not_editable"


def test_a_pact_needs_a_public_body_and_a_commons_actor(cast):
    pact = make_pact(by=cast["facilitator"])
    with pytest.raises(Exception) as refused:
        services.pact_propose(
            version=pact.versions.get(), by=cast["facilitator"], now=timezone.now()
        )
    assert refused.value.code == "pact_parties_missing"


def test_money_has_an_amount_and_nothing_else_has_one(cast):
    pact = make_pact(by=cast["facilitator"])
    public, _ = add_parties(
        pact, by=cast["facilitator"], public_rep=cast["region"],
        commons_rep=cast["fablab_rep"], organisation=cast["fablab"],
    )  # fmt: skip
    for kind, amount in (("money", None), ("money", 0), ("place", 100)):
        with pytest.raises(Exception) as refused:
            services.commitment_add(
                party=public, kind=kind, description="x", amount_cents=amount,
                by=cast["facilitator"], now=timezone.now(),
            )  # fmt: skip
        assert refused.value.code == "commitment_amount"


def test_a_pact_without_a_role_may_not_be_drafted():
    nobody = make_user(email="nobody@example.org")
    with pytest.raises(NotAllowed) as refused:
        make_pact(by=nobody)
    assert refused.value.code == "role_not_allowed"


def test_a_maker_who_manages_an_organisation_drafts_pacts(maker):
    from makers.models import Membership

    Membership.objects.create(maker=maker.maker, organisation=make_organisation(), is_manager=True)
    assert make_pact(by=maker).status == Pact.Status.DRAFT


def test_an_amendment_is_a_new_version_signed_again_the_signed_text_unchanged(cast):
    pact = _signed(cast)
    first = pact.versions.get()
    before = (first.title, first.purpose, first.commons, first.licence, first.signed_at)
    draft = services.pact_amend(pact=pact, by=cast["facilitator"], now=timezone.now())
    assert draft.number == 2 and draft.status == PactVersion.Status.DRAFT
    services.pact_version_update(
        version=draft, title="Atelier étendu", purpose="Trois soirs par semaine.",
        commons=first.commons, licence="CC-BY-4.0", starts_on=first.starts_on,
        ends_on=first.ends_on, review_dates=[], amendment_reason="Plus de soirs",
        by=cast["facilitator"], now=timezone.now(),
    )  # fmt: skip
    with pytest.raises(Exception) as refused:
        services.pact_amend(pact=pact, by=cast["facilitator"], now=timezone.now())
    assert refused.value.code == "pact_amendment_open"
    first.refresh_from_db()
    assert (first.title, first.purpose, first.commons, first.licence, first.signed_at) == before
    assert first.status == PactVersion.Status.SIGNED
    services.pact_propose(version=draft, by=cast["facilitator"], now=timezone.now())
    parties = {p.representative_id: p for p in draft.parties.all()}
    services.pact_sign(
        party=parties[cast["region"].pk], confirmed=True, by=cast["region"], now=timezone.now()
    )
    first.refresh_from_db()
    assert first.status == PactVersion.Status.SIGNED  # still in force: one party signed
    services.pact_sign(
        party=parties[cast["fablab_rep"].pk], confirmed=True, by=cast["fablab_rep"],
        now=timezone.now(),
    )  # fmt: skip
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.status == PactVersion.Status.SUPERSEDED
    assert (first.title, first.purpose) == before[:2]
    assert draft.status == PactVersion.Status.SIGNED and draft.title == "Atelier étendu"


def test_a_signed_pact_is_activated_reported_and_ended(cast):
    pact = _signed(cast)
    with pytest.raises(Exception) as refused:
        services.pact_activate(
            pact=pact, by=cast["fablab_rep"], now=timezone.make_aware(datetime.datetime(2026, 1, 1))
        )
    assert refused.value.code == "pact_not_started"
    services.pact_activate(pact=pact, by=cast["fablab_rep"], now=timezone.now())
    outsider = make_user(email="outsider@example.org", role=roles.MAKER)
    with pytest.raises(NotAllowed) as refused:
        services.pact_report_submit(pact=pact, summary="x", by=outsider, now=timezone.now())
    assert refused.value.code == "pact_not_party"
    report = services.pact_report_submit(
        pact=pact, summary="40 objets réparés.", figures=[("Objets réparés", 40, "pièces")],
        by=cast["fablab_rep"], now=timezone.now(),
    )  # fmt: skip
    assert report.figures.get().value == 40
    pact.refresh_from_db()
    assert pact.status == Pact.Status.REPORTED
    with pytest.raises(Exception) as refused:
        services.pact_end(pact=pact, motivation=" ", by=cast["region"], now=timezone.now())
    assert refused.value.code == "pact_motivation_missing"
    services.pact_end(pact=pact, motivation="Terme", by=cast["region"], now=timezone.now())
    pact.refresh_from_db()
    assert pact.status == Pact.Status.ENDED


def test_a_renewal_is_a_new_draft_pact_from_the_text_in_force(cast):
    pact = _signed(cast)
    services.pact_activate(pact=pact, by=cast["facilitator"], now=timezone.now())
    renewal = services.pact_renew(pact=pact, by=cast["facilitator"], now=timezone.now())
    pact.refresh_from_db()
    assert pact.status == Pact.Status.RENEWED
    assert renewal.renewed_from == pact and renewal.status == Pact.Status.DRAFT
    assert renewal.versions.get().parties.count() == 2


def test_a_signature_committing_money_needs_the_second_factor(cast, settings):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    pact = make_pact(by=cast["facilitator"])
    public, _ = add_parties(
        pact, by=cast["facilitator"], public_rep=cast["region"],
        commons_rep=cast["fablab_rep"], organisation=cast["fablab"], money_cents=150_000,
    )  # fmt: skip
    services.pact_propose(version=pact.versions.get(), by=cast["facilitator"], now=timezone.now())
    with pytest.raises(NotAllowed) as refused:
        services.pact_sign(party=public, confirmed=True, by=cast["region"], now=timezone.now())
    assert refused.value.code == "two_factor_required"


def test_the_database_refuses_what_the_services_refuse(cast):
    from django.db import IntegrityError, transaction

    from pacts.models import Commitment, PactVersion

    pact = _signed(cast)
    party = pact.versions.get().parties.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.create(party=party, kind="money", description="x", amount_cents=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.create(party=party, kind="time", description="x", amount_cents=100)
    # One version in force, one open version at most.
    with pytest.raises(IntegrityError), transaction.atomic():
        PactVersion.objects.create(
            pact=pact, number=9, status="signed", title="x", purpose="x", commons="x",
            licence="MIT", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 2, 1),
            created_at=timezone.now(), signed_at=timezone.now(),
        )  # fmt: skip
