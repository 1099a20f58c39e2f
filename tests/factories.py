"""Small helpers that build the objects tests need, with sensible Breton defaults: one
builder per object, shared by every app's tests (the role cast is in tests/conftest.py)."""

import datetime
import itertools
import re
import time
from fractions import Fraction

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from fablabs.models import Organisation, Relay, RelayCoverage
from makers import services as makers
from makers.models import ItemType, Maker, ProductionReport
from needs import services as needs
from subsidies import services as subsidies
from tilab import roles
from tilab.models import OutboxEmail, TokenScope, User
from tilab.permissions import SECOND_FACTOR_AT, may_decide_on_money
from tilab.services import personal_token_create
from workshops import services as workshops
from workshops.models import PendingRegistration, Registration, Theme

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


def make_personal_token(user: User, *, scope: str | None = None) -> str:
    """A new personal API token of `user`: what a program sends after "Token ". By default
    every scope the person may hold: "money" for those who decide on money (where the second
    factor is required, `step_up(user)` first, or ask for scope="write"), "write" for others."""
    if scope is None:
        scope = TokenScope.MONEY if may_decide_on_money.test(user) else TokenScope.WRITE
    return personal_token_create(user=user, scope=scope, now=timezone.now())[1]


def totp_enrol(user: User) -> str:
    """Activate an authenticator app (TOTP) on `user`'s account, as if done on its page (no
    signal: no session ends); returns its secret. The same secret when one is active."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(user: User) -> str:
    """The code `user`'s authenticator app shows now."""
    secret = totp_enrol(user)
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def step_up(user: User, *, at: datetime.datetime | None = None) -> User:
    """For service-level tests: `user` has an authenticator app (enrolled if missing) and this
    user object carries a second factor presented at `at` (now by default), as a request of a
    session that typed its code then would (tilab.middleware.SecondFactorMiddleware)."""
    totp_enrol(user)
    setattr(user, SECOND_FACTOR_AT, at or timezone.now())
    return user


def client_step_up(client, user: User) -> None:
    """The test client's session, signed in as `user` (signed in now if it was not), records a
    fresh second factor: it types the code of `user`'s authenticator app (enrolled if missing)
    on allauth's page, as a person would."""
    if client.session.get(SESSION_KEY) != str(user.pk):
        client.force_login(user)
    code = totp_code(user)
    # allauth refuses a code used twice in its window: a test stepping up twice in 30 seconds
    # types the same code again.
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    cache.delete(TOTP(authenticator)._get_used_cache_key(code))
    response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 302, "the code was refused"


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


