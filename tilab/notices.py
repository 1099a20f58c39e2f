"""Notices: the e-mails that tell a person what happened to them (a decision, a payment, a
change to their account), sent as each person chooses per kind: at once, in one daily digest,
or never. Security notices always go, at once.

The mechanism is the core's; the kinds and their words belong to the apps that emit them: an
app declares its kinds with `notice_kind_register` (from its `ready`) and emits with
`notice_emit`, giving a function that writes the notice in a language. Everything is written
in the caller's transaction: a rolled-back event leaves no notice, a committed one never
loses it (tilab.outbox).
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from .errors import NOTICE_DELIVERY_NOT_OFFERED, NOTICE_KIND_ALWAYS_SENT, NOTICE_KIND_UNKNOWN
from .models import NoticePreference, PendingNotice, User
from .outbox import outbox_email_write, supported_language
from .permissions import roles_held

Delivery = NoticePreference.Delivery
SUBJECT_PREFIX = "[Ti Lab] "
# RFC 3834: automatic e-mails say so, and well-behaved autoresponders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}
SECURITY = "security"


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice a person may choose how to receive.

    `roles`: who is offered the choice (empty: everyone). `choices`: the deliveries offered;
    a kind whose digest part is a count of what waits (the relay's to-do) offers no
    "immediate". `security`: always sent at once, offered no choice."""

    code: str
    label: str | Promise
    help_text: str | Promise = ""
    roles: frozenset[str] = frozenset()
    default: str = Delivery.IMMEDIATE
    choices: tuple[str, ...] = (Delivery.IMMEDIATE, Delivery.DIGEST, Delivery.NONE)
    security: bool = False


_KINDS: dict[str, NoticeKind] = {}
# Set while the demo is seeded: its made-up decisions tell nobody.
_MUTED: ContextVar[bool] = ContextVar("tilab_notices_muted", default=False)


