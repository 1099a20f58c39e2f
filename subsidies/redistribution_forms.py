"""Forms of the relay's redistribution pages: own-use lines, adjustments, payments, bank details."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput
from tilab.forms import EurosField, RefusalsMixin

from . import services

OWN_USE_ROWS = 3  # blank rows offered at a time: enough for PLA, PET sheets and prototypes


class OwnUseForm(forms.Form):
    """One line the relay keeps for itself, with what it pays for. A blank row is ignored."""

    purpose = forms.CharField(
        label=_("Objet"),
        max_length=200,
        required=False,
    )
    amount_cents = EurosField(label=_("Montant (€)"), required=False)

    def clean(self):
        cleaned = super().clean()
        purpose = (cleaned.get("purpose") or "").strip()
        amount = cleaned.get("amount_cents")
        if purpose and amount is None and "amount_cents" not in self.errors:
            self.add_error("amount_cents", _("Indiquez le montant de cette ligne."))
        if amount is not None and not purpose:
            self.add_error("purpose", _("Indiquez l'objet de cette ligne."))
        return cleaned

    def as_line(self) -> tuple[str, int] | None:
        purpose = (self.cleaned_data.get("purpose") or "").strip()
        if not purpose:
            return None
        return purpose, self.cleaned_data["amount_cents"]


OwnUseFormSet = forms.formset_factory(
    OwnUseForm, extra=OWN_USE_ROWS, max_num=OWN_USE_ROWS, validate_max=True
)


def own_use_lines(formset) -> list[tuple[str, int]]:
    """The filled rows of a valid own-use formset, in the order typed."""
    return [line for form in formset.forms if (line := form.as_line()) is not None]


class AdjustForm(RefusalsMixin, forms.Form):
    """A new amount for each line of a proposed redistribution, and why."""

    motivation = forms.CharField(
        label=_("Motivation de l'ajustement"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire : elle est conservée avec la décision."),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[self.field_name(line)] = EurosField(
                label=_("Montant pour %(payee)s (€)") % {"payee": line.payee_name},
                initial=line.amount_cents,
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def amounts(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[self.field_name(line)] for line in self.lines}


class BatchCreateForm(forms.Form):
    """The transfer file to make: its format and, for SEPA, when the bank should pay."""

    format = forms.ChoiceField(
        label=_("Format du fichier"),
        choices=[
            ("sepa", _("SEPA (pain.001), pour la banque")),
            ("csv", _("CSV, pour un tableur")),
        ],
        help_text=_(
            "Le CSV sépare les colonnes par « ; » et écrit les montants avec une virgule "
            "décimale (1234,50) : un tableur en français les lit comme des nombres."
        ),
        widget=forms.RadioSelect,
        initial="sepa",
    )
    execution_on = forms.DateField(
        label=_("Date d'exécution demandée (SEPA)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class BatchRecordForm(RefusalsMixin, forms.Form):
    """What the bank did with a batch: the date paid, its reference, the lines it rejected."""

    paid_on = forms.DateField(
        label=_("Date du virement"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    reference = forms.CharField(
        label=_("Référence du virement (facultatif)"),
        max_length=140,
        required=False,
        help_text=_("Celle que donne la banque ; à défaut, l'identifiant du lot."),
    )
    rejected = forms.TypedMultipleChoiceField(
        label=_("Lignes rejetées par la banque"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Elles ne sont pas payées et pourront entrer dans un prochain lot."),
    )

    def __init__(self, *args, batch_lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rejected"].choices = [
            (bl.line_id, f"{bl.line.payee_name} (****{bl.iban[-4:]})") for bl in batch_lines
        ]


class BatchCancelForm(RefusalsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire : il est conservé avec la décision."),
    )


class BankAccountForm(RefusalsMixin, forms.Form):
    """Where a payee receives money. The IBAN is checked (checksum, country format)."""

    holder = forms.CharField(
        label=_("Titulaire du compte"),
        max_length=70,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("Par exemple FR76 3000 6000 0112 3456 7890 189 (les espaces sont permis)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    bic = forms.CharField(
        label=_("BIC (facultatif)"),
        max_length=15,
        required=False,
        help_text=_("Retrouvé à partir de l'IBAN quand il est laissé vide."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_iban(self):
        # The services check again when saving; checking here puts the message on the field.
        try:
            return services.iban_clean(self.cleaned_data["iban"]).compact
        except BadInput as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from None

    def clean_bic(self):
        try:
            return services.bic_clean(self.cleaned_data["bic"])
        except BadInput as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from None
