"""Pages of the directory: organisations, makers' public profiles, the map, joining
(placeholders replaced by their owners)."""

from django.urls import path

from . import directory_views

app_name = "directory"
urlpatterns = [
    path("", directory_views.directory, name="list"),
    path("carte/", directory_views.directory_map, name="map"),
    path("organisations/<slug:slug>/", directory_views.organisation_detail, name="organisation"),
    path(
        "organisations/<slug:slug>/rejoindre/",
        directory_views.membership_request,
        name="join",
    ),
    path(
        "organisations/<slug:slug>/demandes/",
        directory_views.membership_requests,
        name="requests",
    ),
    path(
        "organisations/<slug:slug>/modifier/",
        directory_views.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "organisations/<slug:slug>/curation/",
        directory_views.organisation_curate,
        name="curate",
    ),
    path("makers/<int:pk>/", directory_views.maker_profile, name="maker"),
]
