"""Deliveries and confirmations clicked many times at once, on PostgreSQL with one connection
per thread: what a producer says it delivered never exceeds what it produced, and a delivery
confirmed ten times at once counts once."""

import datetime

import pytest
from django.utils import timezone

from figures.models import DeliveredTotal
from makers.models import ProductionReport
from makers.reference import item_catalogue_ensure
from needs import services
from needs.models import Delivery, Need
from tests import concurrency
from tests.conftest import require_postgresql
from tests.factories import make_need, make_report
from tilab.errors import WrongState
from tilab.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    require_postgresql()
    item_catalogue_ensure()  # a transactional test starts from a flushed database


def at_once(calls) -> tuple[list, list[str]]:
    return concurrency.at_once(calls, expected=WrongState)


def test_ten_deliveries_at_once_never_exceed_what_the_producer_produced(maker, relay_staff):
    make_report(maker=maker.maker, quantity=50, status="validated", decided_by=relay_staff)
    make_report(maker=maker.maker, quantity=20)  # submitted: counts too
    # Ten pledges to ten needs: the limit is the producer's, across all its deliveries.
    pledges = [
        services.pledge_create(
            need=make_need(quantity=100, contact_email=f"c{n}@example.org"),
            quantity=100,
            by=maker,
            maker=maker.maker,
            now=timezone.now(),
        )
        for n in range(10)
    ]
    today = timezone.localdate()

    def delivery(pledge):
        by = User.objects.get(pk=maker.pk)  # each thread its own copy (permission caches)
        return services.delivery_record(
            pledge=pledge, quantity=15, delivered_on=today, by=by, now=timezone.now()
        )

    results, refusals = at_once([lambda pledge=pledge: delivery(pledge) for pledge in pledges])

    # 70 produced: four deliveries of 15 fit (60), a fifth would make 75.
    assert len(results) == 4 and len(refusals) == 6
    assert all("comptent 70 pour cet objet" in refusal for refusal in refusals)
    assert sum(Delivery.objects.values_list("quantity", flat=True)) == 60


def test_two_deliveries_at_once_that_together_exceed_production_record_only_one(maker, relay_staff):
    make_report(maker=maker.maker, quantity=30, status="validated", decided_by=relay_staff)
    pledge = services.pledge_create(
        need=make_need(quantity=100), quantity=100, by=maker, maker=maker.maker, now=timezone.now()
    )

    def delivery():
        return services.delivery_record(
            pledge=pledge,
            quantity=20,
            delivered_on=timezone.localdate(),
            by=User.objects.get(pk=maker.pk),
            now=timezone.now(),
        )

    results, refusals = at_once([delivery, delivery])

    assert len(results) == 1 and len(refusals) == 1
    assert list(Delivery.objects.values_list("quantity", flat=True)) == [20]


def test_ten_confirmations_of_one_delivery_at_once_count_it_once(maker, relay_staff):
    report = make_report(
        maker=maker.maker,
        quantity=40,
        status="validated",
        decided_by=relay_staff,
        produced_on=datetime.date(2020, 4, 1),
    )
    need = make_need(quantity=40, checked_by=relay_staff)
    pledge = services.pledge_create(
        need=need, quantity=40, by=maker, maker=maker.maker, now=timezone.now()
    )
    delivery = services.delivery_record(
        pledge=pledge, quantity=40, delivered_on=timezone.localdate(), by=maker, now=timezone.now()
    )
    token = services.delivery_confirm_token(delivery)

    results, refusals = at_once(
        [
            lambda: services.delivery_confirm(
                token=token, confirmed_quantity=40, now=timezone.now()
            )
            for _ in range(10)
        ]
    )

    assert len(results) == 10 and refusals == []
    assert len({result.confirmed_at for result in results}) == 1
    total = DeliveredTotal.objects.get()
    assert (total.quantity, total.delivery_count) == (40, 1)
    assert ProductionReport.objects.get(pk=report.pk).corroborated_at is not None
    assert Need.objects.get().status == Need.Status.FULFILLED
