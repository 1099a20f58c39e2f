"""Administration of relays: which organisation, which departments, which staff."""

from django.contrib import admin

from .models import Relay, RelayCoverage


class CoverageInline(admin.TabularInline):
    model = RelayCoverage
    extra = 0


@admin.register(Relay)
class RelayAdmin(admin.ModelAdmin):
    list_display = ["__str__"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["staff"]
    inlines = [CoverageInline]
