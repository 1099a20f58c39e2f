"""The refusals of the directory, each declared once (code, kind, message, field): joining an
organisation, describing it, and the facilitators' curation (tilab/errors.py). A SIRET's own
refusals are the organisations' (fablabs/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, WrongState

SIRET_REQUIRED = Code(
    "siret_required", BadInput, _("Une PME doit indiquer son SIRET (14 chiffres)."), "siret"
)

# --- Joining an organisation ----------------------------------------------------------------

ORGANISATION_CLOSED_TO_REQUESTS = Code(
    "organisation_closed_to_requests",
    WrongState,
    _("Cette organisation ne reçoit pas de demandes d'adhésion."),
)
ALREADY_MEMBER = Code(
    "already_member", WrongState, _("Vous êtes déjà membre de cette organisation.")
)
REQUEST_ALREADY_PENDING = Code(
    "request_already_pending",
    WrongState,
    _("Votre demande attend déjà la réponse de ses responsables."),
)
REQUEST_ALREADY_ANSWERED = Code(
    "request_already_answered", WrongState, _("Cette demande a déjà reçu une réponse.")
)

# --- Curation -------------------------------------------------------------------------------

CURATION_MOTIVATION_MISSING = Code(
    "curation_motivation_missing",
    BadInput,
    _("Expliquez la raison de ce changement."),
    "motivation",
)
ORGANISATION_KIND_UNKNOWN = Code(
    "organisation_kind_unknown", BadInput, _("Type d'organisation inconnu."), "kind"
)
ORGANISATION_KIND_UNCHANGED = Code(
    "organisation_kind_unchanged",
    BadInput,
    _("Choisissez un type différent du type actuel."),
    "kind",
)
ORGANISATION_MERGED = Code(
    "organisation_merged", WrongState, _("Un doublon fusionné ne change plus.")
)
MERGE_INTO_ITSELF = Code(
    "merge_into_itself", BadInput, _("Une organisation ne peut être fusionnée dans elle-même.")
)
ORGANISATION_ALREADY_MERGED = Code(
    "organisation_already_merged",
    WrongState,
    _("Une organisation déjà fusionnée ne peut plus l'être."),
)
ORGANISATION_CARRIES_RELAY = Code(
    "organisation_carries_relay",
    WrongState,
    _("Cette organisation porte un relais : fusionnez plutôt l'autre organisation dans celle-ci."),
)
MERGE_MOVES_VALIDATED_REPORTS = Code(
    "merge_moves_validated_reports",
    NotAllowed,
    _(
        "Cette fusion ferait passer %(count)s déclaration(s) validée(s) à une organisation d'un "
        "autre département, d'un autre relais ou qui porte un relais : seul le personnel de la "
        "Région peut la décider, avec une motivation."
    ),
    "into",
)
