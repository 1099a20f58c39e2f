"""Makers, the catalogue of what they produce, and their production reports."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from tilab.i18n import localised
from tilab.models import Department

from . import errors


class ItemType(models.Model):
    """What the network produces (visors, masks, gowns…); a catalogue staff can edit."""

    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100)
    unit_fr = models.CharField(_("unité (français)"), max_length=50)
    unit_en = models.CharField(_("unité (anglais)"), max_length=50)
    is_active = models.BooleanField(_("proposé à la saisie"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)
    aliases = models.TextField(
        _("autres noms"),
        blank=True,
        help_text=_(
            "Noms rencontrés dans les tableurs, séparés par des virgules "
            "(« visière PET, face shield »). Majuscules, accents et pluriels sont déjà reconnus."
        ),
    )

    class Meta:
        verbose_name = _("type d'article")
        verbose_name_plural = _("types d'articles")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localised(self, "name")


class ItemAlias(models.Model):
    """A name a spreadsheet gave an item ("Visières PETG"), mapped to the catalogue by relay staff
    or a facilitator, for the whole network: the importer reads it as that item from then on.

    `key` is the name as the importer compares it (makers.item_names: no case, accents, small
    words or plurals), unique: one name reads as one item. A report keeps the item it was
    imported with; changing or deleting an alias changes only what the next imports read.
    """

    text = models.CharField(_("nom lu dans les tableurs"), max_length=200)
    key = models.CharField(_("clé de comparaison"), max_length=200, unique=True)
    item_type = models.ForeignKey(
        ItemType,
        on_delete=models.PROTECT,
        related_name="network_aliases",
        verbose_name=_("article"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    created_at = models.DateTimeField(_("enregistré le"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    updated_at = models.DateTimeField(_("modifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("autre nom d'article")
        verbose_name_plural = _("autres noms d'articles")
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="item_alias_key_not_empty"),
        ]

    def __str__(self):
        return self.text

    @property
    def created_by_name(self) -> str:
        """Who recorded it, as staff see one another (a name, never an e-mail address)."""
        return _staff_name(self.created_by)

    @property
    def updated_by_name(self) -> str:
        return _staff_name(self.updated_by) if self.updated_at else ""


def _staff_name(user) -> str:
    if user is None:
        return str(_("un compte supprimé"))
    return user.full_name or str(_("agent sans nom"))


class Maker(models.Model):
    """A person who produces. May have no login: relays enter reports on their behalf."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maker",
        verbose_name=_("compte"),
    )
    display_name = models.CharField(_("nom affiché"), max_length=150)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="makers",
        verbose_name=_("département"),
    )
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    # For a maker without an account: how their relay reaches them (a refusal's reason).
    contact_email = models.EmailField(
        _("adresse e-mail de contact"),
        blank=True,
        help_text=_("Facultatif, pour un maker sans compte : son relais peut lui écrire."),
    )
    contact_phone = models.CharField(
        _("téléphone de contact"),
        max_length=30,
        blank=True,
        help_text=_("Facultatif, pour un maker sans compte."),
    )
    skills = models.TextField(_("savoir-faire"), blank=True)
    equipment = models.TextField(
        _("équipement"), blank=True, help_text=_("Imprimantes 3D, machines à coudre…")
    )
    is_public = models.BooleanField(
        _("profil visible dans l'annuaire public"),
        default=False,
        help_text=_("Seuls le nom affiché, la commune et les savoir-faire sont montrés."),
    )
    organisations = models.ManyToManyField(
        Organisation,
        through="Membership",
        related_name="makers",
        blank=True,
        verbose_name=_("organisations"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("maker")
        verbose_name_plural = _("makers")
        indexes = [models.Index(Lower("display_name"), "department", name="maker_name_dept")]

    def __str__(self):
        return self.display_name


class Membership(models.Model):
    maker = models.ForeignKey(Maker, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_manager = models.BooleanField(_("gère l'organisation"), default=False)
    joined_on = models.DateField(_("membre depuis"), null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        constraints = [
            models.UniqueConstraint(fields=["maker", "organisation"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.maker} ∈ {self.organisation}"


FIRST_PRODUCTION_DAY = datetime.date(2020, 1, 1)
MAX_QUANTITY = 100_000
MAX_COST_CENTS = 100_000_000  # 1,000,000 € for one report: beyond, it is a typing error


class CorroborationWithheld(models.TextChoices):
    """Why a delivery confirmed by an establishment does not corroborate the producer's
    reports (the rule is the needs' own: `needs.selectors.corroboration_withheld`)."""

    CONTACT_IS_PRODUCER = (
        "contact_is_producer",
        _("le besoin a été déposé par le producteur, ou à une adresse e-mail qui est la sienne"),
    )
    NEED_UNCHECKED = (
        "need_unchecked",
        _("le besoin n'a pas été vérifié par un relais ou un facilitateur"),
    )
    CHECKED_BY_PRODUCER = (
        "checked_by_producer",
        _("le besoin a été vérifié par le producteur lui-même"),
    )


class ProductionReport(models.Model):
    """What a maker produced one day: the figure a relay validates and the Région counts.

    A report is entered by its maker, by relay staff on the maker's behalf, or by a spreadsheet
    import. Only relay staff covering its department decide on it. A validated report is never
    edited: a correction is a new report that supersedes it once validated.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("soumise")
        VALIDATED = "validated", _("validée")
        REJECTED = "rejected", _("refusée")
        WITHDRAWN = "withdrawn", _("retirée")
        SUPERSEDED = "superseded", _("remplacée par une correction")

    class Source(models.TextChoices):
        MAKER = "maker", _("saisie par le maker")
        RELAY = "relay", _("saisie par le relais")
        IMPORT = "import", _("import de tableur")

    maker = models.ForeignKey(
        Maker, on_delete=models.PROTECT, related_name="reports", verbose_name=_("maker")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="production_reports",
        verbose_name=_("pour le compte de"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="production_reports",
        verbose_name=_("département"),
    )
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="reports", verbose_name=_("article")
    )
    quantity = models.PositiveIntegerField(_("quantité"))
    produced_on = models.DateField(_("date de production"))
    material_cost_cents = models.BigIntegerField(_("coût matière (centimes)"), default=0)
    recipient = models.CharField(_("livré à"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entered_reports",
        verbose_name=_("saisie par"),
    )
    entered_at = models.DateTimeField(_("saisie le"))
    updated_at = models.DateTimeField(_("modifiée le"))
    # Who last changed the report after it was entered (None: unchanged since): four eyes keep
    # them from deciding on it.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifiée par"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_reports",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    rejection_reason = models.TextField(_("motif du refus"), blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrige la déclaration"),
    )
    import_batch = models.ForeignKey(
        "ProductionImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("import"),
    )
    # Fingerprint of an imported line: importing the same file twice creates nothing new.
    import_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    corroborated_at = models.DateTimeField(
        _("corroborée le"),
        null=True,
        blank=True,
        help_text=_("Une livraison confirmée par l'établissement qui l'a reçue."),
    )
    # A confirmed delivery matched this report but proves nothing (needs' rule, in
    # needs/selectors.py): why, so that the relay's queue can say it. Nullable so that SQLite
    # adds the column in place: rebuilding the table would drop the future-date triggers.
    corroboration_withheld = models.CharField(
        _("livraison confirmée non probante"),
        max_length=30,
        null=True,
        blank=True,
        choices=CorroborationWithheld.choices,
    )

    class Meta:
        verbose_name = _("déclaration de production")
        verbose_name_plural = _("déclarations de production")
        indexes = [
            models.Index(fields=["department", "status", "produced_on"], name="report_queue"),
            models.Index(
                fields=["maker", "item_type", "produced_on", "quantity"], name="report_twins"
            ),
            # What the double-count rule reads for each report a list shows (makers.selectors.
            # _double_counts_sql): the standing reports of one item within days of it. Without
            # it, each row of a page scanned every report of its item (80 ms a page of 50 at
            # 25,000 reports).
            models.Index(
                fields=["item_type", "produced_on"],
                condition=Q(status__in=["submitted", "validated"]),
                name="report_double_count_window",
            ),
            # What a bucket recompute reads: the validated reports of one department, item and
            # week.
            models.Index(
                fields=["department", "item_type", "produced_on"],
                condition=Q(status="validated"),
                name="report_validated_bucket",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="report_quantity_bounded",
                violation_error_message=errors.QUANTITY_OUT_OF_RANGE.message,
            ),
            models.CheckConstraint(
                condition=Q(produced_on__gte=FIRST_PRODUCTION_DAY),
                name="report_produced_since_2020",
                violation_error_message=errors.PRODUCED_ON_TOO_EARLY.message,
            ),
            models.CheckConstraint(
                condition=Q(material_cost_cents__gte=0, material_cost_cents__lte=MAX_COST_CENTS),
                name="report_cost_bounded",
                violation_error_message=_("Le coût matière va de 0 à 1 000 000 €."),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["submitted", "validated", "rejected", "withdrawn", "superseded"]
                ),
                name="report_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "withdrawn"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="report_decision_has_author",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="report_rejection_has_reason",
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=Q(status="submitted"),
                name="report_one_pending_correction",
            ),
            models.UniqueConstraint(fields=["import_key"], name="report_import_key_unique"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item_type} ({self.maker}, {self.produced_on:%d/%m/%Y})"

    @property
    def is_counted(self) -> bool:
        return self.status == self.Status.VALIDATED

    @property
    def suspected_duplicate(self) -> bool:
        """A likely double count of another report, as read by makers.selectors.
        with_double_counts (False for a report read without it)."""
        return bool(getattr(self, "double_count_ids", None))


class ProductionImport(models.Model):
    """An uploaded spreadsheet, kept from its preview to its confirmation (and for the record)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("aperçu")
        CONFIRMED = "confirmed", _("importé")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="production_imports",
        verbose_name=_("déposé par"),
    )
    created_at = models.DateTimeField(_("déposé le"))
    filename = models.CharField(_("fichier"), max_length=255)
    content = models.BinaryField(_("contenu"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.PREVIEWED
    )
    confirmed_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    summary = models.JSONField(_("bilan"), default=dict, blank=True)
    # What the importer chose in the preview (importing/options.py): date order, decimal mark…
    options = models.JSONField(_("choix de lecture"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import de tableur")
        verbose_name_plural = _("imports de tableurs")

    def __str__(self):
        return self.filename
