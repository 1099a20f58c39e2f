"""The error vocabulary every app speaks: a refusal with a stable code, a message a person
understands, and the field it concerns; four kinds, for bad input, not allowed, not found and
wrong state.

Services raise refusals; nothing else decides what a refusal is. Each app declares its own codes
next to the services that raise them (`<app>/errors.py`), each once, with its kind, its message
and its field, so a rule's wording lives in one place:

    REPORT_ALREADY_DECIDED = Code(
        "report_already_decided", WrongState, _("La déclaration n° %(id)s est déjà %(status)s.")
    )
    raise REPORT_ALREADY_DECIDED(id=report.pk, status=report.get_status_display())

Pages show a refusal on its field, or at the top (`tilab.forms.RefusalsMixin`); the API answers
it once, in its exception handler (`tilab.api_errors`), with `{"code", "detail", "field"}` and
the status of its kind (400, 403, 404, 409). Programs and tests tell refusals apart by `code`,
never by their text.
"""

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from tilab.i18n import elide


class Refusal(Exception):
    """An expected failure a person can act on.

    `code`: stable, snake_case, what programs and tests compare. `message`: the sentence shown,
    rendered in the language active when it is read, from the declared (lazy) text and
    `params`. `field`: the input it concerns, or None for the request as a whole. Several
    refusals of one input can travel together (`raise_all`): the first is raised, the others
    ride along in `refusals`.
    """

    def __init__(self, code: str, message, *, field: str | None = None, params: dict | None = None):
        super().__init__(code)
        self.code = code
        self.text = message
        self.field = field
        self.params = dict(params or {})
        self.others: list[Refusal] = []

    @property
    def message(self) -> str:
        # `%` on the declared text, not on its rendering: a plural message (ngettext_lazy with
        # the name of its count) picks its form from the parameters.
        if not self.params:
            return str(self.text)
        # "L'allocation d'ENSTA Bretagne", not "de ENSTA Bretagne": names given as parameters
        names = [value for value in self.params.values() if not isinstance(value, int | float)]
        return elide(str(self.text % self.params), *names)

    def extra(self) -> dict:
        """What the API's answer carries beyond its code, detail and field: nothing, unless a
        kind of refusal has more to say (an import's lines in error)."""
        return {}

    @property
    def refusals(self) -> list["Refusal"]:
        """This refusal and those gathered with it, in order."""
        return [self, *self.others]

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Pickled whole (a task's result, a copy): Exception's default would call the class
        # with its args, the code alone.
        state = {"field": self.field, "params": self.params, "others": self.others}
        return (type(self), (self.code, self.text), state)

    def __repr__(self) -> str:
        field = f", field={self.field!r}" if self.field else ""
        return f"{type(self).__name__}({self.code!r}{field})"

    @staticmethod
    def raise_all(refusals: Iterable["Refusal"]) -> None:
        """Raise these refusals together (each field of a form in error at once): the first,
        carrying the others. Nothing when there are none."""
        refusals = list(refusals)
        if refusals:
            first = refusals[0]
            first.others = refusals[1:]
            raise first


class BadInput(Refusal):
    """What was given breaks a rule; the person can fix it and try again (API: 400)."""


class NotAllowed(Refusal, PermissionDenied):
    """The person may not do this (API: 403). A page that does not catch it answers with the
    403 page, as for Django's PermissionDenied."""


class NotFound(Refusal, Http404):
    """Nothing this person may see answers to that (API: 404; a page: the 404 page)."""


class WrongState(Refusal):
    """The object's state forbids it now (already decided, cancelled, paid…) (API: 409)."""


_FIELD_OF_CODE = object()


@dataclass(frozen=True)
class Code:
    """A refusal declared once: its code, its kind, its message (lazy, with `%(name)s`
    placeholders filled from the call's keywords) and the field it usually concerns.
    Calling it makes the refusal to raise; `field=` names another field for this once."""

    code: str
    kind: type[Refusal]
    message: object
    field: str | None = None

    def __call__(self, *, field=_FIELD_OF_CODE, **params) -> Refusal:
        return self.kind(
            self.code,
            self.message,
            field=self.field if field is _FIELD_OF_CODE else field,
            params=params,
        )


def declared_codes() -> dict[str, list[tuple[str, Code]]]:
    """Every code the apps declare, with the module and the `Code` of each declaration (a code
    may be declared in two apps, always with the same kind): the `errors.py` modules of the
    installed apps, at any depth (the importer's own), that declare codes. For the API's list
    of codes (its schema, the README's table)."""
    found: dict[str, list[tuple[str, Code]]] = {}
    seen: set[int] = set()  # a code imported into another module is the same declaration
    for config in apps.get_app_configs():
        root = Path(config.path)
        for path in sorted(root.rglob("errors.py")):
            # Read before importing: another library's errors module is none of ours.
            if "migrations" in path.parts or "Code(" not in path.read_text(encoding="utf-8"):
                continue
            name = ".".join([config.name, *path.relative_to(root).with_suffix("").parts])
            module = importlib.import_module(name)
            for value in vars(module).values():
                if isinstance(value, Code) and id(value) not in seen:
                    seen.add(id(value))
                    found.setdefault(value.code, []).append((name, value))
    return dict(sorted(found.items()))


# --- Codes of the core --------------------------------------------------------------------

ROLE_NOT_ALLOWED = Code("role_not_allowed", NotAllowed, _("Votre rôle ne permet pas cette action."))
EMAIL_INVALID = Code("email_invalid", BadInput, _("Indiquez une adresse e-mail valide."), "email")
# The second factor on money decisions (tilab.permissions: `add_money_perm`). `how` says what
# to do: activate an authenticator app, or type its code again.
TWO_FACTOR_REQUIRED = Code(
    "two_factor_required",
    NotAllowed,
    _(
        "Une décision sur de l'argent public demande la double authentification, présentée "
        "dans cette session il y a moins de %(minutes)s minutes : %(how)s, puis recommencez."
    ),
)
TOKEN_SCOPE_MISSING = Code(
    "token_scope_missing",
    NotAllowed,
    _(
        "Ce jeton d'API ne permet pas cette action : il faut un jeton « %(scope)s ». Créez-en "
        "un sur %(url)s (un jeton « décisions financières » se crée juste après avoir saisi "
        "votre code de double authentification)."
    ),
)
TOKEN_LIMIT_REACHED = Code(
    "token_limit_reached",
    WrongState,
    _("Vous avez déjà %(n)s jetons : révoquez-en un avant d'en créer un autre."),
)

# Numbers as people type them (tilab.money): fragments, put into a field's or a row's message.
NUMBER_EMPTY = Code("number_empty", BadInput, _("valeur vide"))
NOT_A_NUMBER = Code("not_a_number", BadInput, _("« %(text)s » n'est pas un nombre"))
NOT_A_WHOLE_NUMBER = Code(
    "not_a_whole_number", BadInput, _("« %(text)s » n'est pas un nombre entier")
)
TYPED_AMOUNT_NEGATIVE = Code(
    "typed_amount_negative", BadInput, _("un montant ne peut pas être négatif")
)
TYPED_AMOUNT_SUB_CENT = Code(
    "typed_amount_sub_cent", BadInput, _("un montant a au plus deux décimales (centimes)")
)

# Splitting an amount (tilab.money.split_largest_remainder).
SPLIT_TOTAL_NEGATIVE = Code(
    "split_total_negative", BadInput, _("Le montant à répartir ne peut pas être négatif.")
)
SPLIT_WEIGHT_NEGATIVE = Code(
    "split_weight_negative", BadInput, _("Une part ne peut pas être négative.")
)
SPLIT_NOTHING_TO_SHARE = Code(
    "split_nothing_to_share",
    BadInput,
    _("Rien sur quoi répartir : toutes les parts sont nulles."),
)


# Webhook URLs (tilab/webhooks.py checks them at registration and before each delivery).
WEBHOOK_URL_INVALID = Code(
    "webhook_url_invalid",
    BadInput,
    _("Indiquez une adresse web complète, sans identifiant ni mot de passe (https://…)."),
    "url",
)
WEBHOOK_URL_NOT_HTTPS = Code(
    "webhook_url_not_https",
    BadInput,
    _(
        "L'adresse doit commencer par https:// (http:// n'est accepté que vers cette machine, "
        "en démonstration)."
    ),
    "url",
)
WEBHOOK_URL_PRIVATE = Code(
    "webhook_url_private",
    BadInput,
    _(
        "%(host)s mène à une adresse privée, locale ou réservée (%(address)s) : donnez une "
        "adresse joignable depuis Internet."
    ),
    "url",
)
WEBHOOK_URL_UNRESOLVED = Code(
    "webhook_url_unresolved",
    BadInput,
    _("Le nom %(host)s ne mène à aucune adresse."),
    "url",
)


# Notice preferences (tilab.notices).
NOTICE_KIND_UNKNOWN = Code(
    "notice_kind_unknown", BadInput, _("Aucun avis « %(kind)s » ne vous concerne.")
)
NOTICE_KIND_ALWAYS_SENT = Code(
    "notice_kind_always_sent",
    BadInput,
    _("Les avis de sécurité sont toujours envoyés : ils ne se désactivent pas."),
)
NOTICE_DELIVERY_NOT_OFFERED = Code(
    "notice_delivery_not_offered",
    BadInput,
    _("« %(delivery)s » n'est pas proposé pour l'avis « %(kind)s »."),
)
