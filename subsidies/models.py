"""The subsidy chain: programmes, their allocations to relays, redistributions, payments, payees'
bank details and the hash-chained money ledger. Relays and the departments they cover are
territory data, in `fablabs.models`."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation, Relay
from makers.models import ItemType, Maker


class Programme(models.Model):
    """A subsidy programme: an envelope of public money, the production period it rewards, and
    how it is split. It is split into one `Allocation` per relay taking part; once every
    allocation is approved the programme is approved and only an amending programme (a new,
    linked one) can change what it grants."""

    class Basis(models.TextChoices):
        UNITS = "units", _("unités validées")
        MATERIAL_COST = "material_cost", _("coûts matière déclarés")

    class Status(models.TextChoices):
        DRAFT = "draft", _("en préparation")
        APPROVED = "approved", _("approuvé")

    name = models.CharField(_("nom"), max_length=200)
    envelope_cents = models.BigIntegerField(_("enveloppe (centimes)"))
    period_start_on = models.DateField(_("production du"))
    period_end_on = models.DateField(_("production jusqu'au"))
    basis = models.CharField(_("base de calcul"), max_length=20, choices=Basis.choices)
    uses_fixed_shares = models.BooleanField(
        _("parts fixes par relais"),
        default=False,
        help_text=_("Les relais reçoivent des parts fixées à l'avance (2020 : 50/25/25)."),
    )
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("modifie le programme"),
    )
    motivation = models.TextField(_("motivation"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("créé le"))
    approved_at = models.DateTimeField(_("approuvé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(envelope_cents__gt=0), name="programme_envelope_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_end_on__gte=F("period_start_on")),
                name="programme_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(motivation=""),
                name="programme_amendment_motivated",
            ),
        ]

    def __str__(self):
        return self.name


class ItemWeight(models.Model):
    """How much one unit (or one euro of material) of an item type counts in a programme;
    an item type without a row counts 1."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="weights")
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="+", verbose_name=_("objet")
    )
    weight = models.DecimalField(_("poids"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("poids d'un objet")
        verbose_name_plural = _("poids des objets")
        constraints = [
            models.UniqueConstraint(fields=["programme", "item_type"], name="item_weight_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="item_weight_not_negative"),
        ]

    def __str__(self):
        return f"{self.item_type_id} × {self.weight}"


class Allocation(models.Model):
    """One relay's part of a programme. `proposed_cents` is what the figures gave, `amount_cents`
    what Région staff settled on; `snapshot` keeps the figures it rests on, so later validations
    never silently change it. Approved, it never changes (the database refuses)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposée")
        APPROVED = "approved", _("approuvée")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="allocations")
    relay = models.ForeignKey(
        Relay, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("relais")
    )
    fixed_share = models.PositiveIntegerField(_("part fixe"), null=True, blank=True)
    proposed_cents = models.BigIntegerField(_("proposition (centimes)"))
    amount_cents = models.BigIntegerField(_("montant (centimes)"))
    snapshot = models.JSONField(_("chiffres retenus"), default=dict)
    computed_at = models.DateTimeField(_("calculée le"))
    motivation = models.TextField(_("motivation de l'ajustement"), blank=True)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvée par"),
    )
    approved_at = models.DateTimeField(_("approuvée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["programme", "relay"], name="allocation_unique"),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0, proposed_cents__gte=0),
                name="allocation_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="allocation_approval_signed",
            ),
        ]

    def __str__(self):
        return f"{self.programme} → {self.relay}"


class Redistribution(models.Model):
    """How a relay passes its approved allocation on: lines to payees (makers and
    organisations, pro rata to their validated contribution) and for its own use."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposée")
        APPROVED = "approved", _("approuvée")

    allocation = models.OneToOneField(
        Allocation, on_delete=models.PROTECT, related_name="redistribution"
    )
    snapshot = models.JSONField(_("chiffres retenus"), default=dict)
    computed_at = models.DateTimeField(_("calculée le"))
    motivation = models.TextField(_("motivation de l'ajustement"), blank=True)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvée par"),
    )
    approved_at = models.DateTimeField(_("approuvée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("redistribution")
        verbose_name_plural = _("redistributions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="redistribution_approval_signed",
            ),
        ]

    def __str__(self):
        return str(self.allocation)


class RedistributionLine(models.Model):
    """One payee's share of a redistribution, or money the relay keeps for a stated purpose
    (grouped purchases of PLA or PET sheets, prototypes)."""

    class Kind(models.TextChoices):
        MAKER = "maker", _("maker")
        ORGANISATION = "organisation", _("organisation")
        OWN_USE = "own_use", _("usage du relais")

    redistribution = models.ForeignKey(
        Redistribution, on_delete=models.PROTECT, related_name="lines"
    )
    kind = models.CharField(_("bénéficiaire"), max_length=20, choices=Kind.choices)
    maker = models.ForeignKey(
        Maker, on_delete=models.PROTECT, null=True, blank=True, related_name="subsidy_lines"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_lines",
    )
    purpose = models.CharField(_("objet"), max_length=200, blank=True)
    figures = models.JSONField(_("contribution retenue"), default=dict, blank=True)
    proposed_cents = models.BigIntegerField(_("proposition (centimes)"), default=0)
    amount_cents = models.BigIntegerField(_("montant (centimes)"))

    class Meta:
        verbose_name = _("ligne de redistribution")
        verbose_name_plural = _("lignes de redistribution")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0, proposed_cents__gte=0),
                name="line_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind="maker", maker__isnull=False, organisation__isnull=True)
                | Q(kind="organisation", maker__isnull=True, organisation__isnull=False)
                | (
                    Q(kind="own_use", maker__isnull=True, organisation__isnull=True)
                    & ~Q(purpose="")
                ),
                name="line_payee_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["redistribution", "maker"],
                condition=Q(maker__isnull=False),
                name="line_one_per_maker",
            ),
            models.UniqueConstraint(
                fields=["redistribution", "organisation"],
                condition=Q(organisation__isnull=False),
                name="line_one_per_organisation",
            ),
        ]

    def __str__(self):
        return f"{self.payee_name}: {self.amount_cents}"

    @property
    def payee_name(self) -> str:
        if self.maker_id:
            return self.maker.display_name
        if self.organisation_id:
            return self.organisation.name
        return self.purpose


