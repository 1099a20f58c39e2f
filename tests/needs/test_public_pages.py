"""The public needs pages and the establishment's signed-link pages, as their visitors see them:
the board, posting a need, a need's page, confirming, following a need, confirming a delivery."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from makers.models import Membership
from needs import services
from needs.models import Delivery, Need, NeedMessage
from tests.factories import (
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_report,
    make_user,
)
from tests.needs.helpers import need_post_form

CONTACT = "cadre.sante@ehpad-tilleuls.example.org"
pytestmark = pytest.mark.django_db


def _now():
    return timezone.now()


def _pledge(need, user, quantity=20, message=""):
    return services.pledge_create(
        need=need, quantity=quantity, by=user, maker=user.maker, now=_now(), message=message
    )


def _delivery(need, user, quantity=10, relay_staff=None):
    make_report(maker=user.maker, quantity=quantity, status="validated", decided_by=relay_staff)
    pledge = need.pledges.get(maker=user.maker) if need.pledges.exists() else _pledge(need, user)
    return services.delivery_record(
        pledge=pledge, quantity=quantity, delivered_on=timezone.localdate(), by=user, now=_now()
    )


# The board ----------------------------------------------------------------------------------


def test_the_board_lists_open_needs_with_what_is_pledged_and_received(client, maker, relay_staff):
    need = make_need(quantity=100)
    _pledge(need, maker, quantity=40)
    delivery = _delivery(need, maker, quantity=10, relay_staff=relay_staff)
    services.delivery_confirm(
        token=services.delivery_confirm_token(delivery), confirmed_quantity=8, now=_now()
    )
    make_need(confirmed=False, establishment=make_establishment(name="Pharmacie du Port"))

    page = client.get(reverse("needs:board")).content.decode()

    assert "1 besoin ouvert" in page
    assert "EHPAD Les Tilleuls" in page and "Rennes" in page
    assert "Promis : 40 sur 100 visières" in page and "Reçu : 8" in page
    assert "Pharmacie du Port" not in page  # not confirmed, not published
    assert CONTACT not in page and "Claire Morvan" not in page


def test_the_board_filters_by_department_and_item(client, reference_data):
    make_need()
    make_need(establishment=make_establishment(name="Hôpital de Brest", department="29"))
    make_need(
        item="fabric-mask", establishment=make_establishment(name="Cabinet Vannes", department="56")
    )

    page = client.get(reverse("needs:board"), {"department": "29"}).content.decode()
    assert "Hôpital de Brest" in page and "EHPAD Les Tilleuls" not in page

    page = client.get(reverse("needs:board"), {"item": "fabric-mask"}).content.decode()
    assert "Cabinet Vannes" in page and "Hôpital de Brest" not in page


def test_the_board_answers_htmx_with_its_results_only(client, reference_data):
    make_need()
    response = client.get(reverse("needs:board"), headers={"HX-Request": "true"})
    assert b"<html" not in response.content
    assert b'id="board-results-title"' in response.content


def test_the_board_takes_the_same_number_of_queries_for_one_need_or_many(
    client, maker, relay_staff
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("needs:board")).status_code == 200
        return len(queries)

    make_need()
    few = count()
    for n in range(6):
        need = make_need(establishment=make_establishment(name=f"EHPAD {n}"))
        _pledge(need, maker, quantity=5)
    assert count() == few


# Posting a need -----------------------------------------------------------------------------


def test_posting_a_need_without_an_account_asks_to_confirm_by_e_mail(
    client, reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("needs:post"), need_post_form())

    assert response.status_code == 200
    assert "Vérifiez votre messagerie pour le publier" in response.content.decode()
    need = Need.objects.get()
    assert (need.status, need.quantity, need.contact_email) == ("unconfirmed", 200, CONTACT)
    assert mailoutbox[0].to == [CONTACT]
    assert client.get(reverse("needs:detail", args=[need.pk])).status_code == 404


def test_a_signed_in_person_posting_with_their_verified_address_publishes_at_once(
    client, reference_data
):
    user = make_user(email=CONTACT)
    client.force_login(user)
    response = client.post(reverse("needs:post"), need_post_form())
    assert "Votre besoin est publié" in response.content.decode()
    assert Need.objects.get().status == "open"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"needed_by": "2020-01-01"}, "needed_by", "La date souhaitée est passée."),
        ({"quantity": "0"}, "quantity", "supérieure ou égale à 1"),
        ({"quantity": "100001"}, "quantity", "inférieure ou égale à 100000"),
        ({"contact_name": "  "}, "contact_name", "Ce champ est obligatoire"),
        ({"contact_email": "pas-une-adresse"}, "contact_email", "adresse e-mail valide"),
        ({"care_type": ""}, "care_type", "Ce champ est obligatoire"),
    ],
)
def test_bad_input_is_refused_on_the_right_field_and_nothing_is_written(
    client, reference_data, changes, field, message
):
    response = client.post(reverse("needs:post"), need_post_form(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not Need.objects.exists()


def test_posting_never_shows_anything_of_the_establishment_s_earlier_needs(client, reference_data):
    make_need(contact_name="Jeanne Autre", contact_email="jeanne@ehpad.example.org")
    page = client.post(reverse("needs:post"), need_post_form()).content.decode()
    assert "Jeanne Autre" not in page and "jeanne@ehpad.example.org" not in page


# A need's page -------------------------------------------------------------------------------


def test_a_need_s_page_shows_the_need_without_its_contact(client, maker, reference_data):
    need = make_need(delivery_constraints="Livrer au portail nord")
    _pledge(need, maker, quantity=30)
    organisation = make_organisation(name="LabFab Saint-Malo")
    member = make_user(role="maker")
    make_maker(user=member, display_name="Yann Public", is_public=True)
    from makers.models import Membership

    Membership.objects.create(organisation=organisation, maker=member.maker)
    services.pledge_create(need=need, quantity=10, by=member, organisation=organisation, now=_now())

    page = client.get(reverse("needs:detail", args=[need.pk])).content.decode()

    assert "EHPAD Les Tilleuls" in page and "Livrer au portail nord" in page
    assert CONTACT not in page and "Claire Morvan" not in page
    assert (
        "Anne Le Goff" not in page and "un maker promet 30 visières" in page
    )  # Anne is not public
    assert "LabFab Saint-Malo promet 10 visières" in page
    assert reverse("needs:pledge", args=[need.pk]) in page
    assert "Promis : 40 sur 100" in page


def test_a_maker_who_chose_a_public_profile_is_named(client, maker, reference_data):
    maker.maker.is_public = True
    maker.maker.save(update_fields=["is_public"])
    need = make_need()
    _pledge(need, maker, quantity=30)
    assert (
        "Anne Le Goff promet 30 visières"
        in client.get(reverse("needs:detail", args=[need.pk])).content.decode()
    )


@pytest.mark.parametrize("listed", [True, False])
def test_an_organisation_is_named_for_its_pledge_only_if_the_directory_lists_it(
    client, maker, listed
):
    lab = make_organisation(name="Atelier Discret", is_public=listed)
    Membership.objects.create(maker=maker.maker, organisation=lab)
    need = make_need()
    services.pledge_create(need=need, quantity=30, by=maker, organisation=lab, now=_now())
    public = client.get(reverse("needs:detail", args=[need.pk])).content.decode()
    manage = client.get(reverse("needs:manage", args=[services.need_manage_token(need)]))
    for page in (public, manage.content.decode()):
        assert ("Atelier Discret" in page) is listed


def test_unconfirmed_withdrawn_and_removed_needs_are_not_found(client, facilitator):
    unconfirmed = make_need(confirmed=False)
    withdrawn = services.need_withdraw(need=make_need(), now=_now())
    removed = services.need_remove(need=make_need(), reason="spam", by=facilitator, now=_now())
    for need in (unconfirmed, withdrawn, removed):
        assert client.get(reverse("needs:detail", args=[need.pk])).status_code == 404


# Confirming a need ---------------------------------------------------------------------------


def test_the_confirm_link_shows_a_button_then_publishes_once(
    client, reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    need = make_need(confirmed=False)
    url = reverse("needs:confirm", args=[services.need_confirm_token(need)])

    assert "Publier le besoin" in client.get(url).content.decode()
    need.refresh_from_db()
    assert need.status == "unconfirmed"  # a mail scanner following the link publishes nothing

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url).content.decode()
    assert "Votre besoin est publié" in page
    manage = re.search(r'href="(/besoins/suivi/[^"]+)"', page).group(1)
    assert client.get(manage).status_code == 200
    assert mailoutbox[-1].to == [CONTACT] and "/besoins/suivi/" in mailoutbox[-1].body
    need.refresh_from_db()
    confirmed_at = need.confirmed_at
    assert need.status == "open"

    page = client.post(url).content.decode()
    assert "déjà publié" in page
    need.refresh_from_db()
    assert need.confirmed_at == confirmed_at


def test_a_published_need_is_confirmed_in_the_success_style_under_a_heading_that_says_so(
    client, reference_data
):
    need = make_need(confirmed=False)
    url = reverse("needs:confirm", args=[services.need_confirm_token(need)])
    before = client.get(url).content.decode()
    assert "<h1>Publier votre besoin</h1>" in before

    for _ in ("published", "already published"):
        page = client.post(url).content.decode()
        assert "<h1>Votre besoin est publié</h1>" in page
        assert re.search(r'<p class="message message-success" role="status">', page)
        assert 'class="notice"' not in page


def test_a_forged_link_is_refused_on_every_signed_page(client, reference_data):
    need = make_need(confirmed=False)
    token = services.need_confirm_token(need)
    for name in ("needs:confirm", "needs:manage", "needs:delivery_confirm"):
        for method in (client.get, client.post):
            response = method(reverse(name, args=[token[:-3] + "abc"]))
            assert response.status_code == 400
            assert "Lien invalide" in response.content.decode()
    # The confirm link does not open the management page (another salt).
    assert client.get(reverse("needs:manage", args=[token])).status_code == 400
    need.refresh_from_db()
    assert need.status == "unconfirmed"


# The establishment's page --------------------------------------------------------------------


def test_the_establishment_sees_who_pledged_without_their_e_mail(client, maker, relay_staff):
    need = make_need()
    _pledge(need, maker, quantity=25, message="Je livre mardi")
    delivery = _delivery(need, maker, quantity=10, relay_staff=relay_staff)

    response = client.get(reverse("needs:manage", args=[services.need_manage_token(need)]))
    page = response.content.decode()

    assert response["Cache-Control"] == "no-store, private"
    assert "un maker promet 25 visières" in page and "Je livre mardi" in page
    assert maker.email not in page
    confirm = reverse("needs:delivery_confirm", args=[services.delivery_confirm_token(delivery)])
    assert confirm in page


def test_the_establishment_writes_to_a_pledger_through_the_platform(
    client, maker, django_capture_on_commit_callbacks, mailoutbox
):
    need = make_need()
    pledge = _pledge(need, maker)
    url = reverse("needs:manage", args=[services.need_manage_token(need)])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"pledge": pledge.pk, "body": "Pouvez-vous livrer lundi ?"})

    assert response.status_code == 302
    message = NeedMessage.objects.get()
    assert message.from_establishment and message.body == "Pouvez-vous livrer lundi ?"
    sent = mailoutbox[-1]
    assert sent.to == [maker.email]
    assert CONTACT not in sent.body and CONTACT not in str(sent.message())
    assert "Pouvez-vous livrer lundi ?" in client.get(url).content.decode()


def test_the_message_written_with_the_pledge_opens_the_establishments_thread(client, maker):
    need = make_need()
    pledge = _pledge(need, maker, message="Je livre mardi")
    services.need_message_send(
        pledge=pledge, body="Mardi nous va.", from_establishment=True, now=_now()
    )
    page = client.get(reverse("needs:manage", args=[services.need_manage_token(need)]))
    html = page.content.decode()
    assert html.index('class="conversation"') < html.index("Je livre mardi")
    assert html.index("Je livre mardi") < html.index("Mardi nous va.")


def test_an_empty_message_or_another_need_s_pledge_is_refused(client, maker):
    need = make_need()
    _pledge(need, maker)
    other_pledge = _pledge(make_need(establishment=make_establishment(name="Autre")), maker)
    url = reverse("needs:manage", args=[services.need_manage_token(need)])

    assert client.post(url, {"pledge": other_pledge.pk, "body": "Bonjour"}).status_code == 400
    own = need.pledges.get()
    assert client.post(url, {"pledge": own.pk, "body": "   "}).status_code == 400
    assert not NeedMessage.objects.exists()


def test_the_establishment_withdraws_its_need(client, reference_data):
    need = make_need()
    url = reverse("needs:manage", args=[services.need_manage_token(need)])
    client.post(url, {"withdraw": "1"})
    need.refresh_from_db()
    assert need.status == "withdrawn"
    page = client.get(url).content.decode()
    assert "Retirer le besoin" not in page
    assert client.get(reverse("needs:board")).content.decode().count("EHPAD Les Tilleuls") == 0


# Confirming a delivery -----------------------------------------------------------------------


def test_the_establishment_confirms_a_delivery_once(client, maker, relay_staff):
    need = make_need()
    delivery = _delivery(need, maker, quantity=12, relay_staff=relay_staff)
    url = reverse("needs:delivery_confirm", args=[services.delivery_confirm_token(delivery)])

    page = client.get(url).content.decode()
    assert "un maker" in page and "12" in page and maker.email not in page

    assert client.post(url, {"received": "13"}).status_code == 400  # more than declared
    assert client.post(url, {"received": "-1"}).status_code == 400
    assert client.post(url, {"received": "11"}).status_code == 302
    delivery.refresh_from_db()
    assert delivery.confirmed_quantity == 11

    response = client.post(url, {"received": "12"}, follow=True)
    assert "déjà confirmée : rien n&#x27;a changé" in response.content.decode()
    assert "réception de 11 visières" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.confirmed_quantity == 11
    assert Delivery.objects.filter(confirmed_at__isnull=False).count() == 1