@contextmanager
def notices_muted() -> Iterator[None]:
    """Within the block, events notify nobody (seeding the demo's data)."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def notice_kind_register(kind: NoticeKind) -> NoticeKind:
    """Declare a kind (from an app's `ready`); declaring the same code twice replaces it."""
    if kind.default not in kind.choices and not kind.security:
        raise ValueError(f"{kind.code}: the default must be one of the choices")
    _KINDS[kind.code] = kind
    return kind


def notice_kinds() -> list[NoticeKind]:
    """Every kind declared, security first, then in the order the apps declared them."""
    return sorted(_KINDS.values(), key=lambda kind: not kind.security)


def notice_kind(code: str) -> NoticeKind:
    return _KINDS[code]


def notice_kinds_of(user) -> list[NoticeKind]:
    """The kinds `user` may hear of: those of the roles they hold, and everyone's."""
    held = set(roles_held(user))
    return [kind for kind in notice_kinds() if not kind.roles or kind.roles & held]


# --- Preferences --------------------------------------------------------------------------


def notice_preferences_of(user) -> dict[str, str]:
    """The delivery of every kind `user` may hear of, defaults included (one query)."""
    chosen = dict(NoticePreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {
        kind.code: Delivery.IMMEDIATE if kind.security else chosen.get(kind.code, kind.default)
        for kind in notice_kinds_of(user)
    }


def notice_deliveries(user_ids: Iterable[int], code: str) -> dict[int, str]:
    """The delivery of kind `code` for each of `user_ids`, in one query whatever their
    number."""
    kind = notice_kind(code)
    user_ids = set(user_ids)
    if kind.security:
        return dict.fromkeys(user_ids, Delivery.IMMEDIATE)
    chosen = dict(
        NoticePreference.objects.filter(user_id__in=user_ids, kind=code).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, kind.default) for pk in user_ids}


def notice_preferences_set(*, user, choices: dict[str, str], now: datetime) -> dict[str, str]:
    """Record `user`'s choices ({kind: delivery}); kinds left out keep theirs. Refuses a kind
    they cannot hear of (notice_kind_unknown), a security kind (notice_kind_always_sent) and a
    delivery the kind does not offer (notice_delivery_not_offered), all before writing
    anything. Returns every delivery, as `notice_preferences_of`."""
    offered = {kind.code: kind for kind in notice_kinds_of(user)}
    for code, delivery in choices.items():
        kind = offered.get(code)
        if kind is None:
            raise NOTICE_KIND_UNKNOWN(kind=code, field=code)
        if kind.security:
            raise NOTICE_KIND_ALWAYS_SENT(field=code)
        if delivery not in kind.choices:
            raise NOTICE_DELIVERY_NOT_OFFERED(kind=kind.label, delivery=delivery, field=code)
    with transaction.atomic():
        for code, delivery in choices.items():
            NoticePreference.objects.update_or_create(
                user=user, kind=code, defaults={"delivery": delivery, "updated_at": now}
            )
    return notice_preferences_of(user)


# --- Writing notices ----------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One notice as its reader gets it: a subject, paragraphs, and a page to go to."""

    subject: str
    paragraphs: list[str] = field(default_factory=list)
    url: str = ""


def site_url(path: str) -> str:
    """An absolute address on the platform, for e-mails."""
    return settings.SITE_URL.rstrip("/") + path


def _rendered(write: Callable[[str], Notice], language: str) -> Notice:
    with translation.override(language), timezone.override(ZoneInfo(settings.TIME_ZONE)):
        return write(language)


def notice_email(
    notice: Notice,
    *,
    to: str,
    language: str,
    name: str = "",
    security: bool = False,
    account: bool = True,
) -> EmailMessage:
    """The e-mail of one notice, in `language`: greeting, paragraphs, link, and what the
    reader can change (their preferences; for a security notice, what to do if it was not
    them)."""
    with translation.override(language):
        body = render_to_string(
            "tilab/email/notice.txt",
            {
                "notice": notice,
                "name": name,
                "security": security,
                "account": account,
                "preferences_url": site_url(reverse("notice_preferences")),
            },
        )
    return EmailMessage(
        # One line; the non-breaking spaces of "2 769,23 €" stay.
        subject=SUBJECT_PREFIX + " ".join(notice.subject.strip().splitlines()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=AUTOMATIC,
    )


def notice_emit(
    *,
    user: User,
    kind: str,
    key: str,
    write: Callable[[str], Notice],
    now: datetime,
    delivery: str | None = None,
    to_digest: bool = True,
) -> str:
    """Tell `user` of an event of `kind`, as they chose: an e-mail in the outbox, a line kept
    for their daily digest, or nothing. `write(language)` writes the notice (called within that
    language and Paris time). `key` names the event: the same event never notifies twice.
    `delivery`, when the caller read it already (`notice_deliveries`), saves a query.
    `to_digest=False` for a kind whose digest is a count of what waits: the event itself is
    then sent only to those who chose "immediate". Returns the delivery applied."""
    code = kind
    definition = notice_kind(code)
    if _MUTED.get() or not user.is_active or not user.email:
        return Delivery.NONE
    if definition.security:
        delivery = Delivery.IMMEDIATE
    elif delivery is None:
        delivery = notice_deliveries([user.pk], code)[user.pk]
    if delivery == Delivery.DIGEST and not to_digest:
        return Delivery.NONE
    if delivery == Delivery.NONE:
        return delivery
    language = supported_language(user.language)
    notice = _rendered(write, language)
    if delivery == Delivery.IMMEDIATE:
        outbox_email_write(
            key=f"notice:{key}:{user.pk}",
            message=notice_email(
                notice,
                to=user.email,
                language=language,
                name=user.full_name,
                security=definition.security,
            ),
            language=language,
            now=now,
        )
    else:
        with transaction.atomic():  # a savepoint: an event seen twice leaves the caller's work
            PendingNotice.objects.get_or_create(
                key=f"notice:{key}:{user.pk}",
                defaults={
                    "user": user,
                    "kind": code,
                    "subject": notice.subject,
                    "body": "\n\n".join([*notice.paragraphs, notice.url]).strip(),
                    "created_at": now,
                },
            )
    return delivery


def notice_send_to_address(
    *,
    address: str,
    key: str,
    write: Callable[[str], Notice],
    language: str,
    now: datetime,
    security: bool = False,
) -> bool:
    """Send a notice to an address that is no account's (a maker entered by their relay, or
    the address an account just left): no preferences, in `language`. True if queued now,
    False if this event went already."""
    language = supported_language(language)
    notice = _rendered(write, language)
    row = outbox_email_write(
        key=f"notice:{key}:{address.lower()}",
        message=notice_email(
            notice, to=address, language=language, security=security, account=False
        ),
        language=language,
        now=now,
    )
    return row is not None


# --- The daily digest ---------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSection:
    """A block of the digest that is not an event: what waits for the person (their to-do),
    each line with the page to go to."""

    heading: str
    lines: list[tuple[str, str]]  # (label, absolute url)


def users_with_pending_notices():
    """The ids of the people with notices kept for their digest (a subquery)."""
    return PendingNotice.objects.filter(digested_at=None).values("user_id")


def notice_digest_write(
    *,
    user: User,
    now: datetime,
    sections: Callable[[], list[DigestSection]] = list,
) -> bool:
    """Write `user`'s daily digest: the notices kept for it since the last one, and
    `sections()` (computed within the user's language). One e-mail a day at most, in a fixed
    number of queries whatever the number of notices: safe to run twice (the second run of the
    day writes nothing and leaves the notices for tomorrow's). True if an e-mail was written."""
    if not user.is_active or not user.email:
        return False
    language = supported_language(user.language)
    with transaction.atomic():
        pending = list(
            PendingNotice.objects.select_for_update()
            .filter(user=user, digested_at=None)
            .order_by("created_at", "pk")
        )
        with translation.override(language), timezone.override(ZoneInfo(settings.TIME_ZONE)):
            blocks = [section for section in sections() if section.lines]
            if not pending and not blocks:
                return False
            day = timezone.localdate(now)
            body = render_to_string(
                "tilab/email/digest.txt",
                {
                    "name": user.full_name,
                    "pending": pending,
                    "sections": blocks,
                    "day": day,
                    "preferences_url": site_url(reverse("notice_preferences")),
                },
            )
            subject = render_to_string("tilab/email/digest_subject.txt", {"day": day})
        row = outbox_email_write(
            key=f"notice:digest:{user.pk}:{day.isoformat()}",
            message=EmailMessage(
                subject=SUBJECT_PREFIX + " ".join(subject.split()),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[user.email],
                headers=AUTOMATIC,
            ),
            language=language,
            now=now,
        )
        if row is None:
            return False
        PendingNotice.objects.filter(pk__in=[notice.pk for notice in pending]).update(
            digested_at=now
        )
    return True
