"""How sign-up fits the platform: whoever signs up on their own is a maker, in the language
they signed up in; the account library's e-mails go through the outbox like every other."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from . import outbox, roles


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
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        # allauth's e-mails (a confirmation code, a reset link) are each their own event.
        outbox.outbox_email_write(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
            message=message,
            language=language,
            now=timezone.now(),
        )
