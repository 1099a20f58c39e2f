"""The production totals are exactly what the validated reports say, however they were reached:
incremental drains equal a full rebuild, every run is idempotent, concurrent runs agree, and
the nightly rebuild finds and fixes any drift."""

import datetime
import io
import logging
import random
import time
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fablabs.models import Organisation
from figures import totals
from figures.models import DirtyBucket, OrganisationKind, ProductionTotal, TotalDelta
from makers import services
from makers.models import ItemType, Maker, Membership, ProductionReport
from makers.reference import item_catalogue_ensure
from makers.selectors import decision_routes
from tests import concurrency
from tests.conftest import require_postgresql
from tests.factories import (
    make_maker,
    make_organisation,
    make_relay,
    make_report,
    make_user,
    region_controller,
)
from tilab import roles
from tilab.errors import WrongState

NOW = timezone.now()
VALIDATED = ProductionReport.Status.VALIDATED


# --- Helpers -------------------------------------------------------------------------------------


def stored_totals() -> dict:
    """The stored totals, bucket → (quantity, reports, distinct makers, distinct producers,
    material cost)."""
    return {
        (department, item, kind, monday): tuple(int(v) for v in values)
        for department, item, kind, monday, *values in ProductionTotal.objects.values_list(
            "department_id", "item_type_id", "org_kind", "week_start", *totals.FIGURES
        )
    }


def expected_totals() -> dict:
    """The totals computed in Python from the validated reports, without the code under test."""
    figures = defaultdict(lambda: [0, 0, set(), set(), 0])
    for report in ProductionReport.objects.filter(status=VALIDATED).select_related("organisation"):
        kind = report.organisation.kind if report.organisation else "independent"
        monday = report.produced_on - datetime.timedelta(days=report.produced_on.weekday())
        bucket = figures[(report.department_id, report.item_type_id, kind, monday)]
        bucket[0] += report.quantity
        bucket[1] += 1
        bucket[2].add(report.maker_id)
        # A producer: the organisation of the report, or its maker producing on their own.
        bucket[3].add(("org", report.organisation_id) if report.organisation else report.maker_id)
        bucket[4] += report.material_cost_cents
    return {
        key: (q, n, len(makers), len(producers), cost)
        for key, (q, n, makers, producers, cost) in figures.items()
    }


def no_drift(drift: dict) -> bool:
    return drift["changed"] == drift["added"] == drift["removed"] == 0


@pytest.fixture
def network(relay_staff, other_relay_staff, loch_staff):
    """Two makers without a login per department, all members of four organisations, one of
    each kind and each in another department, and the relay staff deciding in each one."""
    item_catalogue_ensure()
    organisations = [
        make_organisation(name="LabFab de Saint-Malo", kind="associative_fablab", department="35"),
        make_organisation(name="FabLab de l'UBO", kind="institutional_fablab", department="29"),
        make_organisation(name="Armor Plasturgie", kind="sme", department="22"),
        make_organisation(name="Couturières de Vannes", kind="collective", department="56"),
    ]
    makers = [
        make_maker(display_name=f"Maker {code}-{n}", department=code)
        for code in ("22", "29", "35", "56")
        for n in (1, 2)
    ]
    Membership.objects.bulk_create(
        [Membership(maker=m, organisation=o) for m in makers for o in organisations]
    )
    return {
        "makers": makers,
        "organisations": organisations,
        "items": list(ItemType.objects.order_by("position")),
        "deciders": {
            "35": relay_staff,
            "22": relay_staff,
            "29": other_relay_staff,
            "56": loch_staff,
        },
        # Four eyes: what relay staff entered (the corrections here), the Région decides.
        "region": region_controller(),
    }


def _decider(network, report):
    """Who decides a report: its relay, or the Région for one its relay's staff entered (four
    eyes, `makers.selectors.decision_route`)."""
    route = decision_routes([report])[report.pk]
    return network["region"] if route.by == "region" else network["deciders"][report.department_id]


# --- Incremental equals full, on random histories -------------------------------------------------

# ISO week edges: Sunday/Monday pairs, the first day counted (a Wednesday, whose week starts in
# 2019), and the turn of 2020 (ISO week 53 of 2020 runs from 28/12/2020 to 03/01/2021).
EDGE_DAYS = [
    datetime.date(2020, 1, 1),
    datetime.date(2020, 3, 15),
    datetime.date(2020, 3, 16),
    datetime.date(2020, 5, 10),
    datetime.date(2020, 5, 11),
    datetime.date(2020, 12, 27),
    datetime.date(2020, 12, 28),
    datetime.date(2020, 12, 31),
    datetime.date(2021, 1, 1),
    datetime.date(2021, 1, 3),
    datetime.date(2021, 1, 4),
]
days = st.one_of(
    st.sampled_from(EDGE_DAYS),
    st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2021, 2, 28)),
)
pick = st.integers(min_value=0, max_value=1_000)
create = st.tuples(
    st.just("create"),
    st.integers(min_value=0, max_value=7),  # maker
    st.none() | st.integers(min_value=0, max_value=3),  # organisation
    st.integers(min_value=0, max_value=4),  # item
    days,
    st.integers(min_value=1, max_value=100_000),  # quantity
    st.integers(min_value=0, max_value=100_000_000),  # material cost, cents
    st.sampled_from(["validate", "validate", "validate", None, "reject"]),  # decided at once?
)
correction = st.fixed_dictionaries(
    {},
    optional={
        "quantity": st.integers(min_value=1, max_value=100_000),
        "produced_on": days,
        "organisation": st.none() | st.integers(min_value=0, max_value=3),
        "item_type": st.integers(min_value=0, max_value=4),
    },
)
validate = st.tuples(st.just("validate"), st.lists(pick, min_size=1, max_size=3))
correct = st.tuples(st.just("correct"), pick, correction, st.booleans())
# A report in the bucket of an existing one: the same maker again, or another maker beside it.
again = st.tuples(
    st.just("again"),
    pick,
    st.booleans(),  # the same maker?
    st.integers(min_value=0, max_value=6),  # day of that ISO week
    st.integers(min_value=1, max_value=100_000),  # quantity
    st.sampled_from(["validate", "validate", None, "reject"]),
)
# Weighted by repetition so that most histories validate, correct and supersede something, in
# buckets shared by several reports of several makers.
operation = st.one_of(
    create,
    create,
    create,
    again,
    again,
    again,
    validate,
    validate,
    validate,
    correct,
    correct,
    correct,
    st.tuples(st.just("reject"), pick),
    st.tuples(st.just("withdraw"), pick),
    st.tuples(st.just("resubmit"), pick, st.integers(min_value=1, max_value=100_000)),
    st.tuples(st.just("drain"), st.integers(min_value=1, max_value=4)),  # batch size
    st.tuples(st.just("mark_full"), pick),
    st.tuples(
        st.just("rekind"),
        st.integers(min_value=0, max_value=3),
        st.sampled_from(Organisation.Kind.values),
    ),
    st.tuples(st.just("rebuild")),
)
# Each operation commits on its own; the drain it queues on commit is sometimes lost.
operations = st.lists(
    st.tuples(operation, st.sampled_from([True, True, True, False])), min_size=10, max_size=50
)


