"""Forms of the public needs pages and of the establishment's own pages (signed links)."""

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from makers.models import MAX_QUANTITY, ItemType
from tilab.forms import FilterForm, RefusalsMixin
from tilab.models import Department

from .models import Establishment


def _items():
    return ItemType.objects.filter(is_active=True).order_by("position", "slug")


class BoardFilterForm(FilterForm):
    """Narrow the board by department and item; every field is optional."""

    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("Tous les départements"),
    )
    item = forms.ModelChoiceField(
        label=pgettext_lazy("item", "Objet"),
        queryset=ItemType.objects.order_by("position", "slug"),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les objets"),
    )


class NeedPostForm(RefusalsMixin, forms.Form):
    """An establishment says what it lacks; anyone may post, the contact confirms by e-mail.
    The services check the date, the contact and the item: their refusals come back on the
    fields (`add_refusal`)."""

    establishment_name = forms.CharField(
        label=_("Nom de l'établissement"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    care_type = forms.ChoiceField(
        label=_("Type d'établissement"),
        choices=[("", "—")] + list(Establishment.CareType.choices),
    )
    commune = forms.CharField(
        label=_("Commune"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        empty_label="—",
    )
    item_type = forms.ModelChoiceField(
        label=_("Objet demandé"), queryset=ItemType.objects.none(), empty_label="—"
    )
    quantity = forms.IntegerField(
        label=_("Quantité"),
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text=_("De 1 à 100 000."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    needed_by = forms.DateField(
        label=_("Pour le"),
        help_text=_("La date à laquelle il vous les faut, au plus tard."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    delivery_constraints = forms.CharField(
        label=_("Conditions de livraison"),
        required=False,
        max_length=2000,
        help_text=_("Horaires, accès, emballage… (facultatif)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(
        label=_("Personne à contacter"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = forms.EmailField(
        label=_("Adresse e-mail de contact"),
        max_length=254,
        help_text=_(
            "Pour publier le besoin et suivre les promesses. Elle n'est montrée à personne : "
            "les makers vous écrivent par la plateforme."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_type"].queryset = _items()

    def _stripped(self, name: str, message: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise forms.ValidationError(message)
        return value

    def clean_establishment_name(self):
        return self._stripped("establishment_name", _("Indiquez le nom de l'établissement."))

    def clean_commune(self):
        return self._stripped("commune", _("Indiquez la commune."))


class DeliveryConfirmForm(RefusalsMixin, forms.Form):
    """What the establishment really received, from nothing to what was declared."""

    refusal_fields = {"confirmed_quantity": "received"}

    received = forms.IntegerField(label=_("Quantité reçue"), min_value=0)

    def __init__(self, *args, declared: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["received"]
        field.max_value = declared
        field.validators.append(MaxValueValidator(declared))
        field.widget.attrs.update({"min": 0, "max": declared, "inputmode": "numeric"})
        field.help_text = _("De 0 à %(max)s : ce que vous avez effectivement reçu.") % {
            "max": declared
        }
        if not self.is_bound:
            self.initial["received"] = declared


class EstablishmentMessageForm(forms.Form):
    """The establishment writes to a producer who pledged; the platform relays it by e-mail."""

    pledge = forms.TypedChoiceField(label=_("À"), coerce=int)
    body = forms.CharField(
        label=_("Votre message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, pledges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pledge"].choices = [(p.pk, p.public_name) for p in pledges]


class LinksResendForm(forms.Form):
    email = forms.EmailField(
        label=_("L'adresse e-mail donnée en déposant le besoin"), max_length=254
    )
