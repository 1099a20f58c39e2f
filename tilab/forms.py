"""Form fields shared by every app: amounts in euros as people type them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .money import NumberInvalid, format_euros, parse_euros


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
        except NumberInvalid:
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
