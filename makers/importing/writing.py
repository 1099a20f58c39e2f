"""Writing an import, all rows or none: the stored upload (ProductionImport) and its bulk inserts.

Confirming claims the stored upload, writes the plan and records the decision in one
transaction; a simultaneous import of the same rows fails on their row key (import_conflict).
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from fablabs.models import Organisation
from tilab.bulk import BULK_BATCH_SIZE, bulk_insert
from tilab.models import User
from tilab.services import decision_record

from .. import signals
from ..models import Maker, Membership, ProductionImport, ProductionReport
from . import errors
from .columns import map_columns
from .normalise import name_key
from .options import ImportOptions
from .plan import ImportPlan, plan_import
from .reading import read_sheet

logger = logging.getLogger(__name__)


def production_import_upload(
    *, content: bytes, filename: str, by: User, now: datetime
) -> ProductionImport:
    """Keep an uploaded file for its preview and confirmation (the browser flow).

    Raises SpreadsheetUnreadable when the file as a whole cannot be read (format, size,
    encoding, missing columns); bad rows are left for the preview to show.
    """
    map_columns(read_sheet(content))
    return ProductionImport.objects.create(
        created_by=by,
        created_at=now,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def production_import_apply(
    *,
    content: bytes,
    filename: str,
    by: User,
    now: datetime,
    batch: ProductionImport | None = None,
    options: ImportOptions | None = None,
) -> ImportPlan:
    """Import every row of `content`, or none of them, in one transaction.

    The rows are validated again against the database as it is now. Creates the missing makers
    (without login), organisations and memberships, then the reports (submitted, source
    "import", entered by `by`). Rows already imported or repeated in the file are skipped and
    listed. `batch` is the stored upload being confirmed: it is claimed first, so a double
    click imports once (wrong state: import_already_confirmed); without it a confirmed batch is
    recorded. Raises ImportRejected (nothing written) and refuses (wrong state: import_conflict)
    when a simultaneous import of the same rows won (nothing written), or (bad input:
    import_choice_needed) while the file leaves a choice open that `options` does not make. A
    decision "import" is recorded on the batch, with the options read.
    """
    options = options or ImportOptions()
    sheet = read_sheet(content)
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            if batch is not None:
                # The conditional UPDATE is the claim: of two confirmations, one updates a row.
                claimed = ProductionImport.objects.filter(
                    pk=batch.pk, status=ProductionImport.Status.PREVIEWED
                ).update(status=ProductionImport.Status.CONFIRMED, confirmed_at=now)
                if claimed != 1:
                    raise errors.IMPORT_ALREADY_CONFIRMED()
            else:
                batch = ProductionImport.objects.create(
                    created_by=by,
                    created_at=now,
                    filename=filename[:255],
                    content=content,
                    sha256=digest,
                    status=ProductionImport.Status.CONFIRMED,
                    confirmed_at=now,
                    options=options.as_dict(),
                )
            plan = plan_import(
                sheet,
                filename=filename,
                by=by,
                now=now,
                options=options,
                flag_double_counts=False,  # shown in the preview; the queue flags the reports
            )
            if plan.choices_needed:
                raise errors.IMPORT_CHOICE_NEEDED(
                    choices=" ".join(choice["message"] for choice in plan.choices_needed)
                )
            _write(plan, batch=batch, by=by, now=now)
            plan.import_id = batch.pk
            plan.imported = True
            summary = plan.summary()
            ProductionImport.objects.filter(pk=batch.pk).update(summary=summary)
            decision_record(
                actor=by,
                subject=batch,
                action="import",
                now=now,
                from_state=ProductionImport.Status.PREVIEWED,
                to_state=ProductionImport.Status.CONFIRMED,
                data={
                    "filename": filename,
                    "sha256": digest,
                    "options": options.as_dict(),
                    **summary["counts"],
                },
            )
    except IntegrityError as exc:
        # The unique import_key (or an organisation's slug) was taken between our check and our
        # insert: another import of the same rows committed first.
        logger.warning("import of %s lost a race", filename, exc_info=True)
        raise errors.IMPORT_CONFLICT() from exc
    return plan


def production_import_confirm(*, batch: ProductionImport, by: User, now: datetime) -> ImportPlan:
    """Apply a stored upload with the options chosen in its preview (see
    production_import_apply); the caller checked it is theirs."""
    return production_import_apply(
        content=bytes(batch.content),
        filename=batch.filename,
        by=by,
        now=now,
        batch=batch,
        options=ImportOptions.from_dict(batch.options),
    )


def production_import_choose(
    *, batch: ProductionImport, by: User, options: ImportOptions
) -> ProductionImport:
    """Keep what the importer chose in the preview of a stored upload (options.py), for the next
    preview and the confirmation. Refuses (wrong state: import_already_confirmed) once the
    upload is imported: what was imported was read with the options of that moment."""
    changed = ProductionImport.objects.filter(
        pk=batch.pk, status=ProductionImport.Status.PREVIEWED
    ).update(options=options.as_dict())
    if changed != 1:
        raise errors.IMPORT_ALREADY_CONFIRMED()
    batch.options = options.as_dict()
    return batch


def production_import_refuse(*, batch: ProductionImport, by: User, now: datetime) -> None:
    """The importer refuses a stored upload instead of confirming it (a relay given lines of
    other relays' departments, say): the file is discarded, nothing of it is imported, and the
    refusal is recorded (file name and digest, the file itself gone). The caller checked it is
    theirs. Refuses (wrong state: import_already_refused) an upload already imported or
    refused: of a confirmation and a refusal racing, one wins."""
    with transaction.atomic():
        # The conditional DELETE is the claim, as the conditional UPDATE is for confirming.
        deleted, _by_model = ProductionImport.objects.filter(
            pk=batch.pk, status=ProductionImport.Status.PREVIEWED
        ).delete()
        if not deleted:
            raise errors.IMPORT_ALREADY_REFUSED()
        decision_record(
            actor=by,
            subject=batch,
            action="import_refuse",
            now=now,
            from_state=ProductionImport.Status.PREVIEWED,
            to_state="refused",
            data={"filename": batch.filename, "sha256": batch.sha256},
        )


def production_imports_prune(*, now: datetime) -> dict:
    """Forget uploaded spreadsheets after TILAB_UPLOAD_RETENTION_DAYS: an upload previewed and
    never imported is deleted; an imported one keeps its record (file name, digest, summary,
    decision) but loses the file itself, whose rows are now reports. Run nightly by beat;
    safe to run twice. Counts of uploads deleted and files emptied."""
    cutoff = now - timedelta(days=settings.TILAB_UPLOAD_RETENTION_DAYS)
    deleted, _by_model = ProductionImport.objects.filter(
        status=ProductionImport.Status.PREVIEWED, created_at__lt=cutoff
    ).delete()
    emptied = (
        ProductionImport.objects.filter(
            status=ProductionImport.Status.CONFIRMED, confirmed_at__lt=cutoff
        )
        .exclude(content=b"")
        .update(content=b"")
    )
    if deleted or emptied:
        logger.info("uploads forgotten: %s deleted, %s emptied", deleted, emptied)
    return {"deleted": deleted, "emptied": emptied}


# --- Bulk inserts --------------------------------------------------------------------------------


def _unique_slugs(names: list[str]) -> list[str]:
    bases = [slugify(name)[:180] or "organisation" for name in names]
    taken = set()
    for base in set(bases):
        taken.update(
            Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
    slugs = []
    for base in bases:
        slug, suffix = base, 2
        while slug in taken:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _write(plan: ImportPlan, *, batch: ProductionImport, by: User, now: datetime) -> None:
    """Insert what the plan lists, in bulk. Call inside the transaction that planned it."""
    maker_objects = [
        Maker(display_name=m.display_name, department_id=m.department)
        for m in plan.makers_to_create
    ]
    Maker.objects.bulk_create(maker_objects, batch_size=BULK_BATCH_SIZE)
    maker_ids = {
        (name_key(m.display_name), m.department): obj.pk
        for m, obj in zip(plan.makers_to_create, maker_objects, strict=True)
    }
    organisation_objects = [
        Organisation(
            name=o.name,
            slug=slug,
            kind=o.kind,
            department_id=o.department,
            # Nobody chose to list it: it joins the public directory only when someone opts in.
            is_public=False,
        )
        for o, slug in zip(
            plan.organisations_to_create,
            _unique_slugs([o.name for o in plan.organisations_to_create]),
            strict=True,
        )
    ]
    Organisation.objects.bulk_create(organisation_objects, batch_size=BULK_BATCH_SIZE)
    organisation_ids = {
        name_key(o.name): obj.pk
        for o, obj in zip(plan.organisations_to_create, organisation_objects, strict=True)
    }

    def maker_pk(ref):
        return ref if isinstance(ref, int) else maker_ids[ref]

    def organisation_pk(ref):
        return ref if isinstance(ref, int) else organisation_ids[ref]

    # Members only of the organisations this import creates: nobody manages them yet.
    Membership.objects.bulk_create(
        [
            Membership(maker_id=maker_pk(m), organisation_id=organisation_pk(o))
            for m, o in plan.memberships_to_create
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    if plan.membership_requests_to_open:
        # An existing organisation's managers decide who joins it: the directory opens the
        # requests, in this transaction (makers.signals says why a signal).
        answered = signals.memberships_requested.send(
            sender=ProductionImport,
            pairs=[
                (maker_pk(request.maker_ref), request.organisation_id)
                for request in plan.membership_requests_to_open
            ],
            by=by,
            now=now,
            source=batch,
        )
        if not answered:
            raise RuntimeError("memberships_requested has no receiver: the requests would be lost")
    columns = (
        "maker_id", "organisation_id", "department_id", "item_type_id", "quantity",
        "produced_on", "material_cost_cents", "recipient", "status", "source", "entered_by_id",
        "entered_at", "updated_at", "import_batch_id", "import_key",
    )  # fmt: skip
    values = []
    submitted, imported = ProductionReport.Status.SUBMITTED, ProductionReport.Source.IMPORT
    for row in plan.rows:
        row.maker_id = row.maker_id or maker_ids[row.maker_ref]
        if row.organisation:
            row.organisation_id = row.organisation_id or organisation_ids[row.organisation_ref]
        values.append(
            (
                row.maker_id,
                row.organisation_id,
                row.department,
                row.item.pk,
                row.quantity,
                row.produced_on,
                row.material_cost_cents,
                row.recipient,
                submitted,
                imported,
                by.pk,
                now,
                now,
                batch.pk,
                row.import_key,
            )
        )
    bulk_insert(ProductionReport, columns, values)
