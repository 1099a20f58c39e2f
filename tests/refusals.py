"""Asserting a service's refusal by its code (tilab/errors.py), never by its sentence."""

from contextlib import contextmanager

import pytest

from tilab.errors import Refusal

_ANY = object()


@contextmanager
def refused(code: str, *, kind: type[Refusal] = Refusal, field=_ANY, **params):
    """The block raises a refusal of this code (and kind, field and message parameters, when
    given): `with refused("report_already_decided", kind=WrongState): …`."""
    with pytest.raises(kind) as caught:
        yield caught
    refusal = caught.value
    assert refusal.code == code, f"refused with {refusal.code!r} ({refusal.message}), not {code!r}"
    if field is not _ANY:
        assert refusal.field == field, f"{code} concerns {refusal.field!r}, not {field!r}"
    for name, value in params.items():
        assert refusal.params.get(name) == value, f"{code}: {name}={refusal.params.get(name)!r}"


ERROR_KEYS = {"code", "detail", "field"}


def fields_named(body: dict) -> set[str]:
    """The fields (or query parameters) an API error answer names as in error."""
    return set(body) - ERROR_KEYS


def answered(response, status: int, code: str, *, field=_ANY) -> dict:
    """The API answered with this status and error code (and field, when given); the body."""
    body = response.json()
    assert (response.status_code, body.get("code")) == (status, code), body
    if field is not _ANY:
        assert body["field"] == field, body
    return body
