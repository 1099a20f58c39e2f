"""The authorisation matrix: for every page and every API operation, what each role gets on
objects of each ownership class, in one table, walked in one go.

Columns, in this order: anonymous, maker (Anne, 35), relay staff (Camille, LabFab de Rennes:
35 and 22), Région staff, facilitator (Benoît), auditor, and a logged-in user without a role.
The ownership classes and the objects behind them are described in `matrix_world`.

A cell is the expected status code, or:
  L  a redirect to the login page with `next` back to the page (anonymous on a protected page),
  A  a redirect to the admin's login page,
  R  a redirect with an error message: allowed to ask, refused for the state of things (a
     workshop already cancelled) or for a missing maker profile, never for want of a right;
and "302" means a redirect anywhere but a login page, with no error message: the allowed path.

Each request runs in a savepoint that is rolled back, so no case sees another's writes; the
cache (rate limits) is emptied before each. Every mismatch is collected, then reported at
once as a table. A 200 answering a POST must carry no form errors: success, not a form shown
again. A new page or API operation without a row fails `test_every_page_and_operation_has_a_row`
with its name.
"""

import datetime
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.core.cache import cache
from django.db import transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from tests.factories import make_user
from tests.security.matrix_world import (
    CALLERS,
    CANCELLED,
    CSV_IMPORT,
    DRAFT,
    FACIL,
    FORGED,
    HIDDEN,
    IBANS,
    NONE,
    OTHER,
    OWN,
    PUBLIC,
    RELAY,
    SAME,
    TOKEN,
    World,
    item,
)
from tests.subsidies.approval import confirm_body, confirm_form
from tilab.notices import notice_kinds_of

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"

# --- The table's rows ---------------------------------------------------------------------------

Data = Callable[[World, str], dict] | None


@dataclass(frozen=True)
class Page:
    """One page, one method, one ownership class: the status of each caller.

    `obj` names the kind of object in the URL (see the world); `data` builds the POST body
    from the world and the caller; `query` is appended to the URL.
    """

    name: str
    method: str
    ownership: str
    expected: str
    obj: str | None = None
    data: Data = None
    query: str = ""


@dataclass(frozen=True)
class Op:
    """One API operation (method and path as the OpenAPI schema names them)."""

    method: str
    path: str
    ownership: str
    expected: str
    obj: str | None = None
    data: Data = None
    multipart: bool = False


GET, POST, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"

# Frequent lines of the table.
EVERYONE = "200 200 200 200 200 200 200"
NOBODY_405 = "405 405 405 405 405 405 405"
LOGGED_IN = "L 200 200 200 200 200 200"
LOGGED_IN_405 = "L 405 405 405 405 405 405"
MAKER_ONLY = "L 200 403 403 403 403 403"
MAKER_ONLY_302 = "L 302 403 403 403 403 403"
MAKER_ONLY_404 = "L 404 403 403 403 403 403"
MAKER_ONLY_405 = "L 405 403 403 403 403 403"
RELAY_ONLY = "L 403 200 403 403 403 403"
RELAY_ONLY_302 = "L 403 302 403 403 403 403"
RELAY_ONLY_404 = "L 403 404 403 403 403 403"
RELAY_ONLY_405 = "L 403 405 403 403 403 403"
REGION_ONLY = "L 403 403 200 403 403 403"
REGION_ONLY_302 = "L 403 403 302 403 403 403"
REGION_ONLY_405 = "L 403 403 405 403 403 403"
FACIL_ONLY = "L 403 403 403 200 403 403"
FACIL_ONLY_302 = "L 403 403 403 302 403 403"
FACIL_ONLY_404 = "L 403 403 403 404 403 403"
FACIL_ONLY_405 = "L 403 403 403 405 403 403"
IMPORTERS = "L 403 200 200 200 403 403"  # relay staff, Région staff, facilitators
IMPORTERS_302 = "L 403 302 302 302 403 403"
IMPORTERS_404 = "L 403 404 404 404 403 403"
IMPORTERS_405 = "L 403 405 405 405 403 403"
STAFF_EXPORTS = "L 403 200 200 403 200 403"  # relay staff, Région staff, auditors
MONEY_READERS = "L 403 200 200 403 200 403"
WEBHOOK_PAGE = "L 403 200 200 403 403 403"  # relay staff, Région staff
WEBHOOK_PAGE_302 = "L 403 302 302 403 403 403"
WEBHOOK_PAGE_404 = "L 403 404 404 403 403 403"


def _visor(w, caller):
    return str(item().pk)


def notice_defaults(w, caller):
    """Every kind of notice the caller may choose, each left at its default."""
    user = w.users[caller]
    if user is None:
        return {}
    return {kind.code: kind.default for kind in notice_kinds_of(user) if not kind.security}


def report_form(w, caller, **changes):
    return {
        "item_type": _visor(w, caller),
        "quantity": "12",
        "produced_on": "2020-04-03",
        "material_cost_cents": "3,50",
        "recipient": "CHU Rennes",
        "organisation": "",
        **changes,
    }


def _today():
    return timezone.localdate().isoformat()


def _in_a_month():
    return (timezone.localdate() + datetime.timedelta(days=35)).isoformat()


def workshop_form(w, caller):
    from workshops.models import Theme

    return {
        "title": "Coopérer entre FabLabs",
        "description": "Ce que 2020 nous a appris.",
        "theme": str(Theme.objects.get(slug="cooperation").pk),
        "starts_on": _in_a_month(),
        "starts_time": "18:30",
        "duration_hours": "2",
        "duration_minutes": "0",
        "address": "2 rue de la Mabilais",
        "commune": "Rennes",
        "department": "35",
        "online_url": "",
        "capacity": "12",
        "deadline_on": "",
        "deadline_time": "",
        "visibility": "invitation",
    }


def programme_form(w, caller, **changes):
    from fablabs.models import Relay

    return {
        "name": "Soutien 2020, second volet",
        "envelope_cents": "10 000",
        "period_start_on": "2020-03-16",
        "period_end_on": "2020-05-31",
        "basis": "units",
        "relays": [str(pk) for pk in Relay.objects.values_list("pk", flat=True)],
        **changes,
    }


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def allocations_adjust_form(ownership):
    def data(w, caller):
        programme = w.get("programme_proposed", ownership, caller)
        body = {"motivation": "Répartition revue avec les relais"}
        for allocation in programme.allocations.all():
            body[f"amount_{allocation.pk}"] = _euros(allocation.amount_cents)
        return body

    return data


OWN_USE_EMPTY = {"own-TOTAL_FORMS": "0", "own-INITIAL_FORMS": "0", "own-MAX_NUM_FORMS": "5"}


def redistribution_adjust_form(ownership):
    def data(w, caller):
        redistribution = w.get("redistribution", ownership, caller)
        body = {**OWN_USE_EMPTY, "motivation": "Montants vérifiés"}
        for line in redistribution.lines.all():
            body[f"line_{line.pk}"] = _euros(line.amount_cents)
        return body

    return data


def confirm_page(kind, ownership):
    """The recap page's confirmation of `kind` (acknowledging its flags: the world's bank
    details were all set today)."""

    def data(w, caller):
        return confirm_form(w.get(kind, ownership, caller))

    return data


def confirm_api(kind, ownership):
    def data(w, caller):
        return confirm_body(w.get(kind, ownership, caller))

    return data


def amend_form(w, caller):
    return programme_form(w, caller, motivation="Production tardive déclarée")


KIND_CORRECTION = {"action": "kind", "kind-kind": "collective", "kind-motivation": "Sans lieu"}
MERGE_INTO_SAME = {
    "action": "merge",
    "merge-into": lambda w, caller: w.get("organisation", SAME, caller).slug,
    "merge-confirm": "on",
    "merge-motivation": "Doublon",
}


def need_form(w, caller):
    return {
        "establishment_name": "EHPAD de Kerampuil",
        "care_type": "ehpad",
        "commune": "Carhaix",
        "department": "29",
        "item_type": _visor(w, caller),
        "quantity": "40",
        "needed_by": _in_a_month(),
        "delivery_constraints": "",
        "contact_name": "Soizic Le Gall",
        "contact_email": "cadre@kerampuil.example.org",
    }


def pledge_prefixed(kind: str, ownership: str, fields: dict):
    def data(w, caller):
        pledge = w.get(kind, ownership, caller)
        return {
            f"p{pledge.pk}-{name}": value() if callable(value) else value
            for name, value in fields.items()
        }

    return data


def body(**fields):
    """A fixed body; callables among the values are called with (world, caller)."""

    def data(w, caller):
        return {k: v(w, caller) if callable(v) else v for k, v in fields.items()}

    return data


def pk_of(kind: str, ownership: str):
    return lambda w, caller: str(w.get(kind, ownership, caller).pk)


def row_refusal(ownership: str):
    """A queue row's own "Refuser" button: its reason field is named after the report."""

    def data(w, caller):
        pk = pk_of("report", ownership)(w, caller)
        return {"reject_one": pk, f"row_reason_{pk}": "Quantité à revoir"}

    return data


def _named(fileobj, name):
    fileobj.name = name
    return fileobj


def csv_upload(w, caller):
    return {"file": _named(io.BytesIO(CSV_IMPORT), "production.csv")}


def refuse_import(w, caller):
    return {"action": "refuse"}


# Pages ----------------------------------------------------------------------------------------
# Columns: anonymous, maker, relay staff, Région staff, facilitator, auditor, no role.

