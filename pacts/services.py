"""Writes of cooperation pacts: drafting (text, parties, commitments), proposing, signing by
each party's representative, activating, reporting, ending, renewing, and amendments as new
versions. Every step is a decision recorded in the same transaction; a signed text is never
written to again."""

import datetime
import hashlib

from django.conf import settings
from django.db import transaction

from tilab.permissions import require
from tilab.services import decision_record

from . import errors
from .models import (
    Commitment,
    Licence,
    Pact,
    PactReport,
    PactVersion,
    Party,
    ReportAttachment,
    ReportFigure,
    ReviewDate,
    Signature,
    Theme,
)
from .selectors import has_money

MAX_ATTACHMENTS = 5
TEXT_FIELDS = ("title", "purpose", "commons", "licence", "starts_on", "ends_on")


def _require_steward(pact: Pact, by) -> None:
    if not by.has_perm("pacts.steward", pact):
        raise errors.PACT_NOT_STEWARD()


def _require_draft(version: PactVersion) -> None:
    if version.status != PactVersion.Status.DRAFT:
        raise errors.PACT_NOT_EDITABLE()


def _check_text(*, title, purpose, commons, licence, starts_on, ends_on, review_dates) -> None:
    if not (title.strip() and purpose.strip() and commons.strip()):
        raise errors.PACT_TEXT_MISSING()
    if licence not in Licence.values:
        raise errors.PACT_LICENCE_UNKNOWN()
    if ends_on < starts_on:
        raise errors.PACT_DATES_ORDER()
    if any(not (starts_on <= day <= ends_on) for day in review_dates):
        raise errors.PACT_REVIEW_OUTSIDE()


def _lock(pact: Pact) -> Pact:
    # Two representatives signing at once, or a signature racing an amendment: one at a time
    # per pact, each seeing what the other wrote.
    return Pact.objects.select_for_update().get(pk=pact.pk)


def _wrong_state(pact: Pact):
    return errors.PACT_WRONG_STATE(status=pact.get_status_display())


@transaction.atomic
def pact_create(
    *,
    title: str,
    purpose: str,
    commons: str,
    licence: str,
    theme: str,
    department_id: str | None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    review_dates: list[datetime.date] = (),
    by,
    now: datetime.datetime,
) -> Pact:
    """A new pact, in draft, with its first version: who drafts it may then name the parties."""
    require(by, "pacts.create")
    _check_text(
        title=title,
        purpose=purpose,
        commons=commons,
        licence=licence,
        starts_on=starts_on,
        ends_on=ends_on,
        review_dates=review_dates,
    )
    pact = Pact.objects.create(
        theme=theme if theme in Theme.values else Theme.OTHER,
        department_id=department_id or None,
        created_by=by,
        created_at=now,
    )
    version = PactVersion.objects.create(
        pact=pact,
        number=1,
        title=title.strip(),
        purpose=purpose.strip(),
        commons=commons.strip(),
        licence=licence,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=now,
    )
    ReviewDate.objects.bulk_create(
        ReviewDate(version=version, review_on=day) for day in sorted(set(review_dates))
    )
    decision_record(actor=by, subject=pact, action="pact_create", now=now, to_state=pact.status)
    return pact


@transaction.atomic
def pact_version_update(
    *,
    version: PactVersion,
    title: str,
    purpose: str,
    commons: str,
    licence: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    review_dates: list[datetime.date],
    amendment_reason: str = "",
    by,
    now: datetime.datetime,
) -> PactVersion:
    """Rewrite a draft's text. A proposed or signed text answers `pact_not_editable`."""
    _require_steward(version.pact, by)
    version = PactVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    _check_text(
        title=title,
        purpose=purpose,
        commons=commons,
        licence=licence,
        starts_on=starts_on,
        ends_on=ends_on,
        review_dates=review_dates,
    )
    version.title, version.purpose, version.commons = title.strip(), purpose.strip(), commons
    version.licence, version.starts_on, version.ends_on = licence, starts_on, ends_on
    version.amendment_reason = amendment_reason.strip()
    version.save(update_fields=[*TEXT_FIELDS, "amendment_reason"])
    version.reviews.all().delete()
    ReviewDate.objects.bulk_create(
        ReviewDate(version=version, review_on=day) for day in sorted(set(review_dates))
    )
    return version


