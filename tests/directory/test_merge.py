"""Merging duplicates inside the rules: a merge that would hand validated reports to another
department or relay (or to a relay's own organisation) is the Région's, with its motivation
recorded; a facilitator is told so and nothing moves. A merge never names a manager: members
of the duplicate join as plain members. Pages and API alike."""

import pytest
from django.urls import reverse
from django.utils import timezone

from directory import services
from fablabs.models import Organisation
from makers.models import Membership, ProductionReport
from tests.conftest import as_user, post
from tests.factories import make_maker, make_organisation, make_report, make_user
from tests.refusals import answered, refused
from tilab import roles
from tilab.errors import NotAllowed
from tilab.models import Decision

pytestmark = pytest.mark.django_db


def now():
    return timezone.now()


@pytest.fixture
def loic(reference_data):
    """Loïc, a maker of Ille-et-Vilaine who produces for the duplicate."""
    user = make_user(role=roles.MAKER, email="loic@example.org")
    return make_maker(user=user, display_name="Loïc Guillou", department="35")


@pytest.fixture
def duplicate(loic, relay_staff):
    """A FabLab of Rennes entered twice; this entry holds one validated report (decided by
    the LabFab, which covers Ille-et-Vilaine) and Loïc as its manager."""
    organisation = make_organisation(name="Fablab Villejean (doublon)", department="35")
    Membership.objects.create(maker=loic, organisation=organisation, is_manager=True)
    make_report(
        maker=loic,
        organisation=organisation,
        quantity=40,
        status="validated",
        decided_by=relay_staff,
    )
    return organisation


@pytest.fixture
def in_brest(reference_data):
    """An organisation of Finistère, covered by another relay (ENSTA Bretagne)."""
    return make_organisation(name="FabLab des Capucins", department="29", commune="Brest")


def _unchanged(duplicate, into):
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None and duplicate.is_public
    assert set(ProductionReport.objects.values_list("organisation", flat=True)) == {duplicate.pk}
    assert Membership.objects.filter(organisation=duplicate).count() == 1
    assert not Membership.objects.filter(organisation=into).exists()
    assert not Decision.objects.filter(action__startswith="organisation_").exists()


# --- Across territories: the Région's ----------------------------------------------------------


def test_a_facilitator_cannot_hand_validated_reports_to_another_department(
    duplicate, in_brest, facilitator
):
    with refused("merge_moves_validated_reports", kind=NotAllowed, count=1):
        services.organisations_merge(
            duplicate=duplicate, into=in_brest, by=facilitator, motivation="Doublon", now=now()
        )
    _unchanged(duplicate, in_brest)


def test_a_facilitator_cannot_hand_validated_reports_to_a_relays_own_organisation(
    duplicate, relay_staff, facilitator
):
    labfab = relay_staff.relays.get().organisation  # in Ille-et-Vilaine too

    with refused("merge_moves_validated_reports", kind=NotAllowed):
        services.organisations_merge(
            duplicate=duplicate, into=labfab, by=facilitator, motivation="Doublon", now=now()
        )
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_the_region_merges_across_departments_with_its_motivation_recorded(
    duplicate, in_brest, region_staff
):
    moved = services.organisations_merge(
        duplicate=duplicate,
        into=in_brest,
        by=region_staff,
        motivation="Même association, siège déménagé à Brest",
        now=now(),
    )

    assert moved["reports"] == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into == in_brest
    decision = Decision.objects.get(action="organisation_merge")
    assert (decision.actor, decision.motivation) == (
        region_staff,
        "Même association, siège déménagé à Brest",
    )
    assert decision.data["validated_reports_across"] == 1


def test_a_facilitator_still_merges_within_a_department_or_with_reports_not_yet_validated(
    duplicate, in_brest, loic, facilitator
):
    same_place = make_organisation(name="Fablab Villejean", department="35")
    services.organisations_merge(
        duplicate=duplicate, into=same_place, by=facilitator, motivation="Doublon", now=now()
    )
    pending_only = make_organisation(name="Atelier de Loïc", department="35")
    Membership.objects.create(maker=loic, organisation=pending_only)
    make_report(maker=loic, organisation=pending_only, quantity=5)  # submitted

    services.organisations_merge(
        duplicate=pending_only, into=in_brest, by=facilitator, motivation="Doublon", now=now()
    )

    assert Organisation.objects.filter(merged_into__isnull=False).count() == 2


