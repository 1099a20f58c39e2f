"""URLs of the open data: weekly production totals, with no personal data."""

urlpatterns: list = []
