"""Small helpers that build the objects tests need, with sensible Breton defaults."""

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from fablabs.models import Organisation, Relay, RelayCoverage
from makers.models import Maker
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
