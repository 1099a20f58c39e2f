"""Each role's to-do on the home page and the dashboard: the right counts, each leading to a page
that lists as many objects, another relay's objects left out, a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.todo import todo_of
from makers.models import Maker, ProductionReport
from subsidies import batches
from subsidies import services as subsidies
from subsidies.models import Redistribution
from tests import factories
from tests.conftest import as_user, text
from workshops.models import Workshop

IBAN = "FR7630006000011234567890189"


def counts(user) -> dict[str, int]:
    """Code → count of every line of `user`'s to-do, all roles together."""
    found = {}
    for section in todo_of(user, now=timezone.now()):
        for item in section.items:
            found[item.code] = found.get(item.code, 0) + item.count
    return found


def item(user, code):
    (found,) = [i for s in todo_of(user, now=timezone.now()) for i in s.items if i.code == code]
    return found


def queries_of_todo(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        todo_of(user, now=timezone.now())
    return len(queries.captured_queries)


def queue_count(client, url) -> int:
    """How many reports the validation queue says it lists (its table's caption)."""
    page = text(client.get(url))
    match = re.search(r"<caption[^>]*>\s*(\d+) déclarations?\s*</caption>", page)
    return int(match.group(1)) if match else 0


# --- Makers -----------------------------------------------------------------------------------


def rejected_reports(anne, relay_staff, n):
    for _ in range(n):
        factories.make_report(maker=anne, status="rejected", decided_by=relay_staff)


def test_a_maker_sees_her_rejected_reports_and_the_space_lists_just_those(
    client, maker, anne, relay_staff
):
    rejected_reports(anne, relay_staff, 2)
    factories.make_report(maker=anne, status="validated", decided_by=relay_staff)
    factories.make_report(maker=anne)

    line = item(maker, "reports_rejected")
    assert line.count == 2
    page = text(as_user(client, maker).get(line.url))
    assert page.count("status-rejected") == 2
    assert "status-validated" not in page and "status-submitted" not in page


def test_a_maker_sees_the_workshops_she_registered_to_this_week(client, maker, facilitator):
    soon = factories.make_workshop(
        by=facilitator, starts_at=timezone.now() + datetime.timedelta(days=2)
    )
    later = factories.make_workshop(by=facilitator)  # in ten days
    for workshop in (soon, later):
        factories.workshops.registration_create(
            workshop=workshop, now=timezone.now(), user=maker, name="Anne", email=maker.email
        )

    line = item(maker, "registrations_this_week")
    assert line.count == 1
    page = text(as_user(client, maker).get(line.url))
    assert f"/workshops/{soon.pk}/" in page and f"/workshops/{later.pk}/" not in page


def test_nothing_to_do_reads_as_such_on_the_home_page(client, maker):
    page = text(as_user(client, maker).get("/"))
    assert 'id="todo-title"' in page
    assert "Rien à faire pour l'instant." in page


# --- Relay staff ------------------------------------------------------------------------------


def test_relay_staff_count_the_reports_they_may_decide_and_the_queue_lists_as_many(
    client, relay_staff, other_relay_staff, maker, anne
):
    for _ in range(3):
        factories.make_report(maker=anne)
    # Entered by Camille herself: four eyes send it to the Région, not to her.
    factories.make_report(maker=anne, entered_by=relay_staff, source="relay")
    # Another relay's department.
    factories.make_report(maker=factories.make_maker(display_name="Gwen", department="29"))

    line = item(relay_staff, "reports_to_decide")
    assert line.count == 3
    assert queue_count(as_user(client, relay_staff), line.url) == 3
    assert counts(other_relay_staff)["reports_to_decide"] == 1


def test_relay_staff_count_payees_without_bank_details_batches_and_redistributions(
    client, relay_staff, other_relay_staff, allocation, anne
):
    redistribution = subsidies.redistribution_propose(
        allocation=allocation, by=relay_staff, now=timezone.now()
    )
    colleague = factories.relay_colleague(relay_staff)
    # Camille proposed it: her colleague approves it (four eyes), not her.
    assert "redistributions_to_approve" not in counts(relay_staff)
    line = item(colleague, "redistributions_to_approve")
    assert line.count == 1
    assert line.url == f"/subventions/redistributions/{redistribution.pk}/"

    line = item(relay_staff, "ibans_missing")
    assert line.count == 2  # Anne and Bertrand gave no IBAN yet
    page = text(as_user(client, relay_staff).get(line.url))
    assert page.count("IBAN manquant") == 2

    subsidies.redistribution_approve(
        redistribution=redistribution, by=colleague, now=timezone.now()
    )
    assert "redistributions_to_approve" not in counts(colleague)
    assert item(relay_staff, "ibans_missing").count == 2
    subsidies.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN, by=relay_staff, now=timezone.now()
    )
    assert item(relay_staff, "ibans_missing").count == 1
    assert counts(other_relay_staff) == {}


