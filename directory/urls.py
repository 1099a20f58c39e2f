"""Pages of the directory: organisations, makers' public profiles, the map, joining, and the
pages of managers and facilitators."""

from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.directory, name="list"),
    path("carte/", views.directory_map, name="map"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path(
        "organisations/<slug:slug>/rejoindre/",
        views.membership_request,
        name="join",
    ),
    path(
        "organisations/<slug:slug>/demandes/",
        views.membership_requests,
        name="requests",
    ),
    path(
        "organisations/<slug:slug>/modifier/",
        views.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "organisations/<slug:slug>/curation/",
        views.organisation_curate,
        name="curate",
    ),
    path("makers/<int:pk>/", views.maker_profile, name="maker"),
]
