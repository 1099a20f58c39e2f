"""The personal-data registry: each app says, in its own `personal_data.py`, which of its models
hold data about a person, how a row is exported and what deleting the account does to it.

`accounts` walks the registry to export a person's data and to erase an account, so neither
can forget a model; a test fails when a model with a person's name, e-mail, address, phone or
IBAN is not declared. The core's own models (the account, its e-mail addresses, second factors
and API tokens) are declared at the end of this module.

A declaration, in the app that owns the model:

    register(
        Registration,
        section="workshop_registrations",           # its key in the export
        owner=lambda person: Q(user=person.user) | Q(email__iexact=person.email),
        export=lambda r: {"workshop": r.workshop.title, "email": r.email, ...},
        erase=anonymise(name="Participant anonyme", ...),
        why="Attendance counts stay true; the name and the address go.",
    )

`erase` is `delete`, `keep` (the row holds nothing of its own about the person: what
identified them goes with the anonymised account or maker profile), `anonymise(field=value…)`,
or a function `(rows, person, now)` for anything else. Apps' modules are imported by
`autodiscover()`, called when `accounts`, which walks them, is ready.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.module_loading import autodiscover_modules

from .models import (
    KnownDevice,
    NoticePreference,
    OutboxEmail,
    PendingNotice,
    PersonalTokenScope,
    TokenScope,
    User,
)
from .permissions import roles_held

# Domain of the addresses given to anonymised accounts and rows: ".invalid" is reserved
# (RFC 2606), so nothing is ever delivered there.
ANONYMOUS_DOMAIN = "anonyme.invalid"


def anonymous_address(prefix: str, pk) -> str:
    """A unique address that reaches nobody: `participant-12@anonyme.invalid`."""
    return f"{prefix}-{pk}@{ANONYMOUS_DOMAIN}"


@dataclass(frozen=True)
class Person:
    """Whose data: the account, and its e-mail address as it was when the walk began, so rows
    found by address (a guest registration, a need's contact) are found even once the account
    itself has been anonymised."""

    user: User
    email: str


Erase = Callable[[QuerySet, Person, datetime.datetime], None]


def delete(rows: QuerySet, person: Person, now) -> None:
    """Erase by deleting the rows."""
    rows.delete()


def keep(rows: QuerySet, person: Person, now) -> None:
    """Erase nothing: the row holds nothing of its own about the person (say why)."""


def anonymise(**values) -> Erase:
    """Erase by overwriting fields: a value, or a function of the row (`lambda row: …`) for a
    value of its own such as a unique address. Rows are locked while they are rewritten."""
    per_row = any(callable(value) for value in values.values())

    def erase(rows: QuerySet, person: Person, now) -> None:
        if not per_row:
            rows.update(**values)
            return
        for row in rows.select_for_update().order_by("pk"):
            for field, value in values.items():
                setattr(row, field, value(row) if callable(value) else value)
            row.save(update_fields=list(values))

    return erase


@dataclass(frozen=True)
class Declaration:
    """What one model holds about a person (see the module docstring)."""

    model: type[models.Model]
    section: str
    owner: Callable[[Person], Q]
    export: Callable[[models.Model], dict]
    erase: Erase
    why: str
    many: bool = True
    within: str | None = None
    decisions: bool = False
    order_by: tuple[str, ...] = ("pk",)
    select_related: tuple[str, ...] = ()

    def rows(self, person: Person) -> QuerySet:
        """The rows about `person`, each once (the owner condition may join to many rows)."""
        manager = self.model._default_manager
        return manager.filter(pk__in=manager.filter(self.owner(person)).values("pk"))

    def exported(self, person: Person) -> list[models.Model]:
        return list(self.rows(person).select_related(*self.select_related).order_by(*self.order_by))


_declarations: dict[type[models.Model], Declaration] = {}


def register(
    model: type[models.Model],
    *,
    section: str,
    owner: str | Callable[[Person], Q],
    export: Sequence[str] | Callable[[models.Model], dict],
    erase: Erase,
    why: str,
    many: bool = True,
    within: str | None = None,
    decisions: bool = False,
    order_by: Sequence[str] = ("pk",),
    select_related: Sequence[str] = (),
) -> Declaration:
    """Declare that `model` holds personal data.

    - `section`: the key of its records in the export; `many=False` for at most one row (the
      value is then a record or null); `within`: the section (a single record) it nests in.
    - `owner`: the rows about a person, a lookup to the account (`"maker__user"`) or a
      function of the `Person` returning a `Q`.
    - `export`: field names, or a function of a row returning a record (dates may stay dates).
    - `erase`: what deleting the account does to the rows, and `why` that choice (what public
      money and decisions need to keep, what goes).
    - `decisions`: the decisions recorded about these rows are exported too.
    """
    if model in _declarations:
        raise ImproperlyConfigured(f"{model._meta.label} is declared twice as personal data.")
    if not why.strip():
        raise ImproperlyConfigured(f"Say why {model._meta.label} is erased this way.")
    if isinstance(owner, str):
        lookup = owner

        def owner(person: Person, lookup=lookup) -> Q:
            return Q(**{lookup: person.user})

    if not callable(export):
        names = tuple(export)

        def export(row, names=names) -> dict:
            return {name: getattr(row, name) for name in names}

    declaration = Declaration(
        model=model,
        section=section,
        owner=owner,
        export=export,
        erase=erase,
        why=why,
        many=many,
        within=within,
        decisions=decisions,
        order_by=tuple(order_by),
        select_related=tuple(select_related),
    )
    _declarations[model] = declaration
    return declaration


def declarations() -> tuple[Declaration, ...]:
    """Every declaration, in the order of the apps (the core first)."""
    return tuple(_declarations.values())


def declared(model: type[models.Model]) -> Declaration | None:
    return _declarations.get(model)


def autodiscover() -> None:
    """Import each installed app's `personal_data` module, so its declarations are made."""
    autodiscover_modules("personal_data")


def account_is_erased(user: User) -> bool:
    return not user.is_active and user.email.endswith("@" + ANONYMOUS_DOMAIN)


# The core's own declarations -----------------------------------------------------------------


def _account_export(user: User) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "language": user.language,
        "roles": sorted(roles_held(user)),
        "sessions_ended_at": user.sessions_ended_at,
    }


