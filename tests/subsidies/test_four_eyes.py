"""Four eyes on money: an allocation or a redistribution is approved by someone other than the
person who proposed it (creating a programme proposes its allocations) or last adjusted it;
where a relay has nobody else to approve, the Région is the second person. Service, page and
API refuse alike, with a code, and say who approves instead."""

import pytest
from django.utils import timezone

from subsidies import services
from tests.conftest import as_user, post, text
from tests.factories import make_programme, make_relay
from tests.refusals import answered, refused
from tests.subsidies.approval import confirm_body, confirm_form
from tilab.errors import NotAllowed

ALLOCATIONS = "/api/v1/allocations/"
REDISTRIBUTIONS = "/api/v1/redistributions/"


def now():
    return timezone.now()


def status_of(obj) -> str:
    obj.refresh_from_db()
    return obj.status


@pytest.fixture
def proposed(region_staff, relay_staff):
    """Hélène's programme for LabFab de Rennes: its allocation is her proposal."""
    rennes = relay_staff.relays.get()
    programme = make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)])
    return programme.allocations.get()


def test_whoever_created_a_programme_does_not_approve_its_allocations(
    client, region_staff, other_region_staff, proposed
):
    with refused("allocation_own_proposal", kind=NotAllowed):
        services.allocation_approve(allocation=proposed, by=region_staff, now=now())
    as_user(client, region_staff)
    approve = f"{ALLOCATIONS}{proposed.pk}/approve/"
    answered(post(client, approve, confirm_body(proposed)), 403, "allocation_own_proposal")
    programme_page = text(client.get(f"/subventions/{proposed.programme_id}/"))
    assert f"/subventions/allocations/{proposed.pk}/approuver/" not in programme_page
    assert "un autre agent de la Région l'approuve" in programme_page
    url = f"/subventions/allocations/{proposed.pk}/approuver/"
    assert "un autre agent de la Région" in text(
        client.post(url, confirm_form(proposed), follow=True)
    )
    assert status_of(proposed) == "proposed"

    as_user(client, other_region_staff)
    assert url in text(client.get(f"/subventions/{proposed.programme_id}/"))
    assert post(client, approve, confirm_body(proposed)).status_code == 200


def test_an_allocation_adjusted_by_a_region_agent_is_not_approved_by_the_same_agent(
    client, region_staff, other_region_staff, relay_staff
):
    rennes = relay_staff.relays.get()
    loch = make_relay(name="La Fabrique du Loch", departments=["56"])
    programme = make_programme(
        by=other_region_staff, relays=[rennes, loch], fixed_shares=[(rennes, 1), (loch, 1)]
    )
    mine, theirs = (programme.allocations.get(relay=r) for r in (rennes, loch))
    proposal = {mine.pk: mine.amount_cents, theirs.pk: theirs.amount_cents}
    services.allocations_adjust(
        programme=programme,
        amounts={mine.pk: mine.amount_cents + 100, theirs.pk: theirs.amount_cents - 100},
        motivation="Plaques PET",
        by=region_staff,
        now=now(),
    )
    for allocation in (mine, theirs):
        answered(
            post(
                as_user(client, region_staff),
                f"{ALLOCATIONS}{allocation.pk}/approve/",
                confirm_body(allocation),
            ),
            403,
            "allocation_own_proposal",
        )
        assert status_of(allocation) == "proposed"
    # The proposer re-adjusts: the last adjustment is theirs, the other agent may approve.
    services.allocations_adjust(
        programme=programme,
        amounts=proposal,
        motivation="Retour à la proposition",
        by=other_region_staff,
        now=now(),
    )
    with refused("allocation_own_proposal", kind=NotAllowed):
        services.allocation_approve(allocation=mine, by=other_region_staff, now=now())
    services.allocation_approve(allocation=mine, by=region_staff, now=now())
    assert status_of(mine) == "approved"


# --- Redistributions ---------------------------------------------------------------------------


@pytest.fixture
def redistribution(allocation, relay_staff):
    """Camille's proposal for LabFab de Rennes' approved allocation."""
    return services.redistribution_propose(allocation=allocation, by=relay_staff, now=now())


