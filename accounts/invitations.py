"""Inviting staff without the admin: `manage.py staff_invite` creates the account with its role
(and its place in a relay's team), and e-mails a one-time link to choose a password; the link
can also be printed, for the first administrator of a server that has no mail server yet.

The link is allauth's password-reset link: it opens once (setting the password changes what it
was made from) and expires after PASSWORD_RESET_TIMEOUT. Using it proves the address.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from fablabs.models import Relay
from tilab import roles
from tilab.outbox import outbox_email_write, supported_language
from tilab.services import decision_record

from . import errors

ADMIN = "admin"
INVITABLE = (*roles.ROLES, ADMIN)


def staff_invitation_link(user) -> str:
    """The one-time link that lets `user` choose a password."""
    key = default_token_generator.make_token(user)
    path = reverse(
        "account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key}
    )
    return settings.SITE_URL.rstrip("/") + path


def staff_invite(
    *,
    email: str,
    role: str,
    now: datetime,
    relay: Relay | None = None,
    full_name: str = "",
    language: str = "fr",
    send: bool = True,
):
    """Create (or find) the account of `email` with `role` and, for relay staff, a place in
    `relay`'s team; e-mail the link to choose a password through the outbox unless `send` is
    false. `role` "admin" makes a superuser (the first administrator). Returns (user, link).

    Refuses (bad input) an unknown role, and relay staff without a relay or a relay for another
    role. Inviting someone again sends a fresh link and leaves their password as it is until
    they use it."""
    from tilab.models import User

    email = email.strip().lower()
    if role not in INVITABLE:
        raise errors.INVITATION_ROLE_UNKNOWN(role=role, roles=", ".join(INVITABLE))
    if (role == roles.RELAY_STAFF) != (relay is not None):
        raise errors.INVITATION_RELAY_MISMATCH()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": full_name, "language": supported_language(language)},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if role == ADMIN:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        else:
            user.groups.add(Group.objects.get(name=role))
        if relay is not None:
            relay.staff.add(user)
        # The invitation goes to this address: using its link proves it (allauth marks it
        # verified when the password is set from the link).
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"primary": True, "verified": False}
        )
        decision_record(
            actor=None,
            subject=user,
            action="staff_invite",
            now=now,
            from_state="",
            to_state=role,
            data={"relay": relay.organisation.name if relay else ""},
        )
        link = staff_invitation_link(user)
        if send:
            outbox_email_write(
                key=f"accounts:invite:{user.pk}:{role}:{now.isoformat()}",
                message=_invitation_email(user, role=role, relay=relay, link=link),
                language=user.language,
                now=now,
            )
    return user, link


def _invitation_email(user, *, role: str, relay, link: str) -> EmailMessage:
    with translation.override(user.language), timezone.override(ZoneInfo(settings.TIME_ZONE)):
        context = {
            "user": user,
            "role": roles.ROLES.get(role, "") if role != ADMIN else "",
            "relay": relay,
            "link": link,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("accounts/email/staff_invitation_subject.txt", context)
        body = render_to_string("accounts/email/staff_invitation.txt", context)
    return EmailMessage(
        subject="[Ti Lab] " + " ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
