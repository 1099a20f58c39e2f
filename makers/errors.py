"""The refusals of production reports and their validation, each declared once (code, kind,
message, field): the services raise them, pages and the API show them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, NotFound, WrongState

# --- What a report says (checked by the services; the database agrees) ----------------------

ITEM_TYPE_NOT_OFFERED = Code(
    "item_type_not_offered", BadInput, _("Cet article n'est plus proposé à la saisie."), "item_type"
)
QUANTITY_OUT_OF_RANGE = Code(
    "quantity_out_of_range",
    BadInput,
    _("La quantité doit être comprise entre 1 et 100 000."),
    "quantity",
)
PRODUCED_ON_IN_FUTURE = Code(
    "produced_on_in_future",
    BadInput,
    _("La date de production ne peut pas être dans le futur."),
    "produced_on",
)
PRODUCED_ON_TOO_EARLY = Code(
    "produced_on_too_early",
    BadInput,
    _("La date de production ne peut précéder le 01/01/2020."),
    "produced_on",
)
MATERIAL_COST_NEGATIVE = Code(
    "material_cost_negative",
    BadInput,
    _("Le coût matière ne peut être négatif."),
    "material_cost_cents",
)
MATERIAL_COST_TOO_HIGH = Code(
    "material_cost_too_high",
    BadInput,
    _("Le coût matière d'une déclaration ne peut dépasser 1 000 000 €."),
    "material_cost_cents",
)
MAKER_NOT_MEMBER = Code(
    "maker_not_member",
    BadInput,
    _("%(maker)s n'est pas membre de cette organisation."),
    "organisation",
)

# --- Who enters reports for whom ------------------------------------------------------------

MAKER_MISSING = Code(
    "maker_missing",
    BadInput,
    _("Indiquez le maker pour qui vous saisissez cette déclaration."),
    "maker",
)
MAKER_PROFILE_MISSING = Code(
    "maker_profile_missing",
    BadInput,
    _("Complétez d'abord votre profil de maker (%(url)s), puis déclarez votre production."),
    "maker",
)

DEPARTMENT_NOT_COVERED = Code(
    "department_not_covered",
    BadInput,
    _("Choisissez un département couvert par votre relais."),
    "department",
)
MAKER_NAME_MISSING = Code(
    "maker_name_missing", BadInput, _("Indiquez le nom du maker."), "display_name"
)
MAKER_OUTSIDE_RELAY = Code(
    "maker_outside_relay",
    BadInput,
    _("Ce maker ne relève pas des départements de votre relais."),
    "maker",
)
ORGANISATION_OUTSIDE_RELAY = Code(
    "organisation_outside_relay",
    BadInput,
    _("Cette organisation ne relève pas de votre relais."),
    "organisation",
)

# --- Changing a report ----------------------------------------------------------------------

REPORT_VALIDATED_NOT_EDITABLE = Code(
    "report_validated_not_editable",
    WrongState,
    _(
        "Cette déclaration est validée : elle ne peut plus être modifiée. "
        "Proposez une correction, que le relais validera."
    ),
)
REPORT_NOT_EDITABLE = Code(
    "report_not_editable",
    WrongState,
    _("Cette déclaration est %(status)s : elle ne peut plus être modifiée."),
)
CORRECTION_OF_UNVALIDATED_REPORT = Code(
    "correction_of_unvalidated_report",
    WrongState,
    _("Seule une déclaration validée se corrige ainsi ; modifiez-la directement."),
)
CORRECTION_ALREADY_PENDING = Code(
    "correction_already_pending",
    WrongState,
    _("Une correction de cette déclaration attend déjà la décision du relais."),
)
CORRECTED_REPORT_NOT_VALIDATED = Code(
    "corrected_report_not_validated",
    WrongState,
    _("La déclaration corrigée n'est plus validée : cette correction est sans objet."),
)

# --- Deciding on reports --------------------------------------------------------------------

REPORTS_NOT_FOUND = Code(
    "reports_not_found", NotFound, _("Déclarations introuvables : %(ids)s."), "ids"
)
REPORT_OUTSIDE_RELAY = Code(
    "report_outside_relay",
    NotAllowed,
    _("La déclaration n° %(id)s ne relève pas de votre relais."),
)
OWN_REPORT = Code(
    "own_report",
    NotAllowed,
    _(
        "Vous ne pouvez pas décider sur votre propre déclaration (n° %(id)s) : "
        "%(instead)s la décide."
    ),
)
# Four eyes: who entered, imported or last changed a report does not decide on it; reports of
# the relay itself go to the Région (settings TILAB_FOUR_EYES_*). Each says who decides instead.
OWN_ENTRY = Code(
    "own_entry",
    NotAllowed,
    _(
        "Vous avez saisi, importé ou modifié en dernier la déclaration n° %(id)s : "
        "%(instead)s la décide."
    ),
)
REPORT_FOR_THE_REGION = Code(
    "report_for_the_region",
    NotAllowed,
    _("La déclaration n° %(id)s %(why)s : elle est décidée par la Région."),
)
REPORT_FOR_THE_RELAY = Code(
    "report_for_the_relay",
    NotAllowed,
    _(
        "La déclaration n° %(id)s est décidée par l'équipe du relais qui couvre son "
        "département, pas par la Région."
    ),
)
REPORT_ALREADY_DECIDED = Code(
    "report_already_decided",
    WrongState,
    _("La déclaration n° %(id)s est déjà %(status)s."),
)
CORRECTION_OF_UNVALIDATED_ORIGINAL = Code(
    "correction_of_unvalidated_original",
    WrongState,
    _("La déclaration n° %(id)s corrige la n° %(original)s, qui n'est plus validée : refusez-la."),
)
REJECTION_REASON_MISSING = Code(
    "rejection_reason_missing",
    BadInput,
    _("Indiquez le motif du refus : le maker le lira."),
    "reason",
)

# --- Double counts: keeping one report, rejecting the other --------------------------------

KEPT_REPORT_NOT_STANDING = Code(
    "kept_report_not_standing",
    WrongState,
    _(
        "La déclaration n° %(kept)s, à garder, est %(status)s : elle ne compte plus, "
        "la n° %(id)s n'en est donc pas le doublon."
    ),
    "double_count_of",
)
NOT_A_DOUBLE_COUNT = Code(
    "not_a_double_count",
    BadInput,
    _(
        "La déclaration n° %(id)s n'est pas un double compte probable de la n° %(kept)s : "
        "refusez-la avec un motif écrit si elle est fausse."
    ),
    "double_count_of",
)
# --- Other names of items, remembered for the network (services.item_alias_*) -----------------

ITEM_ALIAS_TEXT_EMPTY = Code(
    "item_alias_text_empty",
    BadInput,
    _("Indiquez le nom tel qu'il est écrit dans les tableurs (des lettres ou des chiffres)."),
    "text",
)
ITEM_ALIAS_TEXT_TOO_LONG = Code(
    "item_alias_text_too_long",
    BadInput,
    _("Ce nom est trop long : %(max)s caractères au plus."),
    "text",
)
ITEM_ALIAS_TAKEN = Code(
    "item_alias_taken",
    WrongState,
    _("« %(text)s » se lit déjà comme « %(item)s » : %(why)s"),
    "text",
)
ITEM_ALIAS_ITEM_INACTIVE = Code(
    "item_alias_item_inactive",
    BadInput,
    _("« %(item)s » n'est plus proposé à la saisie : choisissez un article du catalogue."),
    "item_type",
)