class PaymentBatch(models.Model):
    """A transfer file made once and kept: the lines it pays, the bank details of each frozen
    when it was made, and the exact bytes handed to the bank (every download gives them
    again). Open until the relay records what the bank paid (`recorded`) or cancels it with a
    reason (`cancelled`); while open, its lines are in no other open batch."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV (tableur)")
        SEPA = "sepa", _("SEPA (pain.001)")

    class Status(models.TextChoices):
        OPEN = "open", _("en attente de la banque")
        RECORDED = "recorded", _("paiements enregistrés")
        CANCELLED = "cancelled", _("annulé")

    redistribution = models.ForeignKey(
        Redistribution, on_delete=models.PROTECT, related_name="batches"
    )
    message_id = models.CharField(_("identifiant du message"), max_length=35, unique=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.OPEN)
    execution_on = models.DateField(_("exécution demandée le"), null=True, blank=True)
    total_cents = models.BigIntegerField(_("total (centimes)"))
    content = models.BinaryField(_("fichier"))
    content_sha256 = models.CharField(_("empreinte SHA-256 du fichier"), max_length=64)
    filename = models.CharField(_("nom du fichier"), max_length=100)
    debtor_iban = models.CharField(_("IBAN du compte qui paie"), max_length=34, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("créé le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("paiements enregistrés le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancel_reason = models.TextField(_("motif de l'annulation"), blank=True)

    class Meta:
        verbose_name = _("lot de virements")
        verbose_name_plural = _("lots de virements")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cents__gt=0), name="payment_batch_total_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (
                    Q(cancelled_by__isnull=False, cancelled_at__isnull=False) & ~Q(cancel_reason="")
                ),
                name="payment_batch_cancel_motivated",
            ),
            models.CheckConstraint(
                condition=~Q(status="recorded")
                | Q(recorded_by__isnull=False, recorded_at__isnull=False),
                name="payment_batch_record_signed",
            ),
        ]

    def __str__(self):
        return self.message_id

    @property
    def allocation(self) -> Allocation:
        """The allocation the batch pays from (the relay's rules ask for it)."""
        return self.redistribution.allocation


class PaymentBatchLine(models.Model):
    """One transfer of a batch: the redistribution line it pays and the payee's bank details
    as they were when the batch was made. `open` is true while the batch waits for the bank
    and the line was not rejected: the database keeps a line in one open batch at most."""

    class Status(models.TextChoices):
        PENDING = "pending", _("envoyée à la banque")
        PAID = "paid", _("payée")
        REJECTED = "rejected", _("rejetée par la banque")
        RELEASED = "released", _("libérée (lot annulé)")

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="lines")
    line = models.ForeignKey(
        RedistributionLine, on_delete=models.PROTECT, related_name="batch_lines"
    )
    amount_cents = models.BigIntegerField(_("montant (centimes)"))
    holder = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    open = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("ligne d'un lot de virements")
        verbose_name_plural = _("lignes des lots de virements")
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(open=True), name="batch_line_one_open_batch"
            ),
            models.UniqueConstraint(fields=["batch", "line"], name="batch_line_once_per_batch"),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="batch_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(open=False) | Q(status="pending"), name="batch_line_open_is_pending"
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}/{self.line_id}"


