"""Pagination of API lists (kept apart from tilab.api: DRF imports it while loading itself)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pages: constant cost on any page of a table that keeps growing.

    A cursor that does not decode, or whose position is not a value of the ordering field
    (one typed by hand, say), answers 400 naming `cursor`, never a server error.
    """

    ordering = "pk"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    invalid_cursor_message = _(
        "Ce curseur n'est pas valide : reprenez le lien « next » ou « previous » d'une page."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def _invalid(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            # The position goes into a filter on the first ordering field: it must be one of
            # its values, or the database would be asked something it cannot answer.
            name = self.ordering[0].lstrip("-") if self.ordering else "pk"
            meta = self._model._meta
            field = meta.pk if name == "pk" else meta.get_field(name)
            try:
                field.to_python(cursor.position)
            except DjangoValidationError:
                raise self._invalid() from None
        return cursor
