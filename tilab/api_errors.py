"""How the API answers when it does not do what was asked: one exception handler
(settings REST_FRAMEWORK["EXCEPTION_HANDLER"]) for every endpoint.

Every 4xx answer is an object with a stable `code`, a `detail` a person can read, and the
`field` it concerns (or null):

- a service's refusal (tilab.errors) answers with the status of its kind: bad input 400, not
  allowed 403, not found 404, wrong state 409; a refusal of bad input also names each of its
  fields as DRF's validation errors do (`{"quantity": ["…"]}`); a refusal may add keys of its
  own (`Refusal.extra`: an import's lines in error);
- DRF's validation errors keep their shape (each field with its messages) and get the code
  "invalid", the first message as `detail` and the first field in error as `field`;
- DRF's other errors keep their status and their own code ("not_authenticated",
  "permission_denied", "not_found", "throttled", "method_not_allowed"…); a 429 says in words
  when to come back (DRF sets Retry-After from the same wait);
- Django's PermissionDenied raised below a view answers 403 "role_not_allowed"; Django's limits
  on a multipart body (size, number of fields or files) answer 400 "body_too_large".

The OpenAPI side of these answers is in tilab/schema.py (`error_responses`).
"""

import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

from .errors import (
    ROLE_NOT_ALLOWED,
    BadInput,
    NotAllowed,
    NotFound,
    Refusal,
    WrongState,
    declared_codes,
)
from .throttling import too_many_message

STATUS_OF_KIND = {
    BadInput: status.HTTP_400_BAD_REQUEST,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    WrongState: status.HTTP_409_CONFLICT,
}
INVALID = "invalid"

# The codes of the API's own plumbing (DRF's, and the validation of what was sent), beside
# those the services declare (tilab.errors): the status each comes with, and what it means.
PLUMBING_CODES = {
    INVALID: (
        400,
        _("Données invalides : chaque champ en cause est nommé avec ce qui ne va pas."),
    ),
    "parse_error": (400, _("Corps illisible : ce n'est pas du JSON (ou du multipart) valide.")),
    "body_too_large": (
        400,
        _("Corps trop gros, ou formulaire de trop de champs ou de fichiers : rien n'a été lu."),
    ),
    "not_authenticated": (401, _("Aucune identification : un compte ou un jeton est nécessaire.")),
    "authentication_failed": (401, _("Jeton invalide, expiré ou révoqué.")),
    "permission_denied": (
        403,
        _("Action non permise, ou session de navigateur sans son jeton CSRF."),
    ),
    "not_found": (404, _("Introuvable parmi ce que vous voyez, ou adresse inconnue de l'API.")),
    "method_not_allowed": (405, _("Méthode HTTP que cette adresse n'accepte pas.")),
    "not_acceptable": (406, _("Aucun format de réponse ne convient à l'en-tête Accept.")),
    "unsupported_media_type": (
        415,
        _("Corps dans un type de contenu que l'opération ne lit pas : envoyez du JSON."),
    ),
    "throttled": (429, _("Trop de demandes en peu de temps : l'en-tête Retry-After dit quand.")),
}


@dataclass(frozen=True)
class ErrorCode:
    """One code an error answer of the API may carry: its status, where it is declared, and
    its message (French, the source language; placeholders as `{name}`)."""

    code: str
    status: int
    declared_in: tuple[str, ...]
    message: str


class _Placeholders(dict):
    """Fills a declared message's placeholders with their own names (`{id}`), and a plural's
    count with 2."""

    class Shown(int):
        def __new__(cls, name):
            shown = super().__new__(cls, 2)
            shown.name = name
            return shown

        def __str__(self):
            return f"{{{self.name}}}"

    def __missing__(self, name):
        return self.Shown(name)


def error_codes() -> list[ErrorCode]:
    """Every code of the API's error answers, sorted: the plumbing's and those the services
    declare. The schema lists them (`ErrorCode`), and so does the README's table
    (`manage.py error_codes --readme` rewrites it; a test checks it)."""
    found = []
    with translation.override("fr"):
        for code, (status_code, meaning) in PLUMBING_CODES.items():
            found.append(ErrorCode(code, status_code, ("tilab.api_errors",), str(meaning)))
        for code, declarations in declared_codes().items():
            modules = tuple(dict.fromkeys(module for module, _code in declarations))
            first = declarations[0][1]
            try:
                message = str(first.message % _Placeholders())
            except (TypeError, ValueError):  # no placeholders, and a "%" of its own
                message = str(first.message)
            found.append(ErrorCode(code, STATUS_OF_KIND[first.kind], modules, message))
    return sorted(found, key=lambda each: each.code)


class RefusalAnswer(exceptions.APIException):
    """A service's refusal on its way through DRF's handler (headers, transaction rollback)."""

    def __init__(self, refusal: Refusal):
        self.refusal = refusal
        # A refusal of no kind (never raised by the services) is bad input.
        self.status_code = next(
            (code for kind, code in STATUS_OF_KIND.items() if isinstance(refusal, kind)),
            status.HTTP_400_BAD_REQUEST,
        )
        super().__init__(refusal.message, refusal.code)


def exception_handler(exc, context):
    # Imported here: rest_framework.views reads the API settings, which name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoPermissionDenied) and not isinstance(exc, Refusal):
        # Raised with the name of a rule, for the logs: a person reads why instead.
        exc = ROLE_NOT_ALLOWED()
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django's limits on a multipart body, met while DRF reads it: Django alone would
        # answer its HTML 400 page.
        exc = exceptions.ParseError(PLUMBING_CODES["body_too_large"][1], code="body_too_large")
    if isinstance(exc, Refusal):
        exc = RefusalAnswer(exc)
    elif isinstance(exc, exceptions.Throttled):
        seconds = max(1, math.ceil(exc.wait)) if exc.wait is not None else 60
        exc.wait = seconds
        exc.detail = ErrorDetail(too_many_message(seconds), code="throttled")
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc, response.data)
    return response


def error_body(exc, data) -> dict:
    """The answer's body: `{"code", "detail", "field"}`, plus each field in error for bad
    input."""
    if isinstance(exc, RefusalAnswer):
        refusal = exc.refusal
        body = {}
        if isinstance(refusal, BadInput):
            for each in refusal.refusals:
                if each.field:
                    body.setdefault(each.field, []).append(each.message)
        return {
            **body,
            **refusal.extra(),
            "code": refusal.code,
            "detail": refusal.message,
            "field": refusal.field,
        }
    if isinstance(exc, exceptions.ValidationError):
        if not isinstance(data, dict):
            data = {api_settings.NON_FIELD_ERRORS_KEY: data}
        fields = [name for name in data if name != api_settings.NON_FIELD_ERRORS_KEY]
        return {
            **data,
            "code": INVALID,
            "detail": _first_message(data),
            "field": fields[0] if fields else None,
        }
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        detail = data["detail"]
        code = getattr(detail, "code", None) or exc.default_code
        return {**data, "code": code, "detail": str(detail), "field": None}
    return {
        "code": getattr(exc, "default_code", "error"),
        "detail": _first_message(data),
        "field": None,
    }


def _first_message(errors) -> str:
    """The first message of DRF's errors, however nested (a list, an item of a list…)."""
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_message(value)
        return ""
    if isinstance(errors, list | tuple):
        for value in errors:
            found = _first_message(value)
            if found:
                return found
        return ""
    return str(errors)
