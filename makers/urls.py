"""URLs of the production pages."""

from django.urls import path

from . import views

app_name = "makers"
urlpatterns = [
    path("maker/", views.maker_space, name="space"),
    path("validation/", views.validation_queue, name="validation_queue"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
