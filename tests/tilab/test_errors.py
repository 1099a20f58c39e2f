"""The error vocabulary: a refusal's kind decides the API's status and its body always carries
a code; a form shows a refusal on its field, or at the top; each rule's code and sentence are
declared once."""

import ast
import importlib
import pickle
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import ngettext_lazy
from rest_framework import exceptions

from tilab.api_errors import exception_handler
from tilab.errors import (
    ROLE_NOT_ALLOWED,
    BadInput,
    Code,
    NotAllowed,
    NotFound,
    Refusal,
    WrongState,
)
from tilab.forms import RefusalsMixin

APPS = ["tilab", "fablabs", "makers", "figures", "directory", "subsidies", "workshops", "needs"]
# Where codes are declared: each app's errors.py, and the importer's own (a package of makers).
ERROR_MODULES = [*(f"{app}.errors" for app in APPS), "makers.importing.errors"]
QUANTITY = Code("quantity_out_of_range", BadInput, "La quantité va de 1 à %(max)s.", "quantity")
DATE = Code("produced_on_in_future", BadInput, "La date est dans le futur.", "produced_on")


def answer(exc):
    return exception_handler(exc, {})


# --- The API: one exception handler -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"), [(BadInput, 400), (NotAllowed, 403), (NotFound, 404), (WrongState, 409)]
)
def test_each_kind_of_refusal_answers_its_status_with_code_detail_and_field(kind, status):
    response = answer(kind("report_already_decided", "Déjà décidée (n° %(id)s).", params={"id": 7}))
    assert response.status_code == status
    assert response.data == {
        "code": "report_already_decided",
        "detail": "Déjà décidée (n° 7).",
        "field": None,
    }


def test_bad_input_also_names_each_field_as_validation_errors_do():
    refusal = QUANTITY(max="100 000")
    refusal.others = [DATE()]
    response = answer(refusal)
    assert (response.status_code, response.data) == (
        400,
        {
            "quantity": ["La quantité va de 1 à 100 000."],
            "produced_on": ["La date est dans le futur."],
            "code": "quantity_out_of_range",
            "detail": "La quantité va de 1 à 100 000.",
            "field": "quantity",
        },
    )


def test_a_state_refusal_names_its_field_without_a_list_of_messages():
    response = answer(WrongState("pledge_withdrawn", "Retirée.", field="pledge"))
    assert response.data == {"code": "pledge_withdrawn", "detail": "Retirée.", "field": "pledge"}


def test_a_refusal_is_read_in_the_language_of_the_request():
    with translation.override("en"):
        assert answer(ROLE_NOT_ALLOWED()).data["detail"] == "Your role does not allow this action."
    assert answer(ROLE_NOT_ALLOWED()).data["detail"] == "Votre rôle ne permet pas cette action."


def test_a_refusal_may_add_keys_of_its_own_to_the_answer():
    class Lines(BadInput):
        def extra(self):
            return {"errors": [{"line": 3, "code": "date_unreadable"}]}

    response = answer(Lines("import_rejected", "Une ligne est à corriger."))
    assert (response.status_code, response.data) == (
        400,
        {
            "errors": [{"line": 3, "code": "date_unreadable"}],
            "code": "import_rejected",
            "detail": "Une ligne est à corriger.",
            "field": None,
        },
    )


def test_drf_validation_errors_keep_their_shape_and_get_a_code():
    errors = {"quantity": ["Un nombre entier valide est requis."], "item_type": ["Requis."]}
    response = answer(exceptions.ValidationError(errors))
    assert response.status_code == 400
    assert response.data == {
        **errors,
        "code": "invalid",
        "detail": "Un nombre entier valide est requis.",
        "field": "quantity",
    }


def test_a_validation_error_about_no_field_names_none():
    response = answer(exceptions.ValidationError({"non_field_errors": ["Incohérent."]}))
    assert (response.data["code"], response.data["field"]) == ("invalid", None)
    assert response.data["non_field_errors"] == ["Incohérent."]


def test_a_validation_error_of_a_list_or_a_nested_input_still_has_a_first_message():
    assert answer(exceptions.ValidationError("Illisible.")).data == {
        "non_field_errors": ["Illisible."],
        "code": "invalid",
        "detail": "Illisible.",
        "field": None,
    }
    nested = answer(exceptions.ValidationError({"ids": {"0": ["Entier requis."]}})).data
    assert (nested["detail"], nested["field"], nested["ids"]) == (
        "Entier requis.",
        "ids",
        {"0": ["Entier requis."]},
    )


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (Http404(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.ParseError(), 400, "parse_error"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
    ],
)
def test_drf_errors_keep_their_status_and_get_their_own_code(exc, status, code):
    response = answer(exc)
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        status,
        code,
        None,
    )
    assert response.data["detail"]


def test_a_permission_refused_below_the_api_reads_as_a_role_refusal():
    response = answer(PermissionDenied("subsidies.approve_allocation"))
    assert (response.status_code, response.data) == (
        403,
        {
            "code": "role_not_allowed",
            "detail": "Votre rôle ne permet pas cette action.",
            "field": None,
        },
    )


def test_too_many_requests_say_when_to_come_back_in_words():
    response = answer(exceptions.Throttled(wait=90))
    assert (response.status_code, response.data["code"], response["Retry-After"]) == (
        429,
        "throttled",
        "90",
    )
    assert "2 minutes" in response.data["detail"]


