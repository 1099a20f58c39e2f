"""A read-only view of the money records in the admin. Bank details are not shown here: only
payees and their relay see them. Relays and their coverage are administered in `fablabs.admin`."""

from django.contrib import admin

from tilab.admin import ReadOnlyAdmin

from .models import Allocation, LedgerEntry, Payment, Programme, Redistribution


class AllocationInline(admin.TabularInline):
    model = Allocation
    fields = ["relay", "fixed_share", "proposed_cents", "amount_cents", "status", "approved_at"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["name", "envelope_cents", "basis", "status", "created_at"]
    list_filter = ["status", "basis"]
    inlines = [AllocationInline]


@admin.register(Redistribution)
class RedistributionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "approved_at"]
    list_select_related = ["allocation__programme", "allocation__relay__organisation"]
    list_filter = ["status"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "recorded_at", "kind", "source", "destination", "amount_cents"]
    list_filter = ["kind"]
    ordering = ["seq"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["line", "amount_cents", "paid_on", "reference"]
    ordering = ["-paid_on"]
