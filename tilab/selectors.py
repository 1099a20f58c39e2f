"""Reads of the core app, shared by pages and the API."""

from django.db.models import QuerySet
from knox.models import AuthToken


def personal_tokens_of(user) -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(user=user).order_by("-created")
