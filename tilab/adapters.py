"""How sign-up fits the platform: whoever signs up on their own is a maker."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group

from . import roles


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Other roles are granted by the platform's administrators, never self-chosen.
            user.groups.add(Group.objects.get(name=roles.MAKER))
        return user
