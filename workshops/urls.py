"""URLs of the workshop pages."""

from django.urls import path

from . import views

app_name = "workshops"
urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("manage/", views.manage, name="manage"),
]
