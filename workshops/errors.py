"""The refusals of workshops and registrations, each declared once (code, kind, message,
field): the services raise them, pages and the API show them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, WrongState

# --- A workshop's details (WorkshopDetails' names) ------------------------------------------

TITLE_MISSING = Code("title_missing", BadInput, _("Donnez un titre à l'atelier."), "title")
WORKSHOP_IN_PAST = Code(
    "workshop_in_past",
    BadInput,
    _("La date de l'atelier est passée : choisissez une date à venir."),
    "starts_at",
)
DURATION_OUT_OF_RANGE = Code(
    "duration_out_of_range",
    BadInput,
    _("La durée va d'une minute à une semaine."),
    "duration_minutes",
)
CAPACITY_OUT_OF_RANGE = Code(
    "capacity_out_of_range", BadInput, _("Le nombre de places va de 1 à 10 000."), "capacity"
)
DEADLINE_AFTER_START = Code(
    "deadline_after_start",
    BadInput,
    _("La clôture des inscriptions doit précéder le début de l'atelier."),
    "registration_deadline",
)
PLACE_MISSING = Code(
    "place_missing",
    BadInput,
    _("Indiquez un lieu (commune et département) ou un lien en ligne, ou les deux."),
    "commune",
)
DEPARTMENT_MISSING = Code(
    "department_missing", BadInput, _("Indiquez le département de la commune."), "department"
)
CAPACITY_BELOW_CONFIRMED = Code(
    "capacity_below_confirmed",
    BadInput,
    _(
        "%(confirmed)s personnes sont déjà inscrites : le nombre de places ne peut "
        "pas descendre en dessous."
    ),
    "capacity",
)

# --- A workshop's life ----------------------------------------------------------------------

CANCELLED_WORKSHOP_UNCHANGEABLE = Code(
    "cancelled_workshop_unchangeable",
    WrongState,
    _("Cet atelier est annulé : il ne change plus."),
)
CANCELLATION_REASON_MISSING = Code(
    "cancellation_reason_missing",
    BadInput,
    _("Dites aux inscrits pourquoi l'atelier est annulé."),
    "reason",
)
WORKSHOP_ALREADY_CANCELLED = Code(
    "workshop_already_cancelled", WrongState, _("Cet atelier est déjà annulé.")
)
ATTENDANCE_NOT_REGISTERED = Code(
    "attendance_not_registered",
    BadInput,
    _("Seules les personnes inscrites peuvent être pointées."),
)
CHECKIN_TOO_EARLY = Code(
    "checkin_too_early",
    WrongState,
    _("Le pointage s'ouvre le jour de l'atelier."),
)
MESSAGE_INCOMPLETE = Code("message_incomplete", BadInput, _("Un message a un objet et un texte."))
SYNTHESIS_EMPTY = Code("synthesis_empty", BadInput, _("La synthèse est vide."), "body")
SYNTHESIS_TOO_EARLY = Code(
    "synthesis_too_early",
    WrongState,
    _("L'atelier n'a pas encore commencé : sa synthèse s'écrit à partir de son début."),
)
SYNTHESIS_ALREADY_PUBLISHED = Code(
    "synthesis_already_published", WrongState, _("Cette synthèse est déjà publiée.")
)

# --- Registrations --------------------------------------------------------------------------

NAME_MISSING = Code("name_missing", BadInput, _("Indiquez votre nom."), "name")
WORKSHOP_CANCELLED = Code("workshop_cancelled", WrongState, _("Cet atelier est annulé."))
REGISTRATION_CLOSED = Code(
    "registration_closed", WrongState, _("Les inscriptions à cet atelier sont closes.")
)
ALREADY_REGISTERED = Code(
    "already_registered",
    WrongState,
    _("Cette adresse e-mail est déjà inscrite à cet atelier."),
)
REGISTRATION_ALREADY_CANCELLED = Code(
    "registration_already_cancelled", WrongState, _("Cette inscription est déjà annulée.")
)
WORKSHOP_STARTED = Code(
    "workshop_started",
    WrongState,
    _("L'atelier a commencé : l'inscription ne s'annule plus."),
)
CANCEL_LINK_EXPIRED = Code(
    "cancel_link_expired",
    WrongState,
    _("Ce lien a expiré : l'atelier est passé, il n'y a plus d'inscription à gérer."),
    "token",
)
CANCEL_LINK_INVALID = Code(
    "cancel_link_invalid",
    BadInput,
    _(
        "Ce lien d'annulation n'est pas valide (incomplet ou modifié) : reprenez le "
        "lien exact de l'e-mail de confirmation."
    ),
    "token",
)
CANCEL_LINK_OF_ANOTHER_REGISTRATION = Code(
    "cancel_link_of_another_registration",
    BadInput,
    _("Ce lien d'annulation concerne une autre inscription."),
    "token",
)
CANCEL_TOKEN_MISSING = Code(
    "cancel_token_missing",
    BadInput,
    _("Sans compte, donnez le jeton du lien d'annulation reçu par e-mail ; ou connectez-vous."),
    "token",
)
CONFIRM_LINK_INVALID = Code(
    "registration_link_invalid",
    BadInput,
    _(
        "Ce lien de confirmation n'est pas valide (incomplet ou modifié) : reprenez le lien "
        "exact de l'e-mail, ou inscrivez-vous de nouveau."
    ),
    "token",
)
CONFIRM_LINK_EXPIRED = Code(
    "registration_link_expired",
    WrongState,
    _(
        "Ce lien de confirmation a expiré : l'inscription n'a pas été confirmée à temps. "
        "Inscrivez-vous de nouveau depuis la page de l'atelier ; un nouveau lien vous est "
        "envoyé."
    ),
    "token",
)
