"""URLs of the open data: weekly production totals, with no personal data."""

from django.urls import path

from . import open_data_views

app_name = "open_data"
urlpatterns = [
    path("", open_data_views.index, name="index"),
    path("production.csv", open_data_views.production_csv, name="production_csv"),
    path("production.schema.json", open_data_views.production_schema, name="production_schema"),
    path("production-hxl.csv", open_data_views.production_hxl, name="production_hxl"),
    path("production.xlsx", open_data_views.production_xlsx, name="production_xlsx"),
]
