"""Forms of cooperation pacts: they check types and shapes; the rules are the services'."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker
from tilab.forms import EurosField, FilterForm, RefusalsMixin
from tilab.models import Department

from .models import Commitment, Licence, Party, Theme


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReviewDatesField(forms.CharField):
    """Dates written one per line or separated by commas (AAAA-MM-JJ)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(day.isoformat() for day in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        days = []
        for part in text.replace(",", "\n").split():
            try:
                days.append(datetime.date.fromisoformat(part.strip()))
            except ValueError:
                raise forms.ValidationError(
                    _("Écrivez chaque date sous la forme AAAA-MM-JJ, une par ligne."),
                    code="invalid",
                ) from None
        return days


class PactTextForm(RefusalsMixin, forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    purpose = forms.CharField(label=_("Objet du pacte"), widget=forms.Textarea(attrs={"rows": 4}))
    commons = forms.CharField(
        label=_("Communs produits"),
        help_text=_("Plans ouverts, documentation, logiciels… publiés sous la licence choisie."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    licence = forms.ChoiceField(label=_("Licence ouverte"), choices=Licence.choices)
    starts_on = forms.DateField(label=_("Début"), widget=DateInput())
    ends_on = forms.DateField(label=_("Fin"), widget=DateInput())
    review_dates = ReviewDatesField(
        label=_("Dates de revue"),
        required=False,
        help_text=_("Une date par ligne (AAAA-MM-JJ) : un rapport est attendu à chacune."),
    )


class PactCreateForm(PactTextForm):
    theme = forms.ChoiceField(label=_("Thème"), choices=Theme.choices)
    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("Toute la région"),
    )


class AmendmentTextForm(PactTextForm):
    amendment_reason = forms.CharField(
        label=_("Motif de l'avenant"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PartyForm(RefusalsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type de partie"), choices=Party.Kind.choices)
    name = forms.CharField(
        label=_("Nom (personne publique)"),
        max_length=200,
        required=False,
        help_text=_("« Région Bretagne », « Commune de Rennes »…"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation (FabLab, collectif)"),
        queryset=Organisation.objects.filter(merged_into__isnull=True).order_by("name"),
        required=False,
    )
    maker = forms.ModelChoiceField(
        label=_("Maker"),
        queryset=Maker.objects.filter(user__isnull=False).order_by("display_name"),
        required=False,
    )
    representative = forms.EmailField(
        label=_("Adresse e-mail de la personne qui signe"),
        help_text=_("Elle signe depuis son propre compte sur la plateforme."),
    )

    def clean_representative(self):
        email = self.cleaned_data["representative"]
        return get_user_model().objects.filter(email__iexact=email, is_active=True).first()


class CommitmentForm(RefusalsMixin, forms.Form):
    party = forms.ModelChoiceField(label=_("Partie"), queryset=Party.objects.none())
    kind = forms.ChoiceField(label=_("Ce qu'elle apporte"), choices=Commitment.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    amount_cents = EurosField(label=_("Montant (euros, pour de l'argent)"), required=False)

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = version.parties.order_by("position", "pk")


class SignForm(RefusalsMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "J'ai relu ce texte et je l'engage au nom de la partie que je représente. "
            "Une signature ne se retire pas."
        ),
        required=False,
    )


class MotivationForm(RefusalsMixin, forms.Form):
    motivation = forms.CharField(
        label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(RefusalsMixin, forms.Form):
    summary = forms.CharField(
        label=_("Ce que le pacte a fait"), widget=forms.Textarea(attrs={"rows": 4})
    )
    figures = forms.CharField(
        label=_("Chiffres"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Un par ligne : intitulé ; valeur entière ; unité (« Visières ; 1200 ; pièces »)."
        ),
    )
    attachments = MultipleFileField(label=_("Pièces jointes"), required=False)

    def clean_figures(self):
        figures = []
        for line in self.cleaned_data["figures"].splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            try:
                value = int(parts[1].replace(" ", "").replace("\u202f", ""))
            except (IndexError, ValueError):
                raise forms.ValidationError(
                    _("Ligne « %(line)s » : intitulé ; valeur entière ; unité."),
                    code="invalid",
                    params={"line": line[:80]},
                ) from None
            figures.append((parts[0], value, parts[2] if len(parts) > 2 else ""))
        return figures


class RegisterFilterForm(FilterForm):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("Tous"),
    )
    party_kind = forms.ChoiceField(
        label=_("Type de partie"), choices=[("", _("Tous")), *Party.Kind.choices], required=False
    )
    theme = forms.ChoiceField(
        label=_("Thème"), choices=[("", _("Tous")), *Theme.choices], required=False
    )
