"""The refusals of webhook endpoints and deliveries, each declared once (tilab/errors.py). Those
of a URL itself (not https, a private address…) are the core's, beside the check that raises
them (tilab/webhooks.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, WrongState

WEBHOOK_EVENTS_EMPTY = Code(
    "webhook_events_empty",
    BadInput,
    _("Choisissez au moins un événement à recevoir."),
    "events",
)
WEBHOOK_EVENT_UNKNOWN = Code(
    "webhook_event_unknown",
    BadInput,
    _("« %(event)s » n'est pas un événement de la plateforme."),
    "events",
)
WEBHOOK_RELAY_REQUIRED = Code(
    "webhook_relay_required",
    BadInput,
    _("Indiquez pour quel relais vous enregistrez cette adresse."),
    "relay",
)
WEBHOOK_RELAY_NOT_STAFFED = Code(
    "webhook_relay_not_staffed",
    NotAllowed,
    _("Vous n'êtes pas dans l'équipe de ce relais : ses webhooks ne sont pas les vôtres."),
    "relay",
)
WEBHOOK_REGION_ONLY = Code(
    "webhook_region_only",
    NotAllowed,
    _("Seuls les agents de la Région enregistrent une adresse qui reçoit tout le réseau."),
    "relay",
)
WEBHOOK_ENDPOINT_INACTIVE = Code(
    "webhook_endpoint_inactive",
    WrongState,
    _("Cette adresse est désactivée : réactivez-la avant de renvoyer un message."),
)
