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
TWO_FACTOR_REQUIRED = Code(
    "two_factor_required",
    NotAllowed,
    _(
        "Une décision sur de l'argent public demande la double authentification : "
        "activez une application d'authentification (%(url)s), puis recommencez."
    ),
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
