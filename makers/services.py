"""Writes about makers: profiles, production reports and the decisions on them."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fablabs.models import Organisation
from fablabs.selectors import departments_covered_by
from tilab.errors import EMAIL_INVALID, Refusal
from tilab.models import Department, User
from tilab.permissions import require
from tilab.services import decision_record
from webhooks.models import Event
from webhooks.services import WebhookEvent, webhook_events_emit

from . import errors, notices, signals
from .importing.normalise import words_key
from .item_names import item_names_index
from .models import (
    FIRST_PRODUCTION_DAY,
    MAX_COST_CENTS,
    MAX_QUANTITY,
    ItemAlias,
    ItemType,
    Maker,
    Membership,
    ProductionReport,
)
from .selectors import (
    INSTEAD,
    LIVE_STATUSES,
    RELAY,
    decision_routes,
    double_count_ids,
    with_double_counts,
)


def maker_profile_save(
    *,
    user: User,
    display_name: str,
    department: Department,
    commune: str = "",
    skills: str = "",
    equipment: str = "",
    is_public: bool = False,
) -> Maker:
    """Create or update the maker profile attached to `user` (one profile per account).

    update_or_create locks the row and retries on the unique user, so two simultaneous
    submissions leave one profile.
    """
    maker, _created = Maker.objects.update_or_create(
        user=user,
        defaults={
            "display_name": display_name.strip(),
            "department": department,
            "commune": commune.strip(),
            "skills": skills.strip(),
            "equipment": equipment.strip(),
            "is_public": is_public,
        },
    )
    return maker


# --- Production reports ------------------------------------------------------------------------


def _not_editable(report: ProductionReport) -> Refusal:
    if report.status == ProductionReport.Status.VALIDATED:
        return errors.REPORT_VALIDATED_NOT_EDITABLE()
    return errors.REPORT_NOT_EDITABLE(status=report.get_status_display())


def _today(now: datetime) -> date:
    return timezone.localdate(now)


def production_report_check(
    *,
    maker: Maker,
    item_type: ItemType,
    quantity: int,
    produced_on: date,
    material_cost_cents: int,
    organisation: Organisation | None,
    now: datetime,
) -> None:
    """Raise a BadInput refusal naming each field a person must fix, all at once (the
    database agrees)."""
    refused = []
    if not item_type.is_active:
        refused.append(errors.ITEM_TYPE_NOT_OFFERED())
    if not 1 <= quantity <= MAX_QUANTITY:
        refused.append(errors.QUANTITY_OUT_OF_RANGE())
    if produced_on > _today(now):
        refused.append(errors.PRODUCED_ON_IN_FUTURE())
    elif produced_on < FIRST_PRODUCTION_DAY:
        refused.append(errors.PRODUCED_ON_TOO_EARLY())
    if material_cost_cents < 0:
        refused.append(errors.MATERIAL_COST_NEGATIVE())
    elif material_cost_cents > MAX_COST_CENTS:
        refused.append(errors.MATERIAL_COST_TOO_HIGH())
    if (
        organisation is not None
        and not Membership.objects.filter(maker=maker, organisation=organisation).exists()
    ):
        # Not named: the caller may not see it (a hidden organisation's name would leak).
        refused.append(errors.MAKER_NOT_MEMBER(maker=maker.display_name))
    Refusal.raise_all(refused)


def production_report_create(
    *,
    maker: Maker,
    item_type: ItemType,
    quantity: int,
    produced_on: date,
    material_cost_cents: int = 0,
    recipient: str = "",
    organisation: Organisation | None = None,
    entered_by: User,
    source: str,
    now: datetime,
    corrects: ProductionReport | None = None,
) -> ProductionReport:
    """Record a submitted report. Its department is the organisation's, else the maker's."""
    production_report_check(
        maker=maker,
        item_type=item_type,
        quantity=quantity,
        produced_on=produced_on,
        material_cost_cents=material_cost_cents,
        organisation=organisation,
        now=now,
    )
    return ProductionReport.objects.create(
        maker=maker,
        organisation=organisation,
        department_id=(organisation or maker).department_id,
        item_type=item_type,
        quantity=quantity,
        produced_on=produced_on,
        material_cost_cents=material_cost_cents,
        recipient=recipient.strip(),
        source=source,
        entered_by=entered_by,
        entered_at=now,
        updated_at=now,
        corrects=corrects,
    )


EDITABLE_FIELDS = (
    "item_type",
    "quantity",
    "produced_on",
    "material_cost_cents",
    "recipient",
    "organisation",
)


def production_report_update(
    *, report: ProductionReport, by: User, now: datetime, **changes
) -> ProductionReport:
    """Change a submitted report, or correct a rejected one, which resubmits it.

    Refuses a validated, withdrawn or superseded report (report_validated_not_editable,
    report_not_editable).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        # Lock the row: a relay deciding at the same moment waits, then sees the final state.
        report = ProductionReport.objects.select_for_update().get(pk=report.pk)
        if report.status not in (report.Status.SUBMITTED, report.Status.REJECTED):
            raise _not_editable(report)
        for field, value in changes.items():
            setattr(report, field, value)
        if isinstance(report.recipient, str):
            report.recipient = report.recipient.strip()
        production_report_check(
            maker=report.maker,
            item_type=report.item_type,
            quantity=report.quantity,
            produced_on=report.produced_on,
            material_cost_cents=report.material_cost_cents,
            organisation=report.organisation,
            now=now,
        )
        report.department_id = (report.organisation or report.maker).department_id
        report.updated_at = now
        report.updated_by = by
        if report.status == report.Status.REJECTED:
            if report.corrects_id:
                _check_still_correctable(original_id=report.corrects_id, correction=report)
            decision_record(
                actor=by,
                subject=report,
                action="resubmit",
                now=now,
                from_state=report.Status.REJECTED,
                to_state=report.Status.SUBMITTED,
                motivation=report.rejection_reason,
            )
            report.status = report.Status.SUBMITTED
            report.decided_by = None
            report.decided_at = None
            report.rejection_reason = ""
        report.save()
        notices.report_changed_by_relay_notify(report=report, by=by, now=now, correction=False)
        return report


