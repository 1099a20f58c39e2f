"""Administration of the figures: staff exports, read-only (the totals are never edited by hand:
`manage.py production_totals_rebuild` recomputes them from the reports)."""

from django.contrib import admin

from tilab.admin import ReadOnlyAdmin

from .models import ProductionExport


@admin.register(ProductionExport)
class ProductionExportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "requested_by", "requested_at", "format", "status", "row_count"]
    list_filter = ["status", "format"]
    list_select_related = ["requested_by"]
    # The file holds makers' names: it is downloaded by its owner from the exports page only.
    exclude = ["content"]
    ordering = ["-pk"]
