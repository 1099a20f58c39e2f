"""The navigation of every page, the site map, and the to-do the home page and the dashboard
show: they name every app's pages, so they live in the composition root.
What the core adds to every page (roles, the second-factor prompt) is tilab/context_processors.py.
"""

from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.todo import todo_of
from tilab.permissions import PUBLIC, SIGNED_IN, within_reach

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
# Open to everyone, signed in or not. The API's docs are for programmers: the footer links them.
PUBLIC_PAGES = [
    (_("Chiffres"), "figures:index"),
    (_("Ateliers"), "workshops:agenda"),
    (_("Annuaire"), "directory:list"),
    (_("Besoins"), "needs:board"),
]
# Beyond this many role pages, the public pages fold into one menu so that the navigation holds
# on one line of a desktop screen.
ROLE_PAGES_BEFORE_GROUPING = 2


def _home() -> list[dict]:
    return [{"label": _("Accueil"), "url": reverse("home")}]


def _role_items(user) -> list[dict]:
    return [
        {"label": label, "url": reverse(name)}
        for perm, label, name in ROLE_PAGES
        if user.has_perm(perm)
    ]


def _public_items() -> list[dict]:
    return [{"label": label, "url": reverse(name)} for label, name in PUBLIC_PAGES]


def navigation(request):
    """The header's navigation: `nav_items` in a row, and `nav_group`, a menu of the public
    pages when a role has too many pages of its own to keep them all in the row."""
    role_items = _role_items(request.user)
    items, group = _home() + role_items, None
    if len(role_items) > ROLE_PAGES_BEFORE_GROUPING:
        group = {"label": _("Découvrir"), "items": _public_items()}
    else:
        items += _public_items()
    for item in items + (group["items"] if group else []):
        item["current"] = item["url"] == request.path
    if group:
        group["current"] = any(item["current"] for item in group["items"])
    return {"nav_items": items, "nav_group": group}


# The site map (RGAA 12.1, a second way to find a page): each section's pages, shown to whoever
# may open them. A page's permission is the one its view declares (tilab.permissions
# .page_permission), so the map and the pages never disagree.
SITE_MAP = [
    (
        _("Découvrir le réseau"),
        [
            (_("Accueil"), "home"),
            (_("Chiffres de la production"), "figures:index"),
            (_("Données ouvertes"), "open_data:index"),
            (_("Ateliers de coopération"), "workshops:agenda"),
            (_("Synthèses des ateliers"), "workshops:synthesis_list"),
            (_("Annuaire"), "directory:list"),
            (_("Carte de l'annuaire"), "directory:map"),
            (_("Besoins"), "needs:board"),
            (_("Vérifier une attestation"), "network:attestation_check"),
        ],
    ),
    (
        _("Mon espace maker"),
        [
            (_("Mon espace"), "makers:space"),
            (_("Mon profil"), "makers:profile"),
            (_("Mes versements"), "subsidies:money_received"),
            (_("Mon attestation"), "network:maker_attestation"),
            (_("Mes promesses"), "needs:my_pledges"),
            (_("Mes ateliers"), "workshops:my_workshops"),
            (_("Mes données"), "accounts:personal_data"),
        ],
    ),
    (
        _("Travail des équipes"),
        [
            (_("File de validation"), "makers:validation_queue"),
            (_("Saisir pour un maker"), "makers:report_enter_for"),
            (_("Importer un tableur"), "makers:import_upload"),
            (_("Tableau de bord régional"), "figures:dashboard"),
            (_("Exports"), "exports:list"),
            (_("Subventions"), "subsidies:programme_list"),
            (_("Lots de virements"), "subsidies:payment_batch_list"),
            (_("Grand livre"), "audit:ledger"),
            (_("Journal des décisions"), "audit:decisions"),
            (_("Réseau des coopérations"), "network:graph"),
            (_("Gérer les ateliers"), "workshops:manage"),
            (_("Suivi des promesses du réseau"), "needs:follow_up"),
            (_("Webhooks"), "webhooks:endpoints"),
        ],
    ),
    (
        _("Mon compte"),
        [
            (_("Adresses e-mail"), "account_email"),
            (_("Mot de passe"), "account_change_password"),
            (_("Double authentification"), "mfa_index"),
            (_("Jetons d'accès à l'API"), "personal_tokens"),
            (_("Avis par e-mail"), "notice_preferences"),
        ],
    ),
    (
        _("À propos"),
        [
            (_("Accessibilité"), "accessibility"),
            (_("Mentions légales"), "legal_notice"),
            (_("Données personnelles"), "personal_data"),
            (_("Documentation de l'API"), "api-docs"),
        ],
    ),
]


# Pages whose view declares nothing: allauth's are the signed-in person's own account; the API
# docs are public (drf-spectacular's SERVE_PERMISSIONS).
UNDECLARED = {"api-docs": PUBLIC}


def _may_open(user, url: str) -> bool:
    match = resolve(url)
    permission = getattr(match.func, "permission", None) or UNDECLARED.get(
        match.view_name, SIGNED_IN
    )
    if permission == PUBLIC:
        return True
    return user.is_authenticated and within_reach(user, permission)


def site_map_for(user) -> list[dict]:
    """The site map's sections, each with the pages `user` may open; empty sections left out."""
    sections = []
    for title, pages in SITE_MAP:
        links = [{"label": label, "url": reverse(name)} for label, name in pages]
        links = [link for link in links if _may_open(user, link["url"])]
        if links:
            sections.append({"title": title, "links": links})
    return sections


def todo(request):
    """Each role's to-do (accounts/todo.py), for the pages that show it (home, dashboard): lazy,
    so a page that does not show it makes none of its queries."""
    return {"todo": SimpleLazyObject(lambda: todo_of(request.user, now=timezone.now()))}
