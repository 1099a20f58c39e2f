"""Forms of the production pages: profiles, reports, and the relay's decisions."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from tilab.forms import EurosField, RefusalsMixin
from tilab.models import Department

from .models import MAX_QUANTITY, ItemType, Maker


class MakerProfileForm(forms.ModelForm):
    class Meta:
        model = Maker
        fields = ["display_name", "department", "commune", "skills", "equipment", "is_public"]
        widgets = {
            "skills": forms.Textarea(attrs={"rows": 3}),
            "equipment": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"
        self.fields["commune"].widget.attrs["autocomplete"] = "address-level2"


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ProductionReportForm(RefusalsMixin, forms.Form):
    """What a maker produced: a few taps on a phone. The services check the rules; their
    refusals come back on the fields (`add_refusal`). Relay staff typing for a maker
    (`for_relay`) read of the maker, not of themselves."""

    item_type = ItemChoiceField(
        label=_("Article"),
        queryset=ItemType.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    quantity = forms.IntegerField(
        label=_("Quantité"),
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    produced_on = forms.DateField(
        label=_("Date de production"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    material_cost_cents = EurosField(
        label=_("Coût matière (€)"),
        required=False,
        help_text=_("Ce que vous a coûté la matière, par exemple 12,50. Laissez vide si rien."),
    )
    recipient = forms.CharField(
        label=_("Livré à"),
        required=False,
        max_length=200,
        help_text=_("Facultatif : « CHU Rennes », « EHPAD Lannion »…"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Pour le compte de"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Moi-même (maker indépendant)"),
    )

    def __init__(
        self, *args, organisations=None, recipients=(), now=None, for_relay=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if for_relay:
            self.fields["material_cost_cents"].help_text = _(
                "Ce que la matière a coûté au maker, par exemple 12,50. Laissez vide si rien."
            )
            self.fields["organisation"].empty_label = _("Aucune (maker indépendant)")
        today = timezone.localdate(now)
        self.fields["item_type"].queryset = ItemType.objects.filter(is_active=True).order_by(
            "position", "slug"
        )
        self.fields["produced_on"].widget.attrs.update(
            {"max": today.isoformat(), "min": "2020-01-01"}
        )
        if not self.is_bound and "produced_on" not in self.initial:
            self.initial["produced_on"] = today
        if organisations is None:
            organisations = Organisation.objects.none()
        self.fields["organisation"].queryset = organisations
        self.recipients = list(recipients)
        self.fields["recipient"].widget.attrs["list"] = "recipients"

    def clean_material_cost_cents(self):
        return self.cleaned_data["material_cost_cents"] or 0


class OnBehalfReportForm(ProductionReportForm):
    """Relay staff entering a report for a maker, who may be new to the platform."""

    refusal_fields = {"display_name": "new_maker_name"}

    maker = forms.ModelChoiceField(
        label=_("Maker"),
        queryset=Maker.objects.none(),
        required=False,
        empty_label=_("— Nouveau maker —"),
        help_text=_(
            "Choisissez le maker, ou laissez « Nouveau maker » et présentez-le ci-dessous."
        ),
    )
    new_maker_name = forms.CharField(
        label=_("Nom du nouveau maker"), max_length=150, required=False
    )
    new_maker_department = forms.ModelChoiceField(
        label=_("Département du nouveau maker"),
        queryset=Department.objects.none(),
        required=False,
    )
    new_maker_commune = forms.CharField(
        label=_("Commune du nouveau maker"), max_length=100, required=False
    )
    new_maker_email = forms.EmailField(
        label=_("Adresse e-mail du nouveau maker"),
        required=False,
        help_text=_("Facultative : pour lui envoyer le motif d'un refus."),
    )
    new_maker_phone = forms.CharField(
        label=_("Téléphone du nouveau maker"),
        max_length=30,
        required=False,
        help_text=_("Facultatif : pour le prévenir d'un refus."),
    )

    field_order = [
        "maker",
        "new_maker_name",
        "new_maker_department",
        "new_maker_commune",
        "new_maker_email",
        "new_maker_phone",
        "item_type",
        "quantity",
        "produced_on",
        "material_cost_cents",
        "recipient",
        "organisation",
    ]

    def __init__(self, *args, makers, departments, **kwargs):
        super().__init__(*args, for_relay=True, **kwargs)
        self.fields["maker"].queryset = makers
        self.fields["new_maker_department"].queryset = departments
        self.order_fields(self.field_order)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("maker") and not (cleaned.get("new_maker_name") or "").strip():
            self.add_error(
                "new_maker_name",
                _("Choisissez un maker dans la liste, ou indiquez le nom du nouveau maker."),
            )
        if not cleaned.get("maker") and not cleaned.get("new_maker_department"):
            self.add_error("new_maker_department", _("Indiquez le département du nouveau maker."))
        return cleaned


class DecisionForm(RefusalsMixin, forms.Form):
    """The relay's decision on the reports ticked in the queue, or on one row's button (a
    rejection's reason is the service's rule: its refusal comes back on `reason`)."""

    VALIDATE = "validate"
    REJECT = "reject"
    # The form's first, hidden button: Enter in a row's box "presses" it (browsers send a form
    # implicitly with its first button), and it decides nothing.
    NOTHING = "nothing"

    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    validate_one = forms.IntegerField(required=False)
    # A row's own "Refuser" button; its reason is that row's `row_reason_<id>`.
    reject_one = forms.IntegerField(required=False)
    # "<rejected id>-<kept id>": a flagged row's button keeping the other report of the pair.
    keep_other = forms.RegexField(regex=r"^[0-9]{1,18}-[0-9]{1,18}$", required=False)
    action = forms.ChoiceField(
        choices=[(VALIDATE, _("Valider")), (REJECT, _("Refuser")), (NOTHING, _("Rien"))],
        required=False,
    )
    reason = forms.CharField(
        label=_("Motif du refus"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire pour refuser : le maker le lira."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; which ones the user may decide on is checked against the queue.
        self.fields["ids"].valid_value = lambda value: True
        # A row refused on its own has its reason field, where the service's refusal goes.
        row = self.row_refused()
        if row is not None:
            self.fields[f"row_reason_{row}"] = forms.CharField(
                label=self.fields["reason"].label, required=False, max_length=2000
            )
            self.refusal_fields = {"reason": f"row_reason_{row}"}

    def row_refused(self) -> int | None:
        """The id of the row whose own "Refuser" button was pressed, if one was."""
        value = self.data.get("reject_one", "") if self.is_bound else ""
        return int(value) if str(value).isdigit() and len(str(value)) < 19 else None

    def ticked(self) -> set[int]:
        """The ids ticked when the form was sent, to tick them again when it comes back."""
        if not self.is_bound:
            return set()
        values = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return {int(v) for v in values if v.isdigit() and len(v) < 19}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.NOTHING:
            cleaned["chosen"] = []
            return cleaned
        if cleaned.get("validate_one"):
            cleaned["action"], cleaned["chosen"] = self.VALIDATE, [cleaned["validate_one"]]
            return cleaned
        if cleaned.get("reject_one"):
            row = cleaned["reject_one"]
            cleaned["action"], cleaned["chosen"] = self.REJECT, [row]
            cleaned["reason"] = cleaned.get(f"row_reason_{row}", "")
            return cleaned
        if cleaned.get("keep_other"):
            rejected, kept = (int(pk) for pk in cleaned["keep_other"].split("-"))
            cleaned["action"], cleaned["chosen"], cleaned["kept"] = self.REJECT, [rejected], kept
            return cleaned
        if not cleaned.get("action"):
            raise ValidationError(_("Choisissez de valider ou de refuser."))
        cleaned["chosen"] = sorted(set(cleaned.get("ids") or []))
        if not cleaned["chosen"]:
            raise ValidationError(_("Cochez au moins une déclaration."))
        return cleaned


class RejectionSendForm(RefusalsMixin, forms.Form):
    """Where and in which language a relay sends a refusal to a maker without an account."""

    email = forms.EmailField(
        label=_("Adresse e-mail du maker"),
        help_text=_("Elle est gardée sur sa fiche pour la prochaine fois."),
    )
    language = forms.ChoiceField(
        label=_("Langue de l'e-mail"), choices=settings.LANGUAGES, initial="fr"
    )
