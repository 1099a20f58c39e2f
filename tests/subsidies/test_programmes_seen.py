"""Which programmes a person sees, and what of each, is one selector
(`subsidies.selectors.programmes_seen_by`): the pages and the API list the same ones."""

import pytest
from django.urls import reverse

from subsidies import selectors, services
from tests.factories import (
    approve_all,
    make_programme,
    make_relay,
    make_terms,
    make_user,
    region_controller,
)
from tilab import roles


@pytest.fixture
def chain(region_staff, relay_staff, other_relay_staff):
    """The 2020 grant to Rennes, the Loch and ENSTA, approved, then amended for the Loch."""
    loch_staff = make_user(role=roles.RELAY_STAFF, email="yannick@loch.example.org")
    rennes = relay_staff.relays.get()
    loch = make_relay(name="La Fabrique du Loch", departments=["56"], staff=[loch_staff])
    ensta = other_relay_staff.relays.get()
    grant = make_programme(
        by=region_staff,
        relays=[rennes, loch, ensta],
        fixed_shares=[(rennes, 50), (loch, 25), (ensta, 25)],
    )
    approve_all(grant, by=region_controller())
    amendment = services.programme_amend(
        programme=grant,
        terms=make_terms(
            relays=[loch], envelope_cents=200_000, name="Complément Morbihan 2020",
            fixed_shares=[(loch, 1)],
        ),
        motivation="Les achats groupés du Loch ont été oubliés.",
        by=region_staff,
        now=grant.created_at,
    )  # fmt: skip
    return {"grant": grant, "amendment": amendment, "loch_staff": loch_staff}


def seen(user, chain) -> dict:
    """Per programme seen: its relays' allocations, its amendments, whether its amended one
    is visible."""
    names = {chain["grant"].pk: "grant", chain["amendment"].pk: "amendment"}
    return {
        names[p.pk]: (
            sorted(a.relay.organisation.name for a in p.allocations.all()),
            [names[a.pk] for a in p.visible_amendments],
            p.amends_visible,
        )
        for p in selectors.programmes_seen_by(user)
    }


EVERYTHING = {
    "grant": (
        ["ENSTA Bretagne", "La Fabrique du Loch", "LabFab de Rennes"],
        ["amendment"],
        False,
    ),
    "amendment": (["La Fabrique du Loch"], [], True),
}


def test_what_each_role_sees_of_the_programmes(
    chain, region_staff, auditor, relay_staff, maker, facilitator
):
    assert seen(region_staff, chain) == EVERYTHING
    assert seen(auditor, chain) == EVERYTHING
    # Rennes takes no part in the amendment: neither it nor the link to it is shown.
    assert seen(relay_staff, chain) == {"grant": (["LabFab de Rennes"], [], False)}
    assert seen(chain["loch_staff"], chain) == {
        "grant": (["La Fabrique du Loch"], ["amendment"], False),
        "amendment": (["La Fabrique du Loch"], [], True),
    }
    assert seen(maker, chain) == {}
    assert seen(facilitator, chain) == {}


@pytest.mark.parametrize("who", ["region_staff", "auditor", "relay_staff", "loch_staff"])
def test_the_pages_and_the_api_list_the_same_programmes(client, request, chain, who):
    user = chain["loch_staff"] if who == "loch_staff" else request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(reverse("subsidies:programme_list")).context["page"]
    api = client.get("/api/v1/programmes/").json()["results"]

    expected = {p.pk for p in selectors.programmes_seen_by(user)}
    assert {p.pk for p in page} == expected
    assert {p["id"] for p in api} == expected
    for body in api:
        shown = next(p for p in page if p.pk == body["id"])
        assert [a["id"] for a in body["allocations"]] == [a.pk for a in shown.allocations.all()]
        assert body["amendments"] == [a.pk for a in shown.visible_amendments]
