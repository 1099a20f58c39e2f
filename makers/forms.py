"""Forms of the maker pages."""

from django import forms

from .models import Maker


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