# fmt: off
PAGES = [
    # Core, public-sector pages, tokens
    Page("home", GET, NONE, EVERYONE),
    Page("home", POST, NONE, NOBODY_405),
    Page("healthz", GET, NONE, EVERYONE),
    Page("healthz", POST, NONE, NOBODY_405),
    Page("health", GET, NONE, EVERYONE),
    Page("health", POST, NONE, NOBODY_405),
    Page("accessibility", GET, NONE, EVERYONE),
    Page("accessibility", POST, NONE, NOBODY_405),
    Page("legal_notice", GET, NONE, EVERYONE),
    Page("legal_notice", POST, NONE, NOBODY_405),
    Page("personal_data", GET, NONE, EVERYONE),
    Page("personal_data", POST, NONE, NOBODY_405),
    Page("site_map", GET, NONE, EVERYONE),
    Page("site_map", POST, NONE, NOBODY_405),
    Page("session_extend", POST, NONE, "L 302 302 302 302 302 302"),
    Page("session_extend", GET, NONE, LOGGED_IN_405),
    Page("personal_tokens", GET, NONE, LOGGED_IN),
    Page("personal_tokens", POST, NONE, LOGGED_IN),
    Page("personal_tokens", PUT, NONE, LOGGED_IN_405),
    Page("notice_preferences", GET, NONE, LOGGED_IN),
    Page("notice_preferences", POST, NONE, "L 302 302 302 302 302 302", data=notice_defaults),
    Page("notice_preferences", PUT, NONE, LOGGED_IN_405),
    Page("set_language", POST, NONE, "302 302 302 302 302 302 302",
        data=body(language="en", next="/")),
    Page("v1:api-root", GET, NONE, EVERYONE),
    Page("v1:api-root", POST, NONE, NOBODY_405),
    # Any other path under the API: a 404 in JSON, whatever the method and the caller.
    Page("/api/v1/no-such-thing/", GET, NONE, "404 404 404 404 404 404 404"),
    Page("/api/v1/no-such-thing/", POST, NONE, "404 404 404 404 404 404 404"),
    Page("api-schema", GET, NONE, EVERYONE),
    Page("api-schema", POST, NONE, NOBODY_405),
    Page("api-docs", GET, NONE, EVERYONE),
    Page("api-docs", POST, NONE, NOBODY_405),
    # Accounts (allauth): what a signed-in person manages, and the ways in
    Page("account_login", GET, NONE, "200 302 302 302 302 302 302"),
    Page("account_signup", GET, NONE, "200 302 302 302 302 302 302"),
    Page("account_logout", GET, NONE, "302 200 200 200 200 200 200"),
    Page("account_logout", POST, NONE, "302 302 302 302 302 302 302"),
    Page("account_logout", PUT, NONE, NOBODY_405),
    Page("account_inactive", GET, NONE, EVERYONE),
    Page("account_reauthenticate", GET, NONE, LOGGED_IN),
    Page("account_request_reauthentication_code", GET, NONE, LOGGED_IN),
    Page("account_confirm_reauthentication_code", GET, NONE, "L 302 302 302 302 302 302"),
    Page("account_email", GET, NONE, LOGGED_IN),
    Page("account_email_verification_sent", GET, NONE, EVERYONE),
    Page("account_change_password", GET, NONE, LOGGED_IN),
    Page("account_set_password", GET, NONE, "L 302 302 302 302 302 302"),
    Page("account_reset_password", GET, NONE, EVERYONE),
    Page("account_reset_password_done", GET, NONE, EVERYONE),
    Page("account_reset_password_from_key_done", GET, NONE, EVERYONE),
    Page("account_confirm_login_code", GET, NONE, "L 302 302 302 302 302 302"),
    # Changing two-factor settings asks for a recent login first (force_login is none).
    Page("mfa_index", GET, NONE, LOGGED_IN),
    Page("mfa_authenticate", GET, NONE, "L 302 302 302 302 302 302"),
    Page("mfa_reauthenticate", GET, NONE, "L 302 302 302 302 302 302"),
    Page("mfa_activate_totp", GET, NONE, "L 302 302 302 302 302 302"),
    Page("mfa_deactivate_totp", GET, NONE, "L 404 404 404 404 404 404"),
    Page("mfa_view_recovery_codes", GET, NONE, "L 404 404 404 404 404 404"),
    Page("mfa_generate_recovery_codes", GET, NONE, "L 302 302 302 302 302 302"),
    Page("mfa_download_recovery_codes", GET, NONE, "L 404 404 404 404 404 404"),
    # Social accounts (allauth's pages; ProConnect is the only provider)
    Page("socialaccount_login_cancelled", GET, NONE, EVERYONE),
    Page("socialaccount_login_cancelled", POST, NONE, NOBODY_405),
    # allauth answers its authentication-error page with 401.
    Page("socialaccount_login_error", GET, NONE, "401 401 401 401 401 401 401"),
    Page("socialaccount_login_error", POST, NONE, NOBODY_405),
    Page("socialaccount_signup", GET, NONE, "L L L L L L L"),
    Page("socialaccount_connections", GET, NONE, LOGGED_IN),
    # ProConnect, off here (its settings unset): every page answers 404 or 405 to everyone.
    # On, against a local provider: tests/accounts/test_proconnect.py.
    Page("proconnect_login", POST, NONE, "404 404 404 404 404 404 404"),
    Page("proconnect_login", GET, NONE, NOBODY_405),
    Page("proconnect_callback", GET, NONE, "404 404 404 404 404 404 404"),
    Page("proconnect_callback", POST, NONE, NOBODY_405),
    Page("proconnect_logout", POST, NONE, "L 404 404 404 404 404 404"),
    Page("proconnect_logout", GET, NONE, LOGGED_IN_405),
    Page("proconnect_join", GET, NONE, "L 404 404 404 404 404 404"),
    Page("proconnect_join", POST, NONE, LOGGED_IN_405),
    # The maker's space
    Page("makers:space", GET, NONE, MAKER_ONLY),
    Page("makers:space", POST, NONE, MAKER_ONLY_302, data=report_form),
    Page("makers:space", PUT, NONE, MAKER_ONLY_405),
    Page("makers:profile", GET, NONE, MAKER_ONLY),
    Page("makers:profile", POST, NONE, MAKER_ONLY_302,
        data=body(display_name="Anne Le Goff", department="35", commune="Rennes")),
    Page("makers:profile", PUT, NONE, MAKER_ONLY_405),
    Page("makers:report_edit", GET, OWN, MAKER_ONLY, "report"),
    Page("makers:report_edit", GET, SAME, MAKER_ONLY_404, "report"),
    Page("makers:report_edit", GET, OTHER, MAKER_ONLY_404, "report"),
    Page("makers:report_edit", POST, OWN, MAKER_ONLY_302, "report", data=report_form),
    Page("makers:report_edit", POST, SAME, MAKER_ONLY_404, "report", data=report_form),
    Page("makers:report_edit", POST, OTHER, MAKER_ONLY_404, "report", data=report_form),
    Page("makers:report_edit", PUT, OWN, MAKER_ONLY_405, "report"),
    Page("makers:report_withdraw", POST, OWN, MAKER_ONLY_302, "report"),
    Page("makers:report_withdraw", POST, SAME, MAKER_ONLY_404, "report"),
    Page("makers:report_withdraw", POST, OTHER, MAKER_ONLY_404, "report"),
    Page("makers:report_withdraw", GET, OWN, MAKER_ONLY_405, "report"),
    # The validation queue (relay staff decide; Région staff decide the relays' own reports,
    # and are told who decides the others; auditors read)
    Page("makers:validation_queue", GET, NONE, "L 403 200 200 403 200 403"),
    Page("makers:validation_queue", POST, NONE, "L 403 405 405 403 405 403"),
    Page("makers:validation_decide", POST, OWN, "L 403 302 R 403 403 403",
        data=body(ids=pk_of("report", OWN), action="validate")),
    Page("makers:validation_decide", POST, SAME, "L 403 302 R 403 403 403",
        data=body(ids=pk_of("report", SAME), action="reject", reason="Quantité à revoir")),
    Page("makers:validation_decide", POST, OTHER, "L 403 404 R 403 403 403",
        data=body(ids=pk_of("report", OTHER), action="validate")),
    # A row's own "Refuser" button, with that row's reason
    Page("makers:validation_decide", POST, SAME, "L 403 302 R 403 403 403",
        data=row_refusal(SAME)),
    Page("makers:validation_decide", POST, OTHER, "L 403 404 R 403 403 403",
        data=row_refusal(OTHER)),
    Page("makers:validation_decide", GET, NONE, "L 403 405 405 403 403 403"),
    Page("makers:report_enter_for", GET, NONE, RELAY_ONLY),
    Page("makers:report_enter_for", POST, SAME, RELAY_ONLY_302,
        data=lambda w, c: report_form(w, c, maker=str(w.get("maker", SAME, c).pk))),
    Page("makers:report_enter_for", PUT, NONE, RELAY_ONLY_405),
    Page("makers:report_correct_for", GET, OWN, RELAY_ONLY, "report"),
    Page("makers:report_correct_for", GET, SAME, RELAY_ONLY, "report"),
    Page("makers:report_correct_for", GET, OTHER, RELAY_ONLY_404, "report"),
    Page("makers:report_correct_for", POST, SAME, RELAY_ONLY_302, "report", data=report_form),
    Page("makers:report_correct_for", POST, OTHER, RELAY_ONLY_404, "report", data=report_form),
    Page("makers:report_correct_for", PUT, SAME, RELAY_ONLY_405, "report"),
    # The refusal of a maker without an account: printed or e-mailed by their relay only.
    Page("makers:rejection_notice", GET, SAME, RELAY_ONLY, "rejection"),
    Page("makers:rejection_notice", GET, OTHER, RELAY_ONLY_404, "rejection"),
    Page("makers:rejection_notice", POST, SAME, RELAY_ONLY_302, "rejection",
        data=lambda w, c: {"email": "sans.compte@example.org", "language": "fr"}),
    Page("makers:rejection_notice", POST, OTHER, RELAY_ONLY_404, "rejection",
        data=lambda w, c: {"email": "sans.compte@example.org", "language": "fr"}),
    Page("makers:rejection_notice", PUT, SAME, RELAY_ONLY_405, "rejection"),
    # Relay staff, the Région and facilitators import (each line to its relay's queue).
    Page("makers:import_upload", GET, NONE, IMPORTERS),
    Page("makers:import_upload", POST, NONE, IMPORTERS_302, data=csv_upload),
    Page("makers:import_upload", PUT, NONE, IMPORTERS_405),
    Page("makers:import_preview", GET, OWN, IMPORTERS, "import"),
    Page("makers:import_preview", GET, OTHER, IMPORTERS_404, "import"),
    Page("makers:import_preview", POST, OWN, IMPORTERS_302, "import"),
    Page("makers:import_preview", POST, OTHER, IMPORTERS_404, "import"),
    Page("makers:import_preview", POST, OWN, IMPORTERS_302, "import", data=refuse_import),
    Page("makers:import_preview", POST, OTHER, IMPORTERS_404, "import", data=refuse_import),
    Page("makers:import_preview", PUT, OWN, IMPORTERS_405, "import"),
    # Item aliases: relay staff map a file's unknown item names from its preview; the network's
    # list is read by staff, added to by relay staff and facilitators, edited by facilitators.
    Page("makers:import_item_alias", POST, OWN, IMPORTERS_302, "import",
        data=body(text_0="Kit soignant", item_0="gown")),
    Page("makers:import_item_alias", POST, OTHER, IMPORTERS_404, "import",
        data=body(text_0="Kit soignant", item_0="gown")),
    Page("makers:import_item_alias", GET, OWN, IMPORTERS_405, "import"),
    Page("makers:item_aliases", GET, NONE, "L 403 200 200 200 200 403"),
    Page("makers:item_aliases", POST, NONE, "L 403 302 302 302 403 403",
        data=body(text="Kit soignant", item_type="gown")),
    Page("makers:item_aliases", PUT, NONE, "L 403 405 405 405 405 403"),
    Page("makers:item_alias_edit", GET, OWN, FACIL_ONLY, "item_alias"),
    Page("makers:item_alias_edit", POST, OWN, FACIL_ONLY_302, "item_alias",
        data=body(item_type="fabric-mask")),
    Page("makers:item_alias_edit", POST, OWN, FACIL_ONLY_302, "item_alias",
        data=body(action="delete")),
    Page("makers:item_alias_edit", PUT, OWN, FACIL_ONLY_405, "item_alias"),
    # Figures, dashboard, open data, staff exports
    Page("figures:index", GET, NONE, EVERYONE),
    Page("figures:index", POST, NONE, NOBODY_405),
    Page("figures:dashboard", GET, NONE, "L 403 200 200 403 200 403"),
    Page("figures:dashboard", POST, NONE, "L 403 405 405 403 405 403"),
    Page("open_data:index", GET, NONE, EVERYONE),
    Page("open_data:index", POST, NONE, NOBODY_405),
    Page("open_data:production_csv", GET, NONE, EVERYONE),
    Page("open_data:production_csv", POST, NONE, NOBODY_405),
    Page("open_data:production_schema", GET, NONE, EVERYONE),
    Page("open_data:production_schema", POST, NONE, NOBODY_405),
    Page("open_data:production_hxl", GET, NONE, EVERYONE),
    Page("open_data:production_hxl", POST, NONE, NOBODY_405),
    Page("open_data:production_xlsx", GET, NONE, EVERYONE),
    Page("open_data:production_xlsx", POST, NONE, NOBODY_405),
    Page("exports:list", GET, NONE, STAFF_EXPORTS),
    Page("exports:list", POST, NONE, "L 403 302 302 403 302 403", data=body(format="csv")),
    Page("exports:list", PUT, NONE, "L 403 405 405 403 405 403"),
    Page("exports:download", GET, OWN, STAFF_EXPORTS, "export"),
    Page("exports:download", GET, OTHER, "L 403 404 404 403 404 403", "export"),
    Page("exports:download", POST, OWN, "L 403 405 405 403 405 403", "export"),
    Page("exports:retry", POST, OWN, "L 403 302 302 403 302 403", "export_failed"),
    Page("exports:retry", POST, OTHER, "L 403 404 404 403 404 403", "export_failed"),
    Page("exports:retry", GET, OWN, "L 403 405 405 403 405 403", "export_failed"),
    # Workshops: the public side
    Page("workshops:agenda", GET, NONE, EVERYONE),
    Page("workshops:agenda", POST, NONE, NOBODY_405),
    Page("workshops:detail", GET, OWN, "404 200 404 404 200 404 404", "workshop"),
    Page("workshops:detail", GET, PUBLIC, EVERYONE, "workshop"),
    Page("workshops:detail", GET, OTHER, "404 404 404 404 404 404 404", "workshop"),
    Page("workshops:detail", GET, CANCELLED, EVERYONE, "workshop"),
    Page("workshops:detail", POST, PUBLIC, NOBODY_405, "workshop"),
    Page("workshops:invitation", GET, TOKEN, EVERYONE, "invitation"),
    Page("workshops:invitation", GET, FORGED, "404 404 404 404 404 404 404", "invitation"),
    Page("workshops:invitation", POST, TOKEN, NOBODY_405, "invitation"),
    Page("workshops:register", POST, PUBLIC, EVERYONE,
        "workshop", data=body(name="Invité du matrice", email="matrice@example.org")),
    Page("workshops:register", POST, OWN, "404 409 404 404 200 404 404", "workshop"),
    Page("workshops:register", POST, OTHER, "404 404 404 404 404 404 404", "workshop"),
    Page("workshops:register", POST, CANCELLED, "409 409 409 409 409 409 409",
        "workshop", data=body(name="Invité du matrice", email="matrice@example.org")),
    Page("workshops:register", GET, PUBLIC, NOBODY_405, "workshop"),
    Page("workshops:registration_manage", GET, TOKEN, EVERYONE, "registration_token"),
    Page("workshops:registration_manage", GET, FORGED, "400 400 400 400 400 400 400",
        "registration_token"),
    Page("workshops:registration_manage", POST, TOKEN, "302 302 302 302 302 302 302",
        "registration_token"),
    Page("workshops:registration_manage", PUT, TOKEN, NOBODY_405, "registration_token"),
    # A guest's link to confirm: the button, then the seat (confirming again changes nothing).
    Page("workshops:registration_confirm", GET, TOKEN, EVERYONE, "registration_confirm"),
    Page("workshops:registration_confirm", POST, TOKEN, EVERYONE, "registration_confirm"),
    Page("workshops:registration_confirm", GET, FORGED, "400 400 400 400 400 400 400",
        "registration_confirm"),
    Page("workshops:registration_confirm", PUT, TOKEN, NOBODY_405, "registration_confirm"),
    Page("workshops:ics", GET, OWN, "404 200 404 404 200 404 404", "workshop"),
    Page("workshops:ics", GET, PUBLIC, EVERYONE, "workshop"),
    Page("workshops:ics", GET, OTHER, "404 404 404 404 404 404 404", "workshop"),
    Page("workshops:ics", POST, PUBLIC, NOBODY_405, "workshop"),
    Page("workshops:feed", GET, NONE, EVERYONE),
    Page("workshops:feed", POST, NONE, NOBODY_405),
    Page("workshops:personal_feed", GET, TOKEN, EVERYONE, "calendar_feed"),
    Page("workshops:personal_feed", GET, FORGED, "404 404 404 404 404 404 404", "calendar_feed" ),
    Page("workshops:personal_feed", POST, TOKEN, NOBODY_405, "calendar_feed"),
    Page("workshops:my_workshops", GET, NONE, LOGGED_IN),
    Page("workshops:my_workshops", POST, NONE, "L 302 302 302 302 302 302", data=body(renew="1")),
    Page("workshops:my_workshops", POST, OWN, "L 302 404 404 404 404 404",
        data=body(cancel=pk_of("registration", OWN))),
    Page("workshops:my_workshops", POST, SAME, "L 404 404 404 404 404 404",
        data=body(cancel=pk_of("registration", SAME))),
    Page("workshops:my_workshops", PUT, NONE, LOGGED_IN_405),
    Page("workshops:synthesis_list", GET, NONE, EVERYONE),
    Page("workshops:synthesis_list", POST, NONE, NOBODY_405),
    Page("workshops:synthesis_detail", GET, PUBLIC, EVERYONE, "synthesis"),
    Page("workshops:synthesis_detail", GET, DRAFT, "404 404 404 404 404 404 404", "synthesis"),
    Page("workshops:synthesis_detail", POST, PUBLIC, NOBODY_405, "synthesis"),
    # Workshops: the facilitators' pages (another facilitator's workshop answers 404)
    Page("workshops:manage", GET, NONE, FACIL_ONLY),
    Page("workshops:manage", POST, NONE, FACIL_ONLY_405),
    Page("workshops:create", GET, NONE, FACIL_ONLY),
    Page("workshops:create", POST, NONE, FACIL_ONLY_302, data=workshop_form),
    Page("workshops:create", PUT, NONE, FACIL_ONLY_405),
    # Webhooks: Région staff and relay staff, each their own (another relay's answers 404). A
    # new endpoint or a rotated secret is shown in the answer (200), never in a redirect.
    Page("webhooks:endpoints", GET, NONE, WEBHOOK_PAGE),
    Page("webhooks:endpoints", POST, NONE, WEBHOOK_PAGE,
        data=body(create="1", url="http://localhost:9000/hook", events="need.posted")),
    Page("webhooks:endpoints", POST, OWN, WEBHOOK_PAGE,
        data=body(rotate=pk_of("webhook", OWN))),
    Page("webhooks:endpoints", POST, OTHER, WEBHOOK_PAGE_404,
        data=body(rotate=pk_of("webhook", OTHER))),
    Page("webhooks:endpoints", POST, OWN, WEBHOOK_PAGE_302,
        data=body(toggle=pk_of("webhook", OWN))),
    Page("webhooks:endpoints", POST, OTHER, WEBHOOK_PAGE_404,
        data=body(toggle=pk_of("webhook", OTHER))),
    Page("webhooks:endpoints", POST, OWN, WEBHOOK_PAGE_302,
        data=body(delete=pk_of("webhook", OWN))),
    Page("webhooks:endpoints", POST, OTHER, WEBHOOK_PAGE_404,
        data=body(delete=pk_of("webhook", OTHER))),
    Page("webhooks:endpoints", POST, OWN, WEBHOOK_PAGE_302,
        data=body(replay=pk_of("webhook_delivery", OWN))),
    Page("webhooks:endpoints", POST, OTHER, WEBHOOK_PAGE_404,
        data=body(replay=pk_of("webhook_delivery", OTHER))),
    Page("webhooks:endpoints", PUT, NONE, "L 403 405 405 403 403 403"),
]
# fmt: on

