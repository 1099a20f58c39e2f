"""URLs of the staff exports: reports with makers, generated in the background."""

from django.urls import path

from . import export_views

app_name = "exports"
urlpatterns = [
    path("", export_views.export_list, name="list"),
    path("<int:pk>/download/", export_views.export_download, name="download"),
    path("<int:pk>/relancer/", export_views.export_retry, name="retry"),
]
