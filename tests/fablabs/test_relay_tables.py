"""Relays moved from the subsidy app to fablabs: an existing database upgrades with `migrate`
and keeps every relay, coverage row, staff link and the content types decisions point at."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tilab import roles

BEFORE = [("fablabs", "0004_capabilities"), ("subsidies", "0004_money_append_only")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_relays_keep_their_rows_and_content_types_through_the_move(reference_data):
    types = {
        model: ContentType.objects.get(app_label="fablabs", model=model).pk
        for model in ("relay", "relaycoverage")
    }
    old = _migrate(BEFORE)
    # The schema as the previous release had it: relays in the subsidy app.
    assert set(
        ContentType.objects.filter(pk__in=types.values()).values_list("app_label", flat=True)
    ) == {"subsidies"}
    Organisation = old.get_model("fablabs", "Organisation")
    Relay = old.get_model("subsidies", "Relay")
    RelayCoverage = old.get_model("subsidies", "RelayCoverage")
    User = old.get_model("tilab", "User")
    person = User.objects.create(email="relais@example.org")
    relay = Relay.objects.create(
        organisation=Organisation.objects.create(
            name="LabFab de Rennes", slug="labfab", kind="associative_fablab", department_id="35"
        )
    )
    RelayCoverage.objects.create(relay=relay, department_id="35")
    RelayCoverage.objects.create(relay=relay, department_id="22")
    relay.staff.add(person)

    _migrate(_latest())

    from fablabs.models import Relay as MovedRelay
    from fablabs.selectors import departments_covered_by

    moved = MovedRelay.objects.get(pk=relay.pk)
    assert moved.organisation.name == "LabFab de Rennes"
    assert sorted(moved.coverage.values_list("department_id", flat=True)) == ["22", "35"]
    assert list(moved.staff.values_list("pk", flat=True)) == [person.pk]
    staffer = moved.staff.get()
    staffer.groups.add(Group.objects.get(name=roles.RELAY_STAFF))  # powers need role and team
    assert list(departments_covered_by(staffer).values_list("code", flat=True)) == [
        "22",
        "35",
    ]
    # Relabelled, not duplicated: decision records keep pointing at the same rows.
    for model, pk in types.items():
        assert ContentType.objects.get(app_label="fablabs", model=model).pk == pk
    assert not ContentType.objects.filter(app_label="subsidies", model__startswith="relay").exists()
