"""Administration of the workshop themes, and a read-only view of workshops, registrations,
messages and syntheses. Those change only through the services (waitlist promotions, e-mails,
decision records); a registrant's e-mail address is shown to administrators only."""

from django.contrib import admin

from tilab.admin import ReadOnlyAdmin

from .models import Registration, Synthesis, Theme, Workshop, WorkshopMessage


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "slug", "position"]
    list_editable = ["position"]
    fields = ["slug", "name_fr", "name_en", "position"]
    ordering = ["position", "slug"]


def _is_administrator(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(Workshop)
class WorkshopAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "starts_at",
        "commune",
        "department",
        "capacity",
        "is_public",
        "status",
    ]
    list_filter = ["status", "is_public", "theme", "department"]
    list_select_related = ["department"]
    search_fields = ["title", "commune"]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]
    exclude = ["invitation_token"]  # the secret of an invitation-only workshop


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    """Guests gave their address to be told about one workshop: only administrators see it."""

    list_display = ["name", "workshop", "status", "registered_at", "attended"]
    list_filter = ["status", "attended"]
    list_select_related = ["workshop"]
    search_fields = ["name", "workshop__title"]
    ordering = ["-registered_at", "-pk"]
    fields = [
        "workshop",
        "user",
        "name",
        "email",
        "status",
        "registered_at",
        "promoted_at",
        "cancelled_at",
        "attended",
        "attendance_recorded_at",
        "reminder_sent_at",
    ]

    def get_list_display(self, request):
        if _is_administrator(request):
            return [*self.list_display[:1], "email", *self.list_display[1:]]
        return self.list_display

    def get_fields(self, request, obj=None):
        if _is_administrator(request):
            return self.fields
        return [name for name in self.fields if name not in {"email", "user"}]

    def get_search_fields(self, request):
        if _is_administrator(request):
            return [*self.search_fields, "email"]
        return self.search_fields


@admin.register(WorkshopMessage)
class WorkshopMessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "workshop", "created_at", "delivered_at", "recipient_count"]
    list_select_related = ["workshop"]
    ordering = ["-created_at"]


@admin.register(Synthesis)
class SynthesisAdmin(ReadOnlyAdmin):
    list_display = ["workshop", "status", "updated_at", "published_at"]
    list_filter = ["status"]
    list_select_related = ["workshop"]
    ordering = ["-updated_at"]