# The management pages of one workshop share their lines.
_held = {"workshops:checkin": "workshop_held", "workshops:synthesis_edit": "workshop_held"}
for _name, _post in [
    ("workshops:manage_detail", None),
    ("workshops:edit", workshop_form),
    ("workshops:duplicate", body(starts_on=lambda w, c: _in_a_month(), starts_time="18:30")),
    ("workshops:cancel", body(reason="Salle indisponible")),
    ("workshops:attendees_csv", None),
    (
        "workshops:checkin",
        body(present=pk_of("registration_held", OWN), shown=pk_of("registration_held", OWN)),
    ),
    ("workshops:message", body(subject="Rappel", body="À demain !")),
    ("workshops:synthesis_edit", body(body="# Synthèse", action="save")),
]:
    PAGES += [
        Page(_name, GET, OWN, FACIL_ONLY, obj="workshop"),
        Page(_name, GET, PUBLIC, FACIL_ONLY_404, obj="workshop"),
        Page(_name, GET, OTHER, FACIL_ONLY_404, obj="workshop"),
    ]
    if _post is None:
        PAGES.append(Page(_name, POST, OWN, FACIL_ONLY_405, obj="workshop"))
    else:
        PAGES += [
            # Check-in and the synthesis open once the workshop is held.
            Page(_name, POST, OWN, FACIL_ONLY_302, obj=_held.get(_name, "workshop"), data=_post),
            Page(_name, POST, PUBLIC, FACIL_ONLY_404, obj="workshop", data=_post),
            Page(_name, PUT, OWN, FACIL_ONLY_405, obj="workshop"),
        ]
