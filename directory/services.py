"""Writes of the directory: managers edit their organisation and decide who joins it, makers
ask to join, facilitators correct kinds and merge duplicates. Every change is a decision; what
is refused is a coded refusal (directory/errors.py)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fablabs.models import Capability, Organisation
from fablabs.siret import siret_clean
from makers import signals
from makers.models import Maker, Membership, ProductionReport
from tilab.errors import ROLE_NOT_ALLOWED
from tilab.models import User
from tilab.services import decision_record

from . import errors, selectors
from .models import MembershipRequest


def _siret_for(kind: str, siret: str) -> str:
    """A checked SIRET, required for an SME; a refusal on the `siret` field otherwise."""
    number = siret_clean(siret)
    if kind == Organisation.Kind.SME and not number:
        raise errors.SIRET_REQUIRED()
    return number


def _locked(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


EDITABLE = [
    "description",
    "commune",
    "website",
    "equipment",
    "has_place",
    "is_public",
    "siret",
]


def organisation_update(
    *,
    organisation: Organisation,
    by: User,
    now: datetime,
    capabilities: list[Capability],
    **fields,
) -> Organisation:
    """A manager (or a facilitator) describes the organisation. Its name and kind are the
    facilitators' (see `organisation_kind_correct`). The changed fields are recorded."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    if not selectors.may_manage(by, organisation):
        raise ROLE_NOT_ALLOWED(rule="directory.change_organisation")
    with transaction.atomic():
        organisation = _locked(organisation)
        if "siret" in fields:
            fields["siret"] = _siret_for(organisation.kind, fields["siret"])
        elif organisation.kind == Organisation.Kind.SME and not organisation.siret:
            _siret_for(organisation.kind, "")
        changed = [name for name, value in fields.items() if getattr(organisation, name) != value]
        for name in changed:
            setattr(organisation, name, fields[name])
        organisation.full_clean(exclude=["slug", "name", "department", "kind", "merged_into"])
        if changed:
            organisation.save(update_fields=changed)
        before = set(organisation.capabilities.values_list("slug", flat=True))
        after = {capability.slug for capability in capabilities}
        if before != after:
            organisation.capabilities.set(capabilities)
            changed.append("capabilities")
        if changed:
            decision_record(
                actor=by,
                subject=organisation,
                action="organisation_update",
                now=now,
                data={"fields": changed},
            )
    return organisation


# --- Joining an organisation ---------------------------------------------------------------


def membership_request_create(
    *, maker: Maker, organisation: Organisation, message: str = "", now: datetime
) -> MembershipRequest:
    """A maker asks to join. Refused for a member, for a second pending request, and for an
    organisation out of the directory (merged or hidden)."""
    with transaction.atomic():
        # One maker's requests one after the other: two clicks make one request.
        Maker.objects.select_for_update().get(pk=maker.pk)
        if organisation.merged_into_id or not organisation.is_public:
            raise errors.ORGANISATION_CLOSED_TO_REQUESTS()
        if Membership.objects.filter(maker=maker, organisation=organisation).exists():
            raise errors.ALREADY_MEMBER()
        pending = MembershipRequest.Status.PENDING
        if MembershipRequest.objects.filter(
            maker=maker, organisation=organisation, status=pending
        ).exists():
            raise errors.REQUEST_ALREADY_PENDING()
        try:
            with transaction.atomic():
                request = MembershipRequest.objects.create(
                    maker=maker,
                    organisation=organisation,
                    message=message.strip(),
                    requested_at=now,
                )
        except IntegrityError as error:
            raise errors.REQUEST_ALREADY_PENDING() from error
    return request


def membership_requests_open_for_import(
    *, pairs: list[tuple[int, int]], by: User, now: datetime, source
) -> list[MembershipRequest]:
    """A spreadsheet import named makers with existing organisations they are not members of:
    a pending request to join is opened for each (maker id, organisation id) pair, for the
    organisation's managers (or a facilitator) to decide. A pair already a member, or already
    waiting, is left as it is: idempotent on the pair (the one-pending constraint), so an import
    run again opens nothing more. Unlike `membership_request_create`, a hidden organisation is
    not refused: the importer only names organisations it may see
    (`makers.selectors.organisations_matchable_by`), a hidden one it manages, say. Call inside
    the import's transaction (makers.signals.memberships_requested); each request opened is
    recorded, with the import that asked."""
    wanted = set(pairs)
    if not wanted:
        return []
    makers = {maker for maker, _organisation in wanted}
    organisations = {organisation for _maker, organisation in wanted}
    members = set(
        Membership.objects.filter(
            maker_id__in=makers, organisation_id__in=organisations
        ).values_list("maker_id", "organisation_id")
    )
    waiting = set(
        MembershipRequest.objects.filter(
            maker_id__in=makers,
            organisation_id__in=organisations,
            status=MembershipRequest.Status.PENDING,
        ).values_list("maker_id", "organisation_id")
    )
    message = _("Demande ouverte par l'import du fichier « %(filename)s ».") % {
        "filename": source.filename
    }
    requests = [
        MembershipRequest(
            maker_id=maker, organisation_id=organisation, message=message, requested_at=now
        )
        for maker, organisation in sorted(wanted - members - waiting)
    ]
    MembershipRequest.objects.bulk_create(requests)
    for request in requests:
        decision_record(
            actor=by,
            subject=request,
            action="membership_request_open",
            now=now,
            to_state=MembershipRequest.Status.PENDING,
            data={
                "organisation": request.organisation_id,
                "maker": request.maker_id,
                "import": source.pk,
            },
        )
    return requests


