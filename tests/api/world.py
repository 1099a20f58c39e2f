"""A small but complete network for fuzzing the API: every kind of object in every state the
endpoints distinguish, so that the ids the fuzzer puts in paths exist."""

import datetime
from dataclasses import dataclass, field

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from fablabs.models import Organisation
from figures.totals import production_totals_rebuild
from makers.models import Maker, Membership, ProductionReport
from needs import services as needs_services
from needs.models import Need
from recognition import services as recognition_services
from subsidies import services as money
from tests.factories import (
    approve_all,
    cast_auditor,
    cast_facilitator,
    cast_maker,
    cast_other_relay_staff,
    cast_region_staff,
    cast_relay_staff,
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_personal_token,
    make_programme,
    make_relay,
    make_report,
    make_user,
    make_workshop,
    region_controller,
    register_guest,
)
from tilab import roles
from tilab.models import User
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from workshops import services as workshop_services

ANONYMOUS = "anonymous"
ROLES = [roles.MAKER, roles.RELAY_STAFF, roles.REGION_STAFF, roles.FACILITATOR, roles.AUDITOR]


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    # Path template prefix ("/api/v1/workshops/") -> ids that exist, as path values.
    ids: dict[str, list[str]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == ANONYMOUS:
            return {}
        return {"Authorization": f"Token {self.tokens[role]}"}


def _reports(anne: Maker, others: dict[str, Maker], deciders: dict[str, User], *, org) -> None:
    """Each maker's spring 2020: validated, rejected and waiting batches."""
    april = datetime.date(2020, 4, 2)
    for n, (code, maker) in enumerate([("35", anne), *others.items()]):
        # Four eyes: what the relay entered for a maker without an account, the Région decides.
        decider = deciders[code] if maker.user else region_controller()
        on = april + datetime.timedelta(days=n)
        make_report(
            maker=maker,
            item="visor",
            quantity=120,
            produced_on=on,
            status="validated",
            decided_by=decider,
            entered_by=maker.user or deciders[code],
        )
        make_report(
            maker=maker,
            item="fabric-mask",
            quantity=40,
            produced_on=on,
            status="validated",
            decided_by=decider,
            entered_by=maker.user or deciders[code],
            organisation=org if maker is anne else None,
        )
        make_report(
            maker=maker,
            item="gown",
            quantity=5,
            produced_on=on,
            status="rejected",
            decided_by=decider,
            entered_by=maker.user or deciders[code],
        )
        make_report(
            maker=maker,
            item="visor",
            quantity=30,
            produced_on=on,
            entered_by=maker.user or deciders[code],
        )


def world_build() -> World:
    now = timezone.now()
    # The cast (tests/factories.py), with full names and Anne in the public directory.
    maker_user = cast_maker(is_public=True, skills="Impression 3D")
    relay_user = cast_relay_staff(full_name="Camille Le Gall")
    ensta_user = cast_other_relay_staff(full_name="Sophie Quéré")
    region_user = cast_region_staff(full_name="Hélène Cadiou")
    facilitator = cast_facilitator(full_name="Benoît Lemoine")
    co_facilitator = make_user(role=roles.FACILITATOR, email="yann@tilab.example.org")
    auditor = cast_auditor()
    # Money decisions wait for a second factor: the staff who decide have one.
    for user in (relay_user, ensta_user, region_user):
        TOTP.activate(user, generate_totp_secret())

    rennes = relay_user.relays.get()
    make_relay(name="La Fabrique du Loch", departments=["56"])
    fablab = make_organisation(name="FabLab Lannion", department="22", commune="Lannion")
    sme = make_organisation(
        name="Armor Plastiques", kind=Organisation.Kind.SME, department="29", siret="73282932000074"
    )
    make_organisation(
        name="Couturières solidaires",
        kind=Organisation.Kind.COLLECTIVE,
        department="56",
        has_place=False,
    )

    anne = maker_user.maker
    others = {
        "22": make_maker(
            display_name="Yannick Guillou", department="22", commune="Lannion", is_public=True
        ),
        "29": make_maker(display_name="Maïwenn Kerhervé", department="29", commune="Brest"),
        "56": make_maker(
            display_name="Gaël Le Bihan", department="56", commune="Vannes", is_public=True
        ),
    }
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=True)
    Membership.objects.create(maker=others["29"], organisation=sme)
    deciders = {"35": relay_user, "22": relay_user, "29": ensta_user, "56": None}
    _reports(anne, {k: v for k, v in others.items() if k != "56"}, deciders, org=fablab)
    make_report(maker=others["56"], item="visor", quantity=12, entered_by=region_user)

    # A programme split, approved, redistributed and partly paid; another still proposed.
    programme = make_programme(by=region_user)
    approve_all(programme, by=region_controller())
    allocation = programme.allocations.get(relay=rennes)
    redistribution = money.redistribution_propose(
        allocation=allocation, own_use=[("Achat groupé de PLA", 50_000)], by=relay_user, now=now
    )
    money.redistribution_approve(redistribution=redistribution, by=region_user, now=now)
    money.payments_record(
        lines=list(redistribution.lines.order_by("pk")[:1]),
        paid_on=timezone.localdate(now),
        reference="VIR-2020-001",
        by=relay_user,
        now=now,
    )
    make_programme(
        by=region_user, name="Rattrapage 2020", envelope_cents=500_000, basis="material_cost"
    )

    # Workshops: public with a waitlist, by invitation, cancelled.
    full = make_workshop(by=facilitator, co_facilitators=[co_facilitator], capacity=2)
    for n in range(3):
        register_guest(full, n)
    workshop_services.registration_create(workshop=full, now=now, user=maker_user)
    private = make_workshop(
        by=facilitator, is_public=False, online_url="https://visio.example.org/a"
    )
    workshop_services.registration_create(workshop=private, now=now, user=maker_user)
    cancelled = make_workshop(by=facilitator)
    register_guest(cancelled, 9)
    workshop_services.workshop_cancel(
        workshop=cancelled, reason="Salle indisponible", by=facilitator, now=now
    )

    # Needs: open with pledges and deliveries (one confirmed), one unconfirmed, one removed.
    need = make_need(quantity=300)
    pledge = needs_services.pledge_create(
        need=need, quantity=50, by=maker_user, now=now, maker=anne, message="Livraison samedi"
    )
    delivered = needs_services.delivery_record(
        pledge=pledge, quantity=20, delivered_on=timezone.localdate(now), by=maker_user, now=now
    )
    needs_services.delivery_confirm(
        token=needs_services.delivery_confirm_token(delivered), confirmed_quantity=20, now=now
    )
    needs_services.delivery_record(
        pledge=pledge, quantity=10, delivered_on=timezone.localdate(now), by=maker_user, now=now
    )
    needs_services.pledge_create(
        need=need, quantity=30, by=maker_user, now=now, organisation=fablab
    )
    make_need(
        establishment=make_establishment(
            name="CHU Brest", care_type="hospital", department="29", commune="Brest"
        ),
        item="fabric-mask",
        confirmed=False,
    )
    removed = make_need(item="gown", quantity=20)
    needs_services.need_remove(need=removed, reason="Doublon", by=facilitator, now=now)

    # An attestation of Anne's, for its public check.
    recognition_services.attestation_issue(maker=anne, by=maker_user, now=now)
    # A message each way on her pledge: the threads of both sides.
    for from_establishment in (False, True):
        needs_services.need_message_send(
            pledge=pledge,
            body="Livraison jeudi ?",
            from_establishment=from_establishment,
            by=None if from_establishment else maker_user,
            now=now,
        )
    # Webhook endpoints of the Région and of both relays, each with a delivery (to a closed
    # port of this machine: a replay fails at once, as a receiver that is down).
    for owner in (region_user, relay_user, ensta_user):
        webhook_services.webhook_endpoint_create(
            url="http://127.0.0.1:9/hook", events=["need.posted"], by=owner, now=now
        )
    for department in ("35", "29"):
        webhook_services.webhook_event_emit(
            event="need.posted",
            obj="need",
            obj_id=removed.pk,
            url_name="need-detail",
            fields={},
            departments=[department],
            now=now,
        )

    users = {
        roles.MAKER: maker_user,
        roles.RELAY_STAFF: relay_user,
        roles.REGION_STAFF: region_user,
        roles.FACILITATOR: facilitator,
        roles.AUDITOR: auditor,
    }
    production_totals_rebuild(now=now)
    tokens = {role: make_personal_token(user) for role, user in users.items()}
    return World(users=users, tokens=tokens, ids=known_ids())