def test_whoever_proposed_a_redistribution_does_not_approve_it_a_colleague_does(
    client, relay_staff, relay_colleague, region_staff, redistribution
):
    with refused("redistribution_own_proposal", kind=NotAllowed):
        services.redistribution_approve(redistribution=redistribution, by=relay_staff, now=now())
    as_user(client, relay_staff)
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/approve/"
    confirmed = confirm_body(redistribution)
    body = answered(post(client, url, confirmed), 403, "redistribution_own_proposal")
    assert "un autre membre de l'équipe du relais" in body["detail"]
    page = f"/subventions/redistributions/{redistribution.pk}/"
    html = text(client.get(page))
    assert "Vérifier puis approuver" not in html
    assert "un autre membre de l'équipe du relais l'approuve" in html
    approval = client.post(f"{page}approuver/", confirm_form(redistribution), follow=True)
    assert "un autre membre" in text(approval)
    assert status_of(redistribution) == "proposed"
    # With a colleague on the team, the Région is not the second person.
    assert post(as_user(client, region_staff), url, confirmed).status_code == 403

    as_user(client, relay_colleague)
    assert "Vérifier puis approuver" in text(client.get(page))
    assert post(client, url, confirmed).status_code == 200
    assert status_of(redistribution) == "approved"


def test_a_colleague_who_adjusted_it_last_does_not_approve_it_either(
    relay_staff, relay_colleague, region_staff, redistribution
):
    line = redistribution.lines.order_by("-amount_cents").first()
    other = redistribution.lines.exclude(pk=line.pk).first()
    services.redistribution_adjust(
        redistribution=redistribution,
        amounts={line.pk: line.amount_cents - 1, other.pk: other.amount_cents + 1},
        motivation="Un centime",
        by=relay_colleague,
        now=now(),
    )
    for person in (relay_staff, relay_colleague):
        with refused("redistribution_own_proposal", kind=NotAllowed, instead="la Région"):
            services.redistribution_approve(redistribution=redistribution, by=person, now=now())
    services.redistribution_approve(redistribution=redistribution, by=region_staff, now=now())
    assert status_of(redistribution) == "approved"


def test_recomputing_on_todays_figures_leaves_the_proposer_the_proposer(
    relay_staff, relay_colleague, redistribution
):
    """A recomputation keeps the proposer's own-use lines and computes the rest: whoever ran it
    (the second person, offered it on the recap) still approves; the proposer still does not."""
    services.redistribution_recompute(redistribution=redistribution, by=relay_colleague, now=now())
    with refused("redistribution_own_proposal", kind=NotAllowed):
        services.redistribution_approve(redistribution=redistribution, by=relay_staff, now=now())
    services.redistribution_approve(redistribution=redistribution, by=relay_colleague, now=now())
    assert status_of(redistribution) == "approved"


def test_where_a_relay_has_one_staffer_the_region_approves_page_and_api(
    client, relay_staff, region_staff, redistribution
):
    as_user(client, relay_staff)
    body = answered(
        post(
            client,
            f"{REDISTRIBUTIONS}{redistribution.pk}/approve/",
            confirm_body(redistribution),
        ),
        403,
        "redistribution_own_proposal",
    )
    assert "la Région" in body["detail"]
    page = f"/subventions/redistributions/{redistribution.pk}/"
    as_user(client, region_staff)
    assert "Vérifier puis approuver" in text(client.get(page))
    response = client.post(f"{page}approuver/", confirm_form(redistribution), follow=True)
    assert "Redistribution approuvée" in text(response)
    assert status_of(redistribution) == "approved"
    assert redistribution.approved_by == region_staff


def test_the_region_approves_a_single_staffers_redistribution_through_the_api(
    client, region_staff, redistribution
):
    response = post(
        as_user(client, region_staff),
        f"{REDISTRIBUTIONS}{redistribution.pk}/approve/",
        confirm_body(redistribution),
    )
    assert response.status_code == 200, response.content
    assert status_of(redistribution) == "approved"


# --- Scenario 3 of issue 16, the money's part ----------------------------------------------------


def test_a_staffer_alone_cannot_approve_the_redistribution_they_proposed(
    client, relay_staff, redistribution
):
    as_user(client, relay_staff)
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/approve/"
    answered(post(client, url, confirm_body(redistribution)), 403, "redistribution_own_proposal")
    client.post(
        f"/subventions/redistributions/{redistribution.pk}/approuver/",
        confirm_form(redistribution),
    )
    assert status_of(redistribution) == "proposed"
