"""Reads of the core app, shared by pages and the API."""

from django.db.models import QuerySet
from knox.models import AuthToken

from .models import Department


def departments_with_relay() -> QuerySet[Department]:
    """Every department with the relay that covers it, in one query."""
    return Department.objects.select_related("coverage__relay__organisation").order_by("code")


def personal_tokens_of(user) -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(user=user).order_by("-created")
