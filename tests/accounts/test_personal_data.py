"""A person's own data: the page, the JSON and CSV exports (theirs only), and deleting the
account while the network's figures stay."""

import csv
import datetime
import io
import json

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts import services
from figures.models import ProductionTotal
from figures.totals import production_totals_rebuild
from makers.models import Maker, Membership
from recognition.models import Attestation
from recognition.services import attestation_issue
from subsidies import services as money
from subsidies.models import BankAccount, RedistributionLine
from tests.conftest import text
from tests.factories import (
    PASSWORD,
    approve_all,
    make_organisation,
    make_programme,
    make_report,
    make_workshop,
    region_controller,
    relay_colleague,
)
from tests.spreadsheets import french_excel_rows, french_number
from tilab.models import Decision, User
from workshops import services as workshops
from workshops.models import Registration

PAGE = "/maker/mes-donnees/"
JSON = "/maker/mes-donnees/export.json"
CSV = "/maker/mes-donnees/export.csv"
DELETE = "/maker/mes-donnees/supprimer/"
ANNE_IBAN = "FR7630006000011234567890189"
YANN_IBAN = "FR1420041010050500013M02606"


def totals():
    return sorted(
        ProductionTotal.objects.values_list(
            "department",
            "item_type",
            "org_kind",
            "week_start",
            "quantity",
            "report_count",
            "maker_count",
            "producer_count",
            "material_cost_cents",
        )
    )


@pytest.fixture
def yann(other_maker):
    """Another maker of Ille-et-Vilaine (his maker profile); `network` gives him reports, bank
    details and workshops of his own."""
    return other_maker.maker


@pytest.fixture
def network(anne, yann, maker, relay_staff, region_staff, facilitator):
    """Anne and Yann both produced, were paid, gave an IBAN, and registered to workshops."""
    fablab = make_organisation(name="FabLab de Rennes")
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=True)
    Membership.objects.create(maker=yann, organisation=fablab)
    make_report(maker=anne, quantity=24, status="validated", decided_by=relay_staff)
    make_report(maker=anne, quantity=12, status="rejected", decided_by=relay_staff)
    make_report(maker=anne, quantity=5, status="submitted", recipient="EHPAD de Cesson")
    make_report(
        maker=yann,
        quantity=72,
        status="validated",
        decided_by=relay_staff,
        recipient="Clinique de Yann",
    )
    programme = make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=96_000
    )
    approve_all(programme, by=region_controller())
    redistribution = money.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=timezone.now()
    )
    money.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=timezone.now()
    )
    money.payments_record(
        lines=list(redistribution.lines.all()),
        paid_on=timezone.localdate(),
        reference="VIR-2020-05",
        by=relay_staff,
        now=timezone.now(),
    )
    money.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=ANNE_IBAN, by=maker, now=timezone.now()
    )
    money.bank_account_set(
        owner=yann, holder="Yann Kervella", iban=YANN_IBAN, by=yann.user, now=timezone.now()
    )
    past = make_workshop(by=facilitator, title="Atelier passé", capacity=5)
    upcoming = make_workshop(by=facilitator, title="Atelier à venir", capacity=1)
    for workshop in (past, upcoming):
        workshops.registration_create(workshop=workshop, now=timezone.now(), user=maker)
    workshops.registration_create(workshop=past, now=timezone.now(), user=yann.user)
    # Yann waits for the only seat of the upcoming workshop.
    workshops.registration_create(workshop=upcoming, now=timezone.now(), user=yann.user)
    workshops.attendance_record(
        workshop=past,
        attended={r.pk: True for r in past.registrations.all()},
        by=facilitator,
        now=past.starts_at,
    )
    # The past workshop took place last month.
    start = timezone.now() - datetime.timedelta(days=30)
    type(past).objects.filter(pk=past.pk).update(
        starts_at=start, registration_deadline=start - datetime.timedelta(hours=1)
    )
    attestation_issue(maker=anne, by=maker, now=timezone.now())
    attestation_issue(maker=yann, by=yann.user, now=timezone.now())
    return {"past": past, "upcoming": upcoming, "fablab": fablab}


