"""URLs of the workshop pages: the public agenda, registration, calendars, syntheses, and the
facilitators' management pages."""

from django.urls import path

from . import manage_views, views

app_name = "workshops"
urlpatterns = [
    # Everyone
    path("", views.agenda, name="agenda"),
    path("<int:pk>/", views.workshop_detail, name="detail"),
    path("invitation/<str:token>/", views.workshop_invitation, name="invitation"),
    path("<int:pk>/inscription/", views.register, name="register"),
    path(
        "inscription/confirmer/<str:token>/",
        views.registration_confirm,
        name="registration_confirm",
    ),
    path("inscription/<str:token>/", views.registration_manage, name="registration_manage"),
    path("<int:pk>/atelier.ics", views.workshop_ics, name="ics"),
    path("feed.ics", views.feed, name="feed"),
    path("agenda/<str:token>.ics", views.personal_feed, name="personal_feed"),
    path("mon-agenda/", views.my_workshops, name="my_workshops"),
    path("syntheses/", views.synthesis_list, name="synthesis_list"),
    path("syntheses/<int:pk>/", views.synthesis_detail, name="synthesis_detail"),
    # Facilitators
    path("manage/", manage_views.manage, name="manage"),
    path("manage/nouveau/", manage_views.workshop_create, name="create"),
    path("manage/<int:pk>/", manage_views.workshop_manage, name="manage_detail"),
    path("manage/<int:pk>/modifier/", manage_views.workshop_edit, name="edit"),
    path("manage/<int:pk>/dupliquer/", manage_views.workshop_duplicate, name="duplicate"),
    path("manage/<int:pk>/annuler/", manage_views.workshop_cancel, name="cancel"),
    path("manage/<int:pk>/inscrits.csv", manage_views.attendees_csv, name="attendees_csv"),
    path("manage/<int:pk>/pointage/", manage_views.checkin, name="checkin"),
    path("manage/<int:pk>/message/", manage_views.message_send, name="message"),
    path("manage/<int:pk>/synthese/", manage_views.synthesis_edit, name="synthesis_edit"),
]
