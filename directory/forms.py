"""Forms of the directory: its filters, a request to join, an organisation's description, and
the facilitators' curation. The rules are the services' (directory/errors.py): the forms show
their refusals (RefusalsMixin)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fablabs.models import Capability, Organisation
from fablabs.siret import siret_clean
from tilab.errors import BadInput
from tilab.forms import FilterForm, RefusalsMixin
from tilab.i18n import localised
from tilab.models import Department

from .selectors import capabilities_ordered


def capability_name(capability: Capability) -> str:
    """A capability's name in the page's language."""
    return localised(capability, "name")


class CapabilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, capability):
        return capability_name(capability)


class CapabilitiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, capability):
        return capability_name(capability)


class DirectoryFilterForm(FilterForm):
    """Search and narrow the directory; every field is optional, a wrong value filters
    nothing."""

    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=100,
        help_text=_("Un nom, une commune, un mot de la description."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("Tous les départements"),
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Tous les types")), *Organisation.Kind.choices],
        required=False,
    )
    capability = CapabilityChoiceField(
        label=_("Savoir-faire"),
        queryset=capabilities_ordered(),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les savoir-faire"),
    )


class MembershipRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message aux responsables (facultatif)"),
        required=False,
        max_length=1000,
        help_text=_("Ce que vous faites, ce que vous aimeriez faire avec eux."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SiretField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SIRET"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("14 chiffres ; obligatoire pour une PME."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        try:
            return siret_clean(value)
        except BadInput as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from refusal


class OrganisationEditForm(RefusalsMixin, forms.ModelForm):
    """What an organisation's managers describe; its name and kind are curated. An SME's
    SIRET is required by the service (`organisation_update`)."""

    siret = SiretField()
    website = forms.URLField(
        label=_("Site web"), required=False, max_length=200, assume_scheme="https"
    )
    capabilities = CapabilitiesField(
        label=_("Savoir-faire"),
        queryset=capabilities_ordered(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organisation
        fields = [
            "description",
            "commune",
            "website",
            "siret",
            "equipment",
            "capabilities",
            "has_place",
            "is_public",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "equipment": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["website"].widget.attrs["autocomplete"] = "url"


class KindCorrectForm(RefusalsMixin, forms.Form):
    """A new kind for an organisation; the service refuses the same kind, and an SME without
    a SIRET (`organisation_kind_correct`)."""

    kind = forms.ChoiceField(label=_("Nouveau type"), choices=Organisation.Kind.choices)
    siret = SiretField(help_text=_("Obligatoire si l'organisation devient une PME."))
    motivation = forms.CharField(
        label=_("Motivation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Consignée avec la correction."),
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["kind"].initial = organisation.kind
        self.fields["kind"].widget.attrs["aria-describedby"] = "kind-current"


class MergeTargetField(forms.ModelChoiceField):
    def label_from_instance(self, organisation):
        return f"{organisation.name} ({organisation.commune or organisation.department_id})"


class MergeForm(RefusalsMixin, forms.Form):
    into = MergeTargetField(
        label=_("Fusionner dans"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        empty_label=_("Choisir l'organisation qui reste"),
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme : ses membres (comme simples membres), ses demandes et ses "
            "déclarations passent à l'organisation choisie, et cette fiche quitte l'annuaire."
        )
    )
    motivation = forms.CharField(
        label=_("Motivation de la fusion"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets
