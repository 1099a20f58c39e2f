"""The refusals of the subsidy chain, each declared once (code, kind, message, field): the
services and the transfer files raise them, pages and the API show them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, NotFound, WrongState

# --- Programmes -----------------------------------------------------------------------------

PROGRAMME_NAME_MISSING = Code(
    "programme_name_missing", BadInput, _("Donnez un nom au programme."), "name"
)
ENVELOPE_NOT_POSITIVE = Code(
    "envelope_not_positive",
    BadInput,
    _("L'enveloppe doit être un montant positif."),
    "envelope_cents",
)
ENVELOPE_TOO_LARGE = Code(
    "envelope_too_large",
    BadInput,
    _("L'enveloppe dépasse toute limite raisonnable."),
    "envelope_cents",
)
PERIOD_ENDS_BEFORE_START = Code(
    "period_ends_before_start",
    BadInput,
    _("La fin de la période précède son début."),
    "period_end_on",
)
RELAYS_MISSING = Code("relays_missing", BadInput, _("Choisissez au moins un relais."), "relays")
BASIS_UNKNOWN = Code("basis_unknown", BadInput, _("Choisissez la base de calcul."), "basis")
WEIGHT_NEGATIVE = Code(
    "weight_negative", BadInput, _("Un poids ne peut pas être négatif."), "item_weights"
)
WEIGHT_TOO_PRECISE = Code(
    "weight_too_precise",
    BadInput,
    _("Un poids a au plus deux décimales et six chiffres avant la virgule."),
    "item_weights",
)
WEIGHT_GIVEN_TWICE = Code(
    "weight_given_twice", BadInput, _("Donnez un seul poids par objet."), "item_weights"
)
FIXED_SHARE_GIVEN_TWICE = Code(
    "fixed_share_given_twice",
    BadInput,
    _("Donnez une seule part fixe par relais."),
    "fixed_shares",
)
FIXED_SHARES_INCOMPLETE = Code(
    "fixed_shares_incomplete",
    BadInput,
    _("Donnez une part fixe à chaque relais, et à eux seuls."),
    "fixed_shares",
)
FIXED_SHARES_NOT_POSITIVE = Code(
    "fixed_shares_not_positive",
    BadInput,
    _("Les parts fixes doivent être positives."),
    "fixed_shares",
)
NO_VALIDATED_PRODUCTION = Code(
    "no_validated_production",
    BadInput,
    _(
        "Aucune production validée sur la période pour ces relais : choisissez une "
        "autre période ou des parts fixes."
    ),
)
AMENDMENT_MOTIVATION_MISSING = Code(
    "amendment_motivation_missing",
    BadInput,
    _("Expliquez pourquoi vous modifiez ce programme."),
    "motivation",
)
PROGRAMME_NOT_APPROVED = Code(
    "programme_not_approved",
    WrongState,
    _("Ce programme n'est pas encore approuvé : ajustez-le directement."),
)

# --- Allocations ----------------------------------------------------------------------------

ALLOCATIONS_MOTIVATION_MISSING = Code(
    "allocations_motivation_missing",
    BadInput,
    _("Expliquez pourquoi vous ajustez la répartition."),
    "motivation",
)
ALLOCATION_NOT_IN_PROGRAMME = Code(
    "allocation_not_in_programme",
    BadInput,
    _("Cette allocation n'appartient pas au programme."),
    "amounts",
)
NEGATIVE_AMOUNT = Code("negative_amount", BadInput, _("Un montant ne peut pas être négatif."))
ALLOCATION_APPROVED = Code(
    "allocation_approved",
    WrongState,
    _("L'allocation de %(relay)s est approuvée : elle ne change plus."),
)
ALLOCATIONS_OFF_ENVELOPE = Code(
    "allocations_off_envelope",
    BadInput,
    _(
        "Les allocations font %(total)s pour une enveloppe de %(envelope)s : "
        "l'écart est de %(gap)s."
    ),
)
ALLOCATION_ALREADY_APPROVED = Code(
    "allocation_already_approved", WrongState, _("Cette allocation est déjà approuvée.")
)

# --- Redistributions ------------------------------------------------------------------------

ALLOCATION_NOT_FOUND = Code(
    "allocation_not_found",
    NotFound,
    _("Allocation n° %(id)s introuvable parmi celles de votre relais."),
    "allocation",
)

OWN_USE_PURPOSE_MISSING = Code(
    "own_use_purpose_missing",
    BadInput,
    _("Chaque ligne pour le relais a un objet (achat de PLA…)."),
)
ALLOCATION_NOT_APPROVED = Code(
    "allocation_not_approved",
    WrongState,
    _("L'allocation n'est pas encore approuvée par la Région."),
)
OWN_USE_EXCEEDS_ALLOCATION = Code(
    "own_use_exceeds_allocation",
    BadInput,
    _("Les lignes pour le relais (%(kept)s) dépassent l'allocation (%(amount)s)."),
)
NO_VALIDATED_CONTRIBUTION = Code(
    "no_validated_contribution",
    BadInput,
    _(
        "Aucune contribution validée sur la période : affectez tout le montant à "
        "des lignes pour le relais."
    ),
)
REDISTRIBUTION_ALREADY_APPROVED = Code(
    "redistribution_already_approved",
    WrongState,
    _("Cette redistribution est déjà approuvée."),
)
REDISTRIBUTION_APPROVED = Code(
    "redistribution_approved",
    WrongState,
    _("Cette redistribution est approuvée : elle ne change plus."),
)
REDISTRIBUTION_MOTIVATION_MISSING = Code(
    "redistribution_motivation_missing",
    BadInput,
    _("Expliquez pourquoi vous ajustez la redistribution."),
    "motivation",
)
LINE_NOT_IN_REDISTRIBUTION = Code(
    "line_not_in_redistribution",
    BadInput,
    _("Cette ligne n'appartient pas à la redistribution."),
    "amounts",
)
LINES_OFF_ALLOCATION = Code(
    "lines_off_allocation",
    BadInput,
    _("Les lignes font %(total)s pour une allocation de %(amount)s : l'écart est de %(gap)s."),
)
LINES_NOT_ALLOCATION_TOTAL = Code(
    "lines_not_allocation_total",
    BadInput,
    _("Les lignes ne font pas le montant de l'allocation."),
)

# --- Payments -------------------------------------------------------------------------------

PAYMENT_REFERENCE_MISSING = Code(
    "payment_reference_missing",
    BadInput,
    _("Indiquez la référence du virement."),
    "reference",
)
PAYMENT_REFERENCE_TOO_LONG = Code(
    "payment_reference_too_long",
    BadInput,
    _("La référence fait au plus 140 caractères."),
    "reference",
)
PAID_ON_IN_FUTURE = Code(
    "paid_on_in_future",
    BadInput,
    _("La date de paiement ne peut pas être dans le futur."),
    "paid_on",
)
PAYMENT_LINES_MISSING = Code(
    "payment_lines_missing", BadInput, _("Choisissez au moins une ligne à payer."), "lines"
)
LINES_NOT_IN_REDISTRIBUTION = Code(
    "lines_not_in_redistribution",
    BadInput,
    _("Ces lignes n'appartiennent pas à la redistribution n° %(id)s : %(lines)s."),
    "lines",
)
LINE_NOT_APPROVED = Code(
    "line_not_approved",
    WrongState,
    _("La ligne n° %(id)s n'est pas approuvée : elle ne peut pas être payée."),
)
LINE_ALREADY_PAID = Code("line_already_paid", WrongState, _("La ligne n° %(id)s est déjà payée."))
LINE_AMOUNT_ZERO = Code(
    "line_amount_zero", BadInput, _("La ligne n° %(id)s est de 0 € : rien à payer.")
)

# --- Transfer files -------------------------------------------------------------------------

TRANSFERS_NOT_APPROVED = Code(
    "transfers_not_approved",
    BadInput,
    _("La redistribution n'est pas encore approuvée : aucun virement ne peut partir."),
)
EXECUTION_DATE_PAST = Code(
    "execution_date_past",
    BadInput,
    _("La date d'exécution des virements est déjà passée."),
    "execution_on",
)
RELAY_BANK_ACCOUNT_MISSING = Code(
    "relay_bank_account_missing",
    BadInput,
    _(
        "Le relais n'a pas de coordonnées bancaires : enregistrez d'abord l'IBAN du "
        "compte qui paie."
    ),
)
NOTHING_TO_TRANSFER = Code(
    "nothing_to_transfer",
    BadInput,
    _(
        "Aucun virement à préparer : les lignes sont payées, ou leurs bénéficiaires "
        "n'ont pas encore donné d'IBAN."
    ),
)
TRANSFER_FILE_INVALID = Code(
    "transfer_file_invalid",
    BadInput,
    _(
        "Le fichier de virements ne respecte pas la norme SEPA : vérifiez les titulaires "
        "et les IBAN des bénéficiaires."
    ),
)

# --- Recap before approval, anomaly flags (subsidies/recap.py, subsidies/anomalies.py) -------

APPROVAL_CONFIRMATION_MISSING = Code(
    "approval_confirmation_missing",
    BadInput,
    _(
        "Confirmez ce que vous approuvez : la date de calcul des chiffres (computed_at) et "
        "l'empreinte des montants (fingerprint) du récapitulatif."
    ),
    "computed_at",
)
APPROVAL_FIGURES_NOT_SEEN = Code(
    "approval_figures_not_seen",
    WrongState,
    _(
        "Les chiffres ont été recalculés depuis le récapitulatif que vous avez vu : relisez-le, "
        "puis confirmez à nouveau."
    ),
    "computed_at",
)
APPROVAL_RECAP_CHANGED = Code(
    "approval_recap_changed",
    WrongState,
    _(
        "Les montants ont changé depuis le récapitulatif que vous avez vu : relisez-le, puis "
        "confirmez à nouveau."
    ),
    "fingerprint",
)
APPROVAL_FIGURES_STALE = Code(
    "approval_figures_stale",
    WrongState,
    _(
        "Des chiffres validés ont changé depuis le calcul (%(count)s différences) : "
        "recalculez avant d'approuver."
    ),
)
ANOMALIES_NOT_ACKNOWLEDGED = Code(
    "anomalies_not_acknowledged",
    BadInput,
    _(
        "Des signalements sont à reconnaître avant d'approuver (%(codes)s) : cochez-les et "
        "motivez votre décision."
    ),
    "acknowledged_flags",
)
ANOMALIES_MOTIVATION_MISSING = Code(
    "anomalies_motivation_missing",
    BadInput,
    _("Expliquez pourquoi vous approuvez malgré les signalements."),
    "motivation",
)
ALLOCATIONS_NOT_RECOMPUTABLE = Code(
    "allocations_not_recomputable",
    WrongState,
    _(
        "Une allocation de ce programme est déjà approuvée : la répartition ne peut plus être "
        "recalculée (un avenant peut la corriger)."
    ),
)

# --- Four eyes on approvals -----------------------------------------------------------------

ALLOCATION_OWN_PROPOSAL = Code(
    "allocation_own_proposal",
    NotAllowed,
    _(
        "Vous avez proposé ou ajusté l'allocation de %(relay)s : un autre agent de la Région "
        "l'approuve."
    ),
)
REDISTRIBUTION_OWN_PROPOSAL = Code(
    "redistribution_own_proposal",
    NotAllowed,
    _("Vous avez proposé ou ajusté cette redistribution : %(instead)s l'approuve."),
)

# --- Bank details ---------------------------------------------------------------------------

IBAN_INVALID = Code(
    "iban_invalid", BadInput, _("IBAN invalide : %(iban)s (vérifiez chaque caractère)."), "iban"
)
BIC_INVALID = Code("bic_invalid", BadInput, _("BIC invalide : %(bic)s."), "bic")
HOLDER_MISSING = Code("holder_missing", BadInput, _("Indiquez le titulaire du compte."), "holder")
HOLDER_TOO_LONG = Code(
    "holder_too_long",
    BadInput,
    _("Le titulaire fait au plus 70 caractères (norme SEPA)."),
    "holder",
)

# --- Bank changes under control ------------------------------------------------------------

BANK_CHANGE_OWN = Code(
    "bank_change_own",
    NotAllowed,
    _(
        "Vous avez fait ce changement de coordonnées bancaires : une autre personne le "
        "confirme (un autre membre de l'équipe du relais, ou la Région)."
    ),
)
BANK_CHANGE_NEEDS_REGION = Code(
    "bank_change_needs_region",
    NotAllowed,
    _(
        "Le compte qui paie du relais ne change qu'avec la confirmation d'un agent de la "
        "Région : demandez-la à la Région."
    ),
)
BANK_CHANGE_ALREADY_CONFIRMED = Code(
    "bank_change_already_confirmed",
    WrongState,
    _("Ce changement de coordonnées bancaires est déjà confirmé."),
)
BANK_CHANGE_SUPERSEDED = Code(
    "bank_change_superseded",
    WrongState,
    _(
        "Ce changement a été remplacé par un changement plus récent : c'est celui-là qu'il "
        "faut confirmer."
    ),
)
BANK_CHANGE_NOT_FOUND = Code(
    "bank_change_not_found", NotFound, _("Aucun changement de coordonnées n° %(id)s.")
)

# --- Payment batches ------------------------------------------------------------------------

BATCH_FORMAT_UNKNOWN = Code(
    "batch_format_unknown", BadInput, _("Choisissez le format : CSV ou SEPA."), "format"
)
TRANSFERS_ALREADY_IN_BATCH = Code(
    "transfers_already_in_batch",
    WrongState,
    _(
        "Ces virements sont déjà dans le lot %(batch)s, en attente de la banque : "
        "téléchargez à nouveau son fichier, enregistrez ses paiements ou annulez-le avec un "
        "motif pour libérer ses lignes."
    ),
)
BATCH_NOT_OPEN = Code(
    "batch_not_open",
    WrongState,
    _("Le lot %(batch)s est déjà %(status)s : il ne change plus."),
)
BATCH_CANCEL_REASON_MISSING = Code(
    "batch_cancel_reason_missing",
    BadInput,
    _("Indiquez pourquoi le lot est annulé : le motif est conservé avec la décision."),
    "reason",
)
BATCH_REJECTED_NOT_IN_BATCH = Code(
    "batch_rejected_not_in_batch",
    BadInput,
    _("Ces lignes ne sont pas dans le lot : %(lines)s."),
    "rejected",
)
BATCH_ALL_REJECTED = Code(
    "batch_all_rejected",
    BadInput,
    _(
        "Toutes les lignes sont marquées rejetées : rien n'a été payé. Annulez plutôt le lot, "
        "avec un motif."
    ),
    "rejected",
)
BATCH_NOT_FOUND = Code("batch_not_found", NotFound, _("Aucun lot de virements n° %(id)s."))
REDISTRIBUTION_NOT_FOUND = Code(
    "redistribution_not_found",
    NotFound,
    _("Aucune redistribution n° %(id)s parmi les vôtres."),
    "redistribution",
)
NOTHING_TO_SETTLE = Code(
    "nothing_to_settle",
    WrongState,
    _("Aucune ligne du relais à solder : elles le sont déjà, ou la redistribution attend."),
)
RELAY_BANK_ACCOUNT_PENDING = Code(
    "relay_bank_account_pending",
    WrongState,
    _(
        "Le compte qui paie du relais a changé et attend la confirmation d'un agent de la "
        "Région : aucun fichier SEPA ne part de ce compte avant."
    ),
)
PAYEE_NOT_FOUND = Code(
    "payee_not_found",
    NotFound,
    _("Aucun bénéficiaire n° %(id)s parmi ceux dont vous gérez les coordonnées bancaires."),
    "payee_id",
)