def membership_request_withdraw(*, request: MembershipRequest, by: User, now: datetime) -> None:
    """The maker withdraws their own pending request."""
    if request.maker.user_id != by.pk:
        raise ROLE_NOT_ALLOWED(rule="directory.withdraw_request")
    claimed = MembershipRequest.objects.filter(
        pk=request.pk, status=MembershipRequest.Status.PENDING
    ).update(status=MembershipRequest.Status.WITHDRAWN)
    if claimed != 1:
        raise errors.REQUEST_ALREADY_ANSWERED()
    request.status = MembershipRequest.Status.WITHDRAWN


def membership_request_decide(
    *,
    request: MembershipRequest,
    by: User,
    accept: bool,
    now: datetime,
    motivation: str = "",
) -> MembershipRequest:
    """A manager of the organisation (or a facilitator) accepts or refuses a pending request;
    accepting makes the maker a member from today. Decided once: a second answer is refused."""
    organisation = request.organisation
    if not selectors.may_manage(by, organisation):
        raise ROLE_NOT_ALLOWED(rule="directory.decide_request")
    status = MembershipRequest.Status.ACCEPTED if accept else MembershipRequest.Status.REFUSED
    with transaction.atomic():
        # The conditional UPDATE claims the request: of two managers answering at once, the
        # second finds it decided.
        claimed = MembershipRequest.objects.filter(
            pk=request.pk, status=MembershipRequest.Status.PENDING
        ).update(status=status, decided_by=by, decided_at=now)
        if claimed != 1:
            raise errors.REQUEST_ALREADY_ANSWERED()
        if accept:
            Membership.objects.get_or_create(
                maker_id=request.maker_id,
                organisation=organisation,
                defaults={"joined_on": now.date()},
            )
        request.refresh_from_db()
        decision_record(
            actor=by,
            subject=request,
            action="membership_accept" if accept else "membership_refuse",
            now=now,
            from_state=MembershipRequest.Status.PENDING,
            to_state=status,
            motivation=motivation,
            data={"organisation": organisation.pk, "maker": request.maker_id},
        )
    return request


# --- Curation ------------------------------------------------------------------------------


def _curator(by: User) -> None:
    if not selectors.may_curate(by):
        raise ROLE_NOT_ALLOWED(rule="directory.curate")


def _motivated(motivation: str) -> str:
    motivation = (motivation or "").strip()
    if not motivation:
        raise errors.CURATION_MOTIVATION_MISSING()
    return motivation


def organisation_kind_correct(
    *,
    organisation: Organisation,
    by: User,
    kind: str,
    motivation: str,
    now: datetime,
    siret: str | None = None,
) -> Organisation:
    """A facilitator corrects the kind. Becoming an SME needs a valid SIRET (given here or
    already known). The organisation's validated figures move to the totals of the new kind
    in the same transaction."""
    _curator(by)
    motivation = _motivated(motivation)
    if kind not in Organisation.Kind.values:
        raise errors.ORGANISATION_KIND_UNKNOWN()
    with transaction.atomic():
        organisation = _locked(organisation)
        if organisation.merged_into_id:
            raise errors.ORGANISATION_MERGED()
        was = organisation.kind
        if was == kind:
            raise errors.ORGANISATION_KIND_UNCHANGED()
        number = _siret_for(kind, organisation.siret if siret in (None, "") else siret)
        organisation.kind = kind
        organisation.siret = number
        organisation.save(update_fields=["kind", "siret"])
        signals.organisation_kind_changed.send(
            sender=Organisation, organisation_id=organisation.pk, was=was, now=now
        )
        decision_record(
            actor=by,
            subject=organisation,
            action="organisation_kind_correct",
            now=now,
            from_state=was,
            to_state=kind,
            motivation=motivation,
        )
    return organisation


