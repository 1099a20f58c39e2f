"""Small helpers that build the objects tests need, with sensible Breton defaults: one
builder per object, shared by every app's tests (the role cast is in tests/conftest.py)."""

import datetime
import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from fablabs.models import Organisation, Relay, RelayCoverage
from makers import services as makers
from makers.models import ItemType, Maker, ProductionReport
from tilab.models import User

PASSWORD = "un mot de passe solide 2020"
_seq = itertools.count(1)


def make_user(
    *,
    role: str | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    **extra,
) -> User:
    email = email or f"person{next(_seq)}@example.org"
    user = User.objects.create_user(email=email, password=password, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def make_organisation(
    *, name: str | None = None, kind: str = "associative_fablab", department: str = "35", **extra
) -> Organisation:
    n = next(_seq)
    name = name or f"FabLab {n}"
    return Organisation.objects.create(
        name=name, slug=f"org-{n}", kind=kind, department_id=department, **extra
    )


def make_relay(*, name: str, departments: list[str], staff: list[User] = ()) -> Relay:
    relay = Relay.objects.create(
        organisation=make_organisation(name=name, department=departments[0])
    )
    for code in departments:
        RelayCoverage.objects.create(relay=relay, department_id=code)
    relay.staff.add(*staff)
    return relay


def make_maker(
    *, user: User | None = None, display_name: str = "Anne Le Goff", department: str = "35", **extra
) -> Maker:
    return Maker.objects.create(
        user=user, display_name=display_name, department_id=department, **extra
    )


def make_report(
    maker: Maker,
    *,
    item: str = "visor",
    quantity: int = 24,
    produced_on: datetime.date | None = None,
    cost_cents: int = 1250,
    recipient: str = "CHU Rennes",
    organisation=None,
    entered_by=None,
    source: str = ProductionReport.Source.MAKER,
    status: str = "submitted",
    decided_by=None,
    now: datetime.datetime | None = None,
) -> ProductionReport:
    """A report put in the database the way the platform does: entered (by its maker unless
    `entered_by` says who), then validated or rejected by `decided_by` when `status` asks."""
    now = now or timezone.now()
    report = makers.production_report_create(
        maker=maker,
        item_type=ItemType.objects.get(slug=item),
        quantity=quantity,
        produced_on=produced_on or datetime.date(2020, 4, 2),
        material_cost_cents=cost_cents,
        recipient=recipient,
        organisation=organisation,
        entered_by=entered_by or maker.user,
        source=source,
        now=now,
    )
    if status == "validated":
        makers.production_report_validate(report=report, by=decided_by, now=now)
    elif status == "rejected":
        makers.production_report_reject(
            report=report, by=decided_by, now=now, reason="Quantité à vérifier"
        )
    report.refresh_from_db()
    return report