def _candidates(*statuses, pending_correction=None):
    reports = ProductionReport.objects.filter(status__in=statuses).order_by("pk")
    if pending_correction is False:
        reports = reports.exclude(corrections__status="submitted")
    return list(reports.select_related("organisation"))


def _chosen(candidates, n):
    return candidates[n % len(candidates)] if candidates else None


def _validate(reports, network, model: dict) -> None:
    """Validate a batch at once (those of the first report's relay); record what it supersedes."""
    by = _decider(network, reports[0])
    batch = [r for r in reports if _decider(network, r) == by]
    services.production_reports_validate(report_ids=[r.pk for r in batch], by=by, now=NOW)
    for report in batch:
        model[report.pk] = "validated"
        if report.corrects_id and model[report.corrects_id] == "validated":
            model[report.corrects_id] = "superseded"


def _reject(report, network, model: dict) -> None:
    by = _decider(network, report)
    services.production_report_reject(report=report, by=by, now=NOW, reason="À vérifier")
    model[report.pk] = "rejected"


def _create(network, model: dict, *, decision, **report) -> None:
    report = services.production_report_create(
        entered_by=None, source=ProductionReport.Source.RELAY, now=NOW, **report
    )
    model[report.pk] = "submitted"
    if decision == "validate":
        _validate([report], network, model)
    elif decision == "reject":
        _reject(report, network, model)


def _apply(operation, network, model: dict) -> None:
    """Apply one operation through the services, and what it should do to `model` (report id →
    expected status); an operation with no report in the right state does nothing."""
    makers, organisations, items = network["makers"], network["organisations"], network["items"]
    kind, *args = operation
    if kind == "create":
        maker, organisation, item, day, quantity, cost, decision = args
        _create(
            network,
            model,
            decision=decision,
            maker=makers[maker],
            organisation=None if organisation is None else organisations[organisation],
            item_type=items[item],
            quantity=quantity,
            produced_on=day,
            material_cost_cents=cost,
        )
    elif kind == "again":
        n, same_maker, weekday, quantity, decision = args
        beside = _chosen(_candidates(*model.values()), n)
        if beside is None:
            return
        # The makers come in pairs by department: the other one may join its bucket too.
        maker = makers.index(beside.maker)
        day = beside.produced_on + datetime.timedelta(days=weekday - beside.produced_on.weekday())
        _create(
            network,
            model,
            decision=decision,
            maker=makers[maker if same_maker else maker ^ 1],
            organisation=beside.organisation,
            item_type=beside.item_type,
            quantity=quantity,
            produced_on=max(day, datetime.date(2020, 1, 1)),
            material_cost_cents=quantity * 10,
        )
    elif kind == "drain":
        # A drain brings every total up to date, whatever was lost or marked before it.
        totals.production_totals_drain(now=NOW, batch_size=args[0])
        assert stored_totals() == expected_totals()
    elif kind == "mark_full":
        report = _chosen(_candidates(*model.values()), args[0])
        if report:
            totals.production_buckets_mark_dirty(buckets=[totals.bucket_of(report)], now=NOW)
    elif kind == "rekind":
        # What the admin does when an organisation changes kind.
        organisation = Organisation.objects.get(pk=organisations[args[0]].pk)
        was, organisation.kind = organisation.kind, args[1]
        organisation.save(update_fields=["kind"])
        totals.production_totals_organisation_kind_changed(
            organisation_id=organisation.pk, was=was, now=NOW
        )
    elif kind == "rebuild":
        totals.production_totals_rebuild(now=NOW)
    elif kind == "validate":
        candidates = _candidates("submitted")
        if candidates:
            chosen = {_chosen(candidates, n).pk: _chosen(candidates, n) for n in args[0]}
            _validate(list(chosen.values()), network, model)
    elif kind == "reject":
        report = _chosen(_candidates("submitted"), args[0])
        if report:
            _reject(report, network, model)
    elif kind == "withdraw":
        report = _chosen(_candidates("submitted", "rejected"), args[0])
        if report:
            services.production_report_withdraw(report=report, by=None, now=NOW)
            model[report.pk] = "withdrawn"
    elif kind == "correct":
        n, changes, validate_now = args
        original = _chosen(_candidates("validated", pending_correction=False), n)
        if not original:
            return
        changes = dict(changes)
        if "organisation" in changes:
            index = changes["organisation"]
            changes["organisation"] = None if index is None else organisations[index]
        if "item_type" in changes:
            changes["item_type"] = items[changes["item_type"]]
        fix = services.production_report_correct(
            report=original,
            by=network["deciders"][original.department_id],
            now=NOW,
            source=ProductionReport.Source.RELAY,
            **changes,
        )
        model[fix.pk] = "submitted"
        if validate_now:
            _validate([fix], network, model)
    elif kind == "resubmit":
        report = _chosen(_candidates("rejected"), args[0])
        if report is None:
            return
        original = report.corrects
        stale = original is not None and (
            original.status != "validated"
            or original.corrections.filter(status="submitted").exists()
        )
        if stale:
            # A correction with nothing left to correct, or beside a waiting one: refused.
            with pytest.raises(WrongState):
                services.production_report_update(report=report, by=None, now=NOW, quantity=args[1])
        else:
            services.production_report_update(report=report, by=None, now=NOW, quantity=args[1])
            model[report.pk] = "submitted"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=operations)