# --- The page and the exports ---------------------------------------------------------------


def test_the_page_explains_what_is_held_and_links_to_both_exports(client, maker):
    client.force_login(maker)
    page = text(client.get(PAGE))
    assert "Ce que nous conservons" in page
    assert JSON in page and CSV in page and DELETE in page


def test_someone_not_logged_in_is_sent_to_log_in(client):
    for url in (PAGE, JSON, CSV, DELETE):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_the_json_export_holds_every_kind_of_data_about_the_maker(client, maker, network):
    client.force_login(maker)
    response = client.get(JSON)
    assert response["Content-Disposition"] == 'attachment; filename="export.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "anne@example.org"
    assert data["account"]["full_name"] == "Anne Le Goff"
    assert data["maker"]["commune"] == "Rennes"
    assert [m["organisation"] for m in data["memberships"]] == ["FabLab de Rennes"]
    assert sorted(r["status"] for r in data["production_reports"]) == [
        "rejected",
        "submitted",
        "validated",
    ]
    assert {d["action"] for d in data["decisions"]} >= {"validate", "reject", "bank_account_set"}
    assert any(d["to_state"] == "rejected" for d in data["decisions"])
    [line] = data["subsidy_lines"]
    assert line["payment_reference"] == "VIR-2020-05"
    assert data["bank_account"]["iban"] == ANNE_IBAN
    assert sorted(r["workshop"] for r in data["workshop_registrations"]) == [
        "Atelier passé",
        "Atelier à venir",
    ]
    assert len(data["attestations"]) == 1


def test_the_exports_hold_nothing_about_anyone_else(client, maker, network, relay_staff):
    client.force_login(maker)
    for url in (JSON, CSV):
        content = client.get(url).content.decode("utf-8-sig")
        for foreign in (
            "Yann",
            "yann@example.org",
            YANN_IBAN,
            "Clinique de Yann",
            "Vitré",
            relay_staff.email,
            "helene@region",
            "benoit@tilab",
        ):
            assert foreign not in content, (url, foreign)


