"""Production reports: the rules of entry, edits, corrections and decisions, and the database
constraints that hold whatever the code does."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from makers import services
from makers.models import ItemType, Maker, Membership, ProductionReport
from tests.factories import make_maker, make_organisation, make_report
from tests.refusals import refused
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.models import Decision, Department

NOW = timezone.now()


def _create(maker, **changes):
    values = {
        "maker": maker,
        "item_type": ItemType.objects.get(slug="visor"),
        "quantity": 24,
        "produced_on": datetime.date(2020, 4, 2),
        "material_cost_cents": 1250,
        "entered_by": maker.user,
        "source": "maker",
        "now": NOW,
    }
    values.update(changes)
    return services.production_report_create(**values)


def test_a_report_takes_the_department_of_the_maker_or_of_the_organisation(maker):
    anne = maker.maker
    assert _create(anne).department_id == "35"
    lannion = make_organisation(name="FabLab Lannion", department="22")
    Membership.objects.create(maker=anne, organisation=lannion)
    assert _create(anne, organisation=lannion).department_id == "22"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"quantity": 0}, "quantity_out_of_range", "quantity"),
        ({"quantity": 100_001}, "quantity_out_of_range", "quantity"),
        ({"produced_on": datetime.date(2019, 12, 31)}, "produced_on_too_early", "produced_on"),
        (
            {"produced_on": timezone.localdate(NOW) + datetime.timedelta(days=1)},
            "produced_on_in_future",
            "produced_on",
        ),
        ({"material_cost_cents": -1}, "material_cost_negative", "material_cost_cents"),
    ],
)
def test_bad_figures_are_refused_with_the_field_named(maker, changes, code, field):
    with refused(code, kind=BadInput, field=field):
        _create(maker.maker, **changes)
    assert not ProductionReport.objects.exists()


def test_several_bad_figures_are_refused_together(maker):
    with refused("quantity_out_of_range", kind=BadInput) as caught:
        _create(maker.maker, quantity=0, material_cost_cents=-1)
    assert [r.field for r in caught.value.refusals] == ["quantity", "material_cost_cents"]


def test_an_organisation_the_maker_does_not_belong_to_is_refused(maker):
    stranger = make_organisation(name="FabLab d'ailleurs")
    with refused("maker_not_member", kind=BadInput, field="organisation"):
        _create(maker.maker, organisation=stranger)


def test_an_inactive_item_is_refused(maker):
    ItemType.objects.filter(slug="gown").update(is_active=False)
    with refused("item_type_not_offered", kind=BadInput, field="item_type"):
        _create(maker.maker, item_type=ItemType.objects.get(slug="gown"))


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 0},
        {"quantity": 100_001},
        {"produced_on": datetime.date(2019, 12, 31)},
        {"produced_on": timezone.localdate() + datetime.timedelta(days=2)},
        {"material_cost_cents": -5},
        {"status": "rejected", "rejection_reason": ""},
        {"status": "validated"},  # a decision needs its author
        {"status": "approved"},
    ],
)
def test_the_database_refuses_what_the_services_refuse(maker, relay_staff, change):
    report = make_report(maker=maker.maker)
    if change.get("status") == "rejected":
        change = {**change, "decided_by": relay_staff, "decided_at": NOW}
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductionReport.objects.filter(pk=report.pk).update(**change)


def test_a_relay_validates_a_report_of_its_department_and_the_decision_is_recorded(
    maker, relay_staff
):
    report = make_report(maker=maker.maker)
    services.production_report_validate(report=report, by=relay_staff, now=NOW)
    report.refresh_from_db()
    assert (report.status, report.decided_by, report.decided_at) == ("validated", relay_staff, NOW)
    decision = Decision.objects.get(object_id=str(report.pk))
    assert (decision.actor, decision.action, decision.from_state, decision.to_state) == (
        relay_staff,
        "validate",
        "submitted",
        "validated",
    )
    assert decision.data["quantity"] == 24


def test_a_relay_cannot_decide_outside_its_departments(maker, other_relay_staff):
    report = make_report(maker=maker.maker)
    with refused("report_outside_relay", kind=NotAllowed, id=report.pk):
        services.production_report_validate(report=report, by=other_relay_staff, now=NOW)
    report.refresh_from_db()
    assert report.status == "submitted"
    assert not Decision.objects.exists()


def test_nobody_validates_their_own_report(relay_staff):
    own = make_maker(user=relay_staff, display_name="Camille", department="35")
    report = make_report(maker=own)
    with refused("own_report", kind=NotAllowed):
        services.production_report_validate(report=report, by=relay_staff, now=NOW)


def test_a_rejection_needs_a_reason_the_maker_reads(maker, relay_staff):
    report = make_report(maker=maker.maker)
    with refused("rejection_reason_missing", kind=BadInput, field="reason"):
        services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="  ")
    services.production_report_reject(
        report=report, by=relay_staff, now=NOW, reason="Date à vérifier"
    )
    report.refresh_from_db()
    assert (report.status, report.rejection_reason) == ("rejected", "Date à vérifier")


def test_deciding_twice_is_refused(maker, relay_staff):
    report = make_report(maker=maker.maker, status="validated", decided_by=relay_staff)
    with refused("report_already_decided", kind=WrongState):
        services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="Non")
    assert Decision.objects.count() == 1


def test_a_batch_is_decided_whole_or_not_at_all(maker, relay_staff, reference_data):
    finistere = make_maker(display_name="Maëlle Tanguy", department="29")
    ours = make_report(maker=maker.maker)
    theirs = make_report(maker=finistere)
    with refused("report_outside_relay", kind=NotAllowed, id=theirs.pk):
        services.production_reports_validate(
            report_ids=[ours.pk, theirs.pk], by=relay_staff, now=NOW
        )
    ours.refresh_from_db()
    assert ours.status == "submitted"
    assert not Decision.objects.exists()


def test_a_submitted_report_is_edited_and_a_rejected_one_corrected_and_resubmitted(
    maker, relay_staff
):
    report = make_report(maker=maker.maker)
    services.production_report_update(report=report, by=maker, now=NOW, quantity=30)
    report.refresh_from_db()
    assert report.quantity == 30
    services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="Trop")
    services.production_report_update(report=report, by=maker, now=NOW, quantity=20)
    report.refresh_from_db()
    assert (report.status, report.quantity, report.rejection_reason) == ("submitted", 20, "")
    assert list(
        Decision.objects.filter(object_id=str(report.pk)).values_list("action", flat=True)
    ) == ["reject", "resubmit"]


def test_a_validated_report_is_never_edited_only_superseded_by_a_validated_correction(
    maker, relay_staff
):
    original = make_report(maker=maker.maker, status="validated", decided_by=relay_staff)
    with refused("report_validated_not_editable", kind=WrongState):
        services.production_report_update(report=original, by=maker, now=NOW, quantity=1)
    with refused("report_validated_not_editable", kind=WrongState):
        services.production_report_withdraw(report=original, by=maker, now=NOW)

    correction = services.production_report_correct(
        report=original, by=maker, now=NOW, source="maker", quantity=26
    )
    assert (correction.status, correction.corrects, correction.quantity) == (
        "submitted",
        original,
        26,
    )
    with refused("correction_already_pending", kind=WrongState):
        services.production_report_correct(
            report=original, by=maker, now=NOW, source="maker", quantity=27
        )
    original.refresh_from_db()
    assert original.status == "validated"  # still counted until the correction is validated

    services.production_report_validate(report=correction, by=relay_staff, now=NOW)
    original.refresh_from_db()
    assert original.status == "superseded"
    assert Decision.objects.filter(object_id=str(original.pk), action="supersede").exists()


def test_a_withdrawn_report_stays_on_record_and_cannot_be_decided(maker, relay_staff):
    report = make_report(maker=maker.maker)
    services.production_report_withdraw(report=report, by=maker, now=NOW)
    report.refresh_from_db()
    assert report.status == "withdrawn"
    with refused("report_already_decided", kind=WrongState):
        services.production_report_validate(report=report, by=relay_staff, now=NOW)


def test_a_relay_enters_a_report_for_a_new_maker_and_their_fablab(relay_staff):
    lannion = make_organisation(name="FabLab Lannion", department="22")
    report = services.production_report_enter_for(
        by=relay_staff,
        now=NOW,
        new_maker_name="  Yann   Kerbrat ",
        new_maker_department=lannion.department,
        new_maker_commune="Lannion",
        organisation=lannion,
        item_type=ItemType.objects.get(slug="visor"),
        quantity=40,
        produced_on=datetime.date(2020, 3, 16),
        material_cost_cents=1800,
        recipient="EHPAD Lannion",
    )
    assert report.maker.display_name == "Yann Kerbrat"
    assert report.maker.user is None
    assert (report.source, report.entered_by, report.department_id) == ("relay", relay_staff, "22")
    assert Membership.objects.filter(maker=report.maker, organisation=lannion).exists()


def test_a_relay_cannot_enter_reports_outside_its_departments(relay_staff, reference_data):
    finistere = make_maker(display_name="Maëlle Tanguy", department="29")
    with refused("maker_outside_relay", kind=BadInput, field="maker"):
        services.production_report_enter_for(
            by=relay_staff,
            now=NOW,
            maker=finistere,
            item_type=ItemType.objects.get(slug="fabric-mask"),
            quantity=15,
            produced_on=datetime.date(2020, 3, 17),
        )
    assert not ProductionReport.objects.exists()


def test_a_failed_entry_leaves_no_new_maker_behind(relay_staff):
    with refused("quantity_out_of_range", kind=BadInput):
        services.production_report_enter_for(
            by=relay_staff,
            now=NOW,
            new_maker_name="Erwan Morvan",
            new_maker_department=Department.objects.get(code="35"),
            item_type=ItemType.objects.get(slug="visor"),
            quantity=0,
            produced_on=datetime.date(2020, 3, 17),
        )
    assert not Maker.objects.filter(display_name="Erwan Morvan").exists()


def test_a_rejected_correction_is_not_resubmitted_beside_another_one(maker, relay_staff):
    original = make_report(maker=maker.maker, status="validated", decided_by=relay_staff)
    first = services.production_report_correct(
        report=original, by=maker, now=NOW, source="maker", quantity=26
    )
    services.production_report_reject(report=first, by=relay_staff, now=NOW, reason="Non")
    second = services.production_report_correct(
        report=original, by=maker, now=NOW, source="maker", quantity=27
    )
    with refused("correction_already_pending", kind=WrongState):
        services.production_report_update(report=first, by=maker, now=NOW, quantity=25)

    services.production_report_validate(report=second, by=relay_staff, now=NOW)
    # The original no longer counts: the old correction has nothing left to correct.
    with refused("corrected_report_not_validated", kind=WrongState):
        services.production_report_update(report=first, by=maker, now=NOW, quantity=25)
    first.refresh_from_db()
    assert first.status == "rejected"


def test_a_correction_of_a_report_superseded_meanwhile_cannot_be_validated(maker, relay_staff):
    original = make_report(maker=maker.maker, status="validated", decided_by=relay_staff)
    first = services.production_report_correct(
        report=original, by=maker, now=NOW, source="maker", quantity=26
    )
    # Forced past the services, as a concurrent path might: two corrections waiting.
    ProductionReport.objects.filter(pk=first.pk).update(status="withdrawn")
    second = services.production_report_correct(
        report=original, by=maker, now=NOW, source="maker", quantity=27
    )
    services.production_report_validate(report=second, by=relay_staff, now=NOW)
    ProductionReport.objects.filter(pk=first.pk).update(status="submitted")
    with refused("correction_of_unvalidated_original", kind=WrongState):
        services.production_report_validate(report=first, by=relay_staff, now=NOW)
    assert ProductionReport.objects.filter(status="validated").count() == 1
