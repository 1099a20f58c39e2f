"""The refusals of accounts (staff invitations), each declared once: code, kind, message, field
(tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, WrongState

INVITATION_ROLE_UNKNOWN = Code(
    "invitation_role_unknown",
    BadInput,
    _("Rôle inconnu : %(role)s. Rôles possibles : %(roles)s."),
    "role",
)
INVITATION_RELAY_MISMATCH = Code(
    "invitation_relay_mismatch",
    BadInput,
    _("L'équipe d'un relais s'invite avec son relais, et seulement elle."),
    "relay",
)

# --- ProConnect (accounts/proconnect) ---------------------------------------------------------
PROCONNECT_STATE = Code(
    "proconnect_state",
    NotAllowed,
    _(
        "Cette réponse de ProConnect ne correspond à aucune connexion en cours (paramètre state "
        "inconnu ou déjà utilisé). Recommencez la connexion."
    ),
)
PROCONNECT_TOKEN = Code(
    "proconnect_token",
    NotAllowed,
    _("ProConnect n'a pas délivré de jeton pour ce code (code expiré ou déjà utilisé)."),
)
PROCONNECT_ID_TOKEN = Code(
    "proconnect_id_token",
    NotAllowed,
    _("Le jeton d'identité de ProConnect est refusé : %(reason)s."),
)
PROCONNECT_NONCE = Code(
    "proconnect_nonce",
    NotAllowed,
    _("Le jeton d'identité de ProConnect ne répond pas à cette connexion (nonce différent)."),
)
PROCONNECT_USERINFO_SIGNATURE = Code(
    "proconnect_userinfo_signature",
    NotAllowed,
    _(
        "Les informations d'identité reçues ne sont pas signées par ProConnect : la connexion "
        "est refusée."
    ),
)
PROCONNECT_EMAIL_MISSING = Code(
    "proconnect_email_missing",
    BadInput,
    _("ProConnect n'a pas transmis d'adresse e-mail : la connexion est impossible."),
)
PROCONNECT_EMAIL_UNCONFIRMED = Code(
    "proconnect_email_unconfirmed",
    WrongState,
    _(
        "Un compte existe déjà avec l'adresse %(email)s, mais elle n'a jamais été confirmée. "
        "Connectez-vous d'abord avec votre mot de passe (ou réinitialisez-le), puis revenez "
        "par ProConnect."
    ),
)
PROCONNECT_UNAVAILABLE = Code(
    "proconnect_unavailable",
    WrongState,
    _("ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes."),
)
PROCONNECT_DENIED = Code(
    "proconnect_denied",
    WrongState,
    _("La connexion par ProConnect n'a pas abouti (%(error)s). Vous pouvez recommencer."),
)
