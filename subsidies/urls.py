"""Pages of the subsidy chain: programmes (Région), redistributions and payment batches (relays),
bank details, money received."""

from django.urls import path

from . import batch_views, redistribution_views, views

app_name = "subsidies"

urlpatterns = [
    # Région staff (and, reading only, auditors and the relays taking part)
    path("", views.programme_list, name="programme_list"),
    path("nouveau/", views.programme_create, name="programme_create"),
    path("<int:pk>/", views.programme_detail, name="programme_detail"),
    path("<int:pk>/ajuster/", views.allocations_adjust, name="allocations_adjust"),
    path("<int:pk>/modifier/", views.programme_amend, name="programme_amend"),
    path("allocations/<int:pk>/approuver/", views.allocation_approve, name="allocation_approve"),
    path(
        "allocations/<int:pk>/recalculer/",
        views.allocations_recompute,
        name="allocations_recompute",
    ),
    # Relay staff
    path(
        "allocations/<int:pk>/redistribuer/",
        redistribution_views.redistribution_propose,
        name="redistribution_propose",
    ),
    path(
        "redistributions/<int:pk>/",
        redistribution_views.redistribution_detail,
        name="redistribution_detail",
    ),
    path(
        "redistributions/<int:pk>/ajuster/",
        redistribution_views.redistribution_adjust,
        name="redistribution_adjust",
    ),
    path(
        "redistributions/<int:pk>/approuver/",
        redistribution_views.redistribution_approve,
        name="redistribution_approve",
    ),
    path(
        "redistributions/<int:pk>/recalculer/",
        redistribution_views.redistribution_recompute,
        name="redistribution_recompute",
    ),
    path(
        "redistributions/<int:pk>/nouveau-lot/",
        batch_views.payment_batch_create,
        name="payment_batch_create",
    ),
    path(
        "redistributions/<int:pk>/depense-propre/",
        batch_views.own_use_settle,
        name="own_use_settle",
    ),
    path("lots/", batch_views.payment_batch_list, name="payment_batch_list"),
    path("lots/<int:pk>/", batch_views.payment_batch_detail, name="payment_batch_detail"),
    path("lots/<int:pk>/fichier/", batch_views.payment_batch_file, name="payment_batch_file"),
    path("lots/<int:pk>/paiements/", batch_views.payment_batch_record, name="payment_batch_record"),
    path("lots/<int:pk>/annuler/", batch_views.payment_batch_cancel, name="payment_batch_cancel"),
    path(
        "coordonnees-bancaires/changements/<int:pk>/confirmer/",
        redistribution_views.bank_change_confirm,
        name="bank_change_confirm",
    ),
    path(
        "coordonnees-bancaires/<str:kind>/<int:pk>/",
        redistribution_views.bank_account_edit,
        name="bank_account_edit",
    ),
    # Makers (and organisation managers)
    path("mes-versements/", redistribution_views.money_received, name="money_received"),
]
