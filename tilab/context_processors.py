"""What every page needs to know about the platform and the person looking at it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import roles
from .permissions import must_activate_totp

# A role's pages appear in the navigation exactly when the user holds the permission that
# guards them (declared in each app's permissions.py), so the two never disagree.
ROLE_PAGES = [
    ("makers.access_maker_space", _("Mon espace"), "makers:space"),
    ("makers.access_validation_queue", _("Validation"), "makers:validation_queue"),
    ("figures.view_dashboard", _("Tableau de bord"), "figures:dashboard"),
    ("subsidies.view_programmes", _("Subventions"), "subsidies:programme_list"),
    ("network.view_graph", _("Réseau"), "network:graph"),
    ("workshops.manage_workshops", _("Gérer les ateliers"), "workshops:manage"),
]
# Open to everyone, signed in or not.
PUBLIC_PAGES = [
    (_("Chiffres"), "figures:index"),
    (_("Ateliers"), "workshops:agenda"),
    (_("Annuaire"), "directory:list"),
    (_("Besoins"), "needs:board"),
    (_("API"), "api-docs"),
]


def navigation_for(user) -> list[dict]:
    """Home first, then the pages the user's roles open, then the public entries."""
    items = [{"label": _("Accueil"), "url": reverse("home")}]
    items += [
        {"label": label, "url": reverse(name)}
        for perm, label, name in ROLE_PAGES
        if user.has_perm(perm)
    ]
    items += [{"label": label, "url": reverse(name)} for label, name in PUBLIC_PAGES]
    return items


def platform(request):
    user = request.user
    held = roles.roles_of(user)
    nav = navigation_for(user)
    for item in nav:
        item["current"] = item["url"] == request.path
    return {
        "nav_items": nav,
        "user_roles": [roles.ROLES[name] for name in roles.ROLES if name in held],
        "needs_totp": must_activate_totp.test(user),
        "demo_mode": settings.DEBUG,
        "mfa_required_for_money": settings.TILAB_MFA_REQUIRED_FOR_MONEY,
    }