def test_nobody_else_merges(duplicate, in_brest, relay_staff, maker):
    for somebody in (relay_staff, maker):
        with refused("role_not_allowed", kind=NotAllowed):
            services.organisations_merge(
                duplicate=duplicate, into=in_brest, by=somebody, motivation="x", now=now()
            )


# --- Managers ----------------------------------------------------------------------------------


def test_a_merge_makes_nobody_a_manager_of_the_organisation_that_stays(
    duplicate, loic, relay_staff, facilitator
):
    into = make_organisation(name="Fablab Villejean", department="35")
    gwen = make_maker(user=make_user(role=roles.MAKER), display_name="Gwen", department="35")
    Membership.objects.create(maker=gwen, organisation=into, is_manager=True)
    # Katell is a plain member where things stay, a manager of the duplicate.
    katell = make_maker(user=make_user(role=roles.MAKER), display_name="Katell", department="35")
    Membership.objects.create(maker=katell, organisation=into, is_manager=False)
    Membership.objects.create(maker=katell, organisation=duplicate, is_manager=True)

    services.organisations_merge(
        duplicate=duplicate, into=into, by=facilitator, motivation="Doublon", now=now()
    )

    roles_there = {
        m.maker.display_name: m.is_manager
        for m in Membership.objects.filter(organisation=into).select_related("maker")
    }
    assert roles_there == {"Gwen": True, "Katell": False, "Loïc Guillou": False}
    decision = Decision.objects.get(action="organisation_absorb")
    assert sorted(decision.data["managers_not_carried"]) == sorted([loic.pk, katell.pk])


# --- The pages -----------------------------------------------------------------------------------


def _merge(client, duplicate, into, motivation="Doublon"):
    return client.post(
        reverse("directory:curate", args=[duplicate.slug]),
        {
            "action": "merge",
            "merge-into": into.slug,
            "merge-confirm": "on",
            "merge-motivation": motivation,
        },
    )


def test_the_curation_page_refuses_a_facilitator_a_merge_across_and_says_who_decides(
    client, duplicate, in_brest, facilitator
):
    client.force_login(facilitator)

    response = _merge(client, duplicate, in_brest)

    assert response.status_code == 400
    assert response.context["merge_form"].has_error("into", "merge_moves_validated_reports")
    _unchanged(duplicate, in_brest)


def test_the_region_merges_across_from_the_curation_page(client, duplicate, in_brest, region_staff):
    client.force_login(region_staff)
    entry = client.get(reverse("directory:organisation", args=[duplicate.slug]))
    assert reverse("directory:curate", args=[duplicate.slug]) in entry.content.decode()
    page = client.get(reverse("directory:curate", args=[duplicate.slug]))
    assert page.status_code == 200
    assert 'value="kind"' not in page.content.decode()  # kinds are the facilitators'

    response = _merge(client, duplicate, in_brest, motivation="Siège déménagé")

    assert response["Location"] == reverse("directory:organisation", args=[in_brest.slug])
    assert Decision.objects.get(action="organisation_merge").motivation == "Siège déménagé"


# --- The API -------------------------------------------------------------------------------------


def _api_merge(client, duplicate, into, motivation="Doublon"):
    return post(
        client,
        f"/api/v1/organisations/{duplicate.slug}/merge/",
        {"into": into.slug, "motivation": motivation},
    )


def test_the_api_refuses_a_facilitator_a_merge_across_and_lets_the_region_do_it(
    client, duplicate, in_brest, facilitator, region_staff, maker
):
    answered(_api_merge(as_user(client, maker), duplicate, in_brest), 403, "role_not_allowed")
    answered(
        _api_merge(as_user(client, facilitator), duplicate, in_brest),
        403,
        "merge_moves_validated_reports",
    )
    _unchanged(duplicate, in_brest)
    answered(
        _api_merge(as_user(client, region_staff), duplicate, in_brest, motivation=" "),
        400,
        "curation_motivation_missing",
    )

    response = _api_merge(as_user(client, region_staff), duplicate, in_brest, "Siège déménagé")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "duplicate": duplicate.slug,
        "into": in_brest.slug,
        "members": 1,
        "requests": 0,
        "reports": 1,
    }
    answered(_api_merge(as_user(client, region_staff), duplicate, in_brest), 404, "not_found")


def test_the_api_merges_a_duplicate_as_plain_members(client, duplicate, loic, facilitator):
    into = make_organisation(name="Fablab Villejean", department="35")

    response = _api_merge(as_user(client, facilitator), duplicate, into)

    assert response.status_code == 200, response.content
    assert Membership.objects.get(organisation=into, maker=loic).is_manager is False