def known_ids() -> dict[str, list[str]]:
    """Ids of every collection, as they go in paths (the fuzzer also tries others)."""
    from fablabs.models import Relay
    from makers.models import ItemType
    from needs.models import Delivery, Pledge
    from recognition.models import Attestation
    from subsidies.models import Allocation, Programme, Redistribution
    from workshops.models import Registration, Workshop

    def pks(queryset):
        return [str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True)]

    return {
        "/api/v1/production-reports/": pks(ProductionReport.objects),
        "/api/v1/makers/": pks(Maker.objects),
        "/api/v1/relays/": pks(Relay.objects),
        "/api/v1/programmes/": pks(Programme.objects),
        "/api/v1/allocations/": pks(Allocation.objects),
        "/api/v1/redistributions/": pks(Redistribution.objects),
        "/api/v1/workshops/": pks(Workshop.objects),
        "/api/v1/registrations/": pks(Registration.objects),
        "/api/v1/needs/": pks(Need.objects),
        "/api/v1/pledges/": pks(Pledge.objects),
        "/api/v1/deliveries/": pks(Delivery.objects),
        "/api/v1/attestations/": list(
            Attestation.objects.order_by("pk").values_list("code", flat=True)
        ),
        # The management link of each need: the establishment's threads.
        "/api/v1/need-threads/": [
            needs_services.need_manage_token(need) for need in Need.objects.order_by("pk")
        ],
        "/api/v1/webhooks/": pks(WebhookEndpoint.objects),
        "/api/v1/webhook-deliveries/": pks(WebhookDelivery.objects),
        "/api/v1/departments/": ["35", "29", "22", "56"],
        "/api/v1/item-types/": list(ItemType.objects.order_by("pk").values_list("slug", flat=True)),
        "/api/v1/organisations/": list(
            Organisation.objects.order_by("pk").values_list("slug", flat=True)
        ),
    }
