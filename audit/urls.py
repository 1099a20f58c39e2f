"""Pages of the auditor's view, read-only, for auditors and Région staff: the money ledger
(with the check of its chain and balances, run on demand) and the decision log."""

from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("grand-livre/", views.ledger, name="ledger"),
    path("grand-livre/verification/", views.ledger_check, name="ledger_check"),
    path("decisions/", views.decisions, name="decisions"),
]
