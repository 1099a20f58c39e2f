"""Reads of the core app, shared by pages and the API."""

from django.db.models import QuerySet
from knox.models import AuthToken


def personal_tokens_of(user) -> QuerySet[AuthToken]:
    """The person's tokens, newest first, each with its scope (`token.scope`, absent for a
    token made outside the platform's page: it may only read)."""
    return AuthToken.objects.filter(user=user).select_related("scope").order_by("-created")