# fmt: off
PAGES += [
    # A cancelled workshop is still shown to its facilitator; changing it leads back.
    Page("workshops:edit", GET, CANCELLED, "L 403 403 403 R 403 403", "workshop"),
    Page("workshops:cancel", POST, CANCELLED, "L 403 403 403 R 403 403", "workshop"),
    # Subsidies: programmes and allocations
    Page("subsidies:programme_list", GET, NONE, MONEY_READERS),
    Page("subsidies:programme_list", POST, NONE, "L 403 405 405 403 405 403"),
    Page("subsidies:programme_create", GET, NONE, REGION_ONLY),
    Page("subsidies:programme_create", POST, NONE, REGION_ONLY_302, data=programme_form),
    Page("subsidies:programme_create", PUT, NONE, REGION_ONLY_405),
    Page("subsidies:programme_detail", GET, OWN, MONEY_READERS, "programme"),
    Page("subsidies:programme_detail", GET, OTHER, "L 403 404 200 403 200 403", "programme"),
    Page("subsidies:programme_detail", POST, OWN, "L 403 405 405 403 405 403", "programme"),
    Page("subsidies:allocations_adjust", POST, OWN, REGION_ONLY_302,
        "programme_proposed", data=allocations_adjust_form(OWN)),
    Page("subsidies:allocations_adjust", POST, OTHER, REGION_ONLY_302,
        "programme_proposed", data=allocations_adjust_form(OTHER)),
    Page("subsidies:allocations_adjust", GET, OWN, REGION_ONLY_405, "programme_proposed"),
    Page("subsidies:programme_amend", GET, OWN, REGION_ONLY, "programme"),
    Page("subsidies:programme_amend", POST, OWN, REGION_ONLY_302, "programme", data=amend_form),
    Page("subsidies:programme_amend", PUT, OWN, REGION_ONLY_405, "programme"),
    # The recap (GET), then the confirmation of what it showed (POST).
    Page("subsidies:allocation_approve", GET, OWN, REGION_ONLY, "allocation_proposed"),
    Page("subsidies:allocation_approve", GET, OTHER, REGION_ONLY, "allocation_proposed"),
    Page("subsidies:allocation_approve", POST, OWN, REGION_ONLY_302, "allocation_proposed",
        data=confirm_page("allocation_proposed", OWN)),
    Page("subsidies:allocation_approve", POST, OTHER, REGION_ONLY_302, "allocation_proposed",
        data=confirm_page("allocation_proposed", OTHER)),
    Page("subsidies:allocation_approve", PUT, OWN, REGION_ONLY_405, "allocation_proposed"),
    Page("subsidies:allocations_recompute", POST, OWN, REGION_ONLY_302, "allocation_proposed"),
    Page("subsidies:allocations_recompute", POST, OTHER, REGION_ONLY_302, "allocation_proposed"),
    Page("subsidies:allocations_recompute", GET, OWN, REGION_ONLY_405, "allocation_proposed"),
    # The auditor's view: auditors and Région staff read the ledger and the decisions.
    Page("audit:ledger", GET, NONE, "L 403 403 200 403 200 403"),
    Page("audit:ledger", POST, NONE, "L 403 403 405 403 405 403"),
    Page("audit:ledger_check", GET, NONE, "L 403 403 200 403 200 403"),
    Page("audit:ledger_check", POST, NONE, "L 403 403 405 403 405 403"),
    Page("audit:decisions", GET, NONE, "L 403 403 200 403 200 403"),
    Page("audit:decisions", POST, NONE, "L 403 403 405 403 405 403"),
    # Subsidies: redistributions (the relay's own; Région staff and auditors read them). A maker,
    # a facilitator or someone without a role find none: 404, as the existing tests say.
    Page("subsidies:redistribution_propose", GET, OWN, "L 404 200 403 404 403 404", "allocation" ),
    Page("subsidies:redistribution_propose", GET, OTHER, "L 404 404 403 404 403 404", "allocation"),
    Page("subsidies:redistribution_propose", POST, OWN, "L 404 302 403 404 403 404",
        "allocation", data=body(**OWN_USE_EMPTY)),
    Page("subsidies:redistribution_propose", POST, OTHER, "L 404 404 403 404 403 404",
        "allocation", data=body(**OWN_USE_EMPTY)),
    Page("subsidies:redistribution_propose", PUT, OWN, LOGGED_IN_405, "allocation"),
    Page("subsidies:redistribution_detail", GET, OWN, "L 404 200 200 404 200 404",
        "redistribution"),
    Page("subsidies:redistribution_detail", GET, OTHER, "L 404 404 200 404 200 404",
        "redistribution"),
    Page("subsidies:redistribution_detail", POST, OWN, LOGGED_IN_405, "redistribution"),
    Page("subsidies:redistribution_adjust", POST, OWN, "L 404 302 403 404 403 404",
        "redistribution", data=redistribution_adjust_form(OWN)),
    Page("subsidies:redistribution_adjust", POST, OTHER, "L 404 404 403 404 403 404",
        "redistribution", data=redistribution_adjust_form(OTHER)),
    Page("subsidies:redistribution_adjust", GET, OWN, LOGGED_IN_405, "redistribution"),
    Page("subsidies:redistribution_approve", GET, OWN, "L 404 200 403 404 403 404",
        "redistribution"),
    Page("subsidies:redistribution_approve", GET, OTHER, "L 404 404 403 404 403 404",
        "redistribution"),
    Page("subsidies:redistribution_approve", POST, OWN, "L 404 302 403 404 403 404",
        "redistribution", data=confirm_page("redistribution", OWN)),
    Page("subsidies:redistribution_approve", POST, OTHER, "L 404 404 403 404 403 404",
        "redistribution", data=confirm_page("redistribution", OTHER)),
    Page("subsidies:redistribution_approve", PUT, OWN, LOGGED_IN_405, "redistribution"),
    Page("subsidies:redistribution_recompute", POST, OWN, "L 404 302 403 404 403 404",
        "redistribution"),
    Page("subsidies:redistribution_recompute", POST, OTHER, "L 404 404 403 404 403 404",
        "redistribution"),
    Page("subsidies:redistribution_recompute", GET, OWN, LOGGED_IN_405, "redistribution"),
    # Payment batches: the relay's staff make and settle them; Région staff and auditors read
    # them (403 on acts); the file holds bank details: the paying relay's staff only.
    Page("subsidies:payment_batch_create", GET, OWN, "L 404 200 403 404 403 404",
        "redistribution_approved"),
    Page("subsidies:payment_batch_create", GET, OTHER, "L 404 404 403 404 403 404",
        "redistribution_approved"),
    Page("subsidies:payment_batch_create", POST, OWN, "L 404 302 403 404 403 404",
        "redistribution_approved", data=body(format="csv")),
    Page("subsidies:payment_batch_create", POST, OTHER, "L 404 404 403 404 403 404",
        "redistribution_approved", data=body(format="csv")),
    Page("subsidies:payment_batch_create", PUT, OWN, LOGGED_IN_405, "redistribution_approved"),
    Page("subsidies:own_use_settle", POST, OWN, "L 404 R 403 404 403 404",
        "redistribution_approved"),
    Page("subsidies:own_use_settle", POST, OTHER, "L 404 404 403 404 403 404",
        "redistribution_approved"),
    Page("subsidies:own_use_settle", GET, OWN, LOGGED_IN_405, "redistribution_approved"),
    Page("subsidies:payment_batch_list", GET, NONE, "L 404 200 200 404 200 404"),
    Page("subsidies:payment_batch_list", POST, NONE, LOGGED_IN_405),
    Page("subsidies:payment_batch_detail", GET, OWN, "L 404 200 200 404 200 404", "batch"),
    Page("subsidies:payment_batch_detail", GET, OTHER, "L 404 404 200 404 200 404", "batch"),
    Page("subsidies:payment_batch_detail", POST, OWN, LOGGED_IN_405, "batch"),
    Page("subsidies:payment_batch_file", GET, OWN, "L 404 200 404 404 404 404", "batch"),
    Page("subsidies:payment_batch_file", GET, OTHER, "L 404 404 404 404 404 404", "batch"),
    Page("subsidies:payment_batch_file", POST, OWN, LOGGED_IN_405, "batch"),
    Page("subsidies:payment_batch_record", GET, OWN, "L 404 200 403 404 403 404", "batch"),
    Page("subsidies:payment_batch_record", GET, OTHER, "L 404 404 403 404 403 404", "batch"),
    Page("subsidies:payment_batch_record", POST, OWN, "L 404 302 403 404 403 404", "batch",
        data=lambda w, c: {"paid_on": _today(), "reference": "VIR-1"}),
    Page("subsidies:payment_batch_record", POST, OTHER, "L 404 404 403 404 403 404", "batch",
        data=lambda w, c: {"paid_on": _today(), "reference": "VIR-1"}),
    Page("subsidies:payment_batch_record", PUT, OWN, LOGGED_IN_405, "batch"),
    Page("subsidies:payment_batch_cancel", GET, OWN, "L 404 200 403 404 403 404", "batch"),
    Page("subsidies:payment_batch_cancel", GET, OTHER, "L 404 404 403 404 403 404", "batch"),
    Page("subsidies:payment_batch_cancel", POST, OWN, "L 404 302 403 404 403 404", "batch",
        data=body(reason="Fichier jamais envoyé")),
    Page("subsidies:payment_batch_cancel", POST, OTHER, "L 404 404 403 404 403 404", "batch",
        data=body(reason="Fichier jamais envoyé")),
    Page("subsidies:payment_batch_cancel", PUT, OWN, LOGGED_IN_405, "batch"),
    # A bank change is confirmed by a second person: not its author (Bernard, R), not an
    # auditor (R); those who cannot see it get 404.
    Page("subsidies:bank_change_confirm", POST, OWN, "L 404 302 302 404 R 404", "bank_change"),
    Page("subsidies:bank_change_confirm", POST, OTHER, "L 404 404 302 404 R 404",
        "bank_change"),
    Page("subsidies:bank_change_confirm", GET, OWN, LOGGED_IN_405, "bank_change"),
    # Bank details: the payee and the relay paying them; anybody else 404, Région included.
    Page("subsidies:bank_account_edit", GET, OWN, "L 200 200 404 404 404 404", "bank_maker"),
    Page("subsidies:bank_account_edit", GET, SAME, "L 404 200 404 404 404 404", "bank_maker"),
    Page("subsidies:bank_account_edit", GET, OTHER, "L 404 404 404 404 404 404", "bank_maker"),
    Page("subsidies:bank_account_edit", GET, OWN, "L 200 200 404 404 404 404", "bank_organisation"),
    Page("subsidies:bank_account_edit", GET, SAME, "L 404 200 404 404 404 404",
        "bank_organisation"),
    Page("subsidies:bank_account_edit", GET, OTHER, "L 404 404 404 404 404 404",
        "bank_organisation"),
    Page("subsidies:bank_account_edit", POST, OWN, "L 302 302 404 404 404 404",
        "bank_maker", data=body(holder="Anne Le Goff", iban=IBANS["anne"], bic="")),
    Page("subsidies:bank_account_edit", POST, OTHER, "L 404 404 404 404 404 404",
        "bank_maker", data=body(holder="Yann Kerouac", iban=IBANS["anne"], bic="")),
    Page("subsidies:bank_account_edit", PUT, OWN, LOGGED_IN_405, "bank_maker"),
    Page("subsidies:money_received", GET, NONE, LOGGED_IN),
    Page("subsidies:money_received", POST, NONE, LOGGED_IN_405),
    # The directory
    Page("directory:list", GET, NONE, EVERYONE),
    Page("directory:list", POST, NONE, NOBODY_405),
    Page("directory:map", GET, NONE, EVERYONE),
    Page("directory:map", POST, NONE, NOBODY_405),
    Page("directory:organisation", GET, OWN, EVERYONE, "organisation"),
    Page("directory:organisation", GET, SAME, EVERYONE, "organisation"),
    Page("directory:organisation", GET, OTHER, EVERYONE, "organisation"),
    Page("directory:organisation", GET, HIDDEN, "404 404 404 404 200 404 404", "organisation"),
    Page("directory:organisation", POST, OWN, NOBODY_405, "organisation"),
    # Joining needs a maker profile: the others are sent to make one.
    Page("directory:join", POST, SAME, "L 302 R R R R R", "organisation"),
    Page("directory:join", POST, HIDDEN, "L 404 404 404 R 404 404", "organisation"),
    Page("directory:join", GET, SAME, LOGGED_IN_405, "organisation"),
    # Managers and facilitators only; anybody else finds nothing (404), as the tests say.
    Page("directory:requests", GET, OWN, "L 200 404 404 200 404 404", "organisation"),
    Page("directory:requests", GET, SAME, "L 404 404 404 200 404 404", "organisation"),
    Page("directory:requests", POST, OWN, "L 302 404 404 302 404 404",
        "organisation", data=body(request=pk_of("join_request", OWN), decision="accept")),
    Page("directory:requests", POST, SAME, "L 404 404 404 302 404 404",
        "organisation", data=body(request=pk_of("join_request", SAME), decision="refuse")),
    Page("directory:requests", PUT, OWN, LOGGED_IN_405, "organisation"),
    Page("directory:organisation_edit", GET, OWN, "L 200 404 404 200 404 404", "organisation"),
    Page("directory:organisation_edit", GET, SAME, "L 404 404 404 200 404 404", "organisation"),
    Page("directory:organisation_edit", POST, OWN, "L 302 404 404 302 404 404",
        "organisation",
        data=body(description="Un fablab de quartier", commune="Rennes", is_public="on")),
    Page("directory:organisation_edit", PUT, OWN, LOGGED_IN_405, "organisation"),
    # Facilitators curate; Région staff only merge (the merges across territories are theirs).
    Page("directory:curate", GET, OWN, "L 404 404 200 200 404 404", "organisation"),
    Page("directory:curate", GET, SAME, "L 404 404 200 200 404 404", "organisation"),
    Page("directory:curate", POST, OWN, "L 404 404 403 302 404 404",
        "organisation", data=body(**KIND_CORRECTION)),
    Page("directory:curate", POST, OWN, "L 404 404 302 302 404 404",
        "organisation", data=body(**MERGE_INTO_SAME)),
    Page("directory:curate", PUT, OWN, LOGGED_IN_405, "organisation"),
    Page("directory:maker", GET, OWN, "404 200 404 404 404 404 404", "maker"),
    Page("directory:maker", GET, SAME, "404 404 404 404 404 404 404", "maker"),
    Page("directory:maker", GET, OTHER, "404 404 404 404 404 404 404", "maker"),
    Page("directory:maker", GET, PUBLIC, EVERYONE, "maker"),
    Page("directory:maker", POST, PUBLIC, NOBODY_405, "maker"),
    # Needs: the board and the establishment's signed links (no account)
    Page("needs:board", GET, NONE, EVERYONE),
    Page("needs:board", POST, NONE, NOBODY_405),
    Page("needs:post", GET, NONE, EVERYONE),
    Page("needs:post", POST, NONE, EVERYONE, data=need_form),
    Page("needs:post", PUT, NONE, NOBODY_405),
    Page("needs:detail", GET, PUBLIC, EVERYONE, "need"),
    Page("needs:detail", GET, HIDDEN, "404 404 404 404 404 404 404", "need"),
    Page("needs:detail", POST, PUBLIC, NOBODY_405, "need"),
    Page("needs:confirm", GET, TOKEN, EVERYONE, "need_confirm"),
    Page("needs:confirm", POST, TOKEN, EVERYONE, "need_confirm"),
    Page("needs:confirm", GET, FORGED, "400 400 400 400 400 400 400", "need_confirm"),
    Page("needs:confirm", PUT, TOKEN, NOBODY_405, "need_confirm"),
    Page("needs:manage", GET, TOKEN, EVERYONE, "need_manage"),
    Page("needs:manage", POST, TOKEN, "302 302 302 302 302 302 302",
        "need_manage", data=body(pledge=pk_of("pledge", OWN), body="Merci, nous vous attendons.")),
    Page("needs:manage", GET, FORGED, "400 400 400 400 400 400 400", "need_manage"),
    Page("needs:manage", PUT, TOKEN, NOBODY_405, "need_manage"),
    Page("needs:delivery_confirm", GET, TOKEN, EVERYONE, "delivery_confirm"),
    Page("needs:delivery_confirm", POST, TOKEN, "302 302 302 302 302 302 302",
        "delivery_confirm", data=body(received="5")),
    Page("needs:delivery_confirm", GET, FORGED, "400 400 400 400 400 400 400", "delivery_confirm" ),
    Page("needs:delivery_confirm", PUT, TOKEN, NOBODY_405, "delivery_confirm"),
    # A contact asks for their needs' links again: the same answer whoever asks.
    Page("needs:links_resend", GET, PUBLIC, EVERYONE),
    Page("needs:links_resend", POST, PUBLIC, EVERYONE, data=body(email="contact@example.org")),
    Page("needs:links_resend", PUT, PUBLIC, NOBODY_405),
    # Needs: makers' pledges (one's own only), the network's follow-up and moderation
    Page("needs:pledge", GET, PUBLIC, MAKER_ONLY, "need_fresh"),
    Page("needs:pledge", GET, HIDDEN, MAKER_ONLY_404, "need"),
    Page("needs:pledge", POST, PUBLIC, MAKER_ONLY_302,
        "need_fresh", data=body(producer="maker", quantity="5", message="")),
    Page("needs:pledge", PUT, PUBLIC, MAKER_ONLY_405, "need_fresh"),
    Page("needs:my_pledges", GET, NONE, MAKER_ONLY),
    Page("needs:my_pledges", POST, NONE, MAKER_ONLY_405),
    Page("needs:pledge_withdraw", POST, OWN, MAKER_ONLY_302, "pledge_free"),
    Page("needs:pledge_withdraw", POST, SAME, MAKER_ONLY_404, "pledge_free"),
    Page("needs:pledge_withdraw", GET, OWN, MAKER_ONLY_405, "pledge_free"),
    Page("needs:delivery_record", POST, OWN, MAKER_ONLY_302,
        "pledge", data=pledge_prefixed("pledge", OWN, {"quantity": "1", "delivered_on": _today})),
    Page("needs:delivery_record", POST, SAME, MAKER_ONLY_404,
        "pledge", data=pledge_prefixed("pledge", SAME, {"quantity": "1", "delivered_on": _today})),
    Page("needs:delivery_record", GET, OWN, MAKER_ONLY_405, "pledge"),
    Page("needs:message", POST, OWN, MAKER_ONLY_302,
        "pledge", data=pledge_prefixed("pledge", OWN, {"body": "Je livre jeudi."})),
    Page("needs:message", POST, SAME, MAKER_ONLY_404,
        "pledge", data=pledge_prefixed("pledge", SAME, {"body": "Je livre jeudi."})),
    Page("needs:message", GET, OWN, MAKER_ONLY_405, "pledge"),
    Page("needs:follow_up", GET, NONE, "L 403 200 403 200 403 403"),
    Page("needs:follow_up", POST, NONE, "L 403 405 403 405 403 403"),
    Page("needs:remove", POST, SAME, "L 403 302 403 302 403 403",
        "need", data=body(reason="Doublon")),
    Page("needs:remove", POST, OTHER, "L 403 404 403 302 403 403",
        "need", data=body(reason="Doublon")),
    Page("needs:remove", GET, SAME, "L 403 405 403 405 403 403", "need"),
    Page("needs:check", POST, SAME, "L 403 302 403 302 403 403",
        "need", data=body(note="Appel à l'accueil")),
    Page("needs:check", POST, OTHER, "L 403 404 403 302 403 403",
        "need", data=body(note="Appel à l'accueil")),
    Page("needs:check", GET, SAME, "L 403 405 403 405 403 403", "need"),
    Page("needs:contact_change", POST, SAME, "L 403 302 403 302 403 403",
        "need", data=body(email="accueil@ehpad.example.org")),
    Page("needs:contact_change", POST, OTHER, "L 403 404 403 302 403 403",
        "need", data=body(email="accueil@ehpad.example.org")),
    Page("needs:contact_change", GET, SAME, "L 403 405 403 405 403 403", "need"),
    # Recognition (namespace "network"): the graph, attestations; accounts: personal data
    Page("network:graph", GET, NONE, "L 403 403 200 200 200 403"),
    Page("network:graph", POST, NONE, "L 403 403 405 405 405 403"),
    Page("network:attestation_check", GET, NONE, EVERYONE),
    Page("network:attestation_check", GET, OWN, EVERYONE, query="code={attestation}"),
    Page("network:attestation_check", POST, NONE, NOBODY_405),
    Page("network:maker_attestation", GET, NONE, MAKER_ONLY),
    Page("network:maker_attestation", POST, NONE, MAKER_ONLY),
    Page("network:maker_attestation", PUT, NONE, MAKER_ONLY_405),
    Page("network:organisation_attestation", GET, OWN, "L 200 404 404 404 404 404", "organisation"),
    Page("network:organisation_attestation", GET, SAME, "L 404 404 404 404 404 404",
        "organisation"),
    Page("network:organisation_attestation", GET, OTHER, "L 404 404 404 404 404 404",
        "organisation"),
    Page("network:organisation_attestation", POST, OWN, "L 200 404 404 404 404 404",
        "organisation"),
    Page("network:organisation_attestation", POST, SAME, "L 404 404 404 404 404 404",
        "organisation"),
    Page("network:organisation_attestation", PUT, OWN, LOGGED_IN_405, "organisation"),
    Page("accounts:personal_data", GET, NONE, LOGGED_IN),
    Page("accounts:personal_data", POST, NONE, LOGGED_IN_405),
    Page("accounts:personal_data_json", GET, NONE, LOGGED_IN),
    Page("accounts:personal_data_json", POST, NONE, LOGGED_IN_405),
    Page("accounts:personal_data_csv", GET, NONE, LOGGED_IN),
    Page("accounts:personal_data_csv", POST, NONE, LOGGED_IN_405),
    Page("accounts:account_delete", GET, NONE, LOGGED_IN),
    Page("accounts:account_delete", POST, NONE, LOGGED_IN,
        data=lambda w, c: {"password": w.password}),
    Page("accounts:account_delete", PUT, NONE, LOGGED_IN_405),
]
# fmt: on

# URL names with no row, and why.
PAGE_EXCLUSIONS = {
    "account_confirm_email": "needs the key of a confirmation e-mail (allauth's own tests)",
    "account_reset_password_from_key": "needs the key of a reset e-mail (allauth's own tests)",
    "v1:api-root (format suffix)": "the API root again, with a format suffix",
}
# Pages with no 405 row, and why.
NO_405 = {
    "set_language": "Django's language switch answers every method (GET redirects)",
    "account_confirm_email": "excluded above",
    "account_reset_password_from_key": "excluded above",
    **{
        name: "allauth's form views take PUT as POST: the library's behaviour, not ours"
        for name in (
            "account_login",
            "account_signup",
            "account_inactive",
            "account_reauthenticate",
            "account_request_reauthentication_code",
            "account_confirm_reauthentication_code",
            "account_email",
            "account_email_verification_sent",
            "account_change_password",
            "account_set_password",
            "account_reset_password",
            "account_reset_password_done",
            "account_reset_password_from_key_done",
            "account_confirm_login_code",
            "mfa_index",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "socialaccount_signup",
            "socialaccount_connections",
        )
    },
}