@transaction.atomic
def party_add(
    *,
    version: PactVersion,
    kind: str,
    name: str = "",
    organisation=None,
    maker=None,
    representative,
    by,
    now: datetime.datetime,
) -> Party:
    """Name a party of a draft and the person who will sign for it."""
    _require_steward(version.pact, by)
    _require_draft(PactVersion.objects.select_for_update().get(pk=version.pk))
    if kind == Party.Kind.ORGANISATION:
        if organisation is None:
            raise errors.PARTY_INCOMPLETE()
        name, maker = organisation.name, None
    elif kind == Party.Kind.MAKER:
        if maker is None:
            raise errors.PARTY_INCOMPLETE(field="maker")
        name, organisation = maker.display_name, None
    else:
        organisation = maker = None
        if not name.strip():
            raise errors.PARTY_INCOMPLETE(field="name")
    if representative is None or not representative.is_active:
        raise errors.PARTY_REPRESENTATIVE_UNKNOWN()
    if version.parties.filter(representative=representative).exists():
        raise errors.PARTY_REPRESENTATIVE_TWICE()
    return Party.objects.create(
        version=version,
        kind=kind,
        name=name.strip(),
        organisation=organisation,
        maker=maker,
        representative=representative,
        position=version.parties.count(),
    )


@transaction.atomic
def party_remove(*, party: Party, by, now: datetime.datetime) -> None:
    _require_steward(party.version.pact, by)
    _require_draft(PactVersion.objects.select_for_update().get(pk=party.version_id))
    party.delete()


@transaction.atomic
def commitment_add(
    *,
    party: Party,
    kind: str,
    description: str,
    amount_cents: int | None = None,
    by,
    now: datetime.datetime,
) -> Commitment:
    """What a party of a draft brings; money in cents, and only money has an amount."""
    _require_steward(party.version.pact, by)
    _require_draft(PactVersion.objects.select_for_update().get(pk=party.version_id))
    if not description.strip():
        raise errors.COMMITMENT_DESCRIPTION_MISSING()
    if kind == Commitment.Kind.MONEY:
        if amount_cents is None or amount_cents <= 0:
            raise errors.COMMITMENT_AMOUNT()
    elif amount_cents:
        raise errors.COMMITMENT_AMOUNT()
    else:
        amount_cents = None
    return Commitment.objects.create(
        party=party, kind=kind, description=description.strip(), amount_cents=amount_cents
    )


@transaction.atomic
def commitment_remove(*, commitment: Commitment, by, now: datetime.datetime) -> None:
    _require_steward(commitment.party.version.pact, by)
    _require_draft(PactVersion.objects.select_for_update().get(pk=commitment.party.version_id))
    commitment.delete()


@transaction.atomic
def pact_propose(*, version: PactVersion, by, now: datetime.datetime) -> PactVersion:
    """Submit a draft to its parties' signatures: from now on its text does not change."""
    pact = _lock(version.pact)
    _require_steward(pact, by)
    version = PactVersion.objects.get(pk=version.pk)
    _require_draft(version)
    kinds = set(version.parties.values_list("kind", flat=True))
    if not (kinds & set(Party.PUBLIC_KINDS) and kinds & set(Party.COMMONS_KINDS)):
        raise errors.PACT_PARTIES_MISSING()
    version.status = PactVersion.Status.PROPOSED
    version.proposed_at = now
    version.save(update_fields=["status", "proposed_at"])
    before = pact.status
    if pact.status == Pact.Status.DRAFT:
        pact.status = Pact.Status.PROPOSED
        pact.save(update_fields=["status"])
    decision_record(
        actor=by,
        subject=pact,
        action="pact_propose",
        now=now,
        from_state=before,
        to_state=pact.status,
        data={"version": version.number},
    )
    return version


