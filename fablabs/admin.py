"""Administration of the directory's capabilities and of the relays (which organisation,
departments, staff). Organisations are administered from the makers app: changing an
organisation's kind moves its production totals, which that app keeps."""

from django.contrib import admin

from .models import Capability, Relay, RelayCoverage


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "slug", "position"]
    ordering = ["position", "name_fr"]
    prepopulated_fields = {"slug": ["name_fr"]}


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
