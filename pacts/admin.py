"""A read-only view of cooperation pacts for administrators: a pact changes only through its
services (signatures are decisions, and a signed text is never edited)."""

from django.contrib import admin

from tilab.admin import ReadOnlyAdmin

from .models import Pact, PactReport, PactVersion


@admin.register(Pact)
class PactAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "theme", "department", "created_at", "signed_at"]
    list_filter = ["status", "theme", "department"]
    list_select_related = ["department"]
    ordering = ["-pk"]


@admin.register(PactVersion)
class PactVersionAdmin(ReadOnlyAdmin):
    list_display = ["pact", "number", "title", "status", "licence", "starts_on", "ends_on"]
    list_filter = ["status", "licence"]
    search_fields = ["title"]
    ordering = ["-pact_id", "number"]


@admin.register(PactReport)
class PactReportAdmin(ReadOnlyAdmin):
    list_display = ["pact", "submitted_at"]
    exclude = ["submitted_by"]
    ordering = ["-submitted_at", "-pk"]
