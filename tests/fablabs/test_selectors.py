"""The territory read once: which relay covers a department, which departments a relay's staff
answer for."""

import pytest

from fablabs.selectors import (
    covers_department,
    departments_covered_by,
    departments_with_relay,
    relay_covering,
    relays_staffed_by,
)
from tests.factories import cast_relay_staff, make_relay

pytestmark = pytest.mark.django_db


def test_relay_staff_answer_for_the_departments_their_relays_cover(reference_data):
    staff = cast_relay_staff()  # LabFab de Rennes: 35 and 22
    make_relay(name="La Fabrique du Loch", departments=["56"])

    assert list(departments_covered_by(staff).values_list("code", flat=True)) == ["22", "35"]
    assert covers_department(staff, "35")
    assert not covers_department(staff, "56")
    assert [str(relay) for relay in relays_staffed_by(staff)] == ["LabFab de Rennes"]


def test_anonymous_people_cover_nothing(reference_data):
    from django.contrib.auth.models import AnonymousUser

    make_relay(name="LabFab de Rennes", departments=["35"])
    anonymous = AnonymousUser()
    assert not departments_covered_by(anonymous).exists()
    assert not covers_department(anonymous, "35")
    assert not relays_staffed_by(anonymous).exists()


def test_each_department_shows_its_relay_in_one_query(reference_data, django_assert_num_queries):
    make_relay(name="LabFab de Rennes", departments=["35", "22"])
    with django_assert_num_queries(1):
        relays = {d.code: relay_covering(d) for d in departments_with_relay()}
    assert str(relays["35"]) == "LabFab de Rennes"
    assert relays["29"] is None
