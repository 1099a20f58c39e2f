"""The form of the webhooks page: types and shapes only; the rules (https, public address,
whose relay) are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tilab.forms import RefusalsMixin

from .models import Event

REGION = "region"


class WebhookEndpointForm(RefusalsMixin, forms.Form):
    refusal_fields = {"relay": "owner"}

    url = forms.CharField(
        label=_("Adresse qui reçoit les messages"),
        max_length=2000,
        help_text=_("Commence par https://, par exemple https://finances.example.org/ti-lab."),
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Événements à recevoir"),
        choices=[(value, label.capitalize()) for value, label in Event.choices],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description (facultative)"),
        max_length=200,
        required=False,
        help_text=_("Pour vous y retrouver : le programme ou le service qui reçoit."),
    )
    owner = forms.ChoiceField(label=_("Pour"), choices=[], required=False)

    def __init__(self, *args, relays, region: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(REGION, _("La Région (événements de tout le réseau)"))] if region else []
        choices += [(str(relay.pk), relay.organisation.name) for relay in relays]
        self.relays = {str(relay.pk): relay for relay in relays}
        if len(choices) > 1:
            self.fields["owner"].choices = choices
            self.fields["owner"].initial = choices[0][0]
        else:
            del self.fields["owner"]

    def relay(self):
        """The relay chosen (None: the Région's, or nothing to choose) and whether chosen."""
        chosen = self.cleaned_data.get("owner")
        if not chosen:
            return None, False
        return self.relays.get(chosen), True
