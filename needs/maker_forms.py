"""Forms of the makers' and the follow-up pages: a pledge (as oneself or for one's
organisation), a delivery, a message to the establishment, a moderation. The forms read what
was typed; the services keep the rules, and their refusals come back on the fields
(`add_refusal`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from makers.models import MAX_QUANTITY
from tilab.forms import RefusalsMixin
from tilab.i18n import elide

MYSELF = "maker"
ORGANISATION_PREFIX = "org-"


def _quantity_field(label):
    # The bounds are the services' rule (quantity_out_of_range); the browser is told them.
    return forms.IntegerField(
        label=label,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY}),
    )


class PledgeForm(RefusalsMixin, forms.Form):
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
                elide(_("au nom de %(name)s") % {"name": organisation.name}, organisation.name),
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


class DeliveryForm(RefusalsMixin, forms.Form):
    quantity = _quantity_field(_("Quantité livrée"))
    delivered_on = forms.DateField(
        label=_("Livrée le"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class MessageForm(RefusalsMixin, forms.Form):
    body = forms.CharField(
        label=_("Message à l'établissement"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Envoyé par la plateforme : ni votre adresse ni la sienne ne sont montrées."),
    )


class RemovalForm(forms.Form):
    # Required by the service (moderation_reason_missing), whose refusal the page shows; the
    # browser is told so too.
    reason = forms.CharField(
        label=_("Motif de la modération"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )


class CheckForm(forms.Form):
    note = forms.CharField(
        label=_("Comment l'avez-vous vérifié ?"),
        max_length=2000,
        required=False,
        help_text=_("Un appel, une adresse connue… Consigné dans le journal des décisions."),
    )


class ContactChangeForm(forms.Form):
    # The address is checked by the service (email_invalid), whose refusal the page shows.
    email = forms.CharField(
        label=_("Nouvelle adresse de contact"),
        max_length=254,
        widget=forms.EmailInput(attrs={"required": True, "autocomplete": "off"}),
    )
