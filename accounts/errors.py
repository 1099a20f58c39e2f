"""The refusals of accounts (staff invitations), each declared once: code, kind, message, field
(tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code

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
