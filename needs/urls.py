"""Pages of needs and deliveries: the public board, posting a need, the establishment's own
pages (signed links), makers' pledges and deliveries, and the network's follow-up."""

from django.urls import path

from . import maker_views, views

app_name = "needs"
urlpatterns = [
    # Everyone, and establishments through their signed links
    path("", views.board, name="board"),
    path("nouveau/", views.need_post, name="post"),
    path("<int:pk>/", views.need_detail, name="detail"),
    path("confirmer/<str:token>/", views.need_confirm, name="confirm"),
    path("suivi/<str:token>/", views.need_manage, name="manage"),
    path("livraisons/<str:token>/", views.delivery_confirm, name="delivery_confirm"),
    path("mes-liens/", views.need_links_resend, name="links_resend"),
    # Makers and organisations
    path("<int:pk>/promettre/", maker_views.pledge_create, name="pledge"),
    path("promesses/", maker_views.my_pledges, name="my_pledges"),
    path("promesses/<int:pk>/retirer/", maker_views.pledge_withdraw, name="pledge_withdraw"),
    path("promesses/<int:pk>/livraison/", maker_views.delivery_record, name="delivery_record"),
    path("promesses/<int:pk>/message/", maker_views.message_send, name="message"),
    # Facilitators and relays
    path("suivi-reseau/", maker_views.follow_up, name="follow_up"),
    path("<int:pk>/moderer/", maker_views.need_remove, name="remove"),
    path("<int:pk>/verifier/", maker_views.need_check, name="check"),
    path("<int:pk>/contact/", maker_views.need_contact_change, name="contact_change"),
]