# API ------------------------------------------------------------------------------------------
# Columns as above; anonymous callers carry no token, the others their personal token.

V1 = "/api/v1"
API_EVERYONE = EVERYONE
API_LOGGED_IN = "401 200 200 200 200 200 200"
API_LOGGED_IN_405 = "401 405 405 405 405 405 405"
WEBHOOK_MANAGERS = "401 403 200 200 403 403 403"  # relay staff, Région staff
WEBHOOK_MANAGERS_404 = "401 403 404 404 403 403 403"
WEBHOOK_MANAGERS_405 = "401 403 405 405 403 403 403"


def report_body(w, caller, **changes):
    data = {
        "item_type": "visor",
        "quantity": 12,
        "produced_on": "2020-04-04",
        "material_cost_cents": 350,
        "recipient": "CHU Rennes",
        **changes,
    }
    if caller == RELAY:
        data["maker"] = w.get("maker", SAME, caller).pk
    return data


def workshop_body(w, caller):
    starts = timezone.now() + datetime.timedelta(days=35)
    return {
        "title": "Coopérer entre FabLabs",
        "theme": "cooperation",
        "starts_at": starts.isoformat(),
        "duration_minutes": 120,
        "capacity": 12,
        "commune": "Rennes",
        "department": "35",
        "is_public": False,
    }


def programme_body(w, caller, **changes):
    from fablabs.models import Relay

    return {
        "name": "Soutien 2020, second volet",
        "envelope_cents": 1_000_000,
        "period_start_on": "2020-03-16",
        "period_end_on": "2020-05-31",
        "basis": "units",
        "relays": list(Relay.objects.values_list("pk", flat=True)),
        **changes,
    }


def api_allocations_adjust(ownership):
    def data(w, caller):
        programme = w.get("programme_proposed", ownership, caller)
        return {
            "motivation": "Répartition revue",
            "amounts": [
                {"allocation": a.pk, "amount_cents": a.amount_cents}
                for a in programme.allocations.all()
            ],
        }

    return data


def api_redistribution_adjust(ownership):
    def data(w, caller):
        redistribution = w.get("redistribution", ownership, caller)
        return {
            "motivation": "Montants vérifiés",
            "amounts": [
                {"line": line.pk, "amount_cents": line.amount_cents}
                for line in redistribution.lines.all()
            ],
        }

    return data


def api_need(w, caller):
    return {
        "establishment_name": "EHPAD de Kerampuil",
        "care_type": "ehpad",
        "department": "29",
        "commune": "Carhaix",
        "item_type": "visor",
        "quantity": 40,
        "needed_by": _in_a_month(),
        "contact_name": "Soizic Le Gall",
        "contact_email": "cadre@kerampuil.example.org",
    }


def api_delivery(w, caller):
    pledge = w.get("pledge", OWN, caller)
    return {"pledge": pledge.pk, "quantity": 1, "delivered_on": _today()}


def api_import(w, caller):
    return {"file": _named(io.BytesIO(CSV_IMPORT), "production.csv")}


