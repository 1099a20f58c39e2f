"""URL of the webhooks page."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [path("", views.endpoints, name="endpoints")]
