"""Forms of the public workshop pages: the agenda's filters and a guest's registration."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tilab.forms import FilterForm, RefusalsMixin
from tilab.i18n import localised
from tilab.models import Department

from .models import Theme


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, theme):
        return localised(theme, "name")


class AgendaFilterForm(FilterForm):
    """Narrow the agenda by department and theme; every field is optional."""

    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("Tous les départements"),
    )
    theme = ThemeChoiceField(
        label=_("Thème"),
        queryset=Theme.objects.order_by("position", "slug"),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les thèmes"),
    )


class GuestRegistrationForm(RefusalsMixin, forms.Form):
    """A person without an account registers with a name and an e-mail address (the service
    refuses a blank name, name_missing: its refusal comes back here)."""

    name = forms.CharField(
        label=_("Votre nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Votre adresse e-mail"),
        max_length=254,
        help_text=_(
            "Pour vous confirmer l'inscription et vous envoyer un lien d'annulation. "
            "Elle n'est montrée à personne d'autre que les animateurs de l'atelier."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