def test_the_csv_export_is_one_table_with_a_section_column(client, maker, network):
    client.force_login(maker)
    response = client.get(CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["section", "record", "field", "value"]
    assert ["account", "1", "email", "anne@example.org"] in rows
    assert ["bank_account", "1", "iban", ANNE_IBAN] in rows
    sections = {row[0] for row in rows[1:]}
    assert {"maker", "production_reports", "subsidy_lines", "workshop_registrations"} <= sections


def test_the_csv_export_numbers_are_numbers_for_french_excel(client, maker, anne, network):
    client.force_login(maker)
    rows = french_excel_rows(client.get(CSV).content)
    values = {(row[0], row[1], row[2]): row[3] for row in rows[1:]}
    quantities = sorted(
        french_number(value)
        for (section, _n, field), value in values.items()
        if (section, field) == ("production_reports", "quantity")
    )
    assert quantities == [5, 12, 24]
    paid = [
        french_number(value)
        for (section, _n, field), value in values.items()
        if (section, field) == ("subsidy_lines", "amount_cents")
    ]
    # Whole cents, adding up to what Anne was paid to the cent.
    assert paid and sum(paid) == sum(
        RedistributionLine.objects.filter(maker=anne).values_list("amount_cents", flat=True)
    )


def test_an_account_without_a_maker_profile_exports_its_account_only(client, facilitator):
    client.force_login(facilitator)
    data = json.loads(client.get(JSON).content)
    assert data["account"]["email"] == facilitator.email
    assert data["maker"] is None and data["production_reports"] == []


# --- Deleting the account -------------------------------------------------------------------


def test_deleting_needs_the_password(client, maker, anne):
    client.force_login(maker)
    response = client.post(DELETE, {"password": "pas le bon"})
    assert "Ce mot de passe n'est pas le bon." in text(response)
    maker.refresh_from_db()
    assert maker.is_active and maker.email == "anne@example.org"


def test_deleting_anonymises_the_account_and_keeps_the_figures(
    client, maker, anne, network, relay_staff
):
    production_totals_rebuild(now=timezone.now())
    before = totals()
    lines_before = list(RedistributionLine.objects.values_list("pk", "amount_cents"))
    client.force_login(maker)
    response = client.post(DELETE, {"password": PASSWORD})
    assert "Votre compte est supprimé" in text(response)
    assert "_auth_user_id" not in client.session  # logged out

    user = User.objects.get(pk=maker.pk)
    assert user.email == f"deleted-{user.pk}@anonyme.invalid"
    assert user.full_name == "" and not user.is_active and not user.has_usable_password()
    assert not user.groups.exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    anne.refresh_from_db()
    assert anne.display_name == f"Maker anonyme n° {anne.pk}"
    assert (anne.commune, anne.skills, anne.is_public, anne.user) == ("", "", False, None)
    assert not BankAccount.objects.filter(maker=anne).exists()
    assert not Membership.objects.filter(maker=anne).exists()
    assert not Attestation.objects.filter(maker=anne).exists()
    assert anne.reports.count() == 3  # every report stays, validated ones keep counting
    # The figures of the network did not move.
    assert totals() == before
    assert production_totals_rebuild(now=timezone.now()) == {
        "buckets": len(before),
        "changed": 0,
        "added": 0,
        "removed": 0,
    }
    assert list(RedistributionLine.objects.values_list("pk", "amount_cents")) == lines_before
    decision = Decision.objects.get(action="account_delete")
    assert decision.actor_id == user.pk and "anne" not in json.dumps(decision.data).lower()


def test_after_deletion_workshops_keep_attendance_and_the_waitlist_moves_up(
    client, maker, network, yann
):
    client.force_login(maker)
    client.post(DELETE, {"password": PASSWORD})
    past = Registration.objects.filter(workshop=network["past"]).exclude(user=yann.user).get()
    assert (past.name, past.attended, past.user) == ("Participant anonyme", True, None)
    assert past.email.endswith("@anonyme.invalid")
    upcoming = network["upcoming"].registrations
    assert upcoming.get(name="Participant anonyme").status == "cancelled"
    assert upcoming.get(user=yann.user).status == "confirmed"  # Yann got the seat


def test_the_deleted_account_cannot_log_in_again(client, maker, network):
    client.force_login(maker)
    client.post(DELETE, {"password": PASSWORD})
    response = client.post("/accounts/login/", {"login": "anne@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200  # the login form again, with its error
    assert not client.login(email="anne@example.org", password=PASSWORD)


def test_deleting_one_account_leaves_another_persons_data_untouched(client, maker, network, yann):
    yann_before = services.personal_data_export(user=yann.user, now=timezone.now())
    client.force_login(maker)
    client.post(DELETE, {"password": PASSWORD})
    yann_after = services.personal_data_export(user=yann.user, now=timezone.now())
    yann_before.pop("exported_at"), yann_after.pop("exported_at")
    # Only the waitlisted registration changed: Yann got Anne's seat.
    changed = [
        (before, after)
        for before, after in zip(
            yann_before["workshop_registrations"],
            yann_after["workshop_registrations"],
            strict=True,
        )
        if before != after
    ]
    assert [(b["status"], a["status"]) for b, a in changed] == [("waitlisted", "confirmed")]
    yann_before.pop("workshop_registrations"), yann_after.pop("workshop_registrations")
    # And the e-mail telling him so; the e-mails written to him before are still his.
    *kept, told = yann_after.pop("emails")
    assert kept == yann_before.pop("emails")
    assert told["subject"].startswith("[Ti Lab] Une place s'est libérée")
    assert yann_after == yann_before
    yann.refresh_from_db()
    assert yann.display_name == "Yann Kervella" and yann.user.is_active
    assert Maker.objects.get(pk=yann.pk).bank_account.iban == YANN_IBAN


def test_deleting_twice_changes_nothing_more(maker, network):
    services.account_delete(user=maker, now=timezone.now())
    services.account_delete(user=maker, now=timezone.now())
    assert Decision.objects.filter(action="account_delete").count() == 1
