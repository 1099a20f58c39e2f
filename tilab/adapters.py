"""How sign-up fits the platform: whoever signs up on their own is a maker; allauth's e-mails
speak as "Ti Lab", not as the host that served the page."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.auth.models import Group
from django.contrib.sites.requests import RequestSite

from . import roles

SITE_NAME = "Ti Lab"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Other roles are granted by the platform's administrators, never self-chosen.
            user.groups.add(Group.objects.get(name=roles.MAKER))
        return user

    def send_mail(self, template_prefix, email, context):
        # Without django.contrib.sites, allauth names the site after the request's host
        # ("Bonjour, c'est 127.0.0.1:8000 !"); the links keep following that host.
        site = RequestSite(allauth_context.request)
        site.name = SITE_NAME
        super().send_mail(template_prefix, email, {"current_site": site, **context})
