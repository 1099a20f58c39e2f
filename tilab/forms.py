"""Form plumbing shared by every app: a service's refusal shown on its field, and amounts in
euros as people type them."""

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from .errors import BadInput, Refusal
from .money import format_euros, parse_euros


def email_errors_with_an_example() -> None:
    """Every e-mail field of the site says what an address looks like when one is refused
    (RGAA 11.11: an error gives an example of the expected form)."""
    # On the validator's class, not a field's messages: form fields are built when their module
    # is imported, some (allauth's) before this app is ready; the validator reads it when it runs.
    validators.EmailValidator.message = _(
        "Saisissez une adresse e-mail valide, par exemple : nom@exemple.fr."
    )


class RefusalsMixin:
    """For a form (Form or ModelForm) that shows a service's refusals where they belong: each
    on its field, or at the top of the form when it concerns no field of this form
    (tilab.errors). The form checks types and shapes; the rules are the service's, so a page
    view calls the service and hands its refusal over:

        try:
            services.thing_do(**form.cleaned_data)
        except BadInput as refusal:
            form.add_refusal(refusal)

    `refusal_fields` renames a service's field to this form's (`{"display_name": "name"}`).
    The error keeps the refusal's code: `form.has_error("quantity", "quantity_out_of_range")`.
    """

    refusal_fields: dict[str, str] = {}

    def add_refusal(self, refusal: Refusal) -> None:
        for each in refusal.refusals:
            field = self.refusal_fields.get(each.field, each.field)
            self.add_error(
                field if field in self.fields else None,
                forms.ValidationError(each.message, code=each.code),
            )


class EurosField(forms.Field):
    """Euros typed with a decimal comma or point ("12,50", "1 234,5 €"); cleans to cents."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_euros(value).replace("\u00a0€", "").replace("\u202f", " ")
        return value

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            return parse_euros(str(value)[:40])
        except BadInput:
            raise forms.ValidationError(
                _("Indiquez un montant en euros, par exemple 12,50 (sans nombre négatif)."),
                code="invalid",
            ) from None


class FilterForm(forms.Form):
    """The filters of a list page, read from the query string; never an error page."""

    def chosen(self) -> dict:
        """The filters that were chosen and are valid; a wrong value filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value not in (None, "")}


class PersonalTokenForm(forms.Form):
    """What a new personal API token may do; nothing chosen is "read", the least."""

    scope = forms.ChoiceField(
        label=_("Ce que le jeton permet"),
        choices=[],
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, money: bool, **kwargs):
        from .models import TokenScope

        super().__init__(*args, **kwargs)
        choices = TokenScope.choices if money else TokenScope.choices[:2]
        self.fields["scope"].choices = [(value, label.capitalize()) for value, label in choices]
        self.fields["scope"].initial = TokenScope.READ

    def clean_scope(self) -> str:
        from .models import TokenScope

        return self.cleaned_data["scope"] or TokenScope.READ


class NoticePreferencesForm(RefusalsMixin, forms.Form):
    """One choice per kind of notice the person may hear of (tilab.notices); security notices
    are shown apart, with no choice."""

    def __init__(self, *args, kinds, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        from .models import NoticePreference

        labels = dict(NoticePreference.Delivery.choices)
        for kind in kinds:
            if kind.security:
                continue
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.help_text,
                choices=[(choice, labels[choice]) for choice in kind.choices],
                initial=current.get(kind.code, kind.default),
                widget=forms.RadioSelect,
                # One choice is always ticked; a kind left out keeps its choice.
                required=False,
            )

    def chosen(self) -> dict[str, str]:
        """The choices sent, kind by kind (those left out are not changed)."""
        return {code: value for code, value in self.cleaned_data.items() if value}