@transaction.atomic
def pact_sign(*, party: Party, confirmed: bool, by, now: datetime.datetime) -> Signature:
    """The party's representative signs the proposed text, logged in as themself, after its
    recap (`confirmed`). A text committing money needs the second factor, as money decisions
    do. When the last party signs, the text comes into force (an amended one replaces the text
    before it) and the pact enters the public register."""
    pact = _lock(party.version.pact)
    party = Party.objects.select_related("version").get(pk=party.pk)
    version = party.version
    if party.representative_id != by.pk:
        raise errors.PACT_SIGN_NOT_REPRESENTATIVE()
    if version.status != PactVersion.Status.PROPOSED:
        raise errors.PACT_NOT_PROPOSED()
    if Signature.objects.filter(party=party).exists():
        raise errors.PACT_ALREADY_SIGNED()
    if has_money(version):
        require(by, "pacts.sign_money")
    if not confirmed:
        raise errors.PACT_SIGN_NOT_CONFIRMED()
    signature = Signature.objects.create(party=party, signed_by=by, signed_at=now)
    decision_record(
        actor=by,
        subject=pact,
        action="pact_sign",
        now=now,
        from_state=pact.status,
        to_state=pact.status,
        data={"version": version.number, "party": party.name, "party_kind": party.kind},
    )
    if not version.parties.filter(signature__isnull=True).exists():
        _bring_into_force(pact=pact, version=version, now=now)
    return signature


def _bring_into_force(*, pact: Pact, version: PactVersion, now) -> None:
    pact.versions.filter(status=PactVersion.Status.SIGNED).update(
        status=PactVersion.Status.SUPERSEDED
    )
    version.status = PactVersion.Status.SIGNED
    version.signed_at = now
    version.save(update_fields=["status", "signed_at"])
    before = pact.status
    if pact.status == Pact.Status.PROPOSED:
        pact.status = Pact.Status.SIGNED
        pact.signed_at = now
        pact.save(update_fields=["status", "signed_at"])
    decision_record(
        actor=None,
        subject=pact,
        action="pact_version_in_force",
        now=now,
        from_state=before,
        to_state=pact.status,
        data={"version": version.number},
    )


def _require_party_or_follower(pact: Pact, by) -> None:
    if not by.has_perm("pacts.act", pact):
        raise errors.PACT_NOT_PARTY()


@transaction.atomic
def pact_activate(*, pact: Pact, by, now: datetime.datetime) -> Pact:
    """A signed pact starts (from its first day): a party or a facilitator says so."""
    pact = _lock(pact)
    _require_party_or_follower(pact, by)
    if pact.status != Pact.Status.SIGNED:
        raise _wrong_state(pact)
    version = pact.versions.get(status=PactVersion.Status.SIGNED)
    if now.date() < version.starts_on:
        raise errors.PACT_NOT_STARTED(starts_on=version.starts_on.strftime("%d/%m/%Y"))
    return _move(pact, Pact.Status.ACTIVE, action="pact_activate", by=by, now=now)


def _move(pact, status, *, action, by, now, motivation="", **extra) -> Pact:
    before = pact.status
    pact.status = status
    for name, value in extra.items():
        setattr(pact, name, value)
    pact.save(update_fields=["status", *extra])
    decision_record(
        actor=by,
        subject=pact,
        action=action,
        now=now,
        from_state=before,
        to_state=status,
        motivation=motivation,
    )
    return pact