def test_what_is_not_an_error_of_the_api_is_left_to_django():
    assert answer(ValueError("a bug")) is None


# --- Pages: the same refusals ----------------------------------------------------------------


def test_a_page_that_does_not_catch_a_refusal_answers_as_django_would():
    assert isinstance(ROLE_NOT_ALLOWED(), PermissionDenied)
    assert isinstance(NotFound("report_not_found", "Introuvable."), Http404)
    assert not isinstance(BadInput("x", "y"), PermissionDenied | Http404)


class ReportForm(RefusalsMixin, forms.Form):
    quantity = forms.IntegerField()
    produced_on_day = forms.DateField()

    refusal_fields = {"produced_on": "produced_on_day"}


def bound_form() -> ReportForm:
    form = ReportForm({"quantity": "0", "produced_on_day": "2020-04-01"})
    assert form.is_valid()
    return form


def test_a_form_shows_a_refusal_on_its_field_with_its_code():
    form = bound_form()
    form.add_refusal(QUANTITY(max="100 000"))
    assert form.errors["quantity"] == ["La quantité va de 1 à 100 000."]
    assert form.has_error("quantity", "quantity_out_of_range")
    assert not form.non_field_errors()


def test_a_form_shows_a_refusal_of_no_field_or_of_a_field_it_lacks_at_the_top():
    form = bound_form()
    form.add_refusal(WrongState("report_already_decided", "Déjà décidée."))
    form.add_refusal(BadInput("maker_outside_relay", "Hors relais.", field="maker"))
    assert form.non_field_errors() == ["Déjà décidée.", "Hors relais."]
    assert form.has_error(NON_FIELD_ERRORS, "maker_outside_relay")


def test_a_form_renames_a_services_field_and_shows_refusals_gathered_together():
    form = bound_form()
    refusal = QUANTITY(max="100 000")
    refusal.others = [DATE()]
    form.add_refusal(refusal)
    assert form.has_error("quantity", "quantity_out_of_range")
    assert form.has_error("produced_on_day", "produced_on_in_future")


def test_a_refusal_survives_pickling_with_its_field_params_and_companions():
    refusal = QUANTITY(max=3)
    refusal.others = [DATE()]
    copy = pickle.loads(pickle.dumps(refusal))
    assert (type(copy), copy.code, copy.field, copy.message) == (
        BadInput,
        "quantity_out_of_range",
        "quantity",
        "La quantité va de 1 à 3.",
    )
    assert [other.code for other in copy.refusals] == [
        "quantity_out_of_range",
        "produced_on_in_future",
    ]
    assert pickle.loads(pickle.dumps(ROLE_NOT_ALLOWED())).message == ROLE_NOT_ALLOWED().message


def test_a_plural_message_takes_the_form_of_its_count():
    lines = Code(
        "import_rejected",
        BadInput,
        ngettext_lazy("%(count)d ligne à corriger.", "%(count)d lignes à corriger.", "count"),
    )
    assert (lines(count=1).message, lines(count=3).message) == (
        "1 ligne à corriger.",
        "3 lignes à corriger.",
    )


def test_refusals_raised_together_travel_as_one():
    with pytest.raises(BadInput) as caught:
        Refusal.raise_all([QUANTITY(max=3), DATE()])
    assert [refusal.code for refusal in caught.value.refusals] == [
        "quantity_out_of_range",
        "produced_on_in_future",
    ]
    Refusal.raise_all([])  # nothing refused: nothing raised


# --- The vocabulary: each code and each sentence declared once ------------------------------


def declared_codes() -> list[tuple[str, str, Code]]:
    """(module, name, code) of every declared code."""
    found = []
    for module_name in ERROR_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, Code):
                found.append((module_name, name, value))
    return found


def test_every_code_is_snake_case_of_a_known_kind_with_a_translated_message():
    codes = declared_codes()
    assert len(codes) > 100
    for app, name, code in codes:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code.code), (app, name)
        assert code.kind in (BadInput, NotAllowed, NotFound, WrongState), (app, name)
        assert isinstance(code.message, Promise), f"{app}.errors.{name} is not translated"


def test_a_code_means_one_kind_of_refusal_everywhere():
    kinds = {}
    for app, name, code in declared_codes():
        kinds.setdefault(code.code, set()).add(code.kind)
    assert {code: kind for code, kind in kinds.items() if len(kind) > 1} == {}


def source_strings() -> dict[str, set[str]]:
    """Each string of the apps' Python source (implicit concatenations joined), and the
    modules that hold it."""
    found: dict[str, set[str]] = {}
    base = Path(settings.BASE_DIR)
    for app in APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.setdefault(node.value, set()).add(str(path.relative_to(base)))
    return found


def msgids(message) -> list[str]:
    """A declared message as written in the source: its msgid, or a plural's two forms."""
    if message._args:
        return [message._args[0]]
    return [message._kw["singular"], message._kw["plural"]]


def test_the_sentence_of_a_rule_is_written_in_one_module():
    strings = source_strings()
    for module, name, code in declared_codes():
        for text in msgids(code.message):
            path = module.replace(".", "/") + ".py"
            assert strings[text] == {path}, (name, text, strings[text])
