"""Administration of the directory."""

from django.contrib import admin

from .models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "department", "commune", "is_public"]
    list_filter = ["kind", "department", "is_public"]
    search_fields = ["name", "commune"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]
