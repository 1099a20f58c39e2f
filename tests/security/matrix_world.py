"""One world for the authorisation matrix: a caller per role and, for each kind of object, one
in each ownership class, built with the project's own helpers and services.

Ownership classes, relative to the cast of `tests/conftest.py` (Anne is the maker, dept 35;
Camille is staff of LabFab de Rennes, which covers 35 and 22; Benoît is the facilitator):

- OWN: the caller's own object: Anne's report, profile, pledge, registration, bank details;
  the organisation Anne manages; the workshop Benoît facilitates (and Anne is registered to);
  the allocation, programme and redistribution of Camille's relay; the export or import the
  caller made (each staff caller has its own).
- SAME: same relay: another person's object in a department Camille's relay covers (Bernard,
  a maker of Côtes-d'Armor, 22: his report, profile, pledge, registration, bank details, the
  organisation he manages).
- OTHER: other relay: an object of Finistère (29), covered by ENSTA Bretagne (Yann, a maker of
  29; ENSTA's allocation, programme and redistribution; Sophie's export and import, Sophie
  being ENSTA's staff); for workshops, an invitation-only workshop of another facilitator.
- PUBLIC: what anyone may see: an opted-in maker, a public workshop of another facilitator
  and its published synthesis, an open need.
- NONE: a collection or a page about the caller only (no object in the URL).
- A few named states complete them: HIDDEN (a hidden organisation, an unconfirmed need),
  CANCELLED (a cancelled workshop Benoît facilitates), DRAFT (a synthesis not published),
  TOKEN (a valid signed link or secret token) and FORGED (an altered one).
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from directory.models import MembershipRequest
from figures import exports
from figures.models import ProductionExport
from makers import importing
from makers import services as makers_services
from makers.models import ItemType, Membership
from needs import services as needs_services
from recognition import services as network_services
from subsidies import bank, batches
from subsidies import services as money
from tests.factories import (
    approve_all,
    cast_auditor,
    cast_facilitator,
    cast_maker,
    cast_other_relay_staff,
    cast_region_staff,
    cast_relay_staff,
    confirm_token,
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_personal_token,
    make_programme,
    make_report,
    make_user,
    make_workshop,
    region_controller,
    register_and_confirm,
    relay_colleague,
)
from tilab import roles
from tilab.models import Department
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery
from workshops import services as workshop_services
from workshops.models import Workshop

OWN, SAME, OTHER, PUBLIC, NONE = "own", "same relay", "other relay", "public", "none"
HIDDEN, CANCELLED, DRAFT, TOKEN, FORGED = "hidden", "cancelled", "draft", "token", "forged"

# Callers, in the order of the matrix's columns. NO_ROLE: logged in, holding no role.
ANON, MAKER, RELAY, REGION, FACIL, AUDITOR, NO_ROLE = (
    "anonymous",
    roles.MAKER,
    roles.RELAY_STAFF,
    roles.REGION_STAFF,
    roles.FACILITATOR,
    roles.AUDITOR,
    "no role",
)
CALLERS = (ANON, MAKER, RELAY, REGION, FACIL, AUDITOR, NO_ROLE)

IBANS = {
    "anne": "FR7630006000000001123456786",
    "bernard": "FR7610107000000010112345697",
    "yann": "FR7612739000000007044123475",
    "labfab": "FR7630004000000000312345680",
    "ensta": "FR7611315000000000112345613",
}
CSV_IMPORT = (
    "Date;Nom du maker;Département;Article;Quantité\n02/04/2020;Morgane Le Bihan;35;visor;12\n"
).encode()


@dataclass
class World:
    users: dict = field(default_factory=dict)  # caller -> User (None for anonymous)
    tokens: dict = field(default_factory=dict)  # caller -> API token
    objects: dict = field(default_factory=dict)  # (kind, ownership) -> object, or a caller map
    password: str = ""

    def get(self, kind: str, ownership: str, caller: str):
        """The object of this kind and class; a dict of callers when "own" depends on who asks."""
        found = self.objects[(kind, ownership)]
        if isinstance(found, dict):
            return found.get(caller, found["*"])
        return found


def _now():
    return timezone.now()


def world_build() -> World:
    """Everything the matrix walks. Reference data (departments, groups, catalogue) is there."""
    from tests.factories import PASSWORD

    w = World(password=PASSWORD)
    now = _now()
    o = w.objects

    # --- The cast (tests/factories.py), and the people around them --------------------------
    anne = cast_maker()
    camille = cast_relay_staff()
    sophie = cast_other_relay_staff()
    helene = cast_region_staff()
    benoit = cast_facilitator()
    gwen = make_user(role=roles.FACILITATOR, email="gwen@tilab.example.org")
    auditor = cast_auditor()
    lea = make_user(email="lea@example.org", full_name="Léa Sans Rôle")
    bernard = make_user(role=roles.MAKER, email="bernard@example.org", full_name="Bernard Guillou")
    yann = make_user(role=roles.MAKER, email="yann@example.org", full_name="Yann Kerouac")
    w.users = {
        ANON: None,
        MAKER: anne,
        RELAY: camille,
        REGION: helene,
        FACIL: benoit,
        AUDITOR: auditor,
        NO_ROLE: lea,
    }
    for caller, user in w.users.items():
        if user is not None:
            w.tokens[caller] = make_personal_token(user)

    labfab = camille.relays.get()
    ensta = sophie.relays.get()

    m_anne = anne.maker
    m_bernard = make_maker(
        user=bernard, display_name="Bernard Guillou", department="22", commune="Lannion"
    )
    m_yann = make_maker(user=yann, display_name="Yann Kerouac", department="29", commune="Brest")
    m_public = make_maker(
        display_name="Gaëlle Public", department="29", commune="Quimper", is_public=True
    )
    o[("maker", OWN)] = m_anne
    o[("maker", SAME)] = m_bernard
    o[("maker", OTHER)] = m_yann
    o[("maker", PUBLIC)] = m_public

    # --- Organisations, memberships, requests -----------------------------------------------
    org_own = make_organisation(name="Fablab de Bréquigny", department="35", commune="Rennes")
    org_same = make_organisation(name="Repair Café Lannion", department="22", commune="Lannion")
    org_other = make_organisation(name="Fablab de Brest", department="29", commune="Brest")
    org_hidden = make_organisation(
        name="Atelier caché", department="35", commune="Vitré", is_public=False
    )
    Membership.objects.create(maker=m_anne, organisation=org_own, is_manager=True)
    Membership.objects.create(maker=m_bernard, organisation=org_same, is_manager=True)
    Membership.objects.create(maker=m_yann, organisation=org_other, is_manager=True)
    Membership.objects.create(maker=m_bernard, organisation=org_hidden, is_manager=True)
    # Pending requests: one to Anne's organisation (she decides), one to Bernard's.
    o[("join_request", OWN)] = MembershipRequest.objects.create(
        maker=m_yann, organisation=org_own, requested_at=now
    )
    o[("join_request", SAME)] = MembershipRequest.objects.create(
        maker=m_yann, organisation=org_same, requested_at=now
    )
    o[("organisation", OWN)] = org_own
    o[("organisation", SAME)] = org_same
    o[("organisation", OTHER)] = org_other
    o[("organisation", HIDDEN)] = org_hidden
    o[("organisation", PUBLIC)] = org_other

    # --- Production reports -----------------------------------------------------------------
    def validated(maker, **kw):
        return make_report(maker=maker, status="validated", decided_by=_decider(maker), **kw)

    def _decider(maker):
        return camille if maker.department_id in ("35", "22") else sophie

    o[("report", OWN)] = make_report(maker=m_anne, quantity=24)
    o[("report", SAME)] = make_report(maker=m_bernard, quantity=30)
    o[("report", OTHER)] = make_report(maker=m_yann, quantity=40)
    o[("report_validated", OWN)] = validated(m_anne, quantity=50)
    o[("report_validated", SAME)] = validated(m_bernard, quantity=60)
    o[("report_validated", OTHER)] = validated(m_yann, quantity=70)
    # Refusals for makers without an account, which their relay sends them or prints.
    for ownership, department, decider in ((SAME, "22", camille), (OTHER, "29", sophie)):
        o[("rejection", ownership)] = make_report(
            maker=make_maker(display_name=f"Sans Compte {department}", department=department),
            quantity=5,
            status="rejected",
            decided_by=decider,
        )

    # --- Exports and imports (each staff caller has its own; Sophie's are the foreign ones) --
    def export_of(user):
        return exports.production_export_request(by=user, format="csv", filters={}, now=now)

    def failed_export_of(user):
        # A failed export is what its owner may start again.
        export = export_of(user)
        ProductionExport.objects.filter(pk=export.pk).update(
            status=ProductionExport.Status.FAILED, content=None, error="Disque plein"
        )
        return export

    o[("export", OTHER)] = export_of(sophie)
    o[("export", OWN)] = {
        RELAY: export_of(camille),
        REGION: export_of(helene),
        AUDITOR: export_of(auditor),
        "*": o[("export", OTHER)],
    }
    o[("export_failed", OTHER)] = failed_export_of(sophie)
    o[("export_failed", OWN)] = {
        RELAY: failed_export_of(camille),
        REGION: failed_export_of(helene),
        AUDITOR: failed_export_of(auditor),
        "*": o[("export_failed", OTHER)],
    }

    def import_of(user):
        return importing.production_import_upload(
            content=CSV_IMPORT, filename="production.csv", by=user, now=now
        )

    # Relay staff, the Région and facilitators import: each has an upload of their own.
    o[("import", OWN)] = {
        RELAY: import_of(camille),
        REGION: import_of(helene),
        FACIL: import_of(benoit),
        "*": None,
    }
    o[("import", OTHER)] = import_of(sophie)
    o[("import", OWN)]["*"] = o[("import", OTHER)]

    # --- Money: programmes, allocations, redistributions, bank details ---------------------
    long_ago = datetime.timedelta(days=30)
    for owner, iban, staff in (
        (m_anne, IBANS["anne"], camille),
        (m_bernard, IBANS["bernard"], camille),
        (m_yann, IBANS["yann"], sophie),
        (labfab.organisation, IBANS["labfab"], camille),
        (ensta.organisation, IBANS["ensta"], sophie),
    ):
        # Given long ago: past their waiting period, they may go into transfer files.
        money.bank_account_set(
            owner=owner, holder=str(owner)[:70], iban=iban, by=staff, now=now - long_ago
        )
    for relay in (labfab, ensta):
        # A relay's own paying account is released by the Région.
        bank.bank_change_confirm(
            change=relay.organisation.bank_account.changes.get(), by=helene, now=now - long_ago
        )
    relays = [labfab, ensta]
    # Four eyes: the programmes are proposed by the Région's second agent, so that Hélène (the
    # caller) may approve them, and approved by Hélène.
    erwan = region_controller()
    proposed = make_programme(by=erwan, relays=relays, name="Programme à approuver")
    approved_a = approve_all(make_programme(by=erwan, relays=relays, name="Programme A"), by=helene)
    approved_b = approve_all(make_programme(by=erwan, relays=relays, name="Programme B"), by=helene)
    ensta_only = make_programme(by=erwan, relays=[ensta], name="Programme du Finistère")

    def allocation(programme, relay):
        return programme.allocations.get(relay=relay)

    o[("programme", OWN)] = approved_a
    o[("programme", OTHER)] = ensta_only
    o[("programme_proposed", OWN)] = proposed
    o[("programme_proposed", OTHER)] = ensta_only
    o[("allocation", OWN)] = allocation(approved_a, labfab)
    o[("allocation", OTHER)] = allocation(approved_a, ensta)
    o[("allocation_proposed", OWN)] = allocation(proposed, labfab)
    o[("allocation_proposed", OTHER)] = allocation(proposed, ensta)

    def redistribution(programme, relay, staff, *, approve):
        # Four eyes: proposed by a colleague, so that the caller (`staff`) may approve it.
        r = money.redistribution_propose(
            allocation=allocation(programme, relay), by=relay_colleague(staff), now=_now()
        )
        if approve:
            r = money.redistribution_approve(redistribution=r, by=staff, now=_now())
        return r

    o[("redistribution", OWN)] = redistribution(approved_a, labfab, camille, approve=False)
    o[("redistribution", OTHER)] = redistribution(approved_a, ensta, sophie, approve=False)
    o[("redistribution_approved", OWN)] = redistribution(approved_b, labfab, camille, approve=True)
    o[("redistribution_approved", OTHER)] = redistribution(approved_b, ensta, sophie, approve=True)
    # Payment batches: open ones, on a programme of their own (a line is in one open batch).
    approved_c = approve_all(make_programme(by=erwan, relays=relays, name="Programme C"), by=helene)
    for ownership, relay, staff in ((OWN, labfab, camille), (OTHER, ensta, sophie)):
        o[("batch", ownership)] = batches.payment_batch_create(
            redistribution=redistribution(approved_c, relay, staff, approve=True),
            format="csv",
            by=staff,
            now=_now(),
        )
    # Bank changes waiting for a second person: Bernard changed his own; Sophie, Yann's.
    o[("bank_change", OWN)] = money.bank_account_set(
        owner=m_bernard, holder="Bernard Guillou", iban=IBANS["anne"], by=bernard, now=now
    ).changes.latest("pk")
    o[("bank_change", OTHER)] = money.bank_account_set(
        owner=m_yann, holder="Yann", iban=IBANS["anne"], by=sophie, now=now
    ).changes.latest("pk")
    o[("bank_maker", OWN)] = m_anne
    o[("bank_maker", SAME)] = m_bernard
    o[("bank_maker", OTHER)] = m_yann
    o[("bank_organisation", OWN)] = org_own
    o[("bank_organisation", SAME)] = org_same
    o[("bank_organisation", OTHER)] = org_other

    # --- Workshops, registrations, syntheses ------------------------------------------------
    soon = now + datetime.timedelta(days=10)
    ws_own = make_workshop(by=benoit, is_public=False, title="Atelier de Benoît", starts_at=soon)
    ws_public = make_workshop(by=gwen, title="Atelier public de Gwen", starts_at=soon)
    ws_other = make_workshop(by=gwen, is_public=False, title="Atelier privé de Gwen")
    ws_cancelled = make_workshop(by=benoit, title="Atelier annulé")
    workshop_services.workshop_cancel(
        workshop=ws_cancelled, reason="Salle indisponible", by=benoit, now=now
    )
    ws_draft = make_workshop(by=gwen, title="Atelier à la synthèse en brouillon")
    o[("workshop", OWN)] = ws_own
    o[("workshop", PUBLIC)] = ws_public
    o[("workshop", OTHER)] = ws_other
    o[("workshop", CANCELLED)] = ws_cancelled
    reg_own = workshop_services.registration_create(workshop=ws_own, user=anne, now=now)
    reg_same = workshop_services.registration_create(workshop=ws_public, user=bernard, now=now)
    reg_guest = register_and_confirm(
        ws_public, name="Invitée", email="invitee@example.org", now=now
    )
    # A guest's registration waiting for its link: confirming it is what every caller does.
    workshop_services.registration_create(
        workshop=ws_public, name="Pendante", email="pendante@example.org", now=now
    )
    o[("registration_confirm", TOKEN)] = confirm_token(ws_public, "pendante@example.org")
    o[("registration", OWN)] = reg_own
    o[("registration", SAME)] = reg_same
    o[("guest_registration", TOKEN)] = reg_guest
    o[("registration_token", TOKEN)] = workshop_services.registration_cancel_token(reg_guest)
    o[("invitation", TOKEN)] = ws_other.invitation_token
    feed = workshop_services.calendar_feed_of(user=bernard, now=now)
    o[("calendar_feed", TOKEN)] = feed.token
    synthesis = workshop_services.synthesis_save(
        workshop=ws_public, body="# Ce que nous avons appris", by=gwen, now=ws_public.starts_at
    )
    workshop_services.synthesis_publish(
        synthesis=synthesis, by=gwen, now=synthesis.workshop.starts_at
    )
    workshop_services.synthesis_save(
        workshop=ws_draft, body="Brouillon", by=gwen, now=ws_draft.starts_at
    )
    o[("synthesis", PUBLIC)] = ws_public
    o[("synthesis", DRAFT)] = ws_draft
    # Check-in and the synthesis open once a workshop is held: Benoît's workshop of yesterday,
    # moved there behind the services' back (they schedule nothing in the past).
    ws_held = make_workshop(by=benoit, is_public=False, title="Atelier tenu hier")
    o[("registration_held", OWN)] = workshop_services.registration_create(
        workshop=ws_held, user=anne, now=now
    )
    yesterday = now - datetime.timedelta(days=1)
    Workshop.objects.filter(pk=ws_held.pk).update(
        starts_at=yesterday, registration_deadline=yesterday
    )
    o[("workshop_held", OWN)] = ws_held

    # --- Needs, pledges, deliveries ---------------------------------------------------------
    need_35 = make_need(establishment=make_establishment(), quantity=200)
    need_29 = make_need(
        establishment=make_establishment(
            name="CHU de Brest", care_type="hospital", department="29", commune="Brest"
        ),
        quantity=200,
    )
    need_hidden = make_need(
        establishment=make_establishment(name="Pharmacie du Port", care_type="pharmacy"),
        confirmed=False,
    )
    # Needs whose contact has not confirmed the address yet: the network's follow-up sees
    # them, relay staff for their own departments only.
    o[("need_unconfirmed", SAME)] = need_hidden
    o[("need_unconfirmed", OTHER)] = make_need(
        establishment=make_establishment(
            name="Pharmacie de Recouvrance", care_type="pharmacy", department="29", commune="Brest"
        ),
        confirmed=False,
    )
    o[("need", SAME)] = need_35
    o[("need", OTHER)] = need_29
    o[("need", PUBLIC)] = need_35
    o[("need", HIDDEN)] = need_hidden
    # A need nobody of the cast pledged yet: the one Anne pledges on.
    o[("need_fresh", PUBLIC)] = make_need(
        establishment=make_establishment(
            name="Clinique de Lannion", care_type="hospital", department="22", commune="Lannion"
        )
    )
    pledge_own = needs_services.pledge_create(
        need=need_35, quantity=10, by=anne, maker=m_anne, now=now
    )
    pledge_same = needs_services.pledge_create(
        need=need_35, quantity=10, by=bernard, maker=m_bernard, now=now
    )
    today = timezone.localdate(now)
    delivery_own = needs_services.delivery_record(
        pledge=pledge_own, quantity=5, delivered_on=today, by=anne, now=now
    )
    delivery_same = needs_services.delivery_record(
        pledge=pledge_same, quantity=5, delivered_on=today, by=bernard, now=now
    )
    # A second pledge of Anne's without a delivery: the one she may still withdraw.
    pledge_free = needs_services.pledge_create(
        need=need_29, quantity=5, by=anne, maker=m_anne, now=now
    )
    o[("pledge", OWN)] = pledge_own
    o[("pledge", SAME)] = pledge_same
    o[("pledge_free", OWN)] = pledge_free
    o[("pledge_free", SAME)] = pledge_same
    o[("delivery", OWN)] = delivery_own
    o[("delivery", SAME)] = delivery_same
    o[("need_confirm", TOKEN)] = needs_services.need_confirm_token(need_hidden)
    o[("need_manage", TOKEN)] = needs_services.need_manage_token(need_35)
    o[("delivery_confirmed", TOKEN)] = delivery_same
    o[("delivery_confirm", TOKEN)] = needs_services.delivery_confirm_token(delivery_same)

    # --- Attestations -----------------------------------------------------------------------
    o[("attestation", OWN)] = network_services.attestation_issue(maker=m_anne, by=anne, now=now)

    # --- Reference data the API reads, and altered links --------------------------------------
    o[("department", PUBLIC)] = Department.objects.get(code="35")
    o[("item_type", PUBLIC)] = item()
    # An alias Camille recorded from an import: hers, yet only facilitators change it.
    o[("item_alias", OWN)] = makers_services.item_alias_create(
        text="Visières PETG", item_type=item(), by=camille, now=now
    )
    o[("relay", PUBLIC)] = labfab

    # --- Webhooks: the Région's endpoint (Hélène's), LabFab's (Camille's), ENSTA's (Sophie's),
    # each with a delivery. Made last: the decisions above are told to nobody.
    def endpoint_of(user):
        return webhook_services.webhook_endpoint_create(
            url="http://localhost:9000/hook", events=["need.posted"], by=user, now=now
        )

    region_hook, labfab_hook, ensta_hook = (endpoint_of(u) for u in (helene, camille, sophie))
    for department in ("35", "29"):
        webhook_services.webhook_event_emit(
            event="need.posted",
            obj="need",
            obj_id=need_29.pk,
            url_name="need-detail",
            fields={},
            departments=[department],
            now=now,
        )
    delivery = {d.endpoint_id: d for d in WebhookDelivery.objects.order_by("pk")}
    o[("webhook", OWN)] = {RELAY: labfab_hook, "*": region_hook}
    o[("webhook", OTHER)] = ensta_hook
    o[("webhook_delivery", OWN)] = {RELAY: delivery[labfab_hook.pk], "*": delivery[region_hook.pk]}
    o[("webhook_delivery", OTHER)] = delivery[ensta_hook.pk]
    for kind in (
        "invitation",
        "registration_token",
        "registration_confirm",
        "calendar_feed",
        "need_confirm",
        "need_manage",
        "delivery_confirm",
    ):
        token = o[(kind, TOKEN)]
        o[(kind, FORGED)] = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    return w


def item(slug: str = "visor") -> ItemType:
    return ItemType.objects.get(slug=slug)