class Payment(models.Model):
    """A line paid: when, with which bank reference, by which batch (whose line keeps the bank
    details used), or settled as the relay's own spending (`own_use`: no transfer at all).
    Recorded once, never edited."""

    line = models.OneToOneField(
        RedistributionLine, on_delete=models.PROTECT, related_name="payment"
    )
    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    own_use = models.BooleanField(_("dépense propre du relais"), default=False)
    amount_cents = models.BigIntegerField(_("montant (centimes)"))
    paid_on = models.DateField(_("payé le"))
    reference = models.CharField(_("référence du virement"), max_length=140)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("enregistré le"))

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=~Q(reference=""), name="payment_has_reference"),
        ]

    def __str__(self):
        return f"{self.line_id} {self.paid_on}"


class BankAccount(models.Model):
    """Where a payee (a maker or an organisation) receives money. Shown only to the payee and
    to the staff of the relay that pays them."""

    maker = models.OneToOneField(
        Maker, on_delete=models.CASCADE, null=True, blank=True, related_name="bank_account"
    )
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bank_account",
    )
    holder = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("modifié le"))
    # When these details may go into a transfer file: set at a change to the end of the
    # waiting period, moved to the confirmation when a second person confirms sooner; empty
    # while only a confirmation can release them (the relay's own paying account).
    usable_from = models.DateTimeField(_("utilisables à partir du"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmées par"),
    )
    confirmed_at = models.DateTimeField(_("confirmées le"), null=True, blank=True)

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        constraints = [
            models.CheckConstraint(
                condition=Q(maker__isnull=False, organisation__isnull=True)
                | Q(maker__isnull=True, organisation__isnull=False),
                name="bank_account_one_owner",
            ),
        ]

    def __str__(self):
        return f"{self.holder} ****{self.iban[-4:]}"

    def usable_at(self, now) -> bool:
        return self.usable_from is not None and self.usable_from <= now


class BankAccountChange(models.Model):
    """One change of a payee's bank details, kept for good: who made it and when, the last
    four characters of the old and new IBAN (never more), when it may be used, and who
    confirmed it. A change is pending until confirmed or until its waiting period passes;
    a later change of the same account supersedes it."""

    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="changes")
    holder = models.CharField(_("titulaire du compte"), max_length=70)
    old_iban_end = models.CharField(_("fin de l'ancien IBAN"), max_length=4, blank=True)
    new_iban_end = models.CharField(_("fin du nouvel IBAN"), max_length=4)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("modifiées le"))
    usable_from = models.DateTimeField(_("utilisables à partir du"), null=True, blank=True)
    needs_region = models.BooleanField(_("confirmation de la Région exigée"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmée par"),
    )
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    superseded = models.BooleanField(_("remplacée par un changement ultérieur"), default=False)

    class Meta:
        verbose_name = _("changement de coordonnées bancaires")
        verbose_name_plural = _("changements de coordonnées bancaires")
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True, confirmed_at__isnull=True)
                | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="bank_change_confirmation_signed",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("changed_by")),
                name="bank_change_confirmed_by_another",
            ),
        ]

    def __str__(self):
        return f"****{self.old_iban_end} → ****{self.new_iban_end}"


class LedgerEntry(models.Model):
    """One money movement, programme → relay → payee. Append-only (the database refuses UPDATE
    and DELETE) and hash-chained: each entry's hash covers its content and the previous hash,
    so changing or removing any entry breaks the chain from there on."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("allocation approuvée")
        REDISTRIBUTION = "redistribution", _("ligne de redistribution approuvée")
        PAYMENT = "payment", _("paiement")

    seq = models.BigIntegerField(_("numéro"), unique=True)
    recorded_at = models.DateTimeField(_("enregistrée le"))
    kind = models.CharField(_("mouvement"), max_length=20, choices=Kind.choices)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line = models.ForeignKey(
        RedistributionLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("de"), max_length=60)
    destination = models.CharField(_("à"), max_length=60)
    amount_cents = models.BigIntegerField(_("montant (centimes)"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("écriture")
        verbose_name_plural = _("grand livre")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="ledger_not_negative"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.source} → {self.destination} {self.amount_cents}"


class LedgerHead(models.Model):
    """The end of the chain: a single row locked by whoever appends, so entries get their
    numbers and previous hashes one after the other, never two with the same predecessor."""

    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"#{self.seq} {self.entry_hash[:12]}"
