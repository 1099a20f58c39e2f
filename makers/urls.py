"""URLs of the production pages."""

from django.urls import path

from . import alias_views, import_views, views

app_name = "makers"
urlpatterns = [
    path("maker/", views.maker_space, name="space"),
    path("maker/profil/", views.maker_profile, name="profile"),
    path("maker/declarations/<int:pk>/", views.report_edit, name="report_edit"),
    path("maker/declarations/<int:pk>/retirer/", views.report_withdraw, name="report_withdraw"),
    path("validation/", views.validation_queue, name="validation_queue"),
    path("validation/decider/", views.validation_decide, name="validation_decide"),
    path("validation/saisie/", views.report_enter_for, name="report_enter_for"),
    path("validation/declarations/<int:pk>/", views.report_correct_for, name="report_correct_for"),
    path(
        "validation/declarations/<int:pk>/refus/",
        views.rejection_notice,
        name="rejection_notice",
    ),
    path("validation/import/", import_views.import_upload, name="import_upload"),
    path("validation/import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path(
        "validation/import/<int:pk>/articles/",
        alias_views.import_item_alias,
        name="import_item_alias",
    ),
    path("validation/articles/alias/", alias_views.item_aliases, name="item_aliases"),
    path(
        "validation/articles/alias/<int:pk>/", alias_views.item_alias_edit, name="item_alias_edit"
    ),
]
