"""The auditor's view: the money ledger (with the chain check run on demand) and the decision
log, read-only pages and API for auditors and Région staff, at a constant cost per page."""

import datetime

import pytest
from django.utils import timezone

from audit import views as audit_views
from subsidies.models import LedgerEntry
from tests.conftest import as_user, count_queries, text
from tests.factories import approve_all, make_programme, region_controller
from tests.subsidies.test_ledger import append_only_triggers_dropped
from tilab.models import Decision

LEDGER = "/api/v1/ledger/"
DECISIONS = "/api/v1/decisions/"


@pytest.fixture
def relays(relay_staff, other_relay_staff):
    return [relay_staff.relays.get(), other_relay_staff.relays.get()]


def grant(region_staff, relays, n=1):
    """`n` programmes of fixed shares, approved: two ledger entries and four decisions each."""
    for i in range(n):
        approve_all(
            make_programme(
                by=region_controller(),  # four eyes: another agent proposed it
                relays=relays,
                name=f"Programme {i}",
                fixed_shares=[(relays[0], 1), (relays[1], 1)],
            ),
            by=region_staff,
        )


@pytest.mark.parametrize("who", ["auditor", "region_staff"])
def test_auditors_and_region_staff_read_the_ledger_newest_first(
    client, request, region_staff, relays, who
):
    grant(region_staff, relays, 2)
    as_user(client, request.getfixturevalue(who))
    body = client.get(LEDGER).json()
    assert [entry["seq"] for entry in body["results"]] == [4, 3, 2, 1]
    first = body["results"][-1]
    assert first["previous_hash"] == "0" * 64
    assert first["actor"]["id"] == region_staff.pk
    html = text(client.get("/subventions/grand-livre/"))
    assert "Programme 1" in html and "Vérifier la chaîne" in html
    assert "/subventions/grand-livre/" in text(client.get("/subventions/"))


@pytest.mark.parametrize("who", ["relay_staff", "maker", "facilitator"])
def test_no_one_else_reads_the_ledger_or_the_decisions(client, request, who):
    as_user(client, request.getfixturevalue(who))
    for url in (LEDGER, f"{LEDGER}verify/", DECISIONS):
        assert client.get(url).status_code == 403, url
    for url in ("/subventions/grand-livre/", "/subventions/decisions/"):
        assert client.get(url).status_code == 403, url
    assert "/subventions/grand-livre/" not in text(client.get("/subventions/"))


def test_the_ledger_pages_follow_each_other_by_cursor(
    client, monkeypatch, auditor, region_staff, relays
):
    grant(region_staff, relays, 2)
    monkeypatch.setattr(audit_views, "PER_PAGE", 3)
    as_user(client, auditor)
    first = client.get("/subventions/grand-livre/")
    assert [e.seq for e in first.context["entries"]] == [4, 3, 2]
    assert first.context["next_before"] == 2
    second = client.get("/subventions/grand-livre/?avant=2")
    assert [e.seq for e in second.context["entries"]] == [1]
    assert second.context["next_before"] is None


@pytest.mark.ledger_tampered
def test_the_chain_check_runs_on_demand_and_says_what_broke(client, auditor, region_staff, relays):
    grant(region_staff, relays)
    as_user(client, auditor)
    assert client.get(f"{LEDGER}verify/").json() == {"intact": True, "entries": 2, "breaks": []}
    assert client.get("/subventions/grand-livre/verification/").context["check"].intact

    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(seq=2).update(amount_cents=1)
    body = client.get(f"{LEDGER}verify/").json()
    assert body["intact"] is False and body["breaks"]
    html = text(client.get("/subventions/grand-livre/verification/"))
    assert body["breaks"][0] in html


def test_decisions_filter_by_object_person_dates_and_action(
    client, auditor, region_staff, relay_staff, relays
):
    grant(region_staff, relays)
    allocation = relays[0].allocations.get()
    as_user(client, auditor)

    def listed(query):
        api = [d["id"] for d in client.get(DECISIONS, query).json()["results"]]
        page = [d.pk for d in client.get("/subventions/decisions/", query).context["decisions"]]
        assert api == page, query
        return api

    everything = listed({})
    assert len(everything) == 4 and everything == sorted(everything, reverse=True)
    on_allocation = listed({"object_type": "subsidies.allocation", "object_id": allocation.pk})
    assert [Decision.objects.get(pk=pk).action for pk in on_allocation] == ["allocation_approve"]
    assert listed({"actor": relay_staff.pk}) == []
    # Four eyes: another agent created the programme, `region_staff` approved its allocations.
    created = listed({"action": "programme_create"})
    assert len(created) == 1
    assert listed({"actor": region_staff.pk}) == [pk for pk in everything if pk not in created]
    assert len(listed({"action": "allocation_approve"})) == 2
    today = timezone.localdate()
    assert listed({"decided_from": today.isoformat(), "decided_to": today.isoformat()}) == (
        everything
    )
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert listed({"decided_to": yesterday}) == []
    decision = client.get(DECISIONS, {"action": "programme_create"}).json()["results"][0]
    assert decision["object_type"] == "subsidies.programme"
    assert decision["data"]["envelope_cents"] == 3_000_000


def test_the_ledger_and_the_decisions_cost_the_same_queries_as_they_grow(
    client, auditor, region_staff, relays
):
    costs = []
    for more in (1, 4):
        grant(region_staff, relays, more)
        as_user(client, auditor)
        costs.append(
            (
                count_queries(client, LEDGER),
                count_queries(client, f"{LEDGER}?kind=allocation"),
                count_queries(client, DECISIONS),
                count_queries(client, f"{DECISIONS}?object_type=subsidies.allocation"),
                count_queries(client, "/subventions/grand-livre/"),
                count_queries(client, "/subventions/decisions/"),
            )
        )
    assert costs[0] == costs[1], costs
