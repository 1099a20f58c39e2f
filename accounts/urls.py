"""Pages of a person's own data, under the maker space's paths (kept from the network app)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("maker/mes-donnees/", views.personal_data, name="personal_data"),
    path("maker/mes-donnees/export.json", views.personal_data_json, name="personal_data_json"),
    path("maker/mes-donnees/export.csv", views.personal_data_csv, name="personal_data_csv"),
    path("maker/mes-donnees/supprimer/", views.account_delete, name="account_delete"),
]
