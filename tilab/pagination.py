"""Pagination of API lists (kept apart from tilab.api: DRF imports it while loading itself)."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pages: constant cost on any page of a table that keeps growing."""

    ordering = "pk"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
