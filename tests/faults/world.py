"""Worlds and scenes the fault tests play in their private database, from a process of theirs.

Run as `python -m tests.faults.world <name> [numbers…]` with the private DATABASE_URL and
broker in the environment; it prints what the test needs (ids, personal tokens) as one JSON
line. The reports are put in the database in bulk, as a spreadsheet import leaves them
(submitted); every decision on them goes through the services, as the platform makes it.
"""

import datetime
import json
import sys
from contextlib import contextmanager

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.test import TestCase  # noqa: E402
from django.utils import timezone  # noqa: E402

from figures import totals  # noqa: E402
from makers import services  # noqa: E402
from makers.models import ItemType, Membership, ProductionReport  # noqa: E402
from subsidies import services as money  # noqa: E402
from tests.factories import (  # noqa: E402
    approve_all,
    make_maker,
    make_organisation,
    make_personal_token,
    make_programme,
    make_relay,
    make_user,
    region_controller,
)
from tilab import roles  # noqa: E402
from tilab.models import User  # noqa: E402

FIRST_MONDAY = datetime.date(2020, 1, 6)
DEPARTMENTS = ("22", "35")  # LabFab de Rennes covers both
KINDS = ("associative_fablab", "institutional_fablab", "sme", "collective")


def _cast() -> dict:
    """LabFab de Rennes with Camille and Morgane, Hélène at the Région, and in each department
    a maker without a login, member of one organisation of every kind there. Camille imports
    the reports, so the Région (Hélène) decides them (four eyes); Morgane proposes the
    redistribution, Camille approves and pays it."""
    camille = make_user(role=roles.RELAY_STAFF, email="camille@labfab.example.org")
    morgane = make_user(role=roles.RELAY_STAFF, email="morgane@labfab.example.org")
    helene = make_user(role=roles.REGION_STAFF, email="helene@region.example.org")
    relay = make_relay(
        name="LabFab de Rennes", departments=list(DEPARTMENTS), staff=[camille, morgane]
    )
    producers = {}
    for code in DEPARTMENTS:
        maker = make_maker(display_name=f"Maker {code}", department=code)
        organisations = {
            kind: make_organisation(name=f"{kind} {code}", kind=kind, department=code)
            for kind in KINDS
        }
        Membership.objects.bulk_create(
            [Membership(maker=maker, organisation=o) for o in organisations.values()]
        )
        producers[code] = (maker, organisations)
    return {
        "camille": camille,
        "morgane": morgane,
        "helene": helene,
        "relay": relay,
        "producers": producers,
        "items": list(ItemType.objects.order_by("position")),
    }


def _reports(cast: dict, *, count: int, first_week: int = 0, quantity: int = 10) -> list[int]:
    """`count` submitted reports, each in its own bucket as far as there are buckets: every
    department, item and kind of producer (an independent maker or an organisation of each
    kind), week after week from `first_week`."""
    now = timezone.now()
    shapes = [
        (code, item, kind)
        for code in DEPARTMENTS
        for item in cast["items"]
        for kind in ("independent", *KINDS)
    ]
    reports = []
    for n in range(count):
        code, item, kind = shapes[n % len(shapes)]
        maker, organisations = cast["producers"][code]
        week = first_week + n // len(shapes)
        reports.append(
            ProductionReport(
                maker=maker,
                organisation=None if kind == "independent" else organisations[kind],
                department_id=code,
                item_type=item,
                quantity=quantity + n % 7,
                produced_on=FIRST_MONDAY + datetime.timedelta(weeks=week, days=n % 5),
                material_cost_cents=100 * (1 + n % 11),
                recipient="CHU Rennes",
                source=ProductionReport.Source.IMPORT,
                entered_by=cast["camille"],
                entered_at=now,
                updated_at=now,
            )
        )
    return [r.pk for r in ProductionReport.objects.bulk_create(reports, batch_size=1000)]


def reports(count: int = 40) -> dict:
    """Submitted reports for the Région to validate through the API (Camille imported them)."""
    cast = _cast()
    return {"token": make_personal_token(cast["helene"]), "reports": _reports(cast, count=count)}


