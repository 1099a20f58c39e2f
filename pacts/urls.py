"""Pages of cooperation pacts: the public register and the work on pacts."""

from django.urls import path

from . import views

app_name = "pacts"
urlpatterns = [
    # Everyone: the register of signed pacts, and its open data
    path("", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pacte.pdf", views.pdf, name="pdf"),
    path("pieces-jointes/<int:pk>/", views.attachment, name="attachment"),
    path("donnees/pactes.csv", views.register_csv, name="csv"),
    path("donnees/pactes.schema.json", views.register_schema, name="schema"),
    # Parties, facilitators, the Région
    path("mes-pactes/", views.mine, name="mine"),
    path("suivi/", views.follow_up, name="follow_up"),
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/travail/", views.work, name="work"),
    path("parties/<int:pk>/signer/", views.sign, name="sign"),
    path("<int:pk>/rapport/", views.report, name="report"),
]
