"""Writes of the core app: decision records, personal API tokens, and the end of a person's
other sessions and tokens when their credentials change."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from knox.models import AuthToken

from .errors import TOKEN_LIMIT_REACHED
from .models import Decision, PersonalTokenScope, TokenScope, User
from .permissions import SECOND_FACTOR_AT, require
from .security_notices import token_created_notify

MAX_PERSONAL_TOKENS = 10


def decision_record(
    *,
    actor: User | None,
    subject: models.Model,
    action: str,
    now: datetime,
    from_state: str = "",
    to_state: str = "",
    motivation: str = "",
    data: dict | None = None,
) -> Decision:
    """Append a decision about `subject`. Call it inside the transaction that changes state."""
    return Decision.objects.create(
        actor=actor,
        decided_at=now,
        action=action,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        from_state=from_state,
        to_state=to_state,
        motivation=motivation,
        data=data or {},
    )


def personal_token_create(
    *, user: User, scope: str = TokenScope.WRITE, now: datetime | None = None
) -> tuple[AuthToken, str]:
    """Create a token for `user` with `scope` (tilab.models.TokenScope), valid
    TILAB_API_TOKEN_DAYS days; the clear text is returned once and only its digest is kept.

    A "money" token may decide on money for as long as it lives: it is made only by someone
    who may decide on money and, where the deployment requires it, right after presenting the
    second factor in this session (`two_factor_required` otherwise, as for a money decision).
    Refuses a user who already holds as many tokens as the platform allows
    (token_limit_reached)."""
    now = now or timezone.now()
    scope = TokenScope(scope)
    if scope == TokenScope.MONEY:
        require(user, "tilab.decide_on_money")
    with transaction.atomic():
        # Lock the user's row so two simultaneous clicks cannot both pass the limit.
        User.objects.select_for_update().get(pk=user.pk)
        if AuthToken.objects.filter(user=user).count() >= MAX_PERSONAL_TOKENS:
            raise TOKEN_LIMIT_REACHED(n=MAX_PERSONAL_TOKENS)
        token, text = AuthToken.objects.create(
            user=user, expiry=timedelta(days=settings.TILAB_API_TOKEN_DAYS)
        )
        # knox counts the expiry from its own clock; the token's life starts `now`.
        token.expiry = now + timedelta(days=settings.TILAB_API_TOKEN_DAYS)
        token.save(update_fields=["expiry"])
        PersonalTokenScope.objects.create(
            token=token, scope=scope, second_factor_at=getattr(user, SECOND_FACTOR_AT, None)
        )
        token_created_notify(user=user, scope=scope, key_start=token.token_key, now=now)
        return token, text


def personal_token_revoke(*, user: User, token_key: str) -> bool:
    """Revoke one of the user's own tokens. Returns False when there was no such token."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted > 0


def account_sessions_end(*, user: User, now: datetime) -> int:
    """End every session and personal token of `user`: their password or their second factor
    has just changed (tilab.receivers). Sessions end on their next request (the account's
    session hash changes: tilab.models.User.get_session_auth_hash); the caller keeps its own
    session by re-hashing it (django.contrib.auth.update_session_auth_hash). Returns the number
    of tokens revoked."""
    with transaction.atomic():
        user.sessions_ended_at = now
        user.save(update_fields=["sessions_ended_at"])
        _, revoked = AuthToken.objects.filter(user=user).delete()
    return revoked.get(AuthToken._meta.label, 0)


def user_language_set(*, user: User, language: str) -> bool:
    """Record the language a person chose (the language of the e-mails written to them); a
    language the platform does not offer changes nothing. True if it changed."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return False
    return User.objects.filter(pk=user.pk).exclude(language=language).update(language=language) == 1
