"""Pages of the network: cooperation links, attestations and their public check, personal
data (placeholders replaced by their owners)."""

from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("reseau/", views.network_graph, name="graph"),
    path("attestations/verifier/", views.attestation_check, name="attestation_check"),
    path("maker/attestation/", views.maker_attestation, name="maker_attestation"),
    path(
        "annuaire/organisations/<slug:slug>/attestation/",
        views.organisation_attestation,
        name="organisation_attestation",
    ),
    path("maker/mes-donnees/", views.personal_data, name="personal_data"),
    path("maker/mes-donnees/export.json", views.personal_data_json, name="personal_data_json"),
    path("maker/mes-donnees/export.csv", views.personal_data_csv, name="personal_data_csv"),
    path("maker/mes-donnees/supprimer/", views.account_delete, name="account_delete"),
]
