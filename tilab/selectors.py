"""Reads of the core app, shared by pages and the API."""

from django.db.models import QuerySet
from knox.models import AuthToken


def personal_tokens_of(user) -> QuerySet[AuthToken]:
    """The person's tokens, newest first, each with its scope (`token.scope`, absent for a
    token made outside the platform's page: it may only read)."""
    return AuthToken.objects.filter(user=user).select_related("scope").order_by("-created")


def accessibility_audit() -> dict:
    """What the accessibility statement prints from the audit file: the summary (rate, status,
    failing criteria) and the sample, each page with its link when it has a fixed address."""
    from .accessibility_audit import audit_sample, audit_summary

    sample = [
        {**page, "url": None if "{" in page["path"] else page["path"]} for page in audit_sample()
    ]
    names = {page["page"]: page["name"] for page in sample}
    failing = [
        {"criterion": criterion, "pages": [names[key] for key in criterion.pages]}
        for criterion in audit_summary().failing
    ]
    return {"audit": audit_summary(), "audit_sample": sample, "audit_failing": failing}
