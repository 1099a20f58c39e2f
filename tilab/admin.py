"""Administration of people, roles and reference data. Decisions and the e-mail outbox are
shown, never edited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Decision, Department, OutboxEmail, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: records change only through the services, which keep totals,
    decisions and the ledger right. Every app's read-only admin is this one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["groups", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["full_name", "language"]}),
        (_("Rôles et droits"), {"fields": ["groups", "is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]
    filter_horizontal = ["groups"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region_name"]
    ordering = ["code"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "decided_at",
        "action",
        "content_type",
        "object_id",
        "from_state",
        "to_state",
        "actor",
    ]
    list_filter = ["action", "content_type"]
    ordering = ["-decided_at"]
    list_select_related = ["actor", "content_type"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """What was written to whom and whether it left; the worker and beat send, nobody edits."""

    list_display = ["created_at", "to", "subject", "language", "attempts", "due_at", "sent_at"]
    list_filter = ["language", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject", "key"]
    ordering = ["-created_at"]
