"""How the account library fits the platform: whoever signs up on their own is a maker, in the
language they signed up in; its e-mails speak as "Ti Lab", not as the host that served the page,
and go through the outbox like every other; wrong passwords are limited per address by allauth
and per account by a ceiling of our own."""

import secrets
import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.sites.requests import RequestSite
from django.urls import reverse
from django.utils import timezone, translation

from . import outbox, roles, throttling

SITE_NAME = "Ti Lab"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.language = outbox.supported_language(translation.get_language())
        if commit:
            user.save()
            # Other roles are granted by the platform's administrators, never self-chosen.
            user.groups.add(Group.objects.get(name=roles.MAKER))
        return user

    def send_mail(self, template_prefix, email, context):
        """Written to the outbox, never sent while the request waits (a mail server down or
        hanging must not fail a sign-up); in the recipient's language."""
        language = outbox.language_of(email)
        # Without django.contrib.sites, allauth names the site after the request's host
        # ("Bonjour, c'est 127.0.0.1:8000 !"); the links keep following that host.
        site = RequestSite(allauth_context.request)
        site.name = SITE_NAME
        with translation.override(language):
            message = self.render_mail(template_prefix, email, {"current_site": site, **context})
        # allauth's e-mails (a confirmation code, a reset link) are each their own event.
        outbox.outbox_email_write(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
            message=message,
            language=language,
            now=timezone.now(),
        )

    def send_account_already_exists_mail(self, email):
        """Signing up with an address that has an account creates nothing, so no password is
        hashed: hash one all the same, so that the answer takes as long as a real sign-up's and
        its timing does not tell that the address has an account (the page says the same)."""
        make_password(secrets.token_urlsafe())
        super().send_account_already_exists_mail(email)

    # Wrong passwords. allauth counts each address (ACCOUNT_RATE_LIMITS, "ip"); an account is
    # locked only by many addresses together (tilab.throttling, "login_failed_account"), and
    # its owner is told how to get back in at once: a password reset lifts the lock
    # (tilab.receivers).

    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)
        if throttling.login_failures_over(_login_of(credentials)):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials):
        super().authentication_failed(request, **credentials)
        login = _login_of(credentials)
        if throttling.login_failure_record(login):
            self._tell_owner_of_the_lock(request, login)

    def _tell_owner_of_the_lock(self, request, login: str) -> None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(email__iexact=login, is_active=True).first()
        if user is None:
            return
        self.send_mail(
            "account/email/login_locked",
            user.email,
            {
                "user": user,
                "reset_url": request.build_absolute_uri(reverse("account_reset_password")),
            },
        )


def _login_of(credentials) -> str:
    return (credentials.get("email") or credentials.get("username") or "").strip().lower()
