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
- Django's PermissionDenied raised below a view answers 403 "role_not_allowed".

The OpenAPI side of these answers is in tilab/schema.py (`error_responses`).
"""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

from .errors import ROLE_NOT_ALLOWED, BadInput, NotAllowed, NotFound, Refusal, WrongState
from .throttling import too_many_message

STATUS_OF_KIND = {
    BadInput: status.HTTP_400_BAD_REQUEST,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    WrongState: status.HTTP_409_CONFLICT,
}
INVALID = "invalid"


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