@transaction.atomic
def pact_report_submit(
    *,
    pact: Pact,
    summary: str,
    figures: list[tuple[str, int, str]] = (),
    attachments: list = (),
    by,
    now: datetime.datetime,
) -> PactReport:
    """A short report of a running pact by one of its parties (or a facilitator): a few words,
    figures (label, whole value, unit) and files (each at most FILE_UPLOAD_MAX_BYTES)."""
    pact = _lock(pact)
    _require_party_or_follower(pact, by)
    if pact.status not in (Pact.Status.ACTIVE, Pact.Status.REPORTED):
        raise _wrong_state(pact)
    if not summary.strip():
        raise errors.REPORT_SUMMARY_MISSING()
    for label, value, _unit in figures:
        if not str(label).strip() or not isinstance(value, int) or value < 0:
            raise errors.REPORT_FIGURE_INVALID()
    if len(attachments) > MAX_ATTACHMENTS:
        raise errors.REPORT_TOO_MANY_ATTACHMENTS(limit=MAX_ATTACHMENTS)
    limit = settings.FILE_UPLOAD_MAX_BYTES
    for upload in attachments:
        if upload.size > limit:
            raise errors.REPORT_ATTACHMENT_TOO_BIG(name=upload.name, limit=limit // (1024 * 1024))
    report = PactReport.objects.create(
        pact=pact,
        version=pact.versions.get(status=PactVersion.Status.SIGNED),
        summary=summary.strip(),
        submitted_by=by,
        submitted_at=now,
    )
    ReportFigure.objects.bulk_create(
        ReportFigure(report=report, label=label.strip(), value=value, unit=unit.strip())
        for label, value, unit in figures
    )
    for upload in attachments:
        content = b"".join(upload.chunks())
        ReportAttachment.objects.create(
            report=report,
            name=upload.name[-200:],
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
    _move(pact, Pact.Status.REPORTED, action="pact_report", by=by, now=now)
    return report


@transaction.atomic
def pact_end(*, pact: Pact, motivation: str, by, now: datetime.datetime) -> Pact:
    """Close a running pact, with a word of why (its term, or the parties' agreement)."""
    pact = _lock(pact)
    _require_party_or_follower(pact, by)
    if pact.status not in (Pact.Status.ACTIVE, Pact.Status.REPORTED):
        raise _wrong_state(pact)
    if not motivation.strip():
        raise errors.MOTIVATION_MISSING()
    return _move(
        pact, Pact.Status.ENDED, action="pact_end", by=by, now=now,
        motivation=motivation.strip(), ended_at=now,
    )  # fmt: skip


def _copy_version(source: PactVersion, *, pact: Pact, number: int, now) -> PactVersion:
    copy = PactVersion.objects.create(
        pact=pact,
        number=number,
        **{name: getattr(source, name) for name in TEXT_FIELDS},
        created_at=now,
    )
    ReviewDate.objects.bulk_create(
        ReviewDate(version=copy, review_on=r.review_on) for r in source.reviews.all()
    )
    for party in source.parties.order_by("position", "pk"):
        commitments = list(party.commitments.all())
        party.pk = None
        party._state.adding = True
        party.version = copy
        party.save()
        Commitment.objects.bulk_create(
            Commitment(
                party=party, kind=c.kind, description=c.description, amount_cents=c.amount_cents
            )
            for c in commitments
        )
    return copy


@transaction.atomic
def pact_amend(*, pact: Pact, by, now: datetime.datetime) -> PactVersion:
    """Open an amendment: a new draft version, a copy of the text in force, which every party
    signs again. The text in force stays as signed until then."""
    pact = _lock(pact)
    _require_steward(pact, by)
    if pact.status not in (Pact.Status.SIGNED, Pact.Status.ACTIVE, Pact.Status.REPORTED):
        raise _wrong_state(pact)
    if pact.versions.filter(
        status__in=[PactVersion.Status.DRAFT, PactVersion.Status.PROPOSED]
    ).exists():
        raise errors.PACT_AMENDMENT_OPEN()
    current = pact.versions.get(status=PactVersion.Status.SIGNED)
    number = pact.versions.order_by("-number").values_list("number", flat=True).first() + 1
    version = _copy_version(current, pact=pact, number=number, now=now)
    decision_record(
        actor=by,
        subject=pact,
        action="pact_amend",
        now=now,
        from_state=pact.status,
        to_state=pact.status,
        data={"version": number},
    )
    return version


@transaction.atomic
def pact_renew(*, pact: Pact, by, now: datetime.datetime) -> Pact:
    """Renew a pact that ran: it is marked renewed, and a new pact starts in draft from its
    text, with the same parties, to be dated, proposed and signed again."""
    pact = _lock(pact)
    _require_steward(pact, by)
    if pact.status not in (Pact.Status.ACTIVE, Pact.Status.REPORTED, Pact.Status.ENDED):
        raise _wrong_state(pact)
    current = pact.versions.get(status=PactVersion.Status.SIGNED)
    renewal = Pact.objects.create(
        theme=pact.theme,
        department_id=pact.department_id,
        created_by=by,
        created_at=now,
        renewed_from=pact,
    )
    _copy_version(current, pact=renewal, number=1, now=now)
    _move(pact, Pact.Status.RENEWED, action="pact_renew", by=by, now=now)
    decision_record(actor=by, subject=renewal, action="pact_create", now=now, to_state="draft")
    return renewal