def test_the_batches_to_reconcile_lead_to_the_open_batches(
    client, relay_staff, other_relay_staff, region_staff, auditor, allocation, anne
):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    redistribution = subsidies.redistribution_propose(
        allocation=allocation, by=relay_staff, now=long_ago
    )
    # Camille is the relay's only staffer: the Région approves (four eyes).
    subsidies.redistribution_approve(redistribution=redistribution, by=region_staff, now=long_ago)
    bertrand = Maker.objects.get(display_name="Bertrand Guillou")
    for owner, iban in ((anne, IBAN), (bertrand, "DE89370400440532013000")):
        subsidies.bank_account_set(
            owner=owner, holder=owner.display_name, iban=iban, by=relay_staff, now=long_ago
        )
    assert "batches_to_reconcile" not in counts(relay_staff)
    batch = batches.payment_batch_create(
        redistribution=redistribution, format="csv", by=relay_staff, now=timezone.now()
    )

    line = item(relay_staff, "batches_to_reconcile")
    assert line.count == 1
    page = text(as_user(client, relay_staff).get(line.url))
    assert len(set(re.findall(r'href="/subventions/lots/(\d+)/"', page))) == 1
    assert f'href="/subventions/lots/{batch.pk}/"' in page
    assert counts(auditor)["batches_open"] == 1
    assert "batches_to_reconcile" not in counts(other_relay_staff)


def test_a_bank_change_waits_for_a_second_person_who_finds_its_button(
    client, relay_staff, other_relay_staff, anne
):
    subsidies.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN, by=relay_staff, now=timezone.now()
    )
    rennes = relay_staff.relays.get().organisation
    subsidies.bank_account_set(
        owner=rennes, holder=rennes.name, iban="DE89370400440532013000", by=relay_staff,
        now=timezone.now(),
    )  # fmt: skip
    colleague = factories.relay_colleague(relay_staff)

    assert "bank_changes_to_confirm" not in counts(relay_staff)  # her own changes
    assert "bank_changes_to_confirm" not in counts(other_relay_staff)
    # Anne's; the relay's own paying account is the Région's to confirm.
    line = item(colleague, "bank_changes_to_confirm")
    assert line.count == 1 and "Anne Le Goff" in line.label
    page = text(as_user(client, colleague).get(line.url))
    assert page.count("/changements/") == 1


# --- Région staff -----------------------------------------------------------------------------


def programme_of(region_staff, *staff, name="Soutien aux makers 2020"):
    """A programme split half and half between the relays of `staff`, waiting for approval."""
    relays = [person.relays.get() for person in staff]
    return factories.make_programme(
        by=region_staff,
        relays=relays,
        fixed_shares=[(relay, 50) for relay in relays],
        name=name,
    )


def test_the_region_approves_allocations_someone_else_proposed(
    client, region_staff, other_region_staff, relay_staff, other_relay_staff
):
    programme = programme_of(region_staff, relay_staff, other_relay_staff)

    assert "allocations_to_approve" not in counts(region_staff)  # she proposed them
    line = item(other_region_staff, "allocations_to_approve")
    assert line.count == programme.allocations.count() == 2
    assert line.url == f"/subventions/{programme.pk}/"


def test_allocations_of_several_programmes_lead_to_those_programmes_only(
    client, region_staff, other_region_staff, relay_staff, other_relay_staff
):
    first = programme_of(region_staff, relay_staff, other_relay_staff, name="Premier")
    second = programme_of(region_staff, relay_staff, other_relay_staff, name="Second")
    done = factories.approve_all(
        programme_of(region_staff, relay_staff, other_relay_staff, name="Approuvé"),
        by=other_region_staff,
    )

    line = item(other_region_staff, "allocations_to_approve")
    assert line.count == 4
    page = text(as_user(client, other_region_staff).get(line.url))
    shown = set(map(int, re.findall(r'href="/subventions/(\d+)/"', page)))
    assert shown == {first.pk, second.pk} and done.pk not in shown


def test_the_region_counts_the_reports_four_eyes_send_it(
    client, region_staff, relay_staff, maker, anne
):
    factories.make_report(maker=anne)  # the relay's
    factories.make_report(maker=anne, entered_by=relay_staff, source="relay")

    line = item(region_staff, "reports_to_decide")
    assert line.count == 1
    assert queue_count(as_user(client, region_staff), line.url) == 1


def test_the_region_count_follows_the_teams_as_they_change(
    client, region_staff, relay_staff, maker, anne
):
    # The count's query is built once per person, teams and rules: a team that changes is
    # another query, counted afresh in the same process.
    factories.make_report(maker=anne)
    factories.make_report(maker=anne, entered_by=relay_staff, source="relay")
    assert item(region_staff, "reports_to_decide").count == 1
    # Camille leaves her relay, nobody is left on its team: the Région decides both.
    relay_staff.relays.get().staff.remove(relay_staff)
    line = item(region_staff, "reports_to_decide")
    assert line.count == 2
    assert queue_count(as_user(client, region_staff), line.url) == 2


