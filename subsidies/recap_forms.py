"""The confirmation form at the foot of a recap: what the person saw (hidden: the date of the
figures and the fingerprint of the amounts), the flags they acknowledge, and why."""

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from tilab.forms import RefusalsMixin

from .recap import Confirmation, Recap


class ApprovalForm(RefusalsMixin, forms.Form):
    refusal_fields = {"acknowledged_flags": "acknowledged"}

    computed_at = forms.CharField(widget=forms.HiddenInput)
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    acknowledged = forms.MultipleChoiceField(
        label=_("J'ai pris connaissance de ces signalements"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    motivation = forms.CharField(
        label=_("Pourquoi vous approuvez malgré les signalements"),
        help_text=_("Obligatoire en cas de signalement : conservée au registre des décisions."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, recap: Recap, **kwargs):
        kwargs.setdefault(
            "initial",
            {"computed_at": recap.computed_at.isoformat(), "fingerprint": recap.fingerprint},
        )
        super().__init__(*args, **kwargs)
        self.fields["acknowledged"].choices = recap.flag_titles
        if not recap.flags:
            del self.fields["acknowledged"]
            del self.fields["motivation"]

    def clean_computed_at(self):
        try:
            return datetime.fromisoformat(self.cleaned_data["computed_at"])
        except ValueError:
            raise forms.ValidationError(
                _("Rechargez le récapitulatif, puis confirmez."), code="invalid"
            ) from None

    def confirmation(self) -> Confirmation:
        data = self.cleaned_data
        return Confirmation(
            computed_at=data["computed_at"],
            fingerprint=data["fingerprint"],
            acknowledged=frozenset(data.get("acknowledged") or ()),
            motivation=data.get("motivation") or "",
        )