REPORT = f"{V1}/production-reports/{{id}}/"
# fmt: off
OPS = [
    Op(GET, f"{V1}/me/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/me/", NONE, API_LOGGED_IN_405),
    # One's own data, whoever one is: the page's JSON export.
    Op(GET, f"{V1}/me/personal-data/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/me/personal-data/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/me/notification-preferences/", NONE, API_LOGGED_IN),
    Op(PATCH, f"{V1}/me/notification-preferences/", NONE, API_LOGGED_IN,
        data=lambda w, c: {"preferences": notice_defaults(w, c)}),
    Op(POST, f"{V1}/me/notification-preferences/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/departments/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/departments/", NONE, NOBODY_405),
    Op(GET, f"{V1}/departments/{{code}}/", PUBLIC, API_EVERYONE, "department"),
    Op(DELETE, f"{V1}/departments/{{code}}/", PUBLIC, NOBODY_405, "department"),
    Op(GET, f"{V1}/item-types/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/item-types/", NONE, NOBODY_405),
    Op(GET, f"{V1}/item-types/{{slug}}/", PUBLIC, API_EVERYONE, "item_type"),
    Op(DELETE, f"{V1}/item-types/{{slug}}/", PUBLIC, NOBODY_405, "item_type"),
    # Item aliases: staff read them, relay staff and facilitators add, facilitators edit.
    Op(GET, f"{V1}/item-aliases/", NONE, "401 403 200 200 200 200 403"),
    Op(POST, f"{V1}/item-aliases/", NONE, "401 403 201 201 201 403 403",
        data=body(text="Kit soignant", item_type="gown")),
    Op(DELETE, f"{V1}/item-aliases/", NONE, "401 403 405 405 405 405 403"),
    Op(GET, f"{V1}/item-aliases/{{id}}/", OWN, "401 403 200 200 200 200 403", "item_alias"),
    Op(PUT, f"{V1}/item-aliases/{{id}}/", OWN, "401 403 403 403 200 403 403", "item_alias",
        data=body(item_type="fabric-mask")),
    Op(PATCH, f"{V1}/item-aliases/{{id}}/", OWN, "401 403 403 403 200 403 403", "item_alias",
        data=body(item_type="fabric-mask")),
    Op(DELETE, f"{V1}/item-aliases/{{id}}/", OWN, "401 403 403 403 204 403 403", "item_alias"),
    Op(POST, f"{V1}/item-aliases/{{id}}/", OWN, "401 403 405 405 405 405 403", "item_alias"),
    Op(GET, f"{V1}/relays/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/relays/", NONE, NOBODY_405),
    Op(GET, f"{V1}/relays/{{id}}/", PUBLIC, API_EVERYONE, "relay"),
    Op(DELETE, f"{V1}/relays/{{id}}/", PUBLIC, NOBODY_405, "relay"),
    # Production reports: scoped lists, 404 outside the scope, 403 on what one sees but may
    # not change, decisions refused by the services with their reason (403).
    Op(GET, f"{V1}/production-reports/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/production-reports/", NONE, "401 201 201 403 403 403 403", data=report_body),
    Op(DELETE, f"{V1}/production-reports/", NONE, API_LOGGED_IN_405),
    Op(GET, REPORT, OWN, "401 200 200 200 404 200 404", "report"),
    Op(GET, REPORT, SAME, "401 404 200 200 404 200 404", "report"),
    Op(GET, REPORT, OTHER, "401 404 404 200 404 200 404", "report"),
    Op(PUT, REPORT, OWN, "401 200 200 403 404 403 404", "report", data=report_body),
    Op(PUT, REPORT, SAME, "401 404 200 403 404 403 404", "report", data=report_body),
    Op(PUT, REPORT, OTHER, "401 404 404 403 404 403 404", "report", data=report_body),
    Op(PATCH, REPORT, OWN, "401 200 200 403 404 403 404", "report", data=body(quantity=13)),
    Op(PATCH, REPORT, SAME, "401 404 200 403 404 403 404", "report", data=body(quantity=13)),
    Op(PATCH, REPORT, OTHER, "401 404 404 403 404 403 404", "report", data=body(quantity=13)),
    Op(DELETE, REPORT, OWN, "401 204 204 403 404 403 404", "report"),
    Op(DELETE, REPORT, SAME, "401 404 204 403 404 403 404", "report"),
    Op(DELETE, REPORT, OTHER, "401 404 404 403 404 403 404", "report"),
    Op(POST, REPORT, OWN, API_LOGGED_IN_405, "report"),
    Op(POST, REPORT + "correct/", OWN, "401 201 201 403 404 403 404",
        "report_validated", data=body(quantity=51)),
    Op(POST, REPORT + "correct/", SAME, "401 404 201 403 404 403 404",
        "report_validated", data=body(quantity=61)),
    Op(POST, REPORT + "correct/", OTHER, "401 404 404 403 404 403 404",
        "report_validated", data=body(quantity=71)),
    Op(GET, REPORT + "correct/", OWN, API_LOGGED_IN_405, "report_validated"),
    Op(POST, REPORT + "validate/", OWN, "401 403 200 403 404 403 404", "report"),
    Op(POST, REPORT + "validate/", SAME, "401 404 200 403 404 403 404", "report"),
    Op(POST, REPORT + "validate/", OTHER, "401 404 404 403 404 403 404", "report"),
    Op(GET, REPORT + "validate/", OWN, API_LOGGED_IN_405, "report"),
    Op(POST, REPORT + "reject/", OWN, "401 403 200 403 404 403 404",
        "report", data=body(reason="À revoir")),
    Op(POST, REPORT + "reject/", SAME, "401 404 200 403 404 403 404",
        "report", data=body(reason="À revoir")),
    Op(POST, REPORT + "reject/", OTHER, "401 404 404 403 404 403 404",
        "report", data=body(reason="À revoir")),
    Op(GET, REPORT + "reject/", OWN, API_LOGGED_IN_405, "report"),
    Op(POST, f"{V1}/production-reports/validate/", OWN, "401 403 200 403 404 403 404",
        data=body(ids=lambda w, c: [w.get("report", OWN, c).pk])),
    Op(POST, f"{V1}/production-reports/validate/", OTHER, "401 404 404 403 404 403 404",
        data=body(ids=lambda w, c: [w.get("report", OTHER, c).pk])),
    Op(GET, f"{V1}/production-reports/validate/", NONE, API_LOGGED_IN_405),
    Op(POST, f"{V1}/production-reports/reject/", SAME, "401 404 200 403 404 403 404",
        data=body(ids=lambda w, c: [w.get("report", SAME, c).pk], reason="À revoir")),
    Op(POST, f"{V1}/production-reports/reject/", OTHER, "401 404 404 403 404 403 404",
        data=body(ids=lambda w, c: [w.get("report", OTHER, c).pk], reason="À revoir")),
    Op(GET, f"{V1}/production-reports/reject/", NONE, API_LOGGED_IN_405),
    Op(POST, f"{V1}/production-reports/import/", NONE, "401 403 200 200 200 403 403",
        data=api_import, multipart=True),
    Op(GET, f"{V1}/production-reports/import/", NONE, "401 403 405 405 405 403 403"),
    # Makers: the public directory, scoped further for staff; relay staff add makers.
    Op(GET, f"{V1}/makers/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/makers/", NONE, "401 403 201 403 403 403 403",
        data=body(display_name="Morgane Le Bihan", department="35")),
    Op(DELETE, f"{V1}/makers/", NONE, NOBODY_405),
    Op(GET, f"{V1}/makers/{{id}}/", OWN, "404 200 200 200 404 200 404", "maker"),
    Op(GET, f"{V1}/makers/{{id}}/", SAME, "404 404 200 200 404 200 404", "maker"),
    Op(GET, f"{V1}/makers/{{id}}/", OTHER, "404 404 404 200 404 200 404", "maker"),
    Op(GET, f"{V1}/makers/{{id}}/", PUBLIC, API_EVERYONE, "maker"),
    Op(PUT, f"{V1}/makers/{{id}}/", OWN, NOBODY_405, "maker"),
    Op(GET, f"{V1}/organisations/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/organisations/", NONE, NOBODY_405),
    Op(GET, f"{V1}/organisations/{{slug}}/", OWN, API_EVERYONE, "organisation"),
    Op(GET, f"{V1}/organisations/{{slug}}/", HIDDEN, "404 404 404 404 404 404 404", "organisation"),
    Op(DELETE, f"{V1}/organisations/{{slug}}/", OWN, NOBODY_405, "organisation"),
    Op(POST, f"{V1}/organisations/{{slug}}/merge/", OWN, "401 403 403 200 200 403 403",
        "organisation",
        data=body(into=lambda w, caller: w.get("organisation", SAME, caller).slug,
                  motivation="Doublon")),
    Op(GET, f"{V1}/organisations/{{slug}}/merge/", OWN, NOBODY_405, "organisation"),
    Op(GET, f"{V1}/figures/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/figures/", NONE, NOBODY_405),
    # Money
    Op(GET, f"{V1}/programmes/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/programmes/", NONE, "401 403 403 201 403 403 403", data=programme_body),
    Op(DELETE, f"{V1}/programmes/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/programmes/{{id}}/", OWN, "401 404 200 200 404 200 404", "programme"),
    Op(GET, f"{V1}/programmes/{{id}}/", OTHER, "401 404 404 200 404 200 404", "programme"),
    Op(PUT, f"{V1}/programmes/{{id}}/", OWN, API_LOGGED_IN_405, "programme"),
    Op(POST, f"{V1}/programmes/{{id}}/adjust/", OWN, "401 404 403 200 404 403 404",
        "programme_proposed", data=api_allocations_adjust(OWN)),
    Op(POST, f"{V1}/programmes/{{id}}/adjust/", OTHER, "401 404 404 200 404 403 404",
        "programme_proposed", data=api_allocations_adjust(OTHER)),
    Op(GET, f"{V1}/programmes/{{id}}/adjust/", OWN, API_LOGGED_IN_405, "programme_proposed"),
    Op(POST, f"{V1}/programmes/{{id}}/amend/", OWN, "401 404 403 201 404 403 404",
        "programme", data=lambda w, c: programme_body(w, c, motivation="Production tardive")),
    Op(GET, f"{V1}/programmes/{{id}}/amend/", OWN, API_LOGGED_IN_405, "programme"),
    Op(GET, f"{V1}/allocations/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/allocations/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/allocations/{{id}}/", OWN, "401 404 200 200 404 200 404", "allocation"),
    Op(GET, f"{V1}/allocations/{{id}}/", OTHER, "401 404 404 200 404 200 404", "allocation"),
    Op(PUT, f"{V1}/allocations/{{id}}/", OWN, API_LOGGED_IN_405, "allocation"),
    Op(POST, f"{V1}/allocations/{{id}}/approve/", OWN, "401 404 403 200 404 403 404",
        "allocation_proposed", data=confirm_api("allocation_proposed", OWN)),
    Op(POST, f"{V1}/allocations/{{id}}/approve/", OTHER, "401 404 404 200 404 403 404",
        "allocation_proposed", data=confirm_api("allocation_proposed", OTHER)),
    Op(GET, f"{V1}/allocations/{{id}}/approve/", OWN, API_LOGGED_IN_405, "allocation_proposed"),
    Op(GET, f"{V1}/allocations/{{id}}/recap/", OWN, "401 404 403 200 404 403 404",
        "allocation_proposed"),
    Op(GET, f"{V1}/allocations/{{id}}/recap/", OTHER, "401 404 404 200 404 403 404",
        "allocation_proposed"),
    Op(POST, f"{V1}/allocations/{{id}}/recap/", OWN, API_LOGGED_IN_405, "allocation_proposed"),
    Op(POST, f"{V1}/allocations/{{id}}/recompute/", OWN, "401 404 403 200 404 403 404",
        "allocation_proposed"),
    Op(POST, f"{V1}/allocations/{{id}}/recompute/", OTHER, "401 404 404 200 404 403 404",
        "allocation_proposed"),
    Op(GET, f"{V1}/allocations/{{id}}/recompute/", OWN, API_LOGGED_IN_405,
        "allocation_proposed"),
    Op(GET, f"{V1}/ledger/", NONE, "401 403 403 200 403 200 403"),
    Op(POST, f"{V1}/ledger/", NONE, "401 403 403 405 403 405 403"),
    Op(GET, f"{V1}/ledger/verify/", NONE, "401 403 403 200 403 200 403"),
    Op(POST, f"{V1}/ledger/verify/", NONE, "401 403 403 405 403 405 403"),
    Op(GET, f"{V1}/decisions/", NONE, "401 403 403 200 403 200 403"),
    Op(POST, f"{V1}/decisions/", NONE, "401 403 403 405 403 405 403"),
    Op(GET, f"{V1}/redistributions/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/redistributions/", OWN, "401 403 200 403 403 403 403",
        data=body(allocation=lambda w, c: w.get("allocation", OWN, c).pk)),
    Op(POST, f"{V1}/redistributions/", OTHER, "401 403 404 403 403 403 403",
        data=body(allocation=lambda w, c: w.get("allocation", OTHER, c).pk)),
    Op(DELETE, f"{V1}/redistributions/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/redistributions/{{id}}/", OWN, "401 404 200 200 404 200 404", "redistribution"),
    Op(GET, f"{V1}/redistributions/{{id}}/", OTHER, "401 404 404 200 404 200 404",
        "redistribution"),
    Op(PUT, f"{V1}/redistributions/{{id}}/", OWN, API_LOGGED_IN_405, "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/adjust/", OWN, "401 404 200 403 404 403 404",
        "redistribution", data=api_redistribution_adjust(OWN)),
    Op(POST, f"{V1}/redistributions/{{id}}/adjust/", OTHER, "401 404 404 403 404 403 404",
        "redistribution", data=api_redistribution_adjust(OTHER)),
    Op(GET, f"{V1}/redistributions/{{id}}/adjust/", OWN, API_LOGGED_IN_405, "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/approve/", OWN, "401 404 200 403 404 403 404",
        "redistribution", data=confirm_api("redistribution", OWN)),
    Op(POST, f"{V1}/redistributions/{{id}}/approve/", OTHER, "401 404 404 403 404 403 404",
        "redistribution", data=confirm_api("redistribution", OTHER)),
    Op(GET, f"{V1}/redistributions/{{id}}/approve/", OWN, API_LOGGED_IN_405, "redistribution"),
    Op(GET, f"{V1}/redistributions/{{id}}/recap/", OWN, "401 404 200 403 404 403 404",
        "redistribution"),
    Op(GET, f"{V1}/redistributions/{{id}}/recap/", OTHER, "401 404 404 403 404 403 404",
        "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/recap/", OWN, API_LOGGED_IN_405, "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/recompute/", OWN, "401 404 200 403 404 403 404",
        "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/recompute/", OTHER, "401 404 404 403 404 403 404",
        "redistribution"),
    Op(GET, f"{V1}/redistributions/{{id}}/recompute/", OWN, API_LOGGED_IN_405,
        "redistribution"),
    Op(POST, f"{V1}/redistributions/{{id}}/settle-own-use/", OWN, "401 404 409 403 404 403 404",
        "redistribution_approved"),
    Op(POST, f"{V1}/redistributions/{{id}}/settle-own-use/", OTHER,
        "401 404 404 403 404 403 404", "redistribution_approved"),
    Op(GET, f"{V1}/redistributions/{{id}}/settle-own-use/", OWN, API_LOGGED_IN_405,
        "redistribution_approved"),
    # Payment batches
    Op(GET, f"{V1}/payment-batches/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/payment-batches/", OWN, "401 403 201 403 403 403 403",
        data=body(redistribution=lambda w, c: w.get("redistribution_approved", OWN, c).pk,
                  format="csv")),
    Op(POST, f"{V1}/payment-batches/", OTHER, "401 403 404 403 403 403 403",
        data=body(redistribution=lambda w, c: w.get("redistribution_approved", OTHER, c).pk,
                  format="csv")),
    Op(DELETE, f"{V1}/payment-batches/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/payment-batches/{{id}}/", OWN, "401 404 200 200 404 200 404", "batch"),
    Op(GET, f"{V1}/payment-batches/{{id}}/", OTHER, "401 404 404 200 404 200 404", "batch"),
    Op(PUT, f"{V1}/payment-batches/{{id}}/", OWN, API_LOGGED_IN_405, "batch"),
    Op(GET, f"{V1}/payment-batches/{{id}}/file/", OWN, "401 404 200 403 404 403 404", "batch"),
    Op(GET, f"{V1}/payment-batches/{{id}}/file/", OTHER, "401 404 404 403 404 403 404", "batch"),
    Op(POST, f"{V1}/payment-batches/{{id}}/file/", OWN, API_LOGGED_IN_405, "batch"),
    Op(POST, f"{V1}/payment-batches/{{id}}/record/", OWN, "401 404 200 403 404 403 404",
        "batch", data=lambda w, c: {"paid_on": _today()}),
    Op(POST, f"{V1}/payment-batches/{{id}}/record/", OTHER, "401 404 404 403 404 403 404",
        "batch", data=lambda w, c: {"paid_on": _today()}),
    Op(GET, f"{V1}/payment-batches/{{id}}/record/", OWN, API_LOGGED_IN_405, "batch"),
    Op(POST, f"{V1}/payment-batches/{{id}}/cancel/", OWN, "401 404 200 403 404 403 404",
        "batch", data=body(reason="Jamais envoyé")),
    Op(POST, f"{V1}/payment-batches/{{id}}/cancel/", OTHER, "401 404 404 403 404 403 404",
        "batch", data=body(reason="Jamais envoyé")),
    Op(GET, f"{V1}/payment-batches/{{id}}/cancel/", OWN, API_LOGGED_IN_405, "batch"),
    # Bank changes: the payee and the relay paying them change bank details; a second person
    # confirms (not the author, Bernard: 403; the auditor reads only: 403). Through the API a
    # bank change is a money act, made with a "money" token, which only staff who decide on
    # money hold: the maker's "write" token is refused (403); makers change theirs on the page.
    Op(GET, f"{V1}/bank-changes/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/bank-changes/", OWN, "401 403 201 404 404 404 404",
        data=body(payee_kind="maker", payee_id=lambda w, c: w.get("bank_maker", OWN, c).pk,
                  holder="Anne Le Goff", iban=IBANS["anne"])),
    Op(POST, f"{V1}/bank-changes/", OTHER, "401 404 404 404 404 404 404",
        data=body(payee_kind="maker", payee_id=lambda w, c: w.get("bank_maker", OTHER, c).pk,
                  holder="Yann", iban=IBANS["anne"])),
    Op(DELETE, f"{V1}/bank-changes/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/bank-changes/{{id}}/", OWN, "401 404 200 200 404 200 404", "bank_change"),
    Op(GET, f"{V1}/bank-changes/{{id}}/", OTHER, "401 404 404 200 404 200 404", "bank_change"),
    Op(PUT, f"{V1}/bank-changes/{{id}}/", OWN, API_LOGGED_IN_405, "bank_change"),
    Op(POST, f"{V1}/bank-changes/{{id}}/confirm/", OWN, "401 404 200 200 404 403 404",
        "bank_change"),
    Op(POST, f"{V1}/bank-changes/{{id}}/confirm/", OTHER, "401 404 404 200 404 403 404",
        "bank_change"),
    Op(GET, f"{V1}/bank-changes/{{id}}/confirm/", OWN, API_LOGGED_IN_405, "bank_change"),
    # Workshops and registrations
    Op(GET, f"{V1}/workshops/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/workshops/", NONE, "401 403 403 403 201 403 403", data=workshop_body),
    Op(DELETE, f"{V1}/workshops/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/workshops/{{id}}/", OWN, "404 200 404 404 200 404 404", "workshop"),
    Op(GET, f"{V1}/workshops/{{id}}/", PUBLIC, API_EVERYONE, "workshop"),
    Op(GET, f"{V1}/workshops/{{id}}/", OTHER, "404 404 404 404 404 404 404", "workshop"),
    Op(GET, f"{V1}/workshops/{{id}}/", CANCELLED, API_EVERYONE, "workshop"),
    Op(PUT, f"{V1}/workshops/{{id}}/", OWN, "401 403 403 403 200 403 403",
        "workshop", data=workshop_body),
    Op(PUT, f"{V1}/workshops/{{id}}/", PUBLIC, "401 403 403 403 404 403 403",
        "workshop", data=workshop_body),
    Op(PUT, f"{V1}/workshops/{{id}}/", CANCELLED, "401 403 403 403 409 403 403",
        "workshop", data=workshop_body),
    Op(PATCH, f"{V1}/workshops/{{id}}/", OWN, "401 403 403 403 200 403 403",
        "workshop", data=body(capacity=20)),
    Op(PATCH, f"{V1}/workshops/{{id}}/", PUBLIC, "401 403 403 403 404 403 403",
        "workshop", data=body(capacity=20)),
    Op(DELETE, f"{V1}/workshops/{{id}}/", OWN, API_LOGGED_IN_405, "workshop"),
    Op(POST, f"{V1}/workshops/{{id}}/cancel/", OWN, "401 403 403 403 200 403 403",
        "workshop", data=body(reason="Salle indisponible")),
    Op(POST, f"{V1}/workshops/{{id}}/cancel/", PUBLIC, "401 403 403 403 404 403 403",
        "workshop", data=body(reason="Salle indisponible")),
    Op(POST, f"{V1}/workshops/{{id}}/cancel/", CANCELLED, "401 403 403 403 409 403 403",
        "workshop", data=body(reason="Salle indisponible")),
    Op(GET, f"{V1}/workshops/{{id}}/cancel/", OWN, API_LOGGED_IN_405, "workshop"),
    # A guest's registration is received (202: the e-mail says what became of it).
    Op(POST, f"{V1}/workshops/{{id}}/register/", PUBLIC, "202 201 201 201 201 201 201",
        "workshop", data=body(name="Invité du matrice", email="matrice@example.org")),
    Op(POST, f"{V1}/workshops/{{id}}/register/", OWN, "404 409 404 404 201 404 404", "workshop" ),
    Op(POST, f"{V1}/workshops/{{id}}/register/", OTHER, "404 404 404 404 404 404 404", "workshop"),
    Op(POST, f"{V1}/workshops/{{id}}/register/", CANCELLED, "409 409 409 409 409 409 409",
        "workshop", data=body(name="Invité du matrice", email="matrice@example.org")),
    Op(GET, f"{V1}/workshops/{{id}}/register/", PUBLIC, API_LOGGED_IN_405, "workshop"),
    Op(GET, f"{V1}/workshops/{{id}}/registrations/", OWN, "401 403 403 403 200 403 403",
        "workshop"),
    Op(GET, f"{V1}/workshops/{{id}}/registrations/", PUBLIC, "401 403 403 403 404 403 403",
        "workshop"),
    Op(POST, f"{V1}/workshops/{{id}}/registrations/", OWN, API_LOGGED_IN_405, "workshop"),
    Op(GET, f"{V1}/registrations/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/registrations/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/registrations/{{id}}/", OWN, "401 200 404 404 404 404 404", "registration"),
    Op(GET, f"{V1}/registrations/{{id}}/", SAME, "401 404 404 404 404 404 404", "registration"),
    Op(DELETE, f"{V1}/registrations/{{id}}/", OWN, API_LOGGED_IN_405, "registration"),
    # Without an account the token of the e-mail's link is needed (400 without it).
    Op(POST, f"{V1}/registrations/{{id}}/cancel/", OWN, "400 200 404 404 404 404 404",
        "registration"),
    Op(POST, f"{V1}/registrations/{{id}}/cancel/", SAME, "400 404 404 404 404 404 404",
        "registration"),
    Op(POST, f"{V1}/registrations/{{id}}/cancel/", TOKEN, API_EVERYONE,
        "guest_registration", data=body(token=lambda w, c: w.get("registration_token", TOKEN, c))),
    Op(GET, f"{V1}/registrations/{{id}}/cancel/", OWN, API_LOGGED_IN_405, "registration"),
    # What a guest's link to confirm does, without an account (its token is the proof).
    Op(POST, f"{V1}/registrations/confirm/", NONE, API_EVERYONE,
        data=body(token=lambda w, c: w.get("registration_confirm", TOKEN, c))),
    Op(POST, f"{V1}/registrations/confirm/", NONE, "400 400 400 400 400 400 400",
        data=body(token=lambda w, c: w.get("registration_confirm", FORGED, c))),
    Op(GET, f"{V1}/registrations/confirm/", NONE, API_LOGGED_IN_405),
    # Needs, pledges, deliveries
    Op(GET, f"{V1}/needs/", NONE, API_EVERYONE),
    Op(POST, f"{V1}/needs/", NONE, "201 201 201 201 201 201 201", data=api_need),
    Op(DELETE, f"{V1}/needs/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/needs/{{id}}/", PUBLIC, API_EVERYONE, "need"),
    # Unpublished needs: the network's follow-up only, relay staff for their departments.
    Op(GET, f"{V1}/needs/{{id}}/", SAME, "404 404 200 404 200 404 404", "need_unconfirmed"),
    Op(GET, f"{V1}/needs/{{id}}/", OTHER, "404 404 404 404 200 404 404", "need_unconfirmed"),
    Op(PUT, f"{V1}/needs/{{id}}/", PUBLIC, API_LOGGED_IN_405, "need"),
    Op(POST, f"{V1}/needs/{{id}}/remove/", SAME, "401 403 200 403 200 403 403",
        "need", data=body(reason="Doublon")),
    # A published need of another department is public: seen, not moderated (403).
    Op(POST, f"{V1}/needs/{{id}}/remove/", OTHER, "401 403 403 403 200 403 403",
        "need", data=body(reason="Doublon")),
    Op(POST, f"{V1}/needs/{{id}}/remove/", SAME, "401 403 200 403 200 403 403",
        "need_unconfirmed", data=body(reason="Spam")),
    Op(POST, f"{V1}/needs/{{id}}/remove/", OTHER, "401 403 404 403 200 403 403",
        "need_unconfirmed", data=body(reason="Spam")),
    Op(GET, f"{V1}/needs/{{id}}/remove/", SAME, API_LOGGED_IN_405, "need"),
    Op(POST, f"{V1}/needs/{{id}}/check/", SAME, "401 403 200 403 200 403 403",
        "need", data=body(note="Appel")),
    # A published need of another department is public: seen, not checked (403).
    Op(POST, f"{V1}/needs/{{id}}/check/", OTHER, "401 403 403 403 200 403 403",
        "need", data=body(note="Appel")),
    Op(POST, f"{V1}/needs/{{id}}/check/", SAME, "401 403 409 403 409 403 403",
        "need_unconfirmed", data=body(note="Appel")),
    Op(GET, f"{V1}/needs/{{id}}/check/", SAME, API_LOGGED_IN_405, "need"),
    Op(POST, f"{V1}/needs/{{id}}/contact/", SAME, "401 403 200 403 200 403 403",
        "need", data=body(email="accueil@ehpad.example.org")),
    # A published need of another department is public: seen, its contact not changed (403).
    Op(POST, f"{V1}/needs/{{id}}/contact/", OTHER, "401 403 403 403 200 403 403",
        "need", data=body(email="accueil@ehpad.example.org")),
    Op(GET, f"{V1}/needs/{{id}}/contact/", SAME, API_LOGGED_IN_405, "need"),
    Op(GET, f"{V1}/pledges/", NONE, API_LOGGED_IN),
    Op(POST, f"{V1}/pledges/", PUBLIC, "401 201 403 403 403 403 403",
        data=body(need=lambda w, c: w.get("need_fresh", PUBLIC, c).pk, quantity=5)),
    Op(DELETE, f"{V1}/pledges/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/pledges/{{id}}/", OWN, "401 200 404 404 404 404 404", "pledge"),
    Op(GET, f"{V1}/pledges/{{id}}/", SAME, "401 404 404 404 404 404 404", "pledge"),
    Op(PUT, f"{V1}/pledges/{{id}}/", OWN, API_LOGGED_IN_405, "pledge"),
    Op(POST, f"{V1}/pledges/{{id}}/messages/", OWN, "401 201 404 404 404 404 404",
        "pledge", data=body(body="Je livre jeudi.")),
    Op(POST, f"{V1}/pledges/{{id}}/messages/", SAME, "401 404 404 404 404 404 404",
        "pledge", data=body(body="Je livre jeudi.")),
    Op(GET, f"{V1}/pledges/{{id}}/messages/", OWN, "401 200 404 404 404 404 404", "pledge"),
    Op(GET, f"{V1}/pledges/{{id}}/messages/", SAME, "401 404 404 404 404 404 404", "pledge"),
    Op(PUT, f"{V1}/pledges/{{id}}/messages/", OWN, API_LOGGED_IN_405, "pledge"),
    Op(POST, f"{V1}/pledges/{{id}}/withdraw/", OWN, "401 200 404 404 404 404 404", "pledge_free"),
    Op(POST, f"{V1}/pledges/{{id}}/withdraw/", SAME, "401 404 404 404 404 404 404", "pledge_free"),
    Op(GET, f"{V1}/pledges/{{id}}/withdraw/", OWN, API_LOGGED_IN_405, "pledge_free"),
    Op(GET, f"{V1}/deliveries/", NONE, API_LOGGED_IN),
    # Someone else's pledge is not among the choices of the body's field: 400, nothing written.
    Op(POST, f"{V1}/deliveries/", OWN, "401 201 400 400 400 400 400", data=api_delivery),
    Op(DELETE, f"{V1}/deliveries/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/deliveries/{{id}}/", OWN, "401 200 404 404 404 404 404", "delivery"),
    Op(GET, f"{V1}/deliveries/{{id}}/", SAME, "401 404 404 404 404 404 404", "delivery"),
    Op(PUT, f"{V1}/deliveries/{{id}}/", OWN, API_LOGGED_IN_405, "delivery"),
    Op(POST, f"{V1}/deliveries/{{id}}/confirm/", TOKEN, API_EVERYONE,
        "delivery_confirmed",
        data=body(token=lambda w, c: w.get("delivery_confirm", TOKEN, c), confirmed_quantity=5)),
    Op(GET, f"{V1}/deliveries/{{id}}/confirm/", TOKEN, API_LOGGED_IN_405, "delivery_confirmed"),
    # The establishment's threads: its management link is the proof, for anyone holding it.
    Op(GET, f"{V1}/need-threads/{{token}}/", TOKEN, API_EVERYONE, "need_manage"),
    Op(GET, f"{V1}/need-threads/{{token}}/", FORGED, "400 400 400 400 400 400 400",
        "need_manage"),
    Op(POST, f"{V1}/need-threads/{{token}}/", TOKEN, NOBODY_405, "need_manage"),
    Op(POST, f"{V1}/need-threads/{{token}}/messages/", TOKEN, "201 201 201 201 201 201 201",
        "need_manage", data=body(pledge=lambda w, c: w.get("pledge", OWN, c).pk, body="Merci")),
    Op(POST, f"{V1}/need-threads/{{token}}/messages/", FORGED, "400 400 400 400 400 400 400",
        "need_manage", data=body(pledge=lambda w, c: w.get("pledge", OWN, c).pk, body="Merci")),
    Op(GET, f"{V1}/need-threads/{{token}}/messages/", TOKEN, NOBODY_405, "need_manage"),
    # Recognition: the network's links for those who see its graph, as the page.
    Op(GET, f"{V1}/cooperation-links/", NONE, "401 403 403 200 200 200 403"),
    Op(POST, f"{V1}/cooperation-links/", NONE, "401 403 403 405 405 405 403"),
    # Anne's attestation of today is issued already (the same one again: 200).
    Op(POST, f"{V1}/attestations/", NONE, "401 200 403 403 403 403 403"),
    Op(POST, f"{V1}/attestations/", OWN, "401 201 404 404 404 404 404",
        data=body(organisation=lambda w, c: w.get("organisation", OWN, c).slug)),
    Op(POST, f"{V1}/attestations/", SAME, "401 404 404 404 404 404 404",
        data=body(organisation=lambda w, c: w.get("organisation", SAME, c).slug)),
    Op(GET, f"{V1}/attestations/", NONE, API_LOGGED_IN_405),
    Op(GET, f"{V1}/attestations/{{code}}/", OWN, API_EVERYONE, "attestation"),
    Op(DELETE, f"{V1}/attestations/{{code}}/", OWN, API_LOGGED_IN_405, "attestation"),
    Op(GET, f"{V1}/attestations/{{code}}/pdf/", OWN, "401 200 404 404 404 404 404",
        "attestation"),
    Op(POST, f"{V1}/attestations/{{code}}/pdf/", OWN, API_LOGGED_IN_405, "attestation"),
    # Webhooks: Région staff manage the Région's endpoints, relay staff their relay's; another
    # relay's answers 404; nobody else manages any (403).
    Op(GET, f"{V1}/webhooks/", NONE, WEBHOOK_MANAGERS),
    Op(POST, f"{V1}/webhooks/", NONE, "401 403 201 201 403 403 403",
        data=body(url="http://localhost:9000/hook", events=["report.validated"])),
    Op(DELETE, f"{V1}/webhooks/", NONE, WEBHOOK_MANAGERS_405),
    Op(GET, f"{V1}/webhooks/{{id}}/", OWN, WEBHOOK_MANAGERS, "webhook"),
    Op(GET, f"{V1}/webhooks/{{id}}/", OTHER, WEBHOOK_MANAGERS_404, "webhook"),
    Op(PATCH, f"{V1}/webhooks/{{id}}/", OWN, WEBHOOK_MANAGERS, "webhook",
        data=body(events=["need.posted"])),
    Op(PATCH, f"{V1}/webhooks/{{id}}/", OTHER, WEBHOOK_MANAGERS_404, "webhook",
        data=body(events=["need.posted"])),
    Op(PUT, f"{V1}/webhooks/{{id}}/", OWN, WEBHOOK_MANAGERS_405, "webhook",
        data=body(events=["need.posted"])),
    Op(DELETE, f"{V1}/webhooks/{{id}}/", OWN, "401 403 204 204 403 403 403", "webhook"),
    Op(DELETE, f"{V1}/webhooks/{{id}}/", OTHER, WEBHOOK_MANAGERS_404, "webhook"),
    Op(POST, f"{V1}/webhooks/{{id}}/rotate-secret/", OWN, WEBHOOK_MANAGERS, "webhook"),
    Op(POST, f"{V1}/webhooks/{{id}}/rotate-secret/", OTHER, WEBHOOK_MANAGERS_404, "webhook"),
    Op(GET, f"{V1}/webhooks/{{id}}/rotate-secret/", OWN, WEBHOOK_MANAGERS_405, "webhook"),
    Op(GET, f"{V1}/webhook-deliveries/", NONE, WEBHOOK_MANAGERS),
    Op(POST, f"{V1}/webhook-deliveries/", NONE, WEBHOOK_MANAGERS_405),
    Op(GET, f"{V1}/webhook-deliveries/{{id}}/", OWN, WEBHOOK_MANAGERS, "webhook_delivery"),
    Op(GET, f"{V1}/webhook-deliveries/{{id}}/", OTHER, WEBHOOK_MANAGERS_404, "webhook_delivery"),
    Op(DELETE, f"{V1}/webhook-deliveries/{{id}}/", OWN, WEBHOOK_MANAGERS_405, "webhook_delivery"),
    Op(POST, f"{V1}/webhook-deliveries/{{id}}/replay/", OWN, "401 403 202 202 403 403 403",
        "webhook_delivery"),
    Op(POST, f"{V1}/webhook-deliveries/{{id}}/replay/", OTHER, WEBHOOK_MANAGERS_404,
        "webhook_delivery"),
    Op(GET, f"{V1}/webhook-deliveries/{{id}}/replay/", OWN, WEBHOOK_MANAGERS_405,
        "webhook_delivery"),
]
# fmt: on
API_EXCLUSIONS: dict[tuple[str, str], str] = {}