def test_totals_kept_by_the_journal_equal_a_full_rebuild_and_the_reports_on_any_history(
    history, network, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    delivered = [True]
    enqueue = totals._enqueue_drain
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: enqueue() if delivered[0] else None)
    with transaction.atomic():  # each example starts from the same empty history
        model = {}
        for operation, delivered[0] in history:
            # Each operation commits on its own, as a request would, and its drain runs then,
            # unless its message is lost.
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                _apply(operation, network, model)
        # The beat schedule drains whatever the lost messages left.
        totals.production_totals_drain(now=NOW)

        assert dict(ProductionReport.objects.values_list("pk", "status")) == model
        assert not DirtyBucket.objects.exists()
        assert not TotalDelta.objects.exists()
        kept = stored_totals()
        assert kept == expected_totals()
        assert no_drift(totals.production_totals_rebuild(now=NOW))
        assert stored_totals() == kept
        transaction.set_rollback(True)


def test_a_validation_across_the_turn_of_the_year_counts_in_iso_week_53(
    network, eager_tasks, django_capture_on_commit_callbacks
):
    maker, visor = network["makers"][4], network["items"][0]  # a maker of Ille-et-Vilaine
    with django_capture_on_commit_callbacks(execute=True):
        for day in (datetime.date(2020, 12, 31), datetime.date(2021, 1, 3)):
            report = services.production_report_create(
                maker=maker, item_type=visor, quantity=10, produced_on=day, entered_by=None,
                source="relay", now=NOW, material_cost_cents=100,
            )  # fmt: skip
            services.production_report_validate(
                report=report, by=network["deciders"]["35"], now=NOW
            )
    assert stored_totals() == {
        ("35", visor.pk, "independent", datetime.date(2020, 12, 28)): (20, 2, 1, 1, 200)
    }


# --- Marked in the same transaction ---------------------------------------------------------------


def _dirty() -> set:
    return set(
        DirtyBucket.objects.values_list("department_id", "item_type_id", "org_kind", "week_start")
    )


def test_a_validation_marks_its_bucket_dirty_in_its_own_transaction_and_queues_one_drain(
    maker, relay_staff, django_capture_on_commit_callbacks
):
    anne = maker.maker
    reports = [make_report(maker=anne, quantity=n) for n in (5, 7)]
    visor = ItemType.objects.get(slug="visor").pk
    with django_capture_on_commit_callbacks() as queued, transaction.atomic():
        services.production_reports_validate(
            report_ids=[r.pk for r in reports], by=relay_staff, now=NOW
        )
        # Before the commit, the pending work is already on record with the decision.
        assert _dirty() == {("35", visor, "independent", datetime.date(2020, 3, 30))}
        assert not ProductionTotal.objects.exists()
    assert len(queued) == 1  # one drain for the whole batch


def test_two_validations_in_one_transaction_queue_one_drain(
    maker, relay_staff, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: queued.append(1))
    first, second = (make_report(maker=maker.maker, quantity=n) for n in (5, 7))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.production_reports_validate(report_ids=[first.pk], by=relay_staff, now=NOW)
        services.production_reports_validate(report_ids=[second.pk], by=relay_staff, now=NOW)
    assert queued == [1]
    # The next transaction queues its own.
    third = make_report(maker=maker.maker, quantity=9)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.production_reports_validate(report_ids=[third.pk], by=relay_staff, now=NOW)
    assert queued == [1, 1]


def test_a_rolled_back_validation_leaves_the_next_transaction_its_drain(
    maker, relay_staff, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: queued.append(1))
    undone, kept = (make_report(maker=maker.maker, quantity=n) for n in (5, 7))
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        try:
            with transaction.atomic():
                services.production_reports_validate(
                    report_ids=[undone.pk], by=relay_staff, now=NOW
                )
                raise RuntimeError("the request failed after the decision")
        except RuntimeError:
            pass
    assert (hooks, queued) == ([], [])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.production_reports_validate(report_ids=[kept.pk], by=relay_staff, now=NOW)
    assert queued == [1]


def test_a_rejection_changes_no_total_so_it_leaves_nothing_to_drain(
    maker, relay_staff, django_capture_on_commit_callbacks
):
    report = make_report(maker=maker.maker, produced_on=datetime.date(2020, 4, 6))
    with django_capture_on_commit_callbacks() as queued:
        services.production_report_reject(report=report, by=relay_staff, now=NOW, reason="Doublon")
    assert _dirty() == set()
    assert not TotalDelta.objects.exists()
    # No drain: only the maker's notice of the refusal leaves after the commit.
    assert [callback.args[0].name for callback in queued] == ["tilab.outbox_email_send"]


def test_a_correction_marks_the_bucket_it_leaves_and_the_one_it_joins(
    maker, relay_staff, eager_tasks, django_capture_on_commit_callbacks
):
    anne = maker.maker
    lannion = make_organisation(name="FabLab Lannion", kind="sme", department="22")
    Membership.objects.create(maker=anne, organisation=lannion)
    with django_capture_on_commit_callbacks(execute=True):
        original = make_report(maker=anne, quantity=30, status="validated", decided_by=relay_staff)
    fix = services.production_report_correct(
        report=original,
        by=relay_staff,
        now=NOW,
        source="relay",
        quantity=25,
        organisation=lannion,
        produced_on=datetime.date(2020, 4, 7),
    )
    visor = ItemType.objects.get(slug="visor").pk
    with django_capture_on_commit_callbacks() as queued:
        services.production_report_validate(report=fix, by=region_controller(), now=NOW)
    assert _dirty() == {
        ("35", visor, "independent", datetime.date(2020, 3, 30)),
        ("22", visor, "sme", datetime.date(2020, 4, 6)),
    }
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    assert stored_totals() == {("22", visor, "sme", datetime.date(2020, 4, 6)): (25, 1, 1, 1, 1250)}
    original.refresh_from_db()
    assert original.status == ProductionReport.Status.SUPERSEDED


