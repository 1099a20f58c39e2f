"""Security notices: a person is told at once, whatever their preferences, when their password,
second factor or e-mail address changes, when a personal API token is created, and when their
account signs in from a device it has not used before. (A bank details change is told by
`subsidies.emails`, to the payee and their relay, also always.)"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import devices
from .models import KnownDevice, NoticePreference, TokenScope, User
from .notices import SECURITY, Notice, NoticeKind, notice_emit, notice_kind_register, site_url

# Kept short in the notice: enough to recognise a browser, never a whole header.
USER_AGENT_SHOWN = 160


def register() -> None:
    notice_kind_register(
        NoticeKind(
            code=SECURITY,
            label=gettext_lazy("Sécurité de votre compte"),
            help_text=gettext_lazy(
                "Mot de passe, double authentification, adresse e-mail, IBAN, jetons d'API, "
                "connexion depuis un nouvel appareil : toujours envoyés, tout de suite."
            ),
            default=NoticePreference.Delivery.IMMEDIATE,
            security=True,
        )
    )


# What changed, said in a sentence; the code is part of the notice's key.
CHANGES = {
    "password_changed": gettext_lazy("Le mot de passe de votre compte a été changé."),
    "password_set": gettext_lazy("Un mot de passe a été défini pour votre compte."),
    "password_reset": gettext_lazy("Le mot de passe de votre compte a été réinitialisé."),
    "mfa_added": gettext_lazy("Une double authentification a été ajoutée à votre compte."),
    "mfa_removed": gettext_lazy("Une double authentification a été retirée de votre compte."),
    "mfa_reset": gettext_lazy(
        "Les codes de secours de votre double authentification ont été renouvelés."
    ),
}


def _when(now: datetime) -> str:
    return formats.date_format(now, "DATETIME_FORMAT")


def credentials_change_notify(*, user: User, change: str, now: datetime) -> None:
    """Tell `user` that their password or second factor changed (`change`: a key of
    CHANGES)."""

    def write(language):
        return Notice(
            subject=_("Sécurité : changement sur votre compte"),
            paragraphs=[
                str(CHANGES[change]),
                _("Date : %(when)s.") % {"when": _when(now)},
                _("Vos autres sessions et vos jetons d'API ont été fermés."),
            ],
            url=site_url(reverse("account_change_password")),
        )

    notice_emit(
        user=user, kind=SECURITY, key=f"security:{change}:{now.isoformat()}", write=write, now=now
    )


def email_change_notify(*, user: User, old: str, new: str, now: datetime) -> None:
    """Tell the person at their new address and at their old one (whoever took the account
    must not silence its owner)."""
    from .notices import notice_send_to_address

    def write(language):
        return Notice(
            subject=_("Sécurité : adresse e-mail changée"),
            paragraphs=[
                _(
                    "L'adresse e-mail principale de votre compte est désormais %(new)s "
                    "(avant : %(old)s)."
                )
                % {"new": new, "old": old},
                _("Date : %(when)s.") % {"when": _when(now)},
            ],
            url=site_url(reverse("account_email")),
        )

    key = f"security:email:{now.isoformat()}"
    notice_emit(user=user, kind=SECURITY, key=key, write=write, now=now)
    if old and old.lower() != (user.email or "").lower():
        notice_send_to_address(
            address=old, key=key, write=write, language=user.language, now=now, security=True
        )


def token_created_notify(*, user: User, scope: str, key_start: str, now: datetime) -> None:
    def write(language):
        return Notice(
            subject=_("Sécurité : nouveau jeton d'API"),
            paragraphs=[
                _("Un jeton d'API « %(scope)s » a été créé pour votre compte (début : %(start)s).")
                % {"scope": TokenScope(scope).label, "start": key_start},
                _("Date : %(when)s.") % {"when": _when(now)},
                _("Si ce n'est pas vous, révoquez-le sur la page de vos jetons."),
            ],
            url=site_url(reverse("personal_tokens")),
        )

    notice_emit(user=user, kind=SECURITY, key=f"security:token:{key_start}", write=write, now=now)


@dataclass(frozen=True)
class DeviceCheck:
    """What a sign-in's device check found: whether a notice went, and the device cookie the
    browser keeps (the one it sent, or a new one)."""

    notified: bool
    cookie: str


def login_device_check(
    *, user: User, user_agent: str, now: datetime, cookie: str | None = None
) -> DeviceCheck:
    """Remember the browser `user` signed in with; tell them when it is a new one, unless it
    is the first browser the platform knows for them (their first sign-in since devices are
    remembered).

    A browser is known by its device cookie (`cookie`, tilab.devices), whatever its user agent
    says since: an update is not a new device. Without the cookie (cleared, expired, a private
    window), by its family: the same browser on the same system, any version. A cookie this
    person never signed in with is a new device, unless a browser of the same family is known
    for them from before the cookie existed (it then takes the cookie)."""
    family = devices.browser_family(user_agent)
    seen = {"last_seen_at": now, "user_agent": user_agent[:300], "family": family}
    known = KnownDevice.objects.filter(user=user)
    with transaction.atomic():
        if cookie is not None and known.filter(device_key=devices.device_key(cookie)).update(
            **seen
        ):
            return DeviceCheck(notified=False, cookie=cookie)
        sent, cookie = cookie, cookie or devices.device_cookie_new()
        key = devices.device_key(cookie)
        # A browser of this family known from before the cookie existed takes this cookie.
        before = known.filter(device_key="", family=family).order_by("pk").first()
        if before is not None:
            known.filter(pk=before.pk).update(device_key=key, **seen)
            return DeviceCheck(notified=False, cookie=cookie)
        # Without a cookie (cleared, expired, a private window), a browser of a known family is
        # known; with a cookie this person never signed in with (another's), it is new.
        is_new = sent is not None or not known.filter(family=family).exists()
        had_any = known.exists()
        device, _created = KnownDevice.objects.get_or_create(
            user=user, device_key=key, defaults={"first_seen_at": now, **seen}
        )
    if not is_new or not had_any:
        return DeviceCheck(notified=False, cookie=cookie)

    def write(language):
        return Notice(
            subject=_("Sécurité : connexion depuis un nouvel appareil"),
            paragraphs=[
                _(
                    "Votre compte vient de se connecter depuis un navigateur ou un appareil "
                    "que nous ne connaissions pas."
                ),
                _("Navigateur : %(agent)s") % {"agent": user_agent[:USER_AGENT_SHOWN] or "?"},
                _("Date : %(when)s.") % {"when": _when(now)},
            ],
            url=site_url(reverse("account_change_password")),
        )

    notice_emit(
        user=user,
        kind=SECURITY,
        key=f"security:device:{device.pk}",
        write=write,
        now=now,
    )
    return DeviceCheck(notified=True, cookie=cookie)
