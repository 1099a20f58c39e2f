"""URLs of the figures pages (namespace `figures`); the open data and the staff exports have
their own namespaces (`open_data`, `exports`), in open_data_urls.py and export_urls.py."""

from django.urls import path

from . import views

app_name = "figures"
urlpatterns = [
    path("chiffres/", views.figures, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