def test_a_rolled_back_validation_leaves_nothing_dirty_and_the_totals_unchanged(
    maker, relay_staff, eager_tasks, django_capture_on_commit_callbacks
):
    anne = maker.maker
    with django_capture_on_commit_callbacks(execute=True):
        make_report(maker=anne, quantity=10, status="validated", decided_by=relay_staff)
    before = stored_totals()
    report = make_report(maker=anne, quantity=90)

    with (
        django_capture_on_commit_callbacks(execute=True) as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.production_report_validate(report=report, by=relay_staff, now=NOW)
        raise RuntimeError("the request failed after the decision")

    assert queued == []
    assert not DirtyBucket.objects.exists()
    assert not TotalDelta.objects.exists()
    assert stored_totals() == before
    report.refresh_from_db()
    assert report.status == "submitted"


# --- The journal: a drain adds what changed -------------------------------------------------------

TUESDAY = datetime.date(2020, 3, 17)  # in the week of Monday 16 March 2020
NEXT_WEEK = datetime.date(2020, 3, 24)


@pytest.fixture
def lost_drains(monkeypatch):
    """The drain messages never arrive (a dead broker): the changes wait, recorded."""
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: None)


def _validated(network, *, maker: int = 4, organisation=None, day=TUESDAY, quantity=10):
    """A report of one of the network's makers (4 and 5 are in Ille-et-Vilaine), validated by
    its relay."""
    report = services.production_report_create(
        maker=network["makers"][maker], organisation=organisation, item_type=network["items"][0],
        quantity=quantity, produced_on=day, material_cost_cents=10 * quantity, entered_by=None,
        source="relay", now=NOW,
    )  # fmt: skip
    by = network["deciders"][report.department_id]
    return services.production_report_validate(report=report, by=by, now=NOW)


def _moved(network, report, *, to):
    """A validated correction of `report` to another day: the report leaves its bucket."""
    by = network["deciders"][report.department_id]
    fix = services.production_report_correct(
        report=report, by=by, now=NOW, source="relay", produced_on=to
    )
    return services.production_report_validate(report=fix, by=network["region"], now=NOW)


def test_a_makers_second_report_in_a_bucket_adds_its_figures_but_no_maker(
    network, eager_tasks, django_capture_on_commit_callbacks
):
    visor = network["items"][0].pk
    with django_capture_on_commit_callbacks(execute=True):
        _validated(network, quantity=10)
    with django_capture_on_commit_callbacks(execute=True):
        _validated(network, quantity=5, day=TUESDAY + datetime.timedelta(days=2))
    assert stored_totals() == {
        ("35", visor, "independent", datetime.date(2020, 3, 16)): (15, 2, 1, 1, 150)
    }


def test_a_maker_stops_counting_in_a_bucket_only_when_their_last_report_leaves_it(
    network, eager_tasks, django_capture_on_commit_callbacks
):
    visor = network["items"][0].pk
    week = ("35", visor, "independent", datetime.date(2020, 3, 16))
    later = ("35", visor, "independent", datetime.date(2020, 3, 23))
    with django_capture_on_commit_callbacks(execute=True):
        first = _validated(network, quantity=10)
        second = _validated(network, quantity=20)
        _validated(network, maker=5, quantity=30)  # the other maker of the department
    assert stored_totals() == {week: (60, 3, 2, 2, 600)}

    with django_capture_on_commit_callbacks(execute=True):
        _moved(network, first, to=NEXT_WEEK)
    assert stored_totals() == {week: (50, 2, 2, 2, 500), later: (10, 1, 1, 1, 100)}

    with django_capture_on_commit_callbacks(execute=True):
        _moved(network, second, to=NEXT_WEEK)
    assert stored_totals() == {week: (30, 1, 1, 1, 300), later: (30, 2, 1, 1, 300)}
    assert stored_totals() == expected_totals()


def test_changes_waiting_for_a_drain_are_added_once_whatever_the_number_of_drains(
    network, eager_tasks, lost_drains
):
    for quantity in (10, 20):
        _validated(network, quantity=quantity)
    _validated(network, maker=5, quantity=30, day=NEXT_WEEK)
    assert stored_totals() == {}  # not yet: the changes wait, with their marks

    assert totals.production_totals_drain(now=NOW) == 2
    assert totals.production_totals_drain(now=NOW) == 0
    assert not TotalDelta.objects.exists()
    assert stored_totals() == expected_totals() != {}


def test_a_rebuild_takes_the_changes_still_waiting_so_no_drain_counts_them_twice(
    network, eager_tasks, lost_drains
):
    first = _validated(network, quantity=10)
    totals.production_totals_drain(now=NOW)
    _moved(network, first, to=NEXT_WEEK)
    _validated(network, maker=5, quantity=30)
    assert TotalDelta.objects.exists()

    totals.production_totals_rebuild(now=NOW)

    assert not DirtyBucket.objects.exists() and not TotalDelta.objects.exists()
    assert stored_totals() == expected_totals()
    assert totals.production_totals_drain(now=NOW) == 0
    assert stored_totals() == expected_totals()


def test_an_organisation_changing_kind_with_changes_waiting_is_recomputed_from_its_reports(
    network, eager_tasks, lost_drains
):
    """Its reports leave their buckets without a journal saying so: the buckets it leaves and
    joins are recomputed from their reports, and the journal waiting there is dropped."""
    armor = network["organisations"][2]  # an SME of Côtes-d'Armor
    _validated(network, organisation=armor, quantity=10)
    totals.production_totals_drain(now=NOW)
    _validated(network, maker=5, organisation=armor, quantity=30)  # its drain is lost

    with transaction.atomic():
        armor.kind = "collective"
        armor.save(update_fields=["kind"])
        totals.production_totals_organisation_kind_changed(
            organisation_id=armor.pk, was="sme", now=NOW
        )
    totals.production_totals_drain(now=NOW)

    visor = network["items"][0].pk
    assert stored_totals() == {
        ("22", visor, "collective", datetime.date(2020, 3, 16)): (40, 2, 2, 1, 400)
    }


def test_an_organisation_changed_to_another_kind_in_the_admin_counts_under_its_new_kind(
    network, admin_user, client, eager_tasks, django_capture_on_commit_callbacks
):
    armor = network["organisations"][2]
    with django_capture_on_commit_callbacks(execute=True):
        _validated(network, organisation=armor, quantity=10)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/fablabs/organisation/{armor.pk}/change/",
            {
                "name": armor.name, "slug": armor.slug, "kind": "collective",
                "description": "", "department": "22", "commune": "", "website": "",
                "has_place": "on", "is_public": "on",
            },
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    visor = network["items"][0].pk
    assert stored_totals() == {
        ("22", visor, "collective", datetime.date(2020, 3, 16)): (10, 1, 1, 1, 100)
    }