def journal(buckets: int = 1500) -> dict:
    """Every bucket counted once and drained, then validated again: `buckets` dirty buckets
    with their journal, whose drain waits in the broker's queue (no worker runs yet)."""
    cast = _cast()
    first = _reports(cast, count=buckets)
    services.production_reports_validate(report_ids=first, by=cast["helene"], now=timezone.now())
    totals.production_totals_drain(now=timezone.now())
    again = _reports(cast, count=buckets, quantity=3)
    services.production_reports_validate(report_ids=again, by=cast["helene"], now=timezone.now())
    return {"token": make_personal_token(cast["helene"])}


def money_world(count: int = 30) -> dict:
    """Validated production over spring 2020, a programme whose allocation to the relay is
    approved, the relay's redistribution proposed (not approved), and submitted reports."""
    cast = _cast()
    validated = _reports(cast, count=20, first_week=11)  # from 16 March 2020
    services.production_reports_validate(
        report_ids=validated, by=cast["helene"], now=timezone.now()
    )
    totals.production_totals_drain(now=timezone.now())
    programme = make_programme(by=cast["helene"], relays=[cast["relay"]], envelope_cents=1_500_000)
    approve_all(programme, by=region_controller())
    redistribution = money.redistribution_propose(
        allocation=programme.allocations.get(),
        own_use=[("PLA en commun", 120_000)],
        by=cast["morgane"],
        now=timezone.now(),
    )
    return {
        "token": make_personal_token(cast["helene"]),
        "relay_token": make_personal_token(cast["camille"]),
        "redistribution": redistribution.pk,
        "lines": list(redistribution.lines.order_by("pk").values_list("pk", flat=True)),
        "reports": _reports(cast, count=count, first_week=40),
    }


class Undone(Exception):
    """What made the transaction fail after the decision (the next step of the same work)."""


def _validate(report_ids) -> None:
    helene = User.objects.get(email="helene@region.example.org")
    services.production_reports_validate(report_ids=list(report_ids), by=helene, now=timezone.now())


@contextmanager
def _drains_waiting():
    """Counts the drains the enclosed code left waiting for the commit (Django's public capture
    of on-commit hooks: those of a rolled-back savepoint are gone from it)."""
    waiting = []
    try:
        with TestCase.captureOnCommitCallbacks() as hooks:
            yield waiting
    finally:
        waiting.append(sum(getattr(hook, "queues_drain", False) for hook in hooks))


def rolled_back(*report_ids: int) -> dict:
    """Validate these reports, then fail in the same transaction: its drain was waiting."""
    try:
        with transaction.atomic(), _drains_waiting() as waiting:
            _validate(report_ids)
            raise Undone
    except Undone:
        pass
    return {"waiting": waiting[0]}


def committed(*report_ids: int) -> dict:
    _validate(report_ids)
    return {}


def savepoint(kept: int, undone: int) -> dict:
    """One transaction validates `kept`, then `undone` in a savepoint that fails, and commits."""
    with transaction.atomic(), _drains_waiting() as waiting:
        _validate([kept])
        try:
            with transaction.atomic():
                _validate([undone])
                raise Undone
        except Undone:
            pass
    return {"waiting": waiting[0]}


def workshop() -> dict:
    """A public workshop in Rennes with free seats, scheduled by a facilitator."""
    from tests.factories import make_workshop
    from workshops.reference import themes_ensure

    themes_ensure()
    facilitator = make_user(role=roles.FACILITATOR, email="gwen@tilab.example.org")
    return {"workshop": make_workshop(by=facilitator).pk}


WORLDS = {
    "workshop": workshop,
    "reports": reports,
    "journal": journal,
    "money": money_world,
    "rolled_back": rolled_back,
    "committed": committed,
    "savepoint": savepoint,
}

if __name__ == "__main__":
    name, *numbers = sys.argv[1:]
    print(json.dumps(WORLDS[name](*map(int, numbers))))
