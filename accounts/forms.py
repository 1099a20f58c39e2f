"""The confirmation asked before an account is deleted."""

from django import forms
from django.utils.translation import gettext_lazy as _

CONFIRM_PHRASE = "supprimer mon compte"


class AccountDeleteForm(forms.Form):
    """Confirm with one's password or, for an account without one, by typing a phrase."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    phrase = forms.CharField(
        label=_("Recopiez « supprimer mon compte »"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            del self.fields["phrase"]
            self.fields["password"].required = True
        else:
            del self.fields["password"]
            self.fields["phrase"].required = True

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Ce mot de passe n'est pas le bon."))
        return password

    def clean_phrase(self):
        phrase = " ".join(self.cleaned_data["phrase"].lower().split())
        if phrase != CONFIRM_PHRASE:
            raise forms.ValidationError(_("Recopiez exactement « supprimer mon compte »."))
        return phrase
