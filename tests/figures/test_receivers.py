"""The hook between makers and the figures: makers tells, in its transaction, and the figures
listen; a failure of the figures undoes the decision, as when makers called them directly."""

import datetime

import pytest

from figures import receivers, totals
from figures.models import DirtyBucket, TotalDelta
from makers import services, signals
from makers.models import ProductionReport
from tests.factories import make_report
from tilab.models import Decision

NOW = datetime.datetime(2020, 4, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("signal", "receiver", "facts"),
    [
        (
            signals.reports_counting_changed,
            receivers.reports_counting_changed,
            {"entered": [], "left": []},
        ),
        (
            signals.organisation_kind_changed,
            receivers.organisation_kind_changed,
            {"organisation_id": 0, "was": "sme"},
        ),
    ],
)
@pytest.mark.django_db
def test_each_signal_of_makers_reaches_the_figures_receiver_once(signal, receiver, facts):
    receivers.connect()  # connecting again (a reloaded app, say) adds nothing
    answered = signal.send(sender=ProductionReport, now=NOW, **facts)
    assert [listener for listener, _response in answered] == [receiver]


def test_a_failing_receiver_undoes_the_validation_that_sent_it(maker, relay_staff, monkeypatch):
    report = make_report(maker=maker.maker, quantity=12)

    def broken(**kwargs):
        raise RuntimeError("the totals could not be marked")

    monkeypatch.setattr(totals, "production_totals_record", broken)
    with pytest.raises(RuntimeError):
        services.production_report_validate(report=report, by=relay_staff, now=NOW)

    report.refresh_from_db()
    assert report.status == ProductionReport.Status.SUBMITTED
    assert not Decision.objects.filter(action="validate").exists()
    assert not DirtyBucket.objects.exists()
    assert not TotalDelta.objects.exists()