def production_report_withdraw(*, report: ProductionReport, by: User, now: datetime) -> None:
    """Withdraw a report still awaiting a decision; it stays on record, counted nowhere."""
    with transaction.atomic():
        report = ProductionReport.objects.select_for_update().get(pk=report.pk)
        if report.status not in (report.Status.SUBMITTED, report.Status.REJECTED):
            raise _not_editable(report)
        decision_record(
            actor=by,
            subject=report,
            action="withdraw",
            now=now,
            from_state=report.status,
            to_state=report.Status.WITHDRAWN,
        )
        report.status = report.Status.WITHDRAWN
        report.updated_at = now
        report.save(update_fields=["status", "updated_at"])


def production_report_correct(
    *, report: ProductionReport, by: User, now: datetime, source: str, **changes
) -> ProductionReport:
    """Propose a correction of a validated report: a new submitted report that, once
    validated, supersedes the original. One pending correction per report."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        original = ProductionReport.objects.select_for_update().get(pk=report.pk)
        if original.status != original.Status.VALIDATED:
            raise errors.CORRECTION_OF_UNVALIDATED_REPORT()
        if original.corrections.filter(status=ProductionReport.Status.SUBMITTED).exists():
            raise errors.CORRECTION_ALREADY_PENDING()
        values = {field: getattr(original, field) for field in EDITABLE_FIELDS}
        values.update(changes)
        correction = production_report_create(
            maker=original.maker,
            entered_by=by,
            source=source,
            now=now,
            corrects=original,
            **values,
        )
        notices.report_changed_by_relay_notify(report=correction, by=by, now=now, correction=True)
        return correction


def _decide(
    *,
    report_ids: list[int],
    by: User,
    now: datetime,
    to_state: str,
    reason: str = "",
    record: dict | None = None,
) -> list[ProductionReport]:
    with transaction.atomic():
        # Lock every report in a stable order: two relays deciding overlapping batches
        # wait for each other instead of deadlocking, and nobody decides twice. The lock also
        # holds off a change of the report: who last changed it is known when deciding.
        reports = list(
            ProductionReport.objects.select_for_update(of=("self",))
            .filter(pk__in=report_ids)
            .select_related("maker__user", "organisation", "item_type")
            .order_by("pk")
        )
        missing = sorted(set(report_ids) - {report.pk for report in reports})
        if missing:
            raise errors.REPORTS_NOT_FOUND(ids=", ".join(f"n° {pk}" for pk in missing))
        routes = decision_routes(reports)
        for report in reports:
            refusal = routes[report.pk].refusal(by)
            if refusal is not None:
                raise refusal
            if report.status != report.Status.SUBMITTED:
                raise errors.REPORT_ALREADY_DECIDED(
                    id=report.pk, status=report.get_status_display()
                )
            if to_state == report.Status.VALIDATED and report.corrects_id:
                # A correction counts instead of its original: never beside another one.
                original = ProductionReport.objects.get(pk=report.corrects_id)
                if original.status != original.Status.VALIDATED:
                    raise errors.CORRECTION_OF_UNVALIDATED_ORIGINAL(
                        id=report.pk, original=original.pk
                    )
        entered, left = [], []
        for report in reports:
            decision_record(
                actor=by,
                subject=report,
                action="validate" if to_state == report.Status.VALIDATED else "reject",
                now=now,
                from_state=report.status,
                to_state=to_state,
                motivation=reason,
                data={
                    "quantity": report.quantity,
                    "item_type_id": report.item_type_id,
                    "produced_on": report.produced_on.isoformat(),
                    "material_cost_cents": report.material_cost_cents,
                    "department": report.department_id,
                    **(record or {}),
                },
            )
            report.status = to_state
            report.decided_by = by
            report.decided_at = now
            report.rejection_reason = reason
            report.updated_at = now
            report.save(
                update_fields=[
                    "status",
                    "decided_by",
                    "decided_at",
                    "rejection_reason",
                    "updated_at",
                ]
            )
            if to_state == report.Status.VALIDATED:
                entered.append(report)
                if report.corrects_id:
                    original = _supersede(
                        original_id=report.corrects_id, correction=report, by=by, now=now
                    )
                    if original is not None:
                        left.append(original)
        webhook_events_emit([_report_decided(report, now=now) for report in reports], now=now)
        # Same transaction, after the reports changed: the totals (kept by `figures`, which
        # listens) learn of the change exactly when it commits. A rejection changes no total.
        signals.reports_counting_changed.send(
            sender=ProductionReport, entered=entered, left=left, now=now
        )
        # Same transaction: a decision rolled back tells nobody, a committed one is never
        # left untold.
        notices.reports_decided_notify(reports=reports, now=now)
        return reports


def _report_decided(report: ProductionReport, *, now: datetime) -> WebhookEvent:
    """What the webhooks of the report's department (and the Région's) hear of its decision."""
    validated = report.status == ProductionReport.Status.VALIDATED
    return WebhookEvent(
        event=Event.REPORT_VALIDATED if validated else Event.REPORT_REJECTED,
        obj="production_report",
        obj_id=report.pk,
        url_name="production-report-detail",
        fields={
            "status": report.status,
            "department": report.department_id,
            "item_type": report.item_type.slug,
            "quantity": report.quantity,
            "produced_on": report.produced_on,
            "decided_at": now,
        },
        departments=(report.department_id,),
    )


def _check_still_correctable(*, original_id: int, correction: ProductionReport) -> None:
    """A rejected correction may be resubmitted only while its original still counts and no
    other correction of it waits for the relay."""
    original = ProductionReport.objects.select_for_update().get(pk=original_id)
    if original.status != original.Status.VALIDATED:
        raise errors.CORRECTED_REPORT_NOT_VALIDATED()
    waiting = original.corrections.filter(status=ProductionReport.Status.SUBMITTED).exclude(
        pk=correction.pk
    )
    if waiting.exists():
        raise errors.CORRECTION_ALREADY_PENDING()


def _supersede(
    *, original_id: int, correction: ProductionReport, by: User, now: datetime
) -> ProductionReport | None:
    """The validated original of a correction stops counting; returns it, or None when it
    was no longer validated."""
    original = (
        ProductionReport.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk=original_id, status=ProductionReport.Status.VALIDATED)
        .first()
    )
    if original is not None:
        original.status = ProductionReport.Status.SUPERSEDED
        original.updated_at = now
        original.save(update_fields=["status", "updated_at"])
        decision_record(
            actor=by,
            subject=ProductionReport(pk=original_id),
            action="supersede",
            now=now,
            from_state=ProductionReport.Status.VALIDATED,
            to_state=ProductionReport.Status.SUPERSEDED,
            data={"correction_id": correction.pk},
        )
    return original


def production_reports_validate(
    *, report_ids: list[int], by: User, now: datetime
) -> list[ProductionReport]:
    """Validate several submitted reports at once: all of them, or none with the reason.

    Four eyes (`selectors.decision_route`): refuses reports that do not exist
    (reports_not_found), of another relay (report_outside_relay), the user's own or one they
    entered, imported or last changed (own_report, own_entry), the relay's own reports to
    anyone but the Région (report_for_the_region) and the others to the Région
    (report_for_the_relay), all not allowed and saying who decides instead; and reports
    someone decided on first (report_already_decided: wrong state).
    """
    return _decide(
        report_ids=report_ids, by=by, now=now, to_state=ProductionReport.Status.VALIDATED
    )


def production_reports_reject(
    *, report_ids: list[int], by: User, now: datetime, reason: str, record: dict | None = None
) -> list[ProductionReport]:
    """Reject several submitted reports with a reason their makers will read (all or none);
    `record` adds to what the decision log keeps of each."""
    reason = reason.strip()
    if not reason:
        raise errors.REJECTION_REASON_MISSING()
    return _decide(
        report_ids=report_ids,
        by=by,
        now=now,
        to_state=ProductionReport.Status.REJECTED,
        reason=reason,
        record=record,
    )


def production_report_reject_as_double_count(
    *, report: ProductionReport, kept_id: int, by: User, now: datetime, note: str = ""
) -> ProductionReport:
    """The relay keeps report `kept_id` and rejects `report` as its double count
    (`selectors.with_double_counts`), with a reason naming the report kept (and `note`, when
    the relay adds one); the decision log records `double_count_of`.

    Rejecting goes through `production_reports_reject`, so four eyes apply to `report`; keeping
    is a decision on the other too, so nobody keeps a report they made, entered, imported or
    last changed (own_report, own_entry). Refuses a report that is no likely double count of
    the kept one (not_a_double_count), and a kept report that no longer stands
    (kept_report_not_standing: someone rejected it meanwhile)."""
    with transaction.atomic():
        # Both rows locked, in id order: two relays each keeping one of the pair wait for each
        # other, and the second finds the first's choice instead of rejecting both.
        pair = {
            locked.pk: locked
            for locked in ProductionReport.objects.select_for_update(of=("self",))
            .filter(pk__in=[report.pk, kept_id])
            .select_related("maker", "item_type")
            .order_by("pk")
        }
        kept = pair.get(kept_id)
        if kept is None or report.pk not in pair or kept_id == report.pk:
            raise errors.REPORTS_NOT_FOUND(ids=f"n° {kept_id}", field="double_count_of")
        if kept.status not in LIVE_STATUSES:
            raise errors.KEPT_REPORT_NOT_STANDING(
                id=report.pk, kept=kept.pk, status=kept.get_status_display()
            )
        if kept.status == kept.Status.SUBMITTED:
            route = decision_routes([kept])[kept.pk]
            if by.pk == route.maker_user_id:
                raise errors.OWN_REPORT(id=kept.pk, instead=INSTEAD[route.by or RELAY])
            if by.pk in route.involved:
                raise errors.OWN_ENTRY(id=kept.pk, instead=INSTEAD[route.by or RELAY])
        standing = with_double_counts(ProductionReport.objects.filter(pk=report.pk)).get()
        if kept.pk not in double_count_ids(standing):
            raise errors.NOT_A_DOUBLE_COUNT(id=report.pk, kept=kept.pk)
        reason = _(
            "Double compte de la déclaration n° %(kept)s (%(maker)s, %(quantity)s × %(item)s "
            "du %(date)s), gardée à sa place."
        ) % {
            "kept": kept.pk,
            "maker": kept.maker.display_name,
            "quantity": kept.quantity,
            "item": kept.item_type.name,
            "date": date_format(kept.produced_on, "SHORT_DATE_FORMAT"),
        }
        if note.strip():
            reason = f"{reason} {note.strip()}"
        return production_reports_reject(
            report_ids=[report.pk],
            by=by,
            now=now,
            reason=reason,
            record={"double_count_of": kept.pk},
        )[0]


def production_report_validate(*, report: ProductionReport, by: User, now: datetime):
    return production_reports_validate(report_ids=[report.pk], by=by, now=now)[0]


def production_report_reject(*, report: ProductionReport, by: User, now: datetime, reason: str):
    return production_reports_reject(report_ids=[report.pk], by=by, now=now, reason=reason)[0]


def maker_create(
    *,
    display_name: str,
    department: Department,
    commune: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    by: User,
) -> Maker:
    """A maker without a login, entered by relay staff for someone who never signs up, in a
    department their relay covers; an e-mail address or a phone number to reach them is
    optional."""
    if not departments_covered_by(by).filter(pk=department.pk).exists():
        raise errors.DEPARTMENT_NOT_COVERED()
    display_name = " ".join(display_name.split())
    if not display_name:
        raise errors.MAKER_NAME_MISSING()
    return Maker.objects.create(
        display_name=display_name,
        department=department,
        commune=commune.strip(),
        contact_email=(contact_email or "").strip().lower(),
        contact_phone=" ".join((contact_phone or "").split()),
    )


def rejection_send_to_maker(
    *, report: ProductionReport, address: str, language: str, by: User, now: datetime
) -> bool:
    """Relay staff send the reason of a refusal to a maker without an account, at `address`
    (kept as the maker's contact address from now on), in `language`. Refuses an empty
    address (email_invalid) and a report outside the departments their relay covers, of a
    maker with an account (who is told already) or not rejected (reports_not_found). False
    when this very refusal went to this address already."""
    from .selectors import rejections_to_tell_of, relay_name_for

    address = (address or "").strip().lower()
    if "@" not in address:
        raise EMAIL_INVALID()
    with transaction.atomic():
        locked = (
            rejections_to_tell_of(by).select_for_update(of=("self",)).filter(pk=report.pk).first()
        )
        if locked is None:
            raise errors.REPORTS_NOT_FOUND(ids=f"n° {report.pk}")
        maker = locked.maker
        if maker.contact_email != address:
            maker.contact_email = address
            maker.save(update_fields=["contact_email"])
        return notices.rejection_send(
            report=locked,
            address=address,
            relay_name=relay_name_for(by, locked),
            language=language,
            now=now,
        )


def production_report_enter_for(
    *,
    by: User,
    now: datetime,
    maker: Maker | None = None,
    new_maker_name: str = "",
    new_maker_department: Department | None = None,
    new_maker_commune: str = "",
    new_maker_email: str = "",
    new_maker_phone: str = "",
    organisation: Organisation | None = None,
    **report,
) -> ProductionReport:
    """Relay staff enter a report for a maker, creating the maker (without a login) if needed
    and recording that they produce with `organisation`. All of it, or nothing.

    Refuses (bad input) a maker or an organisation outside the departments the user's relays
    cover: a relay speaks only for its own territory.
    """
    covered = set(departments_covered_by(by).values_list("code", flat=True))
    with transaction.atomic():
        if maker is None:
            if new_maker_department is None or new_maker_department.code not in covered:
                raise errors.DEPARTMENT_NOT_COVERED(field="new_maker_department")
            maker = maker_create(
                display_name=new_maker_name,
                department=new_maker_department,
                commune=new_maker_commune,
                contact_email=new_maker_email,
                contact_phone=new_maker_phone,
                by=by,
            )
        elif maker.department_id not in covered:
            raise errors.MAKER_OUTSIDE_RELAY()
        if organisation is not None:
            if organisation.department_id not in covered:
                raise errors.ORGANISATION_OUTSIDE_RELAY()
            Membership.objects.get_or_create(maker=maker, organisation=organisation)
        return production_report_create(
            maker=maker,
            organisation=organisation,
            entered_by=by,
            source=ProductionReport.Source.RELAY,
            now=now,
            **report,
        )


def production_report_submit(
    *, by: User, now: datetime, maker: Maker | None = None, **report
) -> ProductionReport:
    """A report entered through a page or the API, by the service that fits who enters it:
    for one's own maker profile, one's own report (`production_report_create`, source maker);
    for anybody else's maker, or a new maker without a login, relay staff's entry
    (`production_report_enter_for`, source relay, within the departments they cover)."""
    if maker is not None and maker.user_id is not None and maker.user_id == by.pk:
        for field in (
            "new_maker_name",
            "new_maker_department",
            "new_maker_commune",
            "new_maker_email",
            "new_maker_phone",
        ):
            report.pop(field, None)  # a relay's form names a new maker; one's own needs none
        return production_report_create(
            maker=maker,
            entered_by=by,
            source=ProductionReport.Source.MAKER,
            now=now,
            **report,
        )
    return production_report_enter_for(by=by, now=now, maker=maker, **report)


# Deliveries confirmed by the establishments that received them -----------------------------


def production_reports_corroborate(
    *,
    item_type_id: int,
    quantity: int,
    delivered_on,
    now,
    maker_id: int | None = None,
    organisation_id: int | None = None,
    withheld: str = "",
) -> int:
    """Mark as corroborated the producer's oldest reports of this item made on or before the
    delivery, until they cover the confirmed quantity; the relay sees the mark in its queue.
    With `withheld` (a `CorroborationWithheld` value: the delivery proves nothing, say why)
    the same reports are marked with that reason instead, and never corroborated. This is the
    only writer of both marks. Returns how many reports were marked."""
    reports = ProductionReport.objects.select_for_update().filter(
        item_type_id=item_type_id,
        produced_on__lte=delivered_on,
        status__in=[ProductionReport.Status.SUBMITTED, ProductionReport.Status.VALIDATED],
        corroborated_at__isnull=True,
    )
    if maker_id is not None:
        reports = reports.filter(maker_id=maker_id, organisation__isnull=True)
    else:
        reports = reports.filter(organisation_id=organisation_id)
    covered, marked = 0, []
    for report in reports.order_by("produced_on", "pk"):
        if covered >= quantity:
            break
        marked.append(report.pk)
        covered += report.quantity
    marks = (
        {"corroboration_withheld": withheld}
        if withheld
        else {"corroborated_at": now, "corroboration_withheld": None}
    )
    ProductionReport.objects.filter(pk__in=marked).update(**marks)
    return len(marked)


# --- Other names of items, remembered for the network ---------------------------------------------
#
# An alias changes how the next imports read a name, never a report already imported: a report
# keeps the item it was imported with (and its row key), whatever the alias says afterwards.
# Each creation, change and deletion is a decision (who, when, from which item to which), so
# a mapping that changed can be traced.

ALIAS_MAX_LENGTH = 200


def _alias_taken(text: str, reading) -> Refusal:
    if reading.alias is not None:
        why = _("correspondance enregistrée par %(by)s le %(on)s.") % {
            "by": reading.alias.created_by_name,
            "on": date_format(timezone.localtime(reading.alias.created_at), "SHORT_DATE_FORMAT"),
        }
    else:
        why = _("c'est un nom du catalogue.")
    return errors.ITEM_ALIAS_TAKEN(text=text, item=reading.item.name, why=why)


def _alias_item_offered(item_type: ItemType) -> None:
    if not item_type.is_active:
        raise errors.ITEM_ALIAS_ITEM_INACTIVE(item=item_type.name)


def item_alias_create(*, text: str, item_type: ItemType, by: User, now: datetime) -> ItemAlias:
    """Remember for the whole network that `text` (as written in a spreadsheet) names
    `item_type`: from the next preview on, every import reads it so, and says who recorded it.

    Refuses whoever may not (role_not_allowed: those who import may), an empty name
    (item_alias_text_empty) or a long one (item_alias_text_too_long), an item withdrawn from
    the catalogue (item_alias_item_inactive), and a name that already reads as an item, by the
    catalogue or by another alias (wrong state: item_alias_taken, naming that item). Recorded
    as the decision "item_alias_create". Reports already imported do not change.
    """
    require(by, "makers.create_item_aliases")
    text = " ".join(text.split())
    key = words_key(text)
    if not key:
        raise errors.ITEM_ALIAS_TEXT_EMPTY()
    if len(text) > ALIAS_MAX_LENGTH:
        raise errors.ITEM_ALIAS_TEXT_TOO_LONG(max=ALIAS_MAX_LENGTH)
    _alias_item_offered(item_type)
    known = item_names_index().known(text)
    if known is not None:
        raise _alias_taken(text, known)
    try:
        with transaction.atomic():
            alias = ItemAlias.objects.create(
                text=text, key=key, item_type=item_type, created_by=by, created_at=now
            )
            decision_record(
                actor=by,
                subject=alias,
                action="item_alias_create",
                now=now,
                to_state=item_type.slug,
                data={"text": text, "key": key, "item_type": item_type.slug},
            )
    except IntegrityError:
        # The unique key: someone recorded the same name between our check and our insert.
        raise _alias_taken(text, item_names_index().known(text)) from None
    return alias


def item_alias_update(
    *, alias: ItemAlias, item_type: ItemType, by: User, now: datetime
) -> ItemAlias:
    """Read the name `alias` as `item_type` from the next import on (facilitators only:
    role_not_allowed otherwise; item_alias_item_inactive for an item withdrawn). Recorded as the
    decision "item_alias_change", from the old item to the new one. Reports already imported
    keep the item they were imported with."""
    require(by, "makers.change_item_aliases")
    _alias_item_offered(item_type)
    with transaction.atomic():
        # Locked: two facilitators changing it at once record the true "from" of each change.
        alias = ItemAlias.objects.select_for_update().select_related("item_type").get(pk=alias.pk)
        before = alias.item_type.slug
        alias.item_type = item_type
        alias.updated_by = by
        alias.updated_at = now
        alias.save(update_fields=["item_type", "updated_by", "updated_at"])
        decision_record(
            actor=by,
            subject=alias,
            action="item_alias_change",
            now=now,
            from_state=before,
            to_state=item_type.slug,
            data={"text": alias.text, "key": alias.key, "item_type": item_type.slug},
        )
    return alias


def item_alias_delete(*, alias: ItemAlias, by: User, now: datetime) -> None:
    """Forget the alias (facilitators only: role_not_allowed otherwise): the next imports ask
    again for that name. Recorded as the decision "item_alias_delete", naming the text and the
    item it read as. Reports already imported keep their item."""
    require(by, "makers.change_item_aliases")
    with transaction.atomic():
        alias = ItemAlias.objects.select_for_update().select_related("item_type").get(pk=alias.pk)
        decision_record(
            actor=by,
            subject=alias,
            action="item_alias_delete",
            now=now,
            from_state=alias.item_type.slug,
            data={"text": alias.text, "key": alias.key, "item_type": alias.item_type.slug},
        )
        alias.delete()
