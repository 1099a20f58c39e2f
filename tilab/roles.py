"""The platform's roles: Django groups, the predicates built on them, and each role's home."""

from django.utils.translation import gettext_lazy as _

MAKER = "maker"
RELAY_STAFF = "relay_staff"
REGION_STAFF = "region_staff"
FACILITATOR = "facilitator"
AUDITOR = "auditor"

ROLES = {
    MAKER: _("Maker"),
    RELAY_STAFF: _("Équipe d'un relais"),
    REGION_STAFF: _("Agent de la Région"),
    FACILITATOR: _("Facilitateur Ti Lab"),
    AUDITOR: _("Auditeur"),
}


def roles_of(user) -> set[str]:
    """The role names a user holds, read once per request and cached on the user object."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_tilab_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._tilab_roles = cached
    return cached
