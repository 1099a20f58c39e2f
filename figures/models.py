"""The figures of production: weekly totals and their journal, delivered totals, staff exports.

These models moved here from `makers`, whose reports they are computed from; they keep their
tables (`makers_…`) and rows. `figures.totals` writes the totals, `figures.exports` the exports.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from makers.models import ItemType, Maker
from tilab.models import Department


class OrganisationKind(models.TextChoices):
    """Who produced, as the Région counts it: independent makers or a kind of organisation."""

    INDEPENDENT = "independent", _("Makers indépendants")
    ASSOCIATIVE_FABLAB = "associative_fablab", _("FabLabs associatifs")
    INSTITUTIONAL_FABLAB = "institutional_fablab", _("FabLabs institutionnels")
    SME = "sme", _("PME")
    COLLECTIVE = "collective", _("Collectifs")


class ProductionTotal(models.Model):
    """Validated production per (department, item type, organisation kind, ISO week).

    Written only by `figures.totals`; pages, the API and the open data read these rows and never
    aggregate raw reports per request.
    """

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("département")
    )
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="+", verbose_name=_("article")
    )
    org_kind = models.CharField(
        _("type de producteur"), max_length=30, choices=OrganisationKind.choices
    )
    week_start = models.DateField(_("semaine du"), help_text=_("Le lundi de la semaine ISO."))
    quantity = models.BigIntegerField(_("quantité"))
    report_count = models.IntegerField(_("déclarations"))
    maker_count = models.IntegerField(_("makers distincts"))
    # Who produced, as the small-count rule counts them: each organisation producing through its
    # members counts once, and each maker producing on their own counts once.
    producer_count = models.IntegerField(_("producteurs distincts"))
    material_cost_cents = models.BigIntegerField(_("coût matière (centimes)"))
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        db_table = "makers_productiontotal"
        verbose_name = _("total de production")
        verbose_name_plural = _("totaux de production")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "item_type", "org_kind", "week_start"],
                name="production_total_bucket",
            ),
        ]
        indexes = [models.Index(fields=["week_start"], name="production_total_week")]

    def __str__(self):
        return f"{self.department_id} {self.item_type_id} {self.org_kind} {self.week_start}"


class DeliveredTotal(models.Model):
    """What establishments confirmed they received, per department and item: shown beside
    production on the dashboard. Added to when a delivery is confirmed, in its transaction."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    item_type = models.ForeignKey(ItemType, on_delete=models.CASCADE, related_name="+")
    quantity = models.BigIntegerField(_("quantité reçue"), default=0)
    delivery_count = models.IntegerField(_("livraisons"), default=0)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "makers_deliveredtotal"
        verbose_name = _("total livré")
        verbose_name_plural = _("totaux livrés")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "item_type"], name="delivered_total_unique"
            ),
        ]

    def __str__(self):
        return f"{self.department_id} {self.item_type_id}: {self.quantity}"


class DirtyBucket(models.Model):
    """A bucket of ProductionTotal to recompute, written in the transaction that changed a
    validated figure: the record of pending work, so a lost task message loses nothing."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    item_type = models.ForeignKey(ItemType, on_delete=models.CASCADE, related_name="+")
    org_kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    week_start = models.DateField()
    marked_at = models.DateTimeField()
    # Set by a change that cannot say what it did to the figures (an organisation changing kind,
    # say): the drain then recomputes the bucket from its reports instead of adding the journal.
    needs_full = models.BooleanField(default=False)

    class Meta:
        db_table = "makers_dirtybucket"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "item_type", "org_kind", "week_start"],
                name="dirty_bucket_unique",
            ),
        ]

    def __str__(self):
        return f"{self.department_id} {self.item_type_id} {self.org_kind} {self.week_start}"


class TotalDelta(models.Model):
    """What one change did to one maker's share of a bucket, journaled with its dirty mark:
    + a report's figures when it starts counting, − when it stops, ±1 maker when the
    maker starts or stops counting there, and ±1 producer likewise. The drain adds these to
    the totals and deletes them, so its work follows the changes, not the size of the
    buckets."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    item_type = models.ForeignKey(ItemType, on_delete=models.CASCADE, related_name="+")
    org_kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    week_start = models.DateField()
    maker = models.ForeignKey(Maker, on_delete=models.CASCADE, related_name="+")
    d_quantity = models.BigIntegerField()
    d_reports = models.IntegerField()
    d_makers = models.SmallIntegerField()
    # ±1 when a producer (the organisation of the reports, or the maker on their own) starts or
    # stops counting in the bucket; carried by the row of one of its makers.
    d_producers = models.SmallIntegerField(default=0)
    d_cost_cents = models.BigIntegerField()

    class Meta:
        db_table = "makers_totaldelta"
        indexes = [
            models.Index(
                fields=["department", "item_type", "org_kind", "week_start"],
                name="total_delta_bucket",
            ),
        ]

    def __str__(self):
        return (
            f"{self.department_id} {self.item_type_id} {self.org_kind} {self.week_start} "
            f"maker {self.maker_id}: {self.d_reports:+d}"
        )


class ProductionExport(models.Model):
    """A file of production reports with their makers' names, asked for by one staff member.

    Small files are built during the request; larger ones by a task. `status` moves
    pending → running → ready | failed; only `figures.exports` writes it.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV (tableur, séparateur « ; »)")
        XLSX = "xlsx", _("Excel (.xlsx)")

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en préparation")
        READY = "ready", _("prêt")
        FAILED = "failed", _("échec")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="production_exports",
        verbose_name=_("demandé par"),
    )
    requested_at = models.DateTimeField(_("demandé le"))
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    filters = models.JSONField(_("filtres"), default=dict, blank=True)
    # The column headings and labels are written in the language of the person who asked.
    language = models.CharField(_("langue"), max_length=10, default="fr")
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    row_count = models.PositiveIntegerField(_("lignes"), default=0)
    # Set when the export is handed to the broker; empty while the broker could not be reached.
    queued_at = models.DateTimeField(_("confié au serveur de tâches le"), null=True, blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    filename = models.CharField(_("fichier"), max_length=100, blank=True)
    content = models.BinaryField(_("contenu"), null=True, blank=True)
    error = models.TextField(_("motif de l'échec"), blank=True)

    class Meta:
        db_table = "makers_productionexport"
        verbose_name = _("export de déclarations")
        verbose_name_plural = _("exports de déclarations")
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="export_of_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=["csv", "xlsx"]), name="export_format_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "ready", "failed"]),
                name="export_status_known",
            ),
            # A ready export has its file; nothing else does.
            models.CheckConstraint(
                condition=Q(status="ready", content__isnull=False, finished_at__isnull=False)
                | (~Q(status="ready") & Q(content__isnull=True)),
                name="export_ready_has_content",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="export_failure_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(started_at__isnull=False),
                name="export_running_has_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_format_display()} n° {self.pk} ({self.requested_by_id})"


class TotalsVersion(models.Model):
    """How many times the totals changed: one row, bumped by the drain and the rebuild of the
    production totals and by each confirmed delivery, in the very transaction that changes the
    totals (figures.totals). The public pages and the dashboard's figures built from the totals
    are cached under this number: a new number, new pages."""

    version = models.BigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("modifiés le"), null=True, blank=True)

    class Meta:
        verbose_name = _("version des totaux")
        verbose_name_plural = _("versions des totaux")

    def __str__(self):
        return str(self.version)
