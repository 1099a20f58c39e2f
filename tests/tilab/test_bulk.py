"""Bulk inserts (tilab.bulk): COPY on PostgreSQL, bulk_create elsewhere; the same rows."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from makers.models import ItemType, ProductionReport
from makers.reference import item_catalogue_ensure
from tests.factories import make_maker, make_user
from tilab.bulk import bulk_insert

pytestmark = pytest.mark.django_db

COLUMNS = ("maker_id", "department_id", "item_type_id", "quantity", "produced_on", "status",
           "entered_at", "updated_at", "import_key")  # fmt: skip


@pytest.fixture
def rows(reference_data):
    item_catalogue_ensure()
    maker = make_maker(display_name="Anne Le Goff", department="35")
    item = ItemType.objects.get(slug="visor")
    now = timezone.now()

    def rows(*keys, status=ProductionReport.Status.SUBMITTED):
        return [
            (maker.pk, "35", item.pk, n + 1, datetime.date(2020, 3, 16), status, now, now, key)
            for n, key in enumerate(keys)
        ]

    rows.now = now
    return rows


def test_rows_are_written_with_choices_as_values_and_other_fields_defaulted(rows):
    bulk_insert(ProductionReport, COLUMNS, rows("a", "b"))
    written = list(ProductionReport.objects.order_by("quantity"))
    assert [(r.quantity, r.import_key) for r in written] == [(1, "a"), (2, "b")]
    assert {(r.produced_on, r.entered_at) for r in written} == {
        (datetime.date(2020, 3, 16), rows.now)
    }
    # The choice's value, never its name ("VALIDATED"), whatever the driver does with enums.
    assert ProductionReport.objects.filter(status="submitted").count() == 2
    assert {
        (r.material_cost_cents, r.recipient, r.rejection_reason, r.source) for r in written
    } == {(0, "", "", "")}
    assert all(r.pk for r in written)


def test_a_row_refused_by_a_constraint_raises_integrity_error_and_writes_nothing(rows):
    bulk_insert(ProductionReport, COLUMNS, rows("a"))
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(ProductionReport, COLUMNS, rows("b", "a"))
    assert list(ProductionReport.objects.values_list("import_key", flat=True)) == ["a"]


def test_an_unknown_column_is_refused_before_anything_is_written(rows):
    with pytest.raises(LookupError):
        bulk_insert(ProductionReport, ("maker", "nothing"), [])
    assert not ProductionReport.objects.exists()
    assert make_user()  # the connection is still usable
