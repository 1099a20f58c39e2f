"""Administration of the directory's capabilities. Organisations are administered from the
makers app: changing an organisation's kind moves its production totals, which that app keeps."""

from django.contrib import admin

from .models import Capability


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "slug", "position"]
    ordering = ["position", "name_fr"]
    prepopulated_fields = {"slug": ["name_fr"]}
