"""Forms of the makers' and the follow-up pages: a pledge (as oneself or for one's
organisation), a delivery, a message to the establishment, a moderation. The services keep the
rules; the forms say which field is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from makers.models import MAX_QUANTITY

MYSELF = "maker"
ORGANISATION_PREFIX = "org-"


def _quantity_field(label):
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": _("La quantité va de 1 à 100 000."),
            "max_value": _("La quantité va de 1 à 100 000."),
        },
    )


class PledgeForm(forms.Form):
    """`maker` is one's own profile (or None), `organisations` those one is a member of."""

    producer = forms.ChoiceField(label=_("Je promets"), widget=forms.RadioSelect)
    quantity = _quantity_field(_("Quantité promise"))
    message = forms.CharField(
        label=_("Message à l'établissement (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Quand vous pensez livrer, comment vous joindre… Votre adresse reste cachée."),
    )

    def __init__(self, *args, maker=None, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.maker = maker
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        choices = []
        if maker is not None:
            choices.append((MYSELF, _("en mon nom (%(name)s)") % {"name": maker.display_name}))
        choices += [
            (
                f"{ORGANISATION_PREFIX}{organisation.pk}",
                _("au nom de %(name)s") % {"name": organisation.name},
            )
            for organisation in organisations
        ]
        self.fields["producer"].choices = choices
        if len(choices) == 1:
            self.fields["producer"].initial = choices[0][0]

    def producer_kwargs(self) -> dict:
        """`maker=` or `organisation=`, as `services.pledge_create` takes them."""
        value = self.cleaned_data["producer"]
        if value == MYSELF:
            return {"maker": self.maker}
        return {"organisation": self.organisations[int(value.removeprefix(ORGANISATION_PREFIX))]}


class DeliveryForm(forms.Form):
    quantity = _quantity_field(_("Quantité livrée"))
    delivered_on = forms.DateField(
        label=_("Livrée le"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message à l'établissement"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Envoyé par la plateforme : ni votre adresse ni la sienne ne sont montrées."),
    )


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la modération"),
        max_length=2000,
        widget=forms.TextInput(),
        error_messages={"required": _("Indiquez le motif de la modération.")},
    )