# --- Admin: only staff users reach it -------------------------------------------------------------


def admin_rows() -> list[tuple[str, str]]:
    """The admin's index and the changelist of every registered model, with what a superuser
    gets (every role of the platform is sent to the admin's login page)."""
    rows = [("/admin/", "200")]
    for model in admin.site._registry:
        meta = model._meta
        rows.append((f"/admin/{meta.app_label}/{meta.model_name}/", "200"))
    return rows


# --- Walking the table ----------------------------------------------------------------------------


def _url_kwargs(kind: str, value) -> dict:
    if kind == "bank_maker":
        return {"kind": "maker", "pk": value.pk}
    if kind == "bank_organisation":
        return {"kind": "organisation", "pk": value.pk}
    if kind == "synthesis":
        return {"pk": value.pk}
    if isinstance(value, str):
        return {"token": value}
    if hasattr(value, "slug") and kind == "organisation":
        return {"slug": value.slug}
    return {"pk": value.pk}


def page_url(w: World, row: Page, caller: str) -> str:
    kwargs = {}
    if row.obj:
        kwargs = _url_kwargs(row.obj, w.get(row.obj, row.ownership, caller))
    url = row.name if row.name.startswith("/") else reverse(row.name, kwargs=kwargs)
    if row.query:
        code = w.get("attestation", OWN, caller).code
        url += "?" + row.query.format(attestation=code)
    return url


def api_url(w: World, row: Op, caller: str) -> str:
    url = row.path
    if row.obj:
        value = w.get(row.obj, row.ownership, caller)
        if isinstance(value, str):  # a signed link's token
            url = url.replace("{token}", value)
        for name, attribute in (("{id}", "pk"), ("{slug}", "slug"), ("{code}", "code")):
            url = url.replace(name, str(getattr(value, attribute, "")))
    return url


