"""Administration of makers, the item catalogue, and (read-only) production reports."""

from django.contrib import admin
from django.utils import timezone

from fablabs.models import Organisation
from tilab.admin import ReadOnlyAdmin

from . import signals
from .models import (
    ItemType,
    Maker,
    Membership,
    ProductionImport,
    ProductionReport,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Maker)
class MakerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "department", "commune", "user", "is_public"]
    list_filter = ["department", "is_public"]
    search_fields = ["display_name", "commune", "user__email"]
    list_select_related = ["department", "user"]
    raw_id_fields = ["user"]
    inlines = [MembershipInline]
    ordering = ["display_name"]


@admin.register(ItemType)
class ItemTypeAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "slug", "is_active", "position"]
    list_editable = ["is_active", "position"]
    fields = [
        "slug",
        "name_fr",
        "name_en",
        "unit_fr",
        "unit_en",
        "aliases",
        "is_active",
        "position",
    ]
    ordering = ["position", "slug"]


@admin.register(ProductionReport)
class ProductionReportAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "produced_on",
        "maker",
        "item_type",
        "quantity",
        "department",
        "status",
        "source",
    ]
    list_filter = ["status", "source", "department", "item_type"]
    search_fields = ["maker__display_name", "recipient"]
    list_select_related = ["maker", "item_type", "department"]
    date_hierarchy = "produced_on"
    ordering = ["-pk"]


@admin.register(ProductionImport)
class ProductionImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "created_by", "created_at", "status"]
    list_select_related = ["created_by"]
    exclude = ["content"]
    ordering = ["-pk"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "department", "commune", "is_public"]
    list_filter = ["kind", "department", "is_public"]
    search_fields = ["name", "commune"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["capabilities"]
    ordering = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "kind" in form.changed_data:
            # Its validated reports now count under the new kind: in the same transaction
            # (the admin's), the totals of the kinds it leaves and joins are marked.
            signals.organisation_kind_changed.send(
                sender=Organisation,
                organisation_id=obj.pk,
                was=form.initial["kind"],
                now=timezone.now(),
            )
