"""Decisions are appended, never edited nor deleted, whatever the code tries."""

import datetime

import pytest
from django.db import DatabaseError, transaction

from tilab.models import Decision, Department
from tilab.services import decision_record

NOW = datetime.datetime(2020, 4, 2, 10, 0, tzinfo=datetime.UTC)


def test_a_decision_records_who_what_when_and_why(region_staff):
    department = Department.objects.get(code="35")
    decision = decision_record(
        actor=region_staff,
        subject=department,
        action="approve",
        from_state="draft",
        to_state="approved",
        motivation="Vu.",
        now=NOW,
        data={"cents": 1500000},
    )
    decision.refresh_from_db()
    assert decision.subject == department
    assert (decision.actor, decision.decided_at, decision.to_state) == (
        region_staff,
        NOW,
        "approved",
    )
    assert decision.data == {"cents": 1500000}


@pytest.mark.parametrize("attempt", ["update", "queryset_update", "delete"])
def test_the_database_refuses_to_change_a_decision(region_staff, attempt):
    decision = decision_record(
        actor=region_staff, subject=Department.objects.get(code="29"), action="approve", now=NOW
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        if attempt == "update":
            decision.motivation = "réécrit"
            decision.save()
        elif attempt == "queryset_update":
            Decision.objects.filter(pk=decision.pk).update(to_state="rejected")
        else:
            Decision.objects.filter(pk=decision.pk).delete()
    decision.refresh_from_db()
    assert decision.motivation == ""
