"""Pages of recognition (URL namespace `network`, as before the split): the cooperation graph,
attestations and their public check. A person's own data is in `accounts.urls`."""

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
]
