"""The demo seed: one login per role, realistic data, idempotent, never in production."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fablabs.models import Organisation, Relay
from makers.models import Maker
from tilab import roles
from tilab.models import User


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_it_creates_one_login_per_role_and_the_three_relays(debug_on, reference_data, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for email in (
        "maker@demo.tilab.test",
        "relais.rennes@demo.tilab.test",
        "relais.loch@demo.tilab.test",
        "relais.ensta@demo.tilab.test",
        "region@demo.tilab.test",
        "region.controle@demo.tilab.test",
        "relais.rennes2@demo.tilab.test",
        "facilitateur@demo.tilab.test",
        "audit@demo.tilab.test",
    ):
        assert email in out
        user = User.objects.get(email=email)
        assert user.check_password("demo-tilab-2020")
        assert user.emailaddress_set.get().verified
    coverage = {
        str(relay): sorted(relay.departments.values_list("code", flat=True))
        for relay in Relay.objects.all()
    }
    assert coverage == {
        "LabFab de Rennes": ["22", "35"],
        "La Fabrique du Loch": ["56"],
        "ENSTA Bretagne": ["29"],
    }
    assert (
        User.objects.get(email="relais.loch@demo.tilab.test").relays.get().organisation.name
        == "La Fabrique du Loch"
    )
    assert {g for u in User.objects.all() for g in u.groups.values_list("name", flat=True)} == set(
        roles.ROLES
    )
    assert "double authentification" in out


def test_it_is_idempotent(debug_on, reference_data):
    call_command("seed_demo", quiet_logins=True)
    counts = (User.objects.count(), Maker.objects.count(), Organisation.objects.count())
    call_command("seed_demo", quiet_logins=True)
    assert (User.objects.count(), Maker.objects.count(), Organisation.objects.count()) == counts


def test_scale_adds_makers_once(debug_on, reference_data):
    call_command("seed_demo", quiet_logins=True)
    base = Maker.objects.count()
    call_command("seed_demo", scale=300, quiet_logins=True)
    call_command("seed_demo", scale=300, quiet_logins=True)
    assert Maker.objects.count() == base + 300
    assert set(Maker.objects.values_list("department_id", flat=True)) == {"22", "29", "35", "56"}


def test_it_refuses_to_run_with_debug_off(settings, reference_data):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_scale_gives_the_generated_makers_validated_reports_once_with_their_totals(
    debug_on, reference_data
):
    from figures.models import ProductionTotal
    from figures.totals import production_totals_rebuild
    from makers.models import ProductionReport
    from tests.figures.test_totals import expected_totals, stored_totals

    call_command("seed_demo", quiet_logins=True)
    demo = set(ProductionReport.objects.values_list("pk", flat=True))
    call_command("seed_demo", scale=60, reports_per_maker=4, quiet_logins=True)
    generated = ProductionReport.objects.exclude(pk__in=demo).select_related(
        "maker", "organisation", "decided_by"
    )
    assert generated.count() == 60 * 4
    assert {r.status for r in generated} == {"validated"}
    assert {r.maker.display_name[-7:] for r in generated} == {f"({n:05d})" for n in range(1, 61)}
    for report in generated:
        assert datetime.date(2020, 3, 16) <= report.produced_on <= datetime.date(2020, 5, 31)
        assert report.department_id == report.maker.department_id
        relay = report.decided_by.relays.filter(departments=report.department_id).first()
        if report.organisation and hasattr(report.organisation, "relay"):
            # Four eyes: what a relay's own organisation made, the Région decided.
            assert report.decided_by.email == "region@demo.tilab.test"
        else:
            assert relay is not None
        assert report.quantity >= 1 and report.material_cost_cents > 0
        if report.organisation:
            assert report.organisation.department_id == report.department_id
            assert report.maker.memberships.filter(organisation=report.organisation).exists()
    kinds = {r.organisation.kind if r.organisation else "independent" for r in generated}
    assert kinds == {"independent", "associative_fablab", "institutional_fablab", "sme",
                     "collective"}  # fmt: skip
    assert len({r.item_type_id for r in generated}) == 5
    # The totals were rebuilt: they count the generated reports and need no fixing.
    assert stored_totals() == expected_totals()
    assert ProductionTotal.objects.exists()
    drift = production_totals_rebuild(now=timezone.now())
    assert drift["changed"] == drift["added"] == drift["removed"] == 0

    before = sorted(
        ProductionReport.objects.values_list("maker_id", "item_type_id", "produced_on", "quantity")
    )
    call_command("seed_demo", scale=60, reports_per_maker=4, quiet_logins=True)
    after = sorted(
        ProductionReport.objects.values_list("maker_id", "item_type_id", "produced_on", "quantity")
    )
    assert after == before


def test_a_larger_scale_adds_reports_only_for_the_new_makers(debug_on, reference_data):
    from makers.models import ProductionReport

    call_command("seed_demo", scale=20, reports_per_maker=3, quiet_logins=True)
    first = set(
        ProductionReport.objects.filter(maker__user__isnull=True, maker__display_name__endswith=")")
        .values_list("maker_id", "item_type_id", "produced_on", "quantity")
    )  # fmt: skip
    call_command("seed_demo", scale=30, reports_per_maker=3, quiet_logins=True)
    generated = ProductionReport.objects.filter(maker__display_name__endswith=")")
    assert generated.count() == 30 * 3
    assert first <= set(
        generated.values_list("maker_id", "item_type_id", "produced_on", "quantity")
    )


def test_it_seeds_the_2020_grant_approved_and_a_redistribution_to_approve(debug_on, reference_data):
    from subsidies.ledger import ledger_verify
    from subsidies.models import Programme

    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)
    programme = Programme.objects.get()
    assert programme.envelope_cents == 3_000_000
    assert programme.status == Programme.Status.APPROVED
    assert {str(a.relay): a.amount_cents for a in programme.allocations.all()} == {
        "LabFab de Rennes": 1_500_000,
        "La Fabrique du Loch": 750_000,
        "ENSTA Bretagne": 750_000,
    }
    redistribution = programme.allocations.get(
        relay__organisation__slug="labfab-rennes"
    ).redistribution
    assert redistribution.status == "proposed"
    assert sum(line.amount_cents for line in redistribution.lines.all()) == 1_500_000
    assert redistribution.lines.filter(maker__user__email="maker@demo.tilab.test").exists()
    assert ledger_verify().intact


def test_it_seeds_the_demo_workshops_once_for_the_demo_facilitator(
    debug_on, reference_data, mailoutbox, django_capture_on_commit_callbacks
):
    from workshops import selectors
    from workshops.models import Registration, Workshop

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)
    now = timezone.now()
    facilitator = User.objects.get(email="facilitateur@demo.tilab.test")
    workshops = Workshop.objects.all()
    assert workshops.count() == 6
    assert set(selectors.workshops_managed_by(facilitator)) == set(workshops)
    agenda = list(selectors.workshops_upcoming(now=now))
    assert sorted(w.department_id or "online" for w in agenda) == ["29", "35", "56", "online"]
    invited = Workshop.objects.get(is_public=False)
    assert invited.starts_at > now and invited not in agenda
    full = next(w for w in agenda if w.department_id == "56")
    assert (full.confirmed_count, full.waitlist_count) == (full.capacity, 2)
    assert Registration.objects.filter(user=None).exists()  # guests
    assert Registration.objects.filter(user__email="maker@demo.tilab.test").count() == 3
    (synthesis,) = selectors.syntheses_published()
    assert synthesis.workshop.starts_at < now
    assert (synthesis.attended_count, synthesis.registered_count) == (7, 9)
    assert mailoutbox == []  # seeding writes to nobody


def test_the_directory_has_capabilities_equipment_and_valid_sirets(debug_on, reference_data):
    from stdnum.fr import siret

    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)
    smes = Organisation.objects.filter(kind="sme")
    assert smes.count() == 2 and all(siret.is_valid(sme.siret) for sme in smes)
    brest = Organisation.objects.filter(department_id="29", capabilities__slug="laser-cutting")
    assert "ensta-bretagne" in set(brest.values_list("slug", flat=True))
    assert Organisation.objects.get(slug="ensta-bretagne").equipment
    assert Maker.objects.filter(is_public=True).count() >= 2


def test_it_seeds_open_needs_and_annes_deliveries_once(debug_on, reference_data):
    from figures.models import DeliveredTotal
    from makers.models import ProductionReport
    from needs.models import Delivery, Need, Pledge

    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)

    board = Need.objects.filter(status=Need.Status.OPEN)
    assert sorted(board.values_list("department_id", "establishment__care_type")) == [
        ("22", "ehpad"),
        ("29", "pharmacy"),
        ("35", "hospital"),
    ]
    anne = Maker.objects.get(user__email="maker@demo.tilab.test")
    assert Pledge.objects.filter(maker=anne).count() == 2
    confirmed, waiting = (
        Delivery.objects.get(confirmed_at__isnull=False),
        Delivery.objects.get(confirmed_at__isnull=True),
    )
    assert confirmed.pledge.need.department_id == "35" and waiting.pledge.need.department_id == "22"
    total = DeliveredTotal.objects.get()
    assert (total.department_id, total.quantity, total.delivery_count) == (
        "35",
        confirmed.quantity,
        1,
    )
    assert ProductionReport.objects.filter(maker=anne, corroborated_at__isnull=False).exists()
    counted = ProductionReport.objects.filter(
        maker=anne,
        item_type=confirmed.pledge.need.item_type,
        status__in=["submitted", "validated"],
    )
    assert confirmed.quantity + waiting.quantity <= sum(r.quantity for r in counted)


def test_seeding_tells_nobody_of_its_decisions(debug_on, reference_data):
    from tilab.models import OutboxEmail, PendingNotice

    call_command("seed_demo", quiet_logins=True)
    assert not OutboxEmail.objects.exists()
    assert not PendingNotice.objects.exists()