def test_the_region_finds_the_subsidies_from_the_home_page(client, region_staff):
    page = text(as_user(client, region_staff).get("/"))
    assert 'href="/subventions/"' in page


# --- Facilitators -----------------------------------------------------------------------------


def held_days_ago(workshop, days):
    """Move `workshop` into the past (no service schedules one there)."""
    starts_at = timezone.now() - datetime.timedelta(days=days)
    Workshop.objects.filter(pk=workshop.pk).update(
        starts_at=starts_at, registration_deadline=starts_at - datetime.timedelta(hours=12)
    )


def test_a_facilitator_sees_the_week_the_syntheses_and_the_needs_unanswered(
    client, facilitator, relay_staff
):
    factories.make_workshop(by=facilitator, starts_at=timezone.now() + datetime.timedelta(days=1))
    factories.make_workshop(by=facilitator)  # in ten days
    for days in (3, 30):
        held_days_ago(factories.make_workshop(by=facilitator), days)
    factories.make_need()
    factories.make_need(establishment=factories.make_establishment(name="CHU Brest"))

    assert counts(facilitator) == {
        "workshops_this_week": 1,
        "syntheses_to_write": 2,
        "needs_unanswered": 2,
    }
    as_user(client, facilitator)
    week = text(client.get(item(facilitator, "workshops_this_week").url))
    assert "1 atelier aujourd'hui ou à venir" in week
    syntheses = text(client.get(item(facilitator, "syntheses_to_write").url))
    assert "2 ateliers passés" in syntheses
    follow_up = text(client.get(item(facilitator, "needs_unanswered").url))
    assert follow_up.count("/besoins/") >= 2


# --- Auditors ---------------------------------------------------------------------------------


def test_the_auditor_reads_what_waits_without_being_told_of_a_relay(
    client, auditor, anne, region_staff, relay_staff, other_relay_staff
):
    factories.make_report(maker=anne)
    programme_of(region_staff, relay_staff, other_relay_staff)

    (section,) = todo_of(auditor, now=timezone.now())
    assert section.read_only
    assert counts(auditor) == {"reports_waiting": 1, "allocations_waiting": 2}
    page = text(as_user(client, auditor).get("/"))
    assert "lecture seule" in page
    assert "votre relais" not in page.lower()
    assert queue_count(client, item(auditor, "reports_waiting").url) == 1


def test_the_dashboard_shows_the_to_do(client, relay_staff, anne):
    factories.make_report(maker=anne)
    page = text(as_user(client, relay_staff).get("/dashboard/"))
    assert 'data-todo="reports_to_decide"' in page
    assert "1 déclaration à décider" in page


# --- A fixed number of queries ----------------------------------------------------------------


def grow(*, relay_staff, region_staff, facilitator, anne, n):
    """`n` more of everything a to-do counts."""
    for _ in range(n):
        factories.make_report(maker=anne)
        factories.make_report(maker=anne, entered_by=relay_staff, source="relay")
        factories.make_report(maker=anne, status="rejected", decided_by=relay_staff)
        held_days_ago(factories.make_workshop(by=facilitator), 5)
        factories.make_workshop(
            by=facilitator, starts_at=timezone.now() + datetime.timedelta(days=1)
        )
        factories.make_need(establishment=factories.make_establishment(name=f"EHPAD {_}"))
    colleague = factories.relay_colleague(relay_staff)
    for k in range(n):
        payee = factories.make_maker(display_name=f"Maker {n}-{k}")
        subsidies.bank_account_set(
            owner=payee, holder="Maker", iban=IBAN, by=colleague, now=timezone.now()
        )
    rennes = relay_staff.relays.get().organisation
    subsidies.bank_account_set(
        owner=rennes, holder=rennes.name, iban=IBAN, by=colleague, now=timezone.now()
    )
    programme_of(region_staff, relay_staff, name=f"Programme {n}")


@pytest.mark.parametrize("who", ["maker", "relay_staff", "region_staff", "facilitator", "auditor"])
def test_a_to_do_costs_the_same_queries_however_much_waits(
    request, who, relay_staff, region_staff, facilitator, anne, allocation
):
    user = request.getfixturevalue(who)
    cast = {"relay_staff": relay_staff, "region_staff": region_staff, "facilitator": facilitator}
    grow(**cast, anne=anne, n=1)
    queries_of_todo(user)  # the roles, read once per person and kept
    few = queries_of_todo(user)
    grow(**cast, anne=anne, n=4)
    redistribution = subsidies.redistribution_propose(
        allocation=allocation, by=relay_staff, now=timezone.now()
    )
    subsidies.redistribution_approve(
        redistribution=redistribution,
        by=factories.relay_colleague(relay_staff),
        now=timezone.now(),
    )
    assert Redistribution.objects.filter(status="approved").exists()
    assert ProductionReport.objects.count() > 10
    assert queries_of_todo(user) == few