def test_a_journal_that_disagrees_with_its_total_is_recomputed_from_the_reports_and_logged(
    network, eager_tasks, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        report = _validated(network, quantity=10)
        _validated(network, maker=5, quantity=30)
    ProductionTotal.objects.all().delete()  # lost, say, by a bad manual fix

    with (
        caplog.at_level(logging.WARNING, logger="figures.totals"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _moved(network, report, to=NEXT_WEEK)  # takes 10 from a total that is not there

    assert stored_totals() == expected_totals()
    assert "the journal of 1 buckets disagrees with their totals" in caplog.text


def journal() -> list[tuple]:
    """The journal waiting for a drain: (maker, Δquantity, Δreports, Δmakers, Δcost) by row."""
    return list(
        TotalDelta.objects.order_by("pk").values_list(
            "maker_id", "d_quantity", "d_reports", "d_makers", "d_cost_cents"
        )
    )


def test_the_journal_counts_a_maker_in_on_their_first_report_and_out_on_their_last(
    network, eager_tasks, lost_drains
):
    """Each row says what one change did: the maker counts in the bucket from before the
    change (the reports counted after it, less the change) to after it."""
    anne = network["makers"][4].pk
    first = _validated(network, quantity=10)
    second = _validated(network, quantity=20)
    _moved(network, first, to=NEXT_WEEK)
    _moved(network, second, to=NEXT_WEEK)
    assert journal() == [
        (anne, 10, 1, 1, 100),  # before: no report, after: one → the maker comes in
        (anne, 20, 1, 0, 200),  # before: one, after: two → already counted
        (anne, -10, -1, 0, -100),  # leaves this week: before two, after one
        (anne, 10, 1, 1, 100),  # …and comes into the next: before none, after one
        (anne, -20, -1, -1, -200),  # the last one leaves: before one, after none
        (anne, 20, 1, 0, 200),  # joins the next week, where one is already counted
    ]
    # Journaled changes agree with the reports: the drain adds them, nothing to recompute.
    assert not DirtyBucket.objects.filter(needs_full=True).exists()
    totals.production_totals_drain(now=NOW)
    assert stored_totals() == expected_totals()


def test_a_change_the_reports_contradict_marks_its_bucket_for_a_full_recompute(
    network, eager_tasks, lost_drains
):
    """A caller saying a report started counting when it does not (it is not validated):
    the count before the change would be negative, so the bucket is recomputed from its
    reports instead of trusting the journal."""
    report = services.production_report_create(
        maker=network["makers"][4], organisation=None, item_type=network["items"][0],
        quantity=10, produced_on=TUESDAY, material_cost_cents=0, entered_by=None,
        source="relay", now=NOW,
    )  # fmt: skip
    with transaction.atomic():
        totals.production_totals_record(entered=[report], now=NOW)
    assert journal() == [(report.maker_id, 10, 1, 0, 0)]
    assert list(DirtyBucket.objects.values_list("needs_full", flat=True)) == [True]
    totals.production_totals_drain(now=NOW)
    assert stored_totals() == expected_totals() == {}


def test_reports_of_one_maker_in_one_bucket_are_journaled_as_one_sum(
    network, eager_tasks, lost_drains
):
    """A decision on several reports at once (an import, say) journals one row per maker and
    bucket, the sum of their figures."""
    reports = [
        services.production_report_create(
            maker=network["makers"][4],
            organisation=None,
            item_type=network["items"][0],
            quantity=quantity,
            produced_on=TUESDAY,
            material_cost_cents=10 * quantity,
            entered_by=None,
            source="relay",
            now=NOW,
        )  # fmt: skip
        for quantity in (10, 20, 5)
    ]
    with transaction.atomic():
        ProductionReport.objects.filter(pk__in=[r.pk for r in reports]).update(
            status=VALIDATED, decided_by=network["deciders"]["35"], decided_at=NOW
        )
        totals.production_totals_record(entered=reports, now=NOW)
    assert journal() == [(reports[0].maker_id, 35, 3, 1, 350)]
    with transaction.atomic():
        ProductionReport.objects.filter(pk__in=[r.pk for r in reports[:2]]).update(
            status="submitted", decided_by=None, decided_at=None
        )
        totals.production_totals_record(left=reports[:2], now=NOW)
    assert journal()[1:] == [(reports[0].maker_id, -30, -2, 0, -300)]
    assert not DirtyBucket.objects.filter(needs_full=True).exists()


def test_a_first_report_is_journaled_without_a_full_recompute(network, eager_tasks, lost_drains):
    _validated(network, quantity=10)
    assert list(DirtyBucket.objects.values_list("needs_full", flat=True)) == [False]


WEEK = datetime.date(2020, 3, 16)


@pytest.mark.parametrize(
    ("stored", "delta", "kept"),
    [
        # Sane sums are kept as they are, down to the limits: makers and producers ≤ reports ≤
        # quantity. (quantity, reports, makers, producers, cost)
        ((4, 1, 1, 1, 0), (1, 1, 1, 1, 0), True),  # 5 visors, 2 reports, 2 makers, 2 producers
        ((0, 0, 0, 0, 0), (1, 1, 1, 1, 0), True),  # one of each, no cost
        ((5, 2, 1, 1, 10), (2, 1, 0, 0, 5), True),
        # Impossible sums are recomputed from the reports (here: none) and logged.
        ((5, 2, 1, 1, 0), (0, 0, -1, 0, 0), False),  # no maker for two reports
        ((5, 2, 2, 2, 0), (0, 0, 1, 0, 0), False),  # more makers than reports
        ((5, 2, 1, 1, 0), (0, 0, 0, -1, 0), False),  # no producer for two reports
        ((5, 2, 2, 2, 0), (0, 0, 0, 1, 0), False),  # more producers than reports
        ((1, 1, 1, 1, 0), (0, 1, 0, 0, 0), False),  # more reports than visors
        ((5, 2, 1, 1, 0), (0, 0, 0, 0, -1), False),  # a negative cost
        ((5, 2, 1, 1, 0), (-6, -2, -1, -1, 0), False),  # a negative quantity
    ],
)
def test_the_drain_keeps_a_sane_sum_and_recomputes_an_impossible_one(
    network, caplog, stored, delta, kept
):
    """The sanity check of the journal's sums, one case per limit: a bucket with no report
    at all, a stored total and a journal row written by hand."""
    bucket = {
        "department_id": "35",
        "item_type_id": network["items"][0].pk,
        "org_kind": "independent",
        "week_start": WEEK,
    }
    quantity, reports, makers, producers, cost = stored
    if stored != (0, 0, 0, 0, 0):
        ProductionTotal.objects.create(
            **bucket, quantity=quantity, report_count=reports, maker_count=makers,
            producer_count=producers, material_cost_cents=cost, computed_at=NOW,
        )  # fmt: skip
    d_quantity, d_reports, d_makers, d_producers, d_cost = delta
    TotalDelta.objects.create(
        **bucket, maker=network["makers"][4], d_quantity=d_quantity, d_reports=d_reports,
        d_makers=d_makers, d_producers=d_producers, d_cost_cents=d_cost,
    )  # fmt: skip
    DirtyBucket.objects.create(**bucket, marked_at=NOW, needs_full=False)
    with caplog.at_level(logging.WARNING, logger="figures.totals"):
        assert totals.production_totals_drain(now=NOW) == 1
    key = ("35", network["items"][0].pk, "independent", WEEK)
    summed = tuple(a + b for a, b in zip(stored, delta, strict=True))
    assert stored_totals() == ({key: summed} if kept else {})
    warning = (
        "production totals: the journal of 1 buckets disagrees with their totals; recomputed "
        "from their reports"
    )
    assert caplog.messages == ([] if kept else [warning])
    assert not TotalDelta.objects.exists() and not DirtyBucket.objects.exists()


def test_a_drain_forgets_buckets_marked_at_different_times_together(network):
    visor = network["items"][0].pk
    first, second = ("35", visor, "independent", WEEK), ("22", visor, "sme", WEEK)
    totals.production_buckets_mark_dirty(buckets=[first], now=NOW)
    totals.production_buckets_mark_dirty(buckets=[second], now=NOW + datetime.timedelta(1))
    assert totals.production_totals_drain(now=NOW) == 2
    assert not DirtyBucket.objects.exists()


def test_a_journal_that_empties_a_bucket_removes_its_row_without_a_warning(network, caplog):
    bucket = {
        "department_id": "35",
        "item_type_id": network["items"][0].pk,
        "org_kind": "independent",
        "week_start": WEEK,
    }
    ProductionTotal.objects.create(
        **bucket, quantity=5, report_count=2, maker_count=1, producer_count=1,
        material_cost_cents=10, computed_at=NOW,
    )  # fmt: skip
    TotalDelta.objects.create(
        **bucket, maker=network["makers"][4], d_quantity=-5, d_reports=-2, d_makers=-1,
        d_producers=-1, d_cost_cents=-10,
    )  # fmt: skip
    DirtyBucket.objects.create(**bucket, marked_at=NOW, needs_full=False)
    with caplog.at_level(logging.WARNING, logger="figures.totals"):
        totals.production_totals_drain(now=NOW)
    assert stored_totals() == {}
    assert "disagrees" not in caplog.text


# --- Idempotent -------------------------------------------------------------------------------


@pytest.fixture
def validated_history(network, eager_tasks, django_capture_on_commit_callbacks):
    """Forty validated reports over a few weeks, kinds and departments, totals drained."""
    makers, organisations, items = network["makers"], network["organisations"], network["items"]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(40):
            organisation = organisations[n % 4] if n % 3 else None
            report = services.production_report_create(
                maker=makers[n % 8],
                organisation=organisation,
                item_type=items[n % 5],
                quantity=1 + n,
                produced_on=datetime.date(2020, 3, 16) + datetime.timedelta(days=3 * n),
                material_cost_cents=100 * n,
                entered_by=None,
                source="relay",
                now=NOW,
            )
            services.production_report_validate(
                report=report, by=network["deciders"][report.department_id], now=NOW
            )
    assert stored_totals() == expected_totals() != {}
    return network


def _all_buckets() -> list:
    return list(expected_totals())


def test_draining_twice_leaves_the_same_rows(validated_history):
    before = stored_totals()
    totals.production_buckets_mark_dirty(buckets=_all_buckets(), now=NOW)
    assert totals.production_totals_drain(now=NOW) == len(before)
    assert totals.production_totals_drain(now=NOW) == 0
    assert stored_totals() == before
    assert not DirtyBucket.objects.exists()


def test_recomputing_the_same_buckets_twice_leaves_the_same_rows(validated_history):
    before = stored_totals()
    ProductionTotal.objects.all().delete()
    for _ in range(2):
        totals.production_totals_recompute(buckets=_all_buckets(), now=NOW)
        assert stored_totals() == before


def test_recomputing_a_bucket_with_nothing_validated_left_removes_its_row(validated_history):
    department, item, _kind, monday = next(iter(stored_totals()))
    ProductionReport.objects.filter(
        department_id=department, item_type_id=item, produced_on__gte=monday,
        produced_on__lt=monday + datetime.timedelta(days=7),
    ).update(status="withdrawn")  # fmt: skip
    week = [b for b in stored_totals() if (b[0], b[1], b[3]) == (department, item, monday)]
    totals.production_totals_recompute(buckets=week, now=NOW)
    assert not set(week) & set(stored_totals())
    assert stored_totals() == expected_totals()


def test_rebuilding_twice_finds_no_drift_the_second_time(validated_history):
    ProductionTotal.objects.all().delete()
    first = totals.production_totals_rebuild(now=NOW)
    assert first["added"] == first["buckets"] == len(expected_totals())
    second = totals.production_totals_rebuild(now=NOW)
    assert no_drift(second)
    assert stored_totals() == expected_totals()


def test_a_bucket_marked_again_while_a_drain_recomputes_it_keeps_its_mark(
    validated_history, monkeypatch, django_capture_on_commit_callbacks
):
    """A validation committed while a worker recomputes its bucket: the drain must not forget
    the newer mark, or the new report would stay uncounted until the nightly rebuild."""
    network = validated_history
    maker = network["makers"][4]  # Ille-et-Vilaine
    visor = network["items"][0]
    late = services.production_report_create(
        maker=maker, item_type=visor, quantity=500, produced_on=datetime.date(2020, 3, 17),
        material_cost_cents=0, entered_by=None, source="relay", now=NOW,
    )  # fmt: skip
    bucket = ("35", visor.pk, "independent", datetime.date(2020, 3, 16))
    totals.production_buckets_mark_dirty(buckets=[bucket], now=NOW)
    recompute = totals.production_totals_recompute
    seen = []

    def recompute_then_a_validation_lands(*, buckets, now):
        recompute(buckets=buckets, now=now)
        seen.append(_dirty())
        if len(seen) == 1:  # after the drain read the reports, before it forgets its claim
            services.production_report_validate(
                report=late, by=network["deciders"]["35"], now=NOW + datetime.timedelta(seconds=1)
            )

    monkeypatch.setattr(totals, "production_totals_recompute", recompute_then_a_validation_lands)
    with django_capture_on_commit_callbacks(execute=False):
        recomputed = totals.production_totals_drain(now=NOW)

    assert seen == [{bucket}, {bucket}]  # claimed, re-marked, so claimed and recomputed again
    assert recomputed == 2
    assert not DirtyBucket.objects.exists()
    assert stored_totals()[bucket][0] >= 500
    assert stored_totals() == expected_totals()


def test_a_drain_takes_its_buckets_in_batches_and_forgets_each_once_done(validated_history):
    buckets = _all_buckets()
    ProductionTotal.objects.all().delete()
    totals.production_buckets_mark_dirty(buckets=buckets, now=NOW)
    assert totals.production_totals_drain(now=NOW, batch_size=7) == len(buckets)
    assert stored_totals() == expected_totals()


def test_thousands_of_buckets_recompute_and_rebuild_in_one_call(reference_data):
    # SQLite refuses a WHERE clause nested deeper than 1,000: the work goes in chunks.
    item_catalogue_ensure()
    visor = ItemType.objects.get(slug="visor")
    far = [datetime.date(2030, 1, 7) + datetime.timedelta(weeks=n) for n in range(1_200)]
    ProductionTotal.objects.bulk_create(
        ProductionTotal(
            department_id="29", item_type=visor, org_kind="sme", week_start=monday, quantity=1,
            report_count=1, maker_count=1, producer_count=1, material_cost_cents=0, computed_at=NOW,
        )
        for monday in far
    )  # fmt: skip
    totals.production_totals_recompute(
        buckets=[("29", visor.pk, "sme", monday) for monday in far[:600]], now=NOW
    )
    assert ProductionTotal.objects.count() == 600
    drift = totals.production_totals_rebuild(now=NOW)
    assert drift["removed"] == 600
    assert not ProductionTotal.objects.exists()


# --- The drift detector -----------------------------------------------------------------------


def test_the_rebuild_fixes_a_changed_total_and_logs_it(validated_history, caplog):
    row = ProductionTotal.objects.order_by("pk").first()
    ProductionTotal.objects.filter(pk=row.pk).update(quantity=row.quantity + 1_000)
    with caplog.at_level(logging.WARNING, logger="figures.totals"):
        drift = totals.production_totals_rebuild(now=NOW)
    assert (drift["changed"], drift["added"], drift["removed"]) == (1, 0, 0)
    assert stored_totals() == expected_totals()
    assert "1 changed, 0 missing, 0 extra" in caplog.text


def test_the_rebuild_removes_an_extra_total_and_logs_it(validated_history, caplog):
    ProductionTotal.objects.create(
        department_id="29", item_type=ItemType.objects.get(slug="gown"), org_kind="sme",
        week_start=datetime.date(2021, 6, 7), quantity=1, report_count=1, maker_count=1,
        producer_count=1, material_cost_cents=0, computed_at=NOW,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="figures.totals"):
        drift = totals.production_totals_rebuild(now=NOW)
    assert (drift["changed"], drift["added"], drift["removed"]) == (0, 0, 1)
    assert stored_totals() == expected_totals()
    assert "0 changed, 0 missing, 1 extra" in caplog.text


def test_the_rebuild_restores_a_missing_total_and_logs_it(validated_history, caplog):
    ProductionTotal.objects.filter(pk__in=ProductionTotal.objects.order_by("pk")[:2]).delete()
    with caplog.at_level(logging.WARNING, logger="figures.totals"):
        drift = totals.production_totals_rebuild(now=NOW)
    assert (drift["changed"], drift["added"], drift["removed"]) == (0, 2, 0)
    assert stored_totals() == expected_totals()
    assert "0 changed, 2 missing, 0 extra" in caplog.text
    assert [r.levelname for r in caplog.records if r.name == "figures.totals"] == ["WARNING"]


def test_a_rebuild_without_drift_logs_no_warning(validated_history, caplog):
    with caplog.at_level(logging.INFO, logger="figures.totals"):
        drift = totals.production_totals_rebuild(now=NOW)
    assert no_drift(drift)
    assert [r.levelname for r in caplog.records if r.name == "figures.totals"] == ["INFO"]


def test_the_rebuild_command_prints_what_it_checked_and_fixed(validated_history):
    buckets = len(expected_totals())
    ProductionTotal.objects.filter(pk=ProductionTotal.objects.order_by("pk").first().pk).delete()
    out = io.StringIO()
    call_command("production_totals_rebuild", stdout=out)
    assert out.getvalue().strip() == (
        f"{buckets} totaux vérifiés : 0 corrigés, 1 ajoutés, 0 supprimés."
    )
    assert stored_totals() == expected_totals()


# --- Concurrent runs, on PostgreSQL -------------------------------------------------------------


def _bulk_validated_reports(n: int) -> None:
    """`n` validated reports spread over many buckets, inserted directly (no decision rows)."""
    staff = make_user(role=roles.RELAY_STAFF)
    makers = Maker.objects.bulk_create(
        [Maker(display_name=f"Maker {i}", department_id=code) for i, code in
         enumerate(["22", "29", "35", "56"] * 5)]
    )  # fmt: skip
    organisations = [
        make_organisation(kind=kind, department=code)
        for kind, code in zip(
            [k for k in OrganisationKind.values if k != "independent"],
            ["35", "29", "22", "56"],
            strict=True,
        )
    ]
    items = list(ItemType.objects.order_by("pk"))
    ProductionReport.objects.bulk_create(
        [
            ProductionReport(
                maker=makers[i % len(makers)],
                organisation=organisations[i % 5] if i % 5 < 4 else None,
                department_id=(
                    organisations[i % 5].department_id
                    if i % 5 < 4
                    else makers[i % 20].department_id
                ),
                item_type=items[(i // 7) % len(items)],
                quantity=1 + i % 97,
                produced_on=datetime.date(2020, 3, 1) + datetime.timedelta(days=(i * 13) % 120),
                material_cost_cents=(i * 37) % 5_000,
                status=VALIDATED,
                source="relay",
                entered_at=NOW,
                updated_at=NOW,
                decided_by=staff,
                decided_at=NOW,
            )
            for i in range(n)
        ],
        batch_size=1_000,
    )


def _run_at_once(function, threads: int = 8) -> list:
    """Run `function` in `threads` threads released together, each on its own connection."""
    return _run_together(*[function] * threads)


def _run_together(*functions) -> list:
    """Run each function in its own thread and connection, all released together."""
    results, _refusals = concurrency.at_once(list(functions))
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_drains_at_once_share_the_work_without_error_and_agree_with_a_rebuild(
    reference_data, monkeypatch
):
    require_postgresql()
    item_catalogue_ensure()
    _bulk_validated_reports(5_000)
    buckets = _all_buckets()
    assert len(buckets) > 300
    # The drain messages are lost: the eight runs below find all the work left to do.
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: None)
    totals.production_buckets_mark_dirty(buckets=buckets, now=NOW)

    done = _run_at_once(lambda: totals.production_totals_drain(now=NOW, batch_size=10))

    # SKIP LOCKED: each bucket was claimed by exactly one of the runs.
    assert sum(done) == len(buckets)
    assert sum(1 for n in done if n) > 1, f"one run did everything: {done}"
    assert not DirtyBucket.objects.exists()
    assert stored_totals() == expected_totals()
    assert no_drift(totals.production_totals_rebuild(now=NOW))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_rebuilds_at_once_end_with_the_right_totals(reference_data):
    require_postgresql()
    item_catalogue_ensure()
    _bulk_validated_reports(5_000)
    totals.production_totals_rebuild(now=NOW)
    # Some drift for all of them to fix at once: a changed, a missing and an extra row.
    first, second = ProductionTotal.objects.order_by("pk")[:2]
    ProductionTotal.objects.filter(pk=first.pk).update(quantity=0)
    ProductionTotal.objects.filter(pk=second.pk).delete()
    ProductionTotal.objects.create(
        department_id="29", item_type_id=first.item_type_id, org_kind="sme",
        week_start=datetime.date(2021, 6, 7), quantity=1, report_count=1, maker_count=1,
        producer_count=1, material_cost_cents=0, computed_at=NOW,
    )  # fmt: skip

    _run_at_once(lambda: totals.production_totals_rebuild(now=NOW))

    assert stored_totals() == expected_totals()
    assert no_drift(totals.production_totals_rebuild(now=NOW))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_validations_and_corrections_committed_while_drains_and_rebuilds_run_end_exact(
    reference_data, monkeypatch
):
    require_postgresql()
    item_catalogue_ensure()
    # No drain on commit: the drains below run beside the decisions instead.
    monkeypatch.setattr(totals, "_enqueue_drain", lambda: None)
    staff = make_user(role=roles.RELAY_STAFF)
    region = make_user(role=roles.REGION_STAFF)  # decides the corrections staff propose
    make_relay(name="Relais de Bretagne", departments=["22", "29", "35", "56"], staff=[staff])
    makers = [
        make_maker(display_name=f"Maker {n}", department=code)
        for n, code in enumerate(["22", "29", "35", "56", "35", "35"])
    ]
    organisations = [
        make_organisation(kind=kind, department=code)
        for kind, code in zip(Organisation.Kind.values, ["35", "29", "22", "56"], strict=True)
    ]
    Membership.objects.bulk_create(
        [Membership(maker=m, organisation=o) for m in makers for o in organisations]
    )
    items = list(ItemType.objects.order_by("position")[:2])
    monday = datetime.date(2020, 3, 16)

    def submitted(n: int, *, weeks: int = 2) -> ProductionReport:
        # Two items over two weeks: buckets where several makers meet, some more than once.
        return services.production_report_create(
            maker=makers[n % 6], item_type=items[n // 6 % 2], quantity=1 + n % 50,
            organisation=organisations[n // 12 % 4] if n % 5 == 0 else None,
            produced_on=monday + datetime.timedelta(days=5 * n % (7 * weeks)),
            material_cost_cents=7 * n, entered_by=None, source="relay", now=NOW,
        )  # fmt: skip

    # Validated in a third week, which their corrections leave during the run.
    originals = [submitted(n, weeks=3) for n in range(40)]
    services.production_reports_validate(report_ids=[r.pk for r in originals], by=staff, now=NOW)
    totals.production_totals_drain(now=NOW)
    waiting = [submitted(n).pk for n in range(40, 360)]
    # Shared out at random: one maker's reports of one bucket are decided in several threads.
    random.Random(5).shuffle(waiting)
    writers_done = []

    def validate(share: list[int]):
        def run() -> int:
            try:
                for start in range(0, len(share), 2):
                    services.production_reports_validate(
                        report_ids=share[start : start + 2], by=staff, now=NOW
                    )
            finally:
                writers_done.append(1)
            return 0

        return run

    def correct() -> int:
        # Each original leaves its bucket (or stays, changed) as its correction is validated.
        try:
            for n, original in enumerate(originals):
                fix = services.production_report_correct(
                    report=original, by=staff, now=NOW, source="relay",
                    produced_on=monday + datetime.timedelta(days=3 * n % 14),
                    quantity=original.quantity + 1,
                )  # fmt: skip
                services.production_report_validate(report=fix, by=region, now=NOW)
        finally:
            writers_done.append(1)
        return 0

    def drain() -> int:
        drained = 0
        while len(writers_done) < 5:
            drained += totals.production_totals_drain(now=NOW, batch_size=2)
            time.sleep(0.002)
        return drained

    def rebuild() -> int:
        for _ in range(2):
            time.sleep(0.05)
            totals.production_totals_rebuild(now=NOW)
        return 0

    done = _run_together(
        *[validate(waiting[k::4]) for k in range(4)], correct, drain, drain, rebuild
    )

    assert sum(done) > 0, "the drains found nothing to do while the decisions ran"
    totals.production_totals_drain(now=NOW)  # what the last decisions left
    assert not DirtyBucket.objects.exists() and not TotalDelta.objects.exists()
    assert ProductionReport.objects.filter(status="superseded").count() == 40
    assert stored_totals() == expected_totals()
    assert no_drift(totals.production_totals_rebuild(now=NOW))
