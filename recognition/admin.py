"""Attestations in the technical admin: read only, since their content is what was issued."""

from django.contrib import admin

from .models import Attestation


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["code", "holder_name", "issued_at"]
    search_fields = ["code", "holder_name"]
    readonly_fields = [
        "code",
        "maker",
        "organisation",
        "holder_name",
        "content",
        "issued_at",
        "issued_to",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