@dataclass
class Mismatch:
    caller: str
    method: str
    url: str
    ownership: str
    expected: str
    got: str

    def line(self) -> str:
        return (
            f"{self.caller:<12} {self.method:<6} {self.url:<58} {self.ownership:<11} "
            f"{self.expected:<5} {self.got}"
        )


def _form_errors(response) -> str:
    """The errors of a form the page shows again, if any: a 200 to a POST must be a success."""
    contexts = response.context or []
    found = []
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            if isinstance(value, BaseForm) and value.is_bound and value.errors:
                found.append(value.errors.as_json())
            elif isinstance(value, BaseFormSet) and value.is_bound and not value.is_valid():
                found.append(str(value.errors) + str(value.non_form_errors()))
    return "; ".join(dict.fromkeys(found))


def _error_messages(response) -> str:
    """What the page told the person went wrong (an error message): a refusal, not a success."""
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return " ".join(str(m) for m in queued if m.level >= messages.ERROR)


def _is_login(location: str, login: str, page: str) -> bool:
    """A redirect to `login`, bringing back to `page` if it says where to go afterwards."""
    parts = urlsplit(location)
    after = parse_qs(parts.query).get("next", [page])[0]
    return parts.path == login and after == page


def _outcome(response, expected: str, *, login: str, page: str, is_post: bool) -> str | None:
    """None when the response is the expected one, else what it was."""
    code = response.status_code
    location = response.get("Location", "") if code in (301, 302, 303) else ""
    got = f"{code} → {location}" if location else str(code)
    if expected in ("L", "A"):
        ok = code == 302 and _is_login(location, login, page)
    elif expected in ("302", "R"):
        ok = code == 302 and not location.startswith((LOGIN, ADMIN_LOGIN))
        if ok and expected == "R":
            return None if _error_messages(response) else f"{got} without a refusal message"
    else:
        ok = code == int(expected)
    if ok and is_post and code == 200:
        errors = _form_errors(response)
        if errors:
            return f"{got} with form errors {errors[:200]}"
    if ok and is_post and code in (200, 302):
        refusals = _error_messages(response)
        if refusals:
            return f"{got} with the message {refusals[:200]!r}"
    if code >= 500 and getattr(response, "exc_info", None):
        got += f" ({response.exc_info[1]!r})"[:300]
    return None if ok else got


class Walker:
    """One client per caller, logged in once; each request in a rolled-back savepoint."""

    def __init__(self, world: World):
        self.world = world
        self.clients = {}
        self.sessions = {}
        for caller in CALLERS:
            client = Client(raise_request_exception=False)
            user = world.users[caller]
            if user is not None:
                client.force_login(user)
                self.sessions[caller] = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.clients[caller] = client
        self.mismatches: list[Mismatch] = []
        self.requests = 0

    def request(
        self,
        caller,
        method,
        url,
        *,
        data=None,
        json_body=None,
        multipart=False,
        token=False,
        api=False,
    ):
        client = self.clients[caller]
        # Every request starts from the caller's own session, whatever the previous one did
        # (a logout, a deleted account, messages left in a cookie).
        client.cookies = SimpleCookie()
        if caller in self.sessions and not token:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[caller]
        headers = {}
        if token and caller in self.world.tokens:
            headers["Authorization"] = f"Token {self.world.tokens[caller]}"
        cache.clear()  # rate limits are another suite's subject
        self.requests += 1
        with transaction.atomic():
            try:
                if json_body is not None:
                    return client.generic(
                        method,
                        url,
                        json.dumps(json_body),
                        content_type="application/json",
                        headers=headers,
                    )
                # A page's POST is a form; the API reads JSON, and a call with nothing to say
                # sends no body at all.
                if multipart or (method in (GET, POST) and not api):
                    return getattr(client, method.lower())(url, data or {}, headers=headers)
                return client.generic(method, url, headers=headers)
            finally:
                transaction.set_rollback(True)

    def check(self, caller, method, url, ownership, expected, response, *, login=LOGIN):
        page = url.split("?")[0]
        got = _outcome(response, expected, login=login, page=page, is_post=method == POST)
        if got is not None:
            self.mismatches.append(Mismatch(caller, method, url, ownership, expected, got))


def _row_counts() -> dict[str, int]:
    """How many rows each table holds: the same before and after a walk, or a write leaked."""
    from django.apps import apps

    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _expected_cells(expected: str) -> list[str]:
    cells = expected.split()
    assert len(cells) == len(CALLERS), f"{len(cells)} cells in {expected!r}"
    return cells


def _report(mismatches: list[Mismatch]) -> str:
    header = f"{'role':<12} {'method':<6} {'url':<58} {'ownership':<11} {'want':<5} got"
    return "\n".join([f"{len(mismatches)} mismatches:", header, *(m.line() for m in mismatches)])


def test_every_page_answers_each_role_as_the_matrix_says(walker):
    started = time.monotonic()
    w = walker.world
    before = _row_counts()
    for row in PAGES:
        for caller, expected in zip(CALLERS, _expected_cells(row.expected), strict=True):
            url = page_url(w, row, caller)
            data = row.data(w, caller) if row.data else None
            response = walker.request(caller, row.method, url, data=data)
            walker.check(caller, row.method, url, row.ownership, expected, response)
    assert not walker.mismatches, _report(walker.mismatches)
    assert _row_counts() == before
    print(f"{walker.requests} page requests in {time.monotonic() - started:.1f} s")


def test_every_api_operation_answers_each_role_as_the_matrix_says(walker):
    started = time.monotonic()
    w = walker.world
    before = _row_counts()
    for row in OPS:
        for caller, expected in zip(CALLERS, _expected_cells(row.expected), strict=True):
            url = api_url(w, row, caller)
            data = row.data(w, caller) if row.data else None
            if row.multipart:
                response = walker.request(
                    caller, row.method, url, data=data, multipart=True, token=True
                )
            else:
                response = walker.request(
                    caller, row.method, url, json_body=data, token=True, api=True
                )
            walker.check(caller, row.method, url, row.ownership, expected, response)
    assert not walker.mismatches, _report(walker.mismatches)
    assert _row_counts() == before
    print(f"{walker.requests} API requests in {time.monotonic() - started:.1f} s")


def test_only_staff_users_reach_the_admin(walker):
    superuser = make_user(email="root@example.org", is_staff=True, is_superuser=True)
    staff = make_user(email="lecteur@example.org", is_staff=True)
    for who, user in (("superuser", superuser), ("staff", staff)):
        walker.clients[who] = Client(raise_request_exception=False)
        walker.clients[who].force_login(user)
        walker.sessions[who] = walker.clients[who].cookies[settings.SESSION_COOKIE_NAME].value
    for url, superuser_gets in admin_rows():
        for caller in CALLERS:
            response = walker.request(caller, GET, url)
            walker.check(caller, GET, url, NONE, "A", response, login=ADMIN_LOGIN)
        walker.check(
            "superuser",
            GET,
            url,
            NONE,
            superuser_gets,
            walker.request("superuser", GET, url),
            login=LOGIN,
        )
        # Staff without permissions see the index, and no model.
        staff_gets = "200" if url == "/admin/" else "403"
        walker.check(
            "staff", GET, url, NONE, staff_gets, walker.request("staff", GET, url), login=LOGIN
        )
    assert not walker.mismatches, _report(walker.mismatches)


# --- Completeness -------------------------------------------------------------------------------


def _patterns(resolver=None, namespace="", prefix=""):
    """(namespaced name, route) of every URL pattern, the admin's left out. A pattern without
    a name goes by its namespace and route, as `page_key` names a literal path."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            inner_prefix = prefix + str(pattern.pattern).removeprefix("^" if prefix else "")
            yield from _patterns(pattern, inner, inner_prefix)
        elif isinstance(pattern, URLPattern):
            # Joined as Django joins them in a match's `route`.
            route = prefix + str(pattern.pattern).removeprefix("^" if prefix else "")
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}{route}"
            if "format" in pattern.pattern.regex.groupindex:
                name += " (format suffix)"
            yield name, route


def page_key(row: Page) -> str:
    """The name a row covers: its URL name, or for a literal path the pattern it resolves to."""
    if not row.name.startswith("/"):
        return row.name
    match = resolve(row.name)
    if match.url_name:
        return match.view_name
    return f"{match.namespace}:{match.route}" if match.namespace else match.route


def _schema_operations() -> dict[tuple[str, str], str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _sample(path: str) -> str:
    return (
        path.replace("{id}", "1")
        .replace("{slug}", "x")
        .replace("{code}", "35")
        .replace("{token}", "x")
    )


def test_every_page_and_operation_has_a_row():
    operations = _schema_operations()
    api_names = {resolve(_sample(path)).view_name for _method, path in operations}
    names = {name for name, _route in _patterns()}
    paged = {page_key(row) for row in PAGES}
    problems = []
    for name in sorted(names - paged - set(PAGE_EXCLUSIONS)):
        if name in api_names or (name.startswith("v1:") and name.endswith("(format suffix)")):
            continue
        problems.append(f"page {name!r} has no row in PAGES (nor a reason in PAGE_EXCLUSIONS)")
    for name in sorted(paged - names):
        problems.append(f"PAGES names {name!r}, which is no URL any more")
    with_405 = {page_key(row) for row in PAGES if "405" in row.expected.split()}
    # A path that answers 404 to everyone, whatever the method, has no method to refuse.
    with_405 |= {
        key
        for key in paged
        if all(set(row.expected.split()) == {"404"} for row in PAGES if page_key(row) == key)
    }
    for name in sorted(paged - with_405 - set(NO_405)):
        problems.append(f"page {name!r} has no row for a method it does not take (405)")
    rows = {(row.method, row.path) for row in OPS}
    for key, operation_id in sorted(operations.items()):
        if key not in rows and key not in API_EXCLUSIONS:
            problems.append(f"API operation {operation_id} ({key[0]} {key[1]}) has no row in OPS")
    for method, path in sorted(rows - set(operations)):
        row_405 = any(
            "405" in row.expected.split() for row in OPS if (row.method, row.path) == (method, path)
        )
        if not row_405:
            problems.append(f"OPS names {method} {path}, which the API does not offer")
    paths = {path for _method, path in operations}
    for path in sorted(paths):
        offered = {method for method, p in operations if p == path}
        if not any(
            (row.method, row.path) == (m, path)
            for row in OPS
            for m in {GET, POST, PUT, PATCH, DELETE} - offered
        ):
            problems.append(f"API path {path} has no row for a method it does not offer (405)")
    assert not problems, "\n".join(problems)


# --- Lists show nothing their detail would hide ---------------------------------------------------

LISTS = [
    # (list URL, detail URL with {key}, the key's field in a list entry)
    (f"{V1}/departments/", f"{V1}/departments/{{key}}/", "code"),
    (f"{V1}/item-types/", f"{V1}/item-types/{{key}}/", "slug"),
    (f"{V1}/item-aliases/", f"{V1}/item-aliases/{{key}}/", "id"),
    (f"{V1}/relays/", f"{V1}/relays/{{key}}/", "id"),
    (f"{V1}/production-reports/", REPORT.replace("{id}", "{key}"), "id"),
    (f"{V1}/makers/", f"{V1}/makers/{{key}}/", "id"),
    (f"{V1}/organisations/", f"{V1}/organisations/{{key}}/", "slug"),
    (f"{V1}/programmes/", f"{V1}/programmes/{{key}}/", "id"),
    (f"{V1}/allocations/", f"{V1}/allocations/{{key}}/", "id"),
    (f"{V1}/redistributions/", f"{V1}/redistributions/{{key}}/", "id"),
    (f"{V1}/workshops/", f"{V1}/workshops/{{key}}/", "id"),
    (f"{V1}/needs/", f"{V1}/needs/{{key}}/", "id"),
    (f"{V1}/needs/?status=unconfirmed", f"{V1}/needs/{{key}}/", "id"),
    (f"{V1}/needs/?status=removed", f"{V1}/needs/{{key}}/", "id"),
    (f"{V1}/pledges/", f"{V1}/pledges/{{key}}/", "id"),
    (f"{V1}/deliveries/", f"{V1}/deliveries/{{key}}/", "id"),
    (f"{V1}/registrations/", f"{V1}/registrations/{{key}}/", "id"),
]


def test_what_a_list_shows_its_detail_shows_to_the_same_caller(walker):
    """A list wider than what its detail shows leaks what the detail hides (an unconfirmed
    need of another department, say): every entry a caller is listed reads back as 200."""
    w = walker.world
    from needs import services as needs_services

    # Something removed in each department, for the follow-up's lists.
    for need in (w.get("need", SAME, RELAY), w.get("need", OTHER, RELAY)):
        copy = needs_services.need_post(
            establishment=need.establishment,
            item_type=need.item_type,
            quantity=10,
            needed_by=need.needed_by,
            contact_name="Contact",
            contact_email="contact@example.org",
            now=timezone.now(),
        )
        needs_services.need_remove(
            need=copy, reason="Doublon", by=w.users[FACIL], now=timezone.now()
        )
    listed_anything = set()
    for list_url, detail_url, key in LISTS:
        for caller in CALLERS:
            response = walker.request(caller, GET, list_url, token=True)
            if response.status_code != 200:
                continue
            data = response.json()
            entries = data["results"] if isinstance(data, dict) else data
            for entry in entries:
                listed_anything.add(list_url)
                url = detail_url.format(key=entry[key])
                walker.check(
                    caller,
                    GET,
                    url,
                    f"in {list_url}",
                    "200",
                    walker.request(caller, GET, url, token=True),
                )
    assert not walker.mismatches, _report(walker.mismatches)
    # Each list showed something to someone: the check above was not vacuous.
    assert listed_anything == {url for url, _detail, _key in LISTS}
