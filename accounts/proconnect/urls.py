"""ProConnect's pages, under /accounts/ (allauth includes them with its own)."""

from django.urls import path

from . import views

urlpatterns = [
    path("proconnect/connexion/", views.login, name="proconnect_login"),
    path("proconnect/retour/", views.callback, name="proconnect_callback"),
    path("proconnect/deconnexion/", views.logout, name="proconnect_logout"),
    path("proconnect/rejoindre/", views.join, name="proconnect_join"),
]
