"""Forms of the programme pages: a programme's terms (creation and amendment) and the
adjustment of its allocations. Amounts are typed in euros and cleaned to cents."""

from fractions import Fraction

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fablabs.models import Relay
from tilab.errors import BadInput
from tilab.forms import EurosField, RefusalsMixin
from tilab.i18n import elide
from tilab.money import parse_decimal

from .models import Allocation, Programme
from .services import ProgrammeTerms

MAX_SHARE = 1_000_000


class WeightField(forms.DecimalField):
    """A weight typed with a decimal comma or point ("1,5", "0.5"); blank means 1."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "12"})
        return attrs

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            return parse_decimal(str(value)[:20])
        except BadInput:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class RelaysField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, relay):
        codes = sorted(coverage.department_id for coverage in relay.coverage.all())
        return (
            f"{relay.organisation.name} ({', '.join(codes)})" if codes else relay.organisation.name
        )


class ProgrammeForm(RefusalsMixin, forms.Form):
    """The terms of a programme: its envelope, the production it rewards and how it is split.
    The service checks the name, the envelope, the period and the relays chosen; its refusals
    come back on the fields (`add_refusal`)."""

    name = forms.CharField(label=_("Nom du programme"), max_length=200)
    envelope_cents = EurosField(
        label=_("Enveloppe (€)"),
        help_text=_("Le montant total à répartir, par exemple 30 000 ou 30 000,00 €."),
    )
    period_start_on = forms.DateField(
        label=_("Production prise en compte du"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    period_end_on = forms.DateField(
        label=_("Production prise en compte jusqu'au"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    basis = forms.ChoiceField(
        label=_("Base de calcul"),
        choices=Programme.Basis.choices,
        initial=Programme.Basis.UNITS,
        widget=forms.RadioSelect,
        help_text=_(
            "Les unités ou les coûts matière validés dans les départements de chaque relais."
        ),
    )
    relays = RelaysField(
        label=_("Relais participants"),
        queryset=Relay.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, relays, item_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.relay_list = list(relays)
        self.fields["relays"].queryset = relays
        if "relays" not in self.initial:
            self.initial["relays"] = [relay.pk for relay in self.relay_list]
        for relay in self.relay_list:
            self.fields[f"share_{relay.pk}"] = forms.IntegerField(
                label=elide(
                    gettext("Part fixe de %(relay)s") % {"relay": relay.organisation.name},
                    relay.organisation.name,
                ),
                required=False,
                min_value=0,
                max_value=MAX_SHARE,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
        self.item_types = list(item_types)
        for item in self.item_types:
            self.fields[f"weight_{item.pk}"] = WeightField(
                label=item.name,
                required=False,
                min_value=0,
                max_digits=8,
                decimal_places=2,
            )

    def relay_rows(self) -> list[dict]:
        """Each relay's tick box beside its fixed share, for the template."""
        boxes = {box.data["value"].value: box for box in self["relays"]}
        return [
            {"relay": relay, "box": boxes[relay.pk], "share": self[f"share_{relay.pk}"]}
            for relay in self.relay_list
            if relay.pk in boxes
        ]

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{item.pk}"] for item in self.item_types]

    def clean(self):
        cleaned = super().clean()
        chosen = {relay.pk for relay in cleaned.get("relays") or []}
        shares = {
            relay.pk: cleaned.get(f"share_{relay.pk}")
            for relay in self.relay_list
            if f"share_{relay.pk}" not in self.errors
        }
        filled = {pk for pk, share in shares.items() if share is not None}
        for pk in sorted(filled - chosen):
            self.add_error(
                f"share_{pk}",
                _("Ce relais ne participe pas : cochez-le ou laissez sa part vide."),
            )
        if filled & chosen:
            for pk in sorted((chosen & set(shares)) - filled):
                self.add_error(
                    f"share_{pk}",
                    _("Des parts fixes sont données : indiquez aussi celle de ce relais."),
                )
            if not any(shares.get(pk) for pk in chosen):
                self.add_error(None, _("Les parts fixes ne peuvent pas être toutes nulles."))
        return cleaned

    def terms(self) -> ProgrammeTerms:
        data = self.cleaned_data
        relays = list(data["relays"])
        shares = [
            (relay, data[f"share_{relay.pk}"])
            for relay in relays
            if data.get(f"share_{relay.pk}") is not None
        ]
        weights = [
            (item, Fraction(data[f"weight_{item.pk}"]))
            for item in self.item_types
            if data.get(f"weight_{item.pk}") is not None
        ]
        return ProgrammeTerms(
            name=data["name"],
            envelope_cents=data["envelope_cents"],
            period_start_on=data["period_start_on"],
            period_end_on=data["period_end_on"],
            basis=data["basis"],
            relays=tuple(relays),
            item_weights=tuple(weights),
            fixed_shares=tuple(shares),
        )


class ProgrammeAmendForm(ProgrammeForm):
    """An amending programme: the same terms, for an additional amount, and why."""

    motivation = forms.CharField(
        label=_("Motivation de l'avenant"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire : elle est conservée avec la décision et lue par les auditeurs."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["envelope_cents"].label = _("Montant supplémentaire (€)")
        self.fields["envelope_cents"].help_text = _(
            "Ce que l'avenant ajoute au programme, par exemple 3 000 ou 3 000,00 €."
        )

    @staticmethod
    def initial_from(programme: Programme) -> dict:
        """The amended programme's terms, to start from."""
        initial = {
            "name": gettext("Avenant à %(name)s") % {"name": programme.name},
            "period_start_on": programme.period_start_on,
            "period_end_on": programme.period_end_on,
            "basis": programme.basis,
            "relays": [allocation.relay_id for allocation in programme.allocations.all()],
        }
        for allocation in programme.allocations.all():
            if allocation.fixed_share is not None:
                initial[f"share_{allocation.relay_id}"] = allocation.fixed_share
        for weight in programme.weights.all():
            initial[f"weight_{weight.item_type_id}"] = weight.weight
        return initial


class AllocationsAdjustForm(RefusalsMixin, forms.Form):
    """The amounts Région staff settle on for the allocations not approved yet, and why."""

    motivation = forms.CharField(
        label=_("Motivation de l'ajustement"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire : elle est conservée avec la décision et lue par les auditeurs."),
    )

    def __init__(self, *args, allocations, **kwargs):
        super().__init__(*args, **kwargs)
        self.allocations = [a for a in allocations if a.status == Allocation.Status.PROPOSED]
        for allocation in self.allocations:
            self.fields[f"amount_{allocation.pk}"] = EurosField(
                label=gettext("Montant pour %(relay)s (€)") % {"relay": allocation.relay},
                initial=allocation.amount_cents,
            )
        self.order_fields([f"amount_{a.pk}" for a in self.allocations] + ["motivation"])

    def amount_fields(self) -> list[forms.BoundField]:
        return [self[f"amount_{a.pk}"] for a in self.allocations]

    def amounts(self) -> dict[int, int]:
        return {a.pk: self.cleaned_data[f"amount_{a.pk}"] for a in self.allocations}
