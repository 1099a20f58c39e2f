"""Administration of the care establishments (their names and places can be corrected), and a
read-only view of needs, pledges, deliveries and messages: those change only through the
services (confirmations, corroboration, delivered totals, decision records). A need's contact
is shown to administrators only."""

from django.contrib import admin

from tilab.admin import ReadOnlyAdmin

from .models import Delivery, Establishment, Need, NeedMessage, Pledge


def _is_administrator(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "care_type", "commune", "department", "created_at"]
    list_filter = ["care_type", "department"]
    list_select_related = ["department"]
    search_fields = ["name", "commune"]
    ordering = ["name", "pk"]
    fields = ["name", "care_type", "commune", "department", "created_at"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # its needs keep it (PROTECT)


CONTACT_FIELDS = {"contact_name", "contact_email", "created_by"}


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    """The contact gave an address to be reached by the platform: only administrators see it."""

    list_display = ["establishment", "item_type", "quantity", "needed_by", "department", "status"]
    list_filter = ["status", "department", "item_type"]
    list_select_related = ["establishment", "item_type", "department"]
    search_fields = ["establishment__name", "establishment__commune"]
    date_hierarchy = "needed_by"
    ordering = ["-created_at", "-pk"]
    fields = [
        "establishment",
        "item_type",
        "quantity",
        "needed_by",
        "department",
        "delivery_constraints",
        "contact_name",
        "contact_email",
        "created_by",
        "created_at",
        "confirmed_at",
        "status",
        "closed_at",
        "moderation_reason",
    ]

    def get_fields(self, request, obj=None):
        if _is_administrator(request):
            return self.fields
        return [name for name in self.fields if name not in CONTACT_FIELDS]

    def get_list_display(self, request):
        if _is_administrator(request):
            return [*self.list_display, "contact_email"]
        return self.list_display

    def get_search_fields(self, request):
        if _is_administrator(request):
            return [*self.search_fields, "contact_email"]
        return self.search_fields


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["need", "producer_name", "quantity", "status", "pledged_at"]
    list_filter = ["status"]
    list_select_related = ["need__establishment", "need__item_type", "maker", "organisation"]
    search_fields = ["maker__display_name", "organisation__name", "need__establishment__name"]
    ordering = ["-pledged_at", "-pk"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["pledge", "quantity", "delivered_on", "confirmed_quantity", "confirmed_at"]
    list_select_related = [
        "pledge__need__establishment",
        "pledge__need__item_type",
    ]
    date_hierarchy = "delivered_on"
    ordering = ["-delivered_on", "-pk"]


@admin.register(NeedMessage)
class NeedMessageAdmin(ReadOnlyAdmin):
    list_display = ["pledge", "from_establishment", "created_at"]
    list_filter = ["from_establishment"]
    ordering = ["-created_at", "-pk"]