def make_report_by_three(
    maker: Maker, *, quantity: int = 24, cost_cents: int = 1250, organisation=None, **extra
) -> list[ProductionReport]:
    """One figure made by three producers, so it shows in the public figures
    (`TILAB_PUBLIC_MIN_PRODUCERS`, 3): `maker`'s report and one of each of two partners in the
    same bucket (two makers of the department, or two organisations of the same kind there),
    the quantity and cost shared among them so that the bucket adds up as one report would.
    The partners are the same for every call in a department and kind."""
    place = organisation or maker
    kind = organisation.kind if organisation else "independent"
    by = extra.get("entered_by") or maker.user
    reports = []
    for n in (1, 2):
        partner, _created = Maker.objects.get_or_create(
            display_name=f"Partenaire {n} {place.department_id} {kind}",
            defaults={"department_id": place.department_id},
        )
        partner_organisation = None
        if organisation:
            partner_organisation, _created = Organisation.objects.get_or_create(
                slug=f"partner-{n}-{place.department_id}-{kind}",
                defaults={
                    "name": f"Partenaire {n} {place.department_id} {kind}",
                    "kind": kind,
                    "department_id": place.department_id,
                },
            )
            partner.memberships.get_or_create(organisation=partner_organisation)
        reports.append(
            make_report(
                partner,
                quantity=quantity // 3,
                cost_cents=cost_cents // 3,
                organisation=partner_organisation,
                **{**extra, "entered_by": by},
            )
        )
    share = quantity - 2 * (quantity // 3), cost_cents - 2 * (cost_cents // 3)
    reports.insert(
        0,
        make_report(
            maker, quantity=share[0], cost_cents=share[1], organisation=organisation, **extra
        ),
    )
    return reports


# --- Workshops --------------------------------------------------------------------------------


def make_details(**overrides) -> workshops.WorkshopDetails:
    starts_at = overrides.pop("starts_at", None) or timezone.now() + datetime.timedelta(days=10)
    values = {
        "title": "Makers et hôpitaux : ce que 2020 nous a appris",
        "description": "Un atelier ouvert pour partager les pratiques de coopération.",
        "theme": Theme.objects.get(slug="cooperation"),
        "starts_at": starts_at,
        "duration_minutes": 120,
        "capacity": 10,
        "registration_deadline": starts_at - datetime.timedelta(hours=12),
        "address": "1 rue de la République",
        "commune": "Rennes",
        "department_id": "35",
        "online_url": "",
        "is_public": True,
    }
    values.update(overrides)
    return workshops.WorkshopDetails(**values)


def make_workshop(*, by, co_facilitators=(), **overrides):
    return workshops.workshop_create(
        details=make_details(**overrides),
        by=by,
        now=timezone.now(),
        co_facilitators=co_facilitators,
    )


CONFIRM_LINK = re.compile(r"https?://\S+/inscription/confirmer/(?P<token>[^/\s]+)/")


def confirm_link(workshop, email: str) -> str:
    """The confirmation link in the guest's mailbox (the outbox) for `workshop`: the last one
    e-mailed to `email`'s pending registration there."""
    pending = PendingRegistration.objects.get(
        workshop=workshop, email=email.strip().lower(), confirmed_at=None
    )
    message = OutboxEmail.objects.filter(
        to=pending.email, key__startswith=f"workshops:confirm:{pending.pk}:"
    ).latest("pk")
    return CONFIRM_LINK.search(message.body).group(0)


def confirm_token(workshop, email: str) -> str:
    return CONFIRM_LINK.search(confirm_link(workshop, email)).group("token")


def register_and_confirm(workshop, *, name: str, email: str, now=None) -> Registration:
    """A guest registers (the answer says only that an e-mail left) and follows the link of
    the e-mail it received: a seat, or a place in the waitlist."""
    now = now or timezone.now()
    pending = workshops.registration_create(workshop=workshop, now=now, name=name, email=email)
    assert pending is None, "a guest's registration waits for its confirmation"
    return workshops.registration_confirm(token=confirm_token(workshop, email), now=now)


def register_guest(workshop, n: int, *, now=None) -> Registration:
    """Guest n registers and confirms (register_and_confirm)."""
    return register_and_confirm(
        workshop, name=f"Invité {n}", email=f"invite{n}@example.org", now=now
    )


# --- Subsidies: programmes and approved allocations -------------------------------------------

SPRING_2020 = (datetime.date(2020, 3, 16), datetime.date(2020, 5, 31))


def make_terms(
    *,
    relays,
    envelope_cents=3_000_000,
    basis="units",
    fixed_shares=(),
    item_weights=(),
    name="Soutien aux makers 2020",
    period=SPRING_2020,
) -> subsidies.ProgrammeTerms:
    return subsidies.ProgrammeTerms(
        name=name,
        envelope_cents=envelope_cents,
        period_start_on=period[0],
        period_end_on=period[1],
        basis=basis,
        relays=tuple(relays),
        item_weights=tuple((item, Fraction(weight)) for item, weight in item_weights),
        fixed_shares=tuple(fixed_shares),
    )


def make_programme(*, by, relays=None, **terms):
    relays = list(relays if relays is not None else Relay.objects.order_by("pk"))
    return subsidies.programme_create(
        terms=make_terms(relays=relays, **terms), by=by, now=timezone.now()
    )


def approve_all(programme, *, by):
    for allocation in programme.allocations.order_by("pk"):
        subsidies.allocation_approve(allocation=allocation, by=by, now=timezone.now())
    programme.refresh_from_db()
    return programme


# --- Needs of care establishments -------------------------------------------------------------


def make_establishment(
    *, name="EHPAD Les Tilleuls", care_type="ehpad", department="35", commune="Rennes"
):
    return needs.establishment_find_or_create(
        name=name,
        care_type=care_type,
        department_id=department,
        commune=commune,
        now=timezone.now(),
    )


def make_need(
    *, establishment=None, item="visor", quantity=100, confirmed=True, checked_by=None, **extra
):
    """A need, published unless `confirmed` is false, and checked by `checked_by` (relay staff
    or a facilitator) when given: only then do its deliveries corroborate production."""
    establishment = establishment or make_establishment()
    need = needs.need_post(
        establishment=establishment,
        item_type=ItemType.objects.get(slug=item),
        quantity=quantity,
        needed_by=extra.pop("needed_by", timezone.localdate() + datetime.timedelta(days=14)),
        contact_name=extra.pop("contact_name", "Claire Morvan"),
        contact_email=extra.pop("contact_email", "cadre.sante@ehpad-tilleuls.example.org"),
        now=timezone.now(),
        **extra,
    )
    if confirmed:
        need = needs.need_confirm(token=needs.need_confirm_token(need), now=timezone.now())
    if checked_by is not None:
        need = needs.need_check(need=need, by=checked_by, now=timezone.now())
    return need


# --- The cast ---------------------------------------------------------------------------------
# One person per role, always the same people: tests/conftest.py serves each as a fixture of
# the role's name, and the worlds built in one go (the authorisation matrix, the API fuzzing)
# start from them. `extra` goes to the account (a full name, say), `profile` to the maker.


def cast_maker(**profile) -> User:
    """Anne Le Goff, a maker in Rennes (Ille-et-Vilaine, 35), with her maker profile."""
    user = make_user(role=roles.MAKER, email="anne@example.org", full_name="Anne Le Goff")
    profile = {"display_name": "Anne Le Goff", "department": "35", "commune": "Rennes", **profile}
    make_maker(user=user, **profile)
    return user


def cast_other_maker(**profile) -> User:
    """Yann Kervella, another maker of Ille-et-Vilaine, in Vitré, with his maker profile."""
    user = make_user(role=roles.MAKER, email="yann@example.org", full_name="Yann Kervella")
    profile = {"display_name": "Yann Kervella", "department": "35", "commune": "Vitré", **profile}
    make_maker(user=user, **profile)
    return user


def cast_relay_staff(**extra) -> User:
    """Camille, staff of LabFab de Rennes, which covers Ille-et-Vilaine (35) and Côtes-d'Armor
    (22)."""
    user = make_user(role=roles.RELAY_STAFF, email="camille@labfab.example.org", **extra)
    make_relay(name="LabFab de Rennes", departments=["35", "22"], staff=[user])
    return user


def cast_other_relay_staff(**extra) -> User:
    """Sophie, staff of ENSTA Bretagne, which covers Finistère (29)."""
    user = make_user(role=roles.RELAY_STAFF, email="sophie@ensta.example.org", **extra)
    make_relay(name="ENSTA Bretagne", departments=["29"], staff=[user])
    return user


def cast_loch_staff(**extra) -> User:
    """Yannick, staff of La Fabrique du Loch, which covers Morbihan (56)."""
    user = make_user(role=roles.RELAY_STAFF, email="yannick@loch.example.org", **extra)
    make_relay(name="La Fabrique du Loch", departments=["56"], staff=[user])
    return user


def cast_region_staff(**extra) -> User:
    """Hélène, at the Région."""
    return make_user(role=roles.REGION_STAFF, email="helene@region.example.org", **extra)


def region_controller() -> User:
    """Erwan, the Région's second agent (its financial controller): he approves what Hélène
    proposed or adjusted, as four eyes want. Created on first use, the same person after."""
    email = "erwan@region.example.org"
    return User.objects.filter(email=email).first() or make_user(
        role=roles.REGION_STAFF, email=email, full_name="Erwan Le Meur"
    )


def relay_colleague(relay_staff: User) -> User:
    """Morgane, a second staffer of `relay_staff`'s relay (LabFab de Rennes for Camille): she
    decides and approves what her colleague entered or proposed. Created on first use."""
    relay = relay_staff.relays.get()
    email = f"morgane.{relay.pk}@relay.example.org"
    colleague = User.objects.filter(email=email).first() or make_user(
        role=roles.RELAY_STAFF, email=email, full_name="Morgane Riou"
    )
    relay.staff.add(colleague)
    return colleague


def cast_facilitator(**extra) -> User:
    """Benoît, facilitator at Ti Lab."""
    return make_user(role=roles.FACILITATOR, email="benoit@tilab.example.org", **extra)


def cast_auditor(**extra) -> User:
    """The auditor: reads everything, changes nothing."""
    return make_user(role=roles.AUDITOR, email="audit@example.org", **extra)


def cast_admin(**extra) -> User:
    """An administrator of the site (the Django admin), with no role of the network."""
    return make_user(email="admin@example.org", is_staff=True, is_superuser=True, **extra)