def organisations_merge(
    *, duplicate: Organisation, into: Organisation, by: User, motivation: str, now: datetime
) -> dict:
    """Merge a duplicate into the organisation it repeats: its members, its pending requests
    and its production reports move; the duplicate stays for history, hidden, pointing to the
    other. Figures counted under the duplicate's kind move to the target's in the same
    transaction. Returns what moved. All of it, or nothing.

    Facilitators and Région staff merge. A merge that would hand validated reports to another
    territory (`selectors.merge_moves_across`: another department, or a relay's own
    organisation) is refused to facilitators (merge_moves_validated_reports, which says the
    Région decides it) and done by Région staff with the motivation recorded in the decision.

    Nobody becomes a manager of `into` by a merge: members of the duplicate join it as plain
    members (a member of both keeps what they were in `into`); the duplicate's managers are
    named in the decision (`managers_not_carried`), for `into`'s managers to promote if they
    choose."""
    if not selectors.may_merge(by):
        raise ROLE_NOT_ALLOWED(rule="directory.merge")
    motivation = _motivated(motivation)
    if duplicate.pk == into.pk:
        raise errors.MERGE_INTO_ITSELF()
    with transaction.atomic():
        # Both rows locked, in key order so that two merges never wait on each other crosswise.
        locked = {
            o.pk: o
            for o in Organisation.objects.select_for_update()
            .filter(pk__in=[duplicate.pk, into.pk])
            .order_by("pk")
        }
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        if duplicate.merged_into_id or into.merged_into_id:
            raise errors.ORGANISATION_ALREADY_MERGED()
        if hasattr(duplicate, "relay"):
            raise errors.ORGANISATION_CARRIES_RELAY()
        # The reports are locked too: one validated meanwhile cannot slip past the count.
        list(
            ProductionReport.objects.select_for_update()
            .filter(organisation=duplicate)
            .values_list("pk", flat=True)
        )
        across = selectors.merge_moves_across(duplicate, into)
        if across and not by.has_perm("directory.merge_across_territories"):
            raise errors.MERGE_MOVES_VALIDATED_REPORTS(count=across)
        moved = {"members": 0, "requests": 0, "reports": 0}
        theirs = {m.maker_id: m for m in Membership.objects.filter(organisation=into)}
        managers_not_carried = []
        for membership in Membership.objects.filter(organisation=duplicate).order_by("pk"):
            if membership.is_manager:
                managers_not_carried.append(membership.maker_id)
            kept = theirs.get(membership.maker_id)
            if kept is None:
                membership.organisation = into
                membership.is_manager = False
                membership.save(update_fields=["organisation", "is_manager"])
            else:
                dates = [d for d in (kept.joined_on, membership.joined_on) if d]
                kept.joined_on = min(dates) if dates else None
                kept.save(update_fields=["joined_on"])
                membership.delete()
            moved["members"] += 1
        pending = MembershipRequest.Status.PENDING
        waiting_there = set(
            MembershipRequest.objects.filter(organisation=into, status=pending).values_list(
                "maker_id", flat=True
            )
        )
        members_now = set(
            Membership.objects.filter(organisation=into).values_list("maker_id", flat=True)
        )
        for request in MembershipRequest.objects.filter(organisation=duplicate, status=pending):
            if request.maker_id in waiting_there | members_now:
                # Already asked there, or already a member: this one has nothing left to ask.
                request.status = MembershipRequest.Status.WITHDRAWN
                request.save(update_fields=["status"])
            else:
                request.organisation = into
                request.save(update_fields=["organisation"])
                moved["requests"] += 1
        moved["reports"] = ProductionReport.objects.filter(organisation=duplicate).update(
            organisation=into
        )
        if moved["reports"] and duplicate.kind != into.kind:
            # The moved reports now count under the target's kind: the buckets of both kinds
            # for the target's report weeks are recomputed.
            signals.organisation_kind_changed.send(
                sender=Organisation, organisation_id=into.pk, was=duplicate.kind, now=now
            )
        duplicate.merged_into = into
        duplicate.is_public = False
        duplicate.save(update_fields=["merged_into", "is_public"])
        data = {
            "duplicate": duplicate.pk,
            "into": into.pk,
            **moved,
            "validated_reports_across": across,
            "managers_not_carried": managers_not_carried,
        }
        for subject, action in ((duplicate, "organisation_merge"), (into, "organisation_absorb")):
            decision_record(
                actor=by,
                subject=subject,
                action=action,
                now=now,
                motivation=motivation,
                data=data,
            )
    return moved
