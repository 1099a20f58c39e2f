"""The navigation of every page, and the to-do the home page and the dashboard show: they name
every app's pages, so they live in the composition root.
What the core adds to every page (roles, the second-factor prompt) is tilab/context_processors.py.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.todo import todo_of

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


def navigation(request):
    nav = navigation_for(request.user)
    for item in nav:
        item["current"] = item["url"] == request.path
    return {"nav_items": nav}


def todo(request):
    """Each role's to-do (accounts/todo.py), for the pages that show it (home, dashboard): lazy,
    so a page that does not show it makes none of its queries."""
    return {"todo": SimpleLazyObject(lambda: todo_of(request.user, now=timezone.now()))}
