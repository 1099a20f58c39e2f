"""Writes of the core app: decision records and personal API tokens."""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from knox.models import AuthToken

from .errors import TOKEN_LIMIT_REACHED
from .models import Decision, User

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


def personal_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Create a token for `user`; the clear text is returned once and only its digest is kept.
    Refuses a user who already holds as many as the platform allows (token_limit_reached)."""
    with transaction.atomic():
        # Lock the user's row so two simultaneous clicks cannot both pass the limit.
        User.objects.select_for_update().get(pk=user.pk)
        if AuthToken.objects.filter(user=user).count() >= MAX_PERSONAL_TOKENS:
            raise TOKEN_LIMIT_REACHED(n=MAX_PERSONAL_TOKENS)
        return AuthToken.objects.create(user=user)


def personal_token_revoke(*, user: User, token_key: str) -> bool:
    """Revoke one of the user's own tokens. Returns False when there was no such token."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted > 0
