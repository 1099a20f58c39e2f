"""The daily digest: one e-mail a day per person, grouping the notices they chose to receive
that way and, for relay and Région staff, the counts of their to-do (the same counts as the
home page's), in their language, in a fixed number of queries whatever the number of notices."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import notices as digests
from accounts import tasks
from makers import services
from tests.factories import make_maker, make_programme, make_report
from tilab.models import OutboxEmail, PendingNotice
from tilab.notices import notice_digest_write, notice_preferences_set

pytestmark = pytest.mark.django_db
NOW = timezone.now()
TOMORROW = NOW + datetime.timedelta(days=1)


def digests_to(address: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(to=address, key__startswith="notice:digest:"))


def validated(anne, relay_staff, n: int) -> list:
    """`n` reports validated one by one: `n` events, so `n` notices."""
    reports = [make_report(anne, quantity=10 + i) for i in range(n)]
    for report in reports:
        services.production_report_validate(report=report, by=relay_staff, now=NOW)
    return reports


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["Bonjour Anne Le Goff,", "3 avis", "Visière", "L'équipe Ti Lab"]),
        ("en", ["Hello Anne Le Goff,", "3 notices", "Face shield", "The Ti Lab team"]),
    ],
)
def test_the_digest_groups_several_events_in_one_e_mail(maker, anne, relay_staff, language, words):
    maker.language = language
    maker.save(update_fields=["language"])
    reports = validated(anne, relay_staff, 3)
    assert OutboxEmail.objects.filter(to=maker.email).count() == 0  # nothing sent at once

    assert tasks.notice_digests_send() >= 1

    [email] = digests_to(maker.email)
    assert email.language == language
    number = {"fr": "n° ", "en": "no. "}[language]
    for report in reports:
        assert f"{number}{report.pk}" in email.body
    for word in words:
        assert word in email.body
    assert "/accounts/notifications/" in email.body
    assert not PendingNotice.objects.filter(user=maker, digested_at=None).exists()


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["1 avis", "3 déclarations validées", "elles comptent désormais", "Visière"]),
        ("en", ["1 notice", "3 reports validated", "they now count", "Face shield"]),
    ],
)
def test_a_bulk_validation_is_one_notice_in_the_digest(maker, anne, relay_staff, language, words):
    maker.language = language
    maker.save(update_fields=["language"])
    reports = [make_report(anne, quantity=10 + i) for i in range(3)]
    services.production_reports_validate(
        report_ids=[r.pk for r in reports], by=relay_staff, now=NOW
    )
    [pending] = PendingNotice.objects.filter(user=maker)

    digests.notice_digests_write(now=NOW)

    [email] = digests_to(maker.email)
    number = {"fr": "n° ", "en": "no. "}[language]
    for report in reports:
        assert f"{number}{report.pk}" in email.body
    for word in words:
        assert word in email.body


def test_the_digest_goes_once_a_day_and_later_notices_wait_for_the_next(maker, anne, relay_staff):
    validated(anne, relay_staff, 1)
    digests.notice_digests_write(now=NOW)
    validated(anne, relay_staff, 1)

    assert digests.notice_digests_write(now=NOW) == 0  # the same day: nothing more
    assert len(digests_to(maker.email)) == 1
    digests.notice_digests_write(now=TOMORROW)
    assert len(digests_to(maker.email)) == 2


def test_nobody_gets_an_empty_digest(maker, other_maker, facilitator):
    assert digests.notice_digests_write(now=NOW) == 0
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", ["Pour le relais", "2 déclarations à décider", "/validation/?pour_moi=1"]),
        ("en", ["Hello,", "The Ti Lab team"]),
    ],
)
def test_relay_staff_get_the_counts_of_their_to_do(relay_staff, reference_data, language, words):
    relay_staff.language = language
    relay_staff.save(update_fields=["language"])
    bertrand = make_maker(display_name="Bertrand Guillou", department="22")
    make_report(bertrand, entered_by=None)
    make_report(bertrand, entered_by=None, quantity=12)

    digests.notice_digests_write(now=NOW)

    [email] = digests_to(relay_staff.email)
    assert email.language == language
    for word in words:
        assert word in email.body


def test_relay_staff_who_turn_the_to_do_off_get_no_digest(relay_staff, reference_data):
    make_report(make_maker(display_name="Bertrand Guillou", department="22"), entered_by=None)
    notice_preferences_set(user=relay_staff, choices={"relay_todo": "none"}, now=NOW)

    digests.notice_digests_write(now=NOW)

    assert digests_to(relay_staff.email) == []


def test_region_staff_find_the_allocations_to_approve_in_their_digest(region_staff, relay_staff):
    from tests.factories import region_controller

    controller = region_controller()
    relay = relay_staff.relays.get()
    make_programme(by=region_staff, relays=[relay], fixed_shares=[(relay, 1)])

    digests.notice_digests_write(now=NOW)

    [email] = digests_to(controller.email)
    assert "1 allocation à approuver" in email.body
    # Who chose "at once" finds no count in a digest.
    notice_preferences_set(
        user=controller, choices={"allocations_to_approve": "immediate"}, now=NOW
    )
    digests.notice_digests_write(now=TOMORROW)
    assert len(digests_to(controller.email)) == 1


def digest_queries(user, now) -> int:
    user = type(user).objects.get(pk=user.pk)  # nothing cached from a previous run
    with CaptureQueriesContext(connection) as queries:
        written = notice_digest_write(
            user=user, now=now, sections=lambda: digests.digest_sections_of(user, now=now)
        )
    assert written
    return len(queries.captured_queries)


def test_a_digest_costs_the_same_queries_whatever_the_number_of_notices(maker, anne, relay_staff):
    validated(anne, relay_staff, 1)
    few = digest_queries(maker, NOW)
    validated(anne, relay_staff, 12)
    assert digest_queries(maker, TOMORROW) == few


def test_a_relay_digest_costs_the_same_queries_whatever_waits(relay_staff, reference_data):
    bertrand = make_maker(display_name="Bertrand Guillou", department="22")
    make_report(bertrand, entered_by=None)
    few = digest_queries(relay_staff, NOW)
    for quantity in range(1, 15):
        make_report(bertrand, entered_by=None, quantity=quantity)
    assert digest_queries(relay_staff, TOMORROW) == few
