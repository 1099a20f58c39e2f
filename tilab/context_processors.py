"""What every page needs to know about the platform and the person looking at it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import roles
from .permissions import has_totp


def navigation_for(user) -> list[dict]:
    """The main navigation: public entries first, then one entry per role the user holds."""
    held = roles.roles_of(user)
    items = [{"label": _("Accueil"), "url": reverse("home")}]
    if roles.MAKER in held:
        items.append({"label": _("Mon espace"), "url": reverse("makers:space")})
    if held & {roles.RELAY_STAFF, roles.AUDITOR}:
        items.append({"label": _("Validation"), "url": reverse("makers:validation_queue")})
    if held & {roles.REGION_STAFF, roles.RELAY_STAFF, roles.AUDITOR}:
        items.append({"label": _("Tableau de bord"), "url": reverse("makers:dashboard")})
    if roles.FACILITATOR in held:
        items.append({"label": _("Gérer les ateliers"), "url": reverse("workshops:manage")})
    items.append({"label": _("Ateliers"), "url": reverse("workshops:agenda")})
    items.append({"label": _("API"), "url": reverse("api-docs")})
    return items


def platform(request):
    user = request.user
    held = roles.roles_of(user)
    needs_totp = bool(
        settings.TILAB_MFA_REQUIRED_FOR_MONEY
        and held & {roles.REGION_STAFF, roles.RELAY_STAFF}
        and not has_totp(user)
    )
    current = request.path
    nav = navigation_for(user)
    for item in nav:
        item["current"] = item["url"] == current
    return {
        "nav_items": nav,
        "user_roles": [roles.ROLES[name] for name in roles.ROLES if name in held],
        "needs_totp": needs_totp,
        "demo_mode": settings.DEBUG,
        "mfa_required_for_money": settings.TILAB_MFA_REQUIRED_FOR_MONEY,
    }
