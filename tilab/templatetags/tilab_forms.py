"""What a page says about its forms, from one place for every page: the summary of their errors
at the top (RGAA 11.10), the "Erreur" prefix of the title, and what the required mark means.

The forms are found in the template's context, so a view has nothing to add: any form or
formset the page renders, once bound and refused, shows in the summary. A form the page reaches
through an object (`pledge.delivery_form`) is handed over in a list (`refused_forms`)."""

from dataclasses import dataclass

from django import template
from django.contrib.messages import constants as message_levels
from django.forms import BaseForm, BaseFormSet
from django.utils.translation import gettext as _

register = template.Library()


@dataclass(frozen=True)
class PageError:
    href: str
    label: str
    message: str


def _forms_in(context) -> list[BaseForm]:
    # By their type, not isinstance: isinstance asks a lazy value (the to-do, the user) for its
    # __class__, which computes it, on every page, for a form it never is.
    forms, seen = [], set()
    for value in context.flatten().values():
        kind = type(value)
        if issubclass(kind, BaseFormSet):
            candidates = value.forms
        elif issubclass(kind, (list, tuple)):  # a page's refused forms, handed over as a list
            candidates = [each for each in value if issubclass(type(each), BaseForm)]
        else:
            candidates = [value]
        for form in candidates:
            if issubclass(type(form), BaseForm) and id(form) not in seen:
                seen.add(id(form))
                forms.append(form)
    return forms


# The id of the block that shows a form's own refusal, above its buttons (only the form that
# was sent shows one, so one id is enough).
FORM_ERRORS_ANCHOR = "formulaire-erreurs"


def page_errors_of(forms) -> list[PageError]:
    """Each error of the refused forms, as a link to the field it concerns (or, for a refusal
    of the whole form, to where the form shows it)."""
    errors = []
    for form in forms:
        if not form.is_bound or not form.errors:
            continue
        for name, messages in form.errors.items():
            field = form[name] if name in form.fields else None
            if field is None or field.is_hidden:
                href, label = "#" + FORM_ERRORS_ANCHOR, ""
            else:
                widget = field.field.widget
                href = "#" + (widget.id_for_label(field.auto_id) or field.auto_id or "")
                label = str(field.label or name)
            errors.extend(PageError(href=href, label=label, message=str(m)) for m in messages)
    return errors


def _has_refused_messages(context) -> bool:
    return any(m.level >= message_levels.ERROR for m in context.get("messages") or ())


@register.inclusion_tag("tilab/forms/_page_errors.html", takes_context=True)
def page_errors(context):
    """The error summary of the page's forms and, once, what the required mark means."""
    forms = _forms_in(context)
    return {
        "errors": page_errors_of(forms),
        "marks_required": any(
            field.field.required and not field.is_hidden
            for form in forms
            if not form.is_bound or form.errors
            for field in form
        ),
    }


@register.simple_tag(takes_context=True)
def error_title_prefix(context) -> str:
    """ "Erreur : " before the title of a page whose form or action was refused (RGAA 11.10)."""
    if page_errors_of(_forms_in(context)) or _has_refused_messages(context):
        return _("Erreur : ")
    return ""
