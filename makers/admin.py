"""Administration of makers and the item catalogue."""

from django.contrib import admin

from .models import ItemType, Maker, Membership


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
    ordering = ["position", "slug"]