def _account_erase(rows: QuerySet, person: Person, now) -> None:
    for user in rows.select_for_update():
        user.groups.clear()
        user.user_permissions.clear()
        user.email = anonymous_address("deleted", user.pk)
        user.full_name = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        # A new password hash also ends the person's sessions elsewhere.
        user.set_unusable_password()
        user.save()


def _token_export(token) -> dict:
    scope = PersonalTokenScope.objects.filter(token=token).values_list("scope", flat=True).first()
    return {
        "starts_with": token.token_key,
        "created": token.created,
        "expiry": token.expiry,
        "scope": scope or TokenScope.READ,
    }


def _declare_the_core() -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from knox.models import AuthToken

    register(
        User,
        section="account",
        many=False,
        owner=lambda person: Q(pk=person.user.pk),
        export=_account_export,
        erase=_account_erase,
        why=(
            "Anonymised, not deleted: decisions and the money ledger point to the account and "
            "are append-only. Its address becomes deleted-<id>@anonyme.invalid (unique, never "
            "delivered), its name is cleared, its password unusable; it is inactive and loses "
            "every role."
        ),
    )
    register(
        EmailAddress,
        section="email_addresses",
        within="account",
        owner="user",
        export=("email", "verified", "primary"),
        erase=delete,
        why="Deleted: the addresses the person signs in with.",
    )
    register(
        Authenticator,
        section="second_factors",
        within="account",
        owner="user",
        export=lambda a: {"type": a.type, "created_at": getattr(a, "created_at", None)},
        erase=delete,
        why="Deleted: second factors (TOTP, recovery codes) of an account nobody uses any more.",
    )
    register(
        AuthToken,
        section="api_tokens",
        within="account",
        owner="user",
        order_by=("created",),
        # The first characters only, never the digest.
        export=_token_export,
        erase=delete,
        why="Deleted: a program may no longer act for the account.",
    )
    register(
        NoticePreference,
        section="notice_preferences",
        within="account",
        owner="user",
        order_by=("kind",),
        export=("kind", "delivery", "updated_at"),
        erase=delete,
        why="Deleted: how an account nobody uses any more wanted to be told.",
    )
    register(
        PendingNotice,
        section="notices_for_the_digest",
        within="account",
        owner="user",
        order_by=("created_at", "pk"),
        export=("kind", "subject", "body", "created_at", "digested_at"),
        erase=delete,
        why="Deleted: notices written to the person, kept for their daily digest.",
    )
    register(
        KnownDevice,
        section="known_devices",
        within="account",
        owner="user",
        order_by=("first_seen_at", "pk"),
        export=("user_agent", "first_seen_at", "last_seen_at"),
        erase=delete,
        why="Deleted: the browsers the account signed in with.",
    )
    register(
        OutboxEmail,
        section="emails",
        owner=lambda person: Q(to__iexact=person.email),
        order_by=("created_at", "pk"),
        export=("to", "subject", "body", "language", "created_at", "sent_at"),
        erase=delete,
        why=(
            "Deleted, sent or not: the e-mails written to the person are theirs alone, and an "
            "e-mail still waiting is not sent to an erased account."
        ),
    )


_declare_the_core()
