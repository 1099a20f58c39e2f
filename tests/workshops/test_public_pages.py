"""The participants' pages: the agenda, a workshop's page and registration, the signed cancel
link, my workshops and my calendar address, the published syntheses."""

import datetime
import html
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    confirm_link,
    make_user,
    make_workshop,
    register_and_confirm,
    register_guest,
)
from tests.workshops.conftest import moved_to_the_past
from tilab.models import OutboxEmail
from workshops import selectors, services
from workshops.models import PendingRegistration, Registration, Theme, Workshop

pytestmark = pytest.mark.django_db

AGENDA = "/workshops/"


def detail_url(workshop):
    return reverse("workshops:detail", kwargs={"pk": workshop.pk})


def register_url(workshop):
    return reverse("workshops:register", kwargs={"pk": workshop.pk})


def manage_url(registration):
    return reverse(
        "workshops:registration_manage",
        kwargs={"token": services.registration_cancel_token(registration)},
    )


def click_confirm_link(client, workshop, email: str):
    """What a guest does with the e-mail: open the link (a page with a button), press it."""
    path = urlparse(confirm_link(workshop, email)).path
    page = client.get(path)
    assert page.status_code == 200 and "Confirmer mon inscription" in text(page)
    return client.post(path)


def text(response) -> str:
    """The page as a person reads it: entities decoded, narrow spaces as spaces."""
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\u00a0", " ")


def move_deadline_to_the_past(workshop):
    """Registration closed an hour ago (the services refuse to schedule it so)."""
    Workshop.objects.filter(pk=workshop.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(hours=1)
    )


def publish_synthesis(workshop, by, body="## Ce que nous retenons\n\nCoopérer, c'est documenter."):
    synthesis = services.synthesis_save(workshop=workshop, body=body, by=by, now=workshop.starts_at)
    return services.synthesis_publish(synthesis=synthesis, by=by, now=synthesis.workshop.starts_at)


# The agenda --------------------------------------------------------------------------------


def test_the_agenda_lists_upcoming_public_workshops_with_their_seats(client, facilitator):
    almost_full = make_workshop(by=facilitator, title="Atelier presque plein", capacity=2)
    register_guest(almost_full, 1)
    full = make_workshop(by=facilitator, title="Atelier complet", capacity=1)
    register_guest(full, 2)
    make_workshop(by=facilitator, title="Atelier secret", is_public=False)
    cancelled = make_workshop(by=facilitator, title="Atelier annulé")
    services.workshop_cancel(
        workshop=cancelled, reason="Salle indisponible", by=facilitator, now=timezone.now()
    )
    past = make_workshop(by=facilitator, title="Atelier passé")
    moved_to_the_past(past)

    html = text(client.get(AGENDA))

    assert "2 ateliers à venir" in html
    assert "Atelier presque plein" in html and "places disponibles" in html
    assert "Atelier complet" in html and "complet – liste d'attente" in html
    for hidden in ("Atelier secret", "Atelier annulé", "Atelier passé"):
        assert hidden not in html
    assert "Rennes (Ille-et-Vilaine)" in html
    assert "Coopération makers, FabLabs et institutions" in html
    assert "durée 2 h" in html
    assert f'href="{detail_url(full)}"' in html
    assert reverse("workshops:synthesis_list") in html


def test_the_agenda_shows_dates_in_paris_time_in_french(client, facilitator):
    # 13:30 UTC in December is 14:30 in Rennes.
    starts_at = datetime.datetime(2031, 12, 4, 13, 30, tzinfo=datetime.UTC)
    make_workshop(by=facilitator, starts_at=starts_at, duration_minutes=90)

    html = text(client.get(AGENDA))

    assert "jeudi 4 décembre 2031 à 14:30" in html
    assert "durée 1 h 30" in html


def test_the_agenda_filters_by_department_and_theme(client, facilitator):
    make_workshop(by=facilitator, title="À Rennes sur la coopération")
    make_workshop(
        by=facilitator,
        title="À Brest sur le financement",
        commune="Brest",
        department_id="29",
        theme=Theme.objects.get(slug="funding"),
    )
    make_workshop(
        by=facilitator,
        title="En ligne sur le financement",
        commune="",
        department_id=None,
        address="",
        online_url="https://visio.example.org/financement",
        theme=Theme.objects.get(slug="funding"),
    )

    in_29 = text(client.get(AGENDA, {"department": "29"}))
    funding = text(client.get(AGENDA, {"theme": "funding"}))
    both = text(client.get(AGENDA, {"department": "35", "theme": "funding"}))

    assert "À Brest sur le financement" in in_29
    assert "À Rennes" not in in_29 and "En ligne sur" not in in_29
    assert "/workshops/feed.ics?department=29" in in_29
    assert "1 atelier à venir" in in_29
    assert "À Brest sur le financement" in funding and "En ligne sur le financement" in funding
    assert "À Rennes" not in funding
    assert "Aucun atelier programmé ne correspond à ces filtres." in both


def test_a_wrong_filter_is_said_and_filters_nothing(client, facilitator):
    make_workshop(by=facilitator, title="À Rennes sur la coopération")

    html = text(client.get(AGENDA, {"department": "99", "theme": "cooperation"}))

    assert "Sélectionnez un choix valide" in html
    assert "À Rennes sur la coopération" in html


def test_the_agenda_filters_work_without_javascript_and_htmx_gets_the_results_only(
    client, facilitator
):
    make_workshop(by=facilitator, title="À Rennes sur la coopération")

    page = text(client.get(AGENDA, {"department": "35"}))
    fragment = text(client.get(AGENDA, {"department": "35"}, HTTP_HX_REQUEST="true"))

    assert '<form method="get" action="/workshops/"' in page
    assert "<html" not in fragment
    assert "À Rennes sur la coopération" in fragment
    assert "data-focus" in fragment


def test_the_agenda_pages_its_workshops(client, facilitator):
    for n in range(23):
        make_workshop(
            by=facilitator,
            title=f"Atelier n°{n:02d}",
            starts_at=timezone.now() + datetime.timedelta(days=10 + n),
        )

    first = text(client.get(AGENDA))
    second = text(client.get(AGENDA, {"page": 2}))

    assert "23 ateliers à venir" in first
    assert "Atelier n°00" in first and "Atelier n°19" in first and "Atelier n°20" not in first
    assert "Atelier n°22" in second and "Atelier n°00" not in second
    assert "Page 2 sur 2" in second


def test_the_agenda_costs_the_same_queries_however_many_workshops(client, facilitator):
    def add(n):
        for i in range(n):
            workshop = make_workshop(by=facilitator, capacity=2)
            register_guest(workshop, 100 + i)

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(AGENDA, {"department": "35"}).status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(AGENDA, {"department": "35"}).status_code == 200

    assert len(many) == len(few)


def test_the_home_page_shows_the_next_workshops(client, facilitator):
    make_workshop(by=facilitator, title="Le prochain atelier")
    make_workshop(by=facilitator, title="Atelier sur invitation", is_public=False)

    html = text(client.get("/"))

    assert "Prochains ateliers de coopération" in html
    assert "Le prochain atelier" in html
    assert "Atelier sur invitation" not in html


# A workshop's page and registration --------------------------------------------------------


def test_a_workshop_page_says_what_where_when_and_who(client, facilitator):
    facilitator.full_name = "Benoît Cadiou"
    facilitator.save()
    workshop = make_workshop(by=facilitator, capacity=3)
    register_guest(workshop, 1)

    html = text(client.get(detail_url(workshop)))

    assert workshop.title in html
    assert "1 rue de la République, Rennes (Ille-et-Vilaine)" in html
    assert "3 places · places disponibles" in html
    assert "Benoît Cadiou" in html
    assert reverse("workshops:ics", kwargs={"pk": workshop.pk}) in html
    assert 'autocomplete="name"' in html and 'autocomplete="email"' in html
    assert '<label for="id_email"' in html
    assert facilitator.email not in html


def test_a_person_with_an_account_registers_in_one_click(client, facilitator, maker):
    workshop = make_workshop(by=facilitator)
    client.force_login(maker)

    assert "M'inscrire" in text(client.get(detail_url(workshop)))
    response = client.post(register_url(workshop))

    registration = Registration.objects.get(workshop=workshop)
    assert (registration.user, registration.status) == (maker, "confirmed")
    assert registration.email == "anne@example.org"
    assert "vous avez une place" in text(response)
    assert "lien pour annuler" in text(response)
    page = text(client.get(detail_url(workshop)))
    assert "Vous êtes inscrit·e à cet atelier." in page
    assert "M'inscrire" not in page


def test_a_guest_registers_with_a_name_and_an_email(
    client, facilitator, django_capture_on_commit_callbacks
):
    workshop = make_workshop(by=facilitator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            register_url(workshop), {"name": "Yann Le Bihan", "email": "Yann@Example.org"}
        )

    assert response.status_code == 200
    html = text(response)
    assert "Inscription enregistrée" in html
    # The page tells a guest what it would tell anyone typing that address; the e-mail, which
    # only its owner reads, holds the link that makes the registration.
    assert "un e-mail part à l'adresse yann@example.org" in html
    assert "C'est fait : vous avez une place" not in html
    assert not Registration.objects.exists()

    confirmed = click_confirm_link(client, workshop, "yann@example.org")

    registration = Registration.objects.get(workshop=workshop)
    assert (registration.name, registration.email, registration.user) == (
        "Yann Le Bihan",
        "yann@example.org",
        None,
    )
    assert registration.status == "confirmed"
    assert "Yann Le Bihan, vous avez une place à cet atelier." in text(confirmed)


def test_a_guest_registering_through_htmx_gets_the_outcome_in_place(client, facilitator):
    workshop = make_workshop(by=facilitator)

    response = client.post(
        register_url(workshop),
        {"name": "Yann Le Bihan", "email": "yann@example.org"},
        HTTP_HX_REQUEST="true",
    )

    assert "<html" not in text(response)
    assert "un e-mail part à l'adresse yann@example.org" in text(response)
    assert 'data-focus tabindex="-1"' in text(response)


def test_an_htmx_registration_updates_the_seats_line_of_the_page(client, facilitator, maker):
    workshop = make_workshop(by=facilitator, capacity=1)
    page = text(client.get(detail_url(workshop)))
    assert '<span id="workshop-seats">' in page and "places disponibles" in page
    client.force_login(maker)

    response = client.post(register_url(workshop), HTTP_HX_REQUEST="true")

    seats = text(response).split('<span id="workshop-seats" data-hx-swap-oob="true">')[1]
    assert seats.split("</span>")[0].count("complet – liste d'attente") == 1
    # The page without JavaScript shows the outcome alone, without the swap.
    client.logout()
    done = text(client.post(register_url(workshop), {"name": "Yann", "email": "y@example.org"}))
    assert "hx-swap-oob" not in done


def test_a_workshop_description_is_rendered_as_safe_markdown(client, facilitator):
    workshop = make_workshop(
        by=facilitator,
        description=(
            "# Programme\n\n- **visières**\n- masques\n\n"
            "<script>alert('x')</script>\n\n[lien](javascript:alert(1))"
        ),
    )

    body = client.get(detail_url(workshop)).content.decode()

    assert "<h2>Programme</h2>" in body
    assert "<li><strong>visières</strong></li>" in body
    assert "# Programme" not in body and "**visières**" not in body
    assert "<script>alert" not in body and 'href="javascript:' not in body


def test_a_guest_without_a_valid_email_is_told_and_nothing_is_recorded(client, facilitator):
    workshop = make_workshop(by=facilitator)

    response = client.post(register_url(workshop), {"name": "Yann", "email": "pas-une-adresse"})

    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide, par exemple : nom@exemple.fr." in text(response)
    assert 'value="Yann"' in text(response)
    assert not Registration.objects.exists()


def test_beyond_capacity_people_join_the_waitlist_with_their_position(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 1)
    register_guest(workshop, 2)

    html = text(client.get(detail_url(workshop)))
    assert "complet – liste d'attente" in html
    assert "M'inscrire sur la liste d'attente" in html
    response = client.post(register_url(workshop), {"name": "Soazig", "email": "s@example.org"})
    assert "un e-mail part à l'adresse s@example.org" in text(response)

    confirmed = click_confirm_link(client, workshop, "s@example.org")

    registration = Registration.objects.get(email="s@example.org")
    assert registration.status == "waitlisted"
    assert selectors.registration_waitlist_position(registration) == 2
    assert "vous êtes sur la liste d'attente, en position 2" in text(confirmed)


def test_registering_an_address_again_answers_as_a_new_one_and_e_mails_its_link(
    client, facilitator
):
    workshop = make_workshop(by=facilitator)
    register_guest(workshop, 1)
    fresh = client.post(register_url(workshop), {"name": "Nouveau", "email": "new@example.org"})

    response = client.post(register_url(workshop), {"name": "Bis", "email": "INVITE1@example.org"})

    assert response.status_code == fresh.status_code == 200

    def outcome(response):
        page = text(response)
        return page[page.index("register-outcome") : page.index("</main>")]

    assert outcome(response).replace("invite1@", "new@") == outcome(fresh)
    assert Registration.objects.filter(workshop=workshop).count() == 1
    assert PendingRegistration.objects.get(workshop=workshop, confirmed_at=None).email == (
        "new@example.org"
    )
    (again,) = OutboxEmail.objects.filter(to="invite1@example.org", key__contains=":already:")
    assert "déjà inscrite" in again.body
    assert "/workshops/inscription/" in again.body


def _seats_line(page: str, *, out_of_band: bool = False) -> str:
    opening = (
        '<span id="workshop-seats" data-hx-swap-oob="true">'
        if out_of_band
        else ('<span id="workshop-seats">')
    )
    return page.split(opening)[1].split("</span>")[0]


def test_the_seats_line_tells_nobody_whether_an_address_was_already_registered(client, facilitator):
    # Someone registers a stranger's address and looks at the seats line: it must read the
    # same whether that address was new here (a seat taken) or already registered (none).
    workshop = make_workshop(by=facilitator, capacity=5)
    register_guest(workshop, 1)
    before = _seats_line(text(client.get(detail_url(workshop))))
    answers, lines = {}, {}
    for who, email in (("new", "new@example.org"), ("again", "invite1@example.org")):
        response = client.post(
            register_url(workshop), {"name": "X", "email": email}, HTTP_HX_REQUEST="true"
        )
        answers[who] = text(response).replace(email, "ADDRESS")
        lines[who] = _seats_line(text(client.get(detail_url(workshop))))
        assert _seats_line(text(response), out_of_band=True) == before
    assert answers["new"] == answers["again"]
    assert lines["new"] == lines["again"] == before
    assert "5 places · places disponibles" in before
    agenda = text(client.get(AGENDA))
    assert "places disponibles" in agenda and "restante" not in agenda
    # Nothing is taken before the new address confirms.
    assert Registration.objects.filter(workshop=workshop).count() == 1
    assert PendingRegistration.objects.filter(workshop=workshop, confirmed_at=None).count() == 1


def test_the_seats_line_shows_no_waitlist_count(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 3)
    page = text(client.get(detail_url(workshop)))
    assert "complet – liste d'attente" in page
    assert "en liste d'attente" not in page  # "2 personnes en liste d'attente" was


def test_a_person_already_registered_as_a_guest_is_told_once_logged_in(client, facilitator, maker):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 1)
    register_and_confirm(workshop, name="Anne", email="anne@example.org")
    client.force_login(maker)

    html = text(client.get(detail_url(workshop)))
    response = client.post(register_url(workshop))

    assert "Vous êtes sur la liste d'attente, en position 1." in html
    assert response.status_code == 409
    assert Registration.objects.filter(workshop=workshop).count() == 2


def test_after_the_deadline_the_page_says_so_and_registration_is_refused(client, facilitator):
    workshop = make_workshop(by=facilitator)
    move_deadline_to_the_past(workshop)

    html = text(client.get(detail_url(workshop)))
    response = client.post(register_url(workshop), {"name": "Tard", "email": "tard@example.org"})

    assert "Les inscriptions sont closes depuis le" in html
    assert 'name="email"' not in html
    assert response.status_code == 409
    assert "Les inscriptions à cet atelier sont closes." in text(response)
    assert not Registration.objects.exists()


def test_a_cancelled_workshop_shows_why_and_takes_no_registration(client, facilitator):
    workshop = make_workshop(by=facilitator)
    services.workshop_cancel(
        workshop=workshop, reason="Tempête annoncée sur Rennes", by=facilitator, now=timezone.now()
    )

    html = text(client.get(detail_url(workshop)))
    response = client.post(register_url(workshop), {"name": "Yann", "email": "y@example.org"})

    assert "Cet atelier est annulé." in html
    assert "Tempête annoncée sur Rennes" in html
    assert 'name="email"' not in html
    assert response.status_code == 409
    assert "Cet atelier est annulé." in text(response)
    assert not Registration.objects.exists()


def test_an_invitation_only_workshop_opens_only_with_its_token(client, facilitator, maker):
    workshop = make_workshop(by=facilitator, title="Atelier du comité", is_public=False)
    invitation = reverse("workshops:invitation", kwargs={"token": workshop.invitation_token})
    guest = {"name": "Invitée", "email": "invitee@example.org"}

    assert "Atelier du comité" not in text(client.get(AGENDA))
    assert client.get(detail_url(workshop)).status_code == 404
    assert client.post(register_url(workshop), guest).status_code == 404
    assert client.post(register_url(workshop), {**guest, "invitation": "x" * 43}).status_code == 404
    other = make_workshop(by=facilitator, is_public=False)
    wrong = {**guest, "invitation": other.invitation_token}
    assert client.post(register_url(workshop), wrong).status_code == 404
    assert not Registration.objects.exists()

    page = client.get(invitation)
    assert page.status_code == 200
    assert f'name="invitation" value="{workshop.invitation_token}"' in text(page)
    response = client.post(
        register_url(workshop), {**guest, "invitation": workshop.invitation_token}
    )
    assert response.status_code == 200
    click_confirm_link(client, workshop, "invitee@example.org")
    assert Registration.objects.get().workshop == workshop

    client.force_login(facilitator)
    assert client.get(detail_url(workshop)).status_code == 200
    client.force_login(maker)
    assert client.get(detail_url(workshop)).status_code == 404


def test_the_online_link_is_given_only_to_people_with_a_seat(client, facilitator, maker):
    link = "https://visio.example.org/atelier-secret"
    workshop = make_workshop(by=facilitator, capacity=1, online_url=link)

    assert link not in text(client.get(detail_url(workshop)))
    client.force_login(maker)
    client.post(register_url(workshop))
    assert link in text(client.get(detail_url(workshop)))
    waiting = make_user(email="attente@example.org", full_name="En Attente")
    client.force_login(waiting)
    client.post(register_url(workshop))
    assert link not in text(client.get(detail_url(workshop)))


# The signed link of the e-mail -------------------------------------------------------------


def test_cancelling_through_the_signed_link_gives_the_seat_to_the_first_person_waiting(
    client, facilitator, mailoutbox, django_capture_on_commit_callbacks
):
    workshop = make_workshop(by=facilitator, capacity=1)
    seated = register_guest(workshop, 1)
    first_waiting = register_guest(workshop, 2)
    second_waiting = register_guest(workshop, 3)

    page = text(client.get(manage_url(seated)))
    assert "Invité 1, vous avez une place à cet atelier." in page
    assert "Annuler mon inscription" in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(manage_url(seated), follow=True)

    for registration in (seated, first_waiting, second_waiting):
        registration.refresh_from_db()
    assert seated.status == "cancelled"
    assert first_waiting.status == "confirmed" and first_waiting.promoted_at is not None
    assert second_waiting.status == "waitlisted"
    html = text(response)
    assert "Votre inscription est annulée." in html
    assert "Cette inscription est annulée." in html
    assert "Annuler mon inscription" not in html
    assert [m.to for m in mailoutbox] == [["invite2@example.org"]]


def test_the_signed_link_shows_the_position_in_the_waitlist(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 1)
    register_guest(workshop, 2)
    third = register_guest(workshop, 3)

    html = text(client.get(manage_url(third)))

    assert "Invité 3, vous êtes sur la liste d'attente, en position 2." in html
    assert "invite1@example.org" not in html and "Invité 1" not in html


def test_leaving_the_waitlist_through_the_signed_link_moves_nobody(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    seated = register_guest(workshop, 1)
    waiting = register_guest(workshop, 2)

    response = client.post(manage_url(waiting), follow=True)

    waiting.refresh_from_db()
    seated.refresh_from_db()
    assert (waiting.status, seated.status) == ("cancelled", "confirmed")
    assert "vous avez quitté la liste d'attente" in text(response)


def test_a_forged_or_altered_link_is_refused_and_changes_nothing(client, facilitator):
    workshop = make_workshop(by=facilitator)
    registration = register_guest(workshop, 1)
    token = services.registration_cancel_token(registration)
    forged = [
        token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),
        token[:20],
        "n-importe-quoi",
    ]

    for bad in forged:
        url = reverse("workshops:registration_manage", kwargs={"token": bad})
        page = client.get(url)
        post = client.post(url)
        assert page.status_code == post.status_code == 400
        assert "Lien invalide" in text(page)
        assert "Rien n'a été changé" in text(post)

    registration.refresh_from_db()
    assert registration.status == "confirmed"


def test_a_cancelled_registration_says_so_on_its_link(client, facilitator):
    workshop = make_workshop(by=facilitator)
    registration = register_guest(workshop, 1)
    services.registration_cancel(registration=registration, now=timezone.now())

    page = text(client.get(manage_url(registration)))
    again = text(client.post(manage_url(registration), follow=True))

    assert "Cette inscription est annulée." in page
    assert "Annuler mon inscription" not in page
    assert "Cette inscription est déjà annulée." in again


def test_the_signed_link_page_stays_out_of_caches(client, facilitator):
    registration = register_guest(make_workshop(by=facilitator), 1)

    response = client.get(manage_url(registration))

    assert "no-store" in response["Cache-Control"]
    # The token is in the address: a Referer names the site alone, never the path.
    assert response["Referrer-Policy"] == "strict-origin"


# My workshops ------------------------------------------------------------------------------


def test_my_workshops_needs_an_account(client):
    response = client.get(reverse("workshops:my_workshops"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_my_workshops_lists_mine_upcoming_and_past(client, facilitator, maker):
    soon = make_workshop(by=facilitator, title="Atelier à venir", capacity=1)
    full = make_workshop(by=facilitator, title="Atelier complet", capacity=1)
    register_guest(full, 1)
    held = make_workshop(by=facilitator, title="Atelier tenu")
    for workshop in (soon, full, held):
        services.registration_create(workshop=workshop, now=timezone.now(), user=maker)
    moved_to_the_past(held)
    not_mine = make_workshop(by=facilitator, title="Pas le mien")
    register_guest(not_mine, 2)
    client.force_login(maker)

    html = text(client.get(reverse("workshops:my_workshops")))

    assert "Atelier à venir" in html and "inscrit·e" in html
    assert "Atelier complet" in html and "liste d'attente, position 1" in html
    assert "Atelier tenu" in html and "Passés" in html
    assert "Pas le mien" not in html
    assert "invite1@example.org" not in html


def test_i_cancel_my_registration_and_only_mine(client, facilitator, maker):
    workshop = make_workshop(by=facilitator, capacity=1)
    mine = services.registration_create(workshop=workshop, now=timezone.now(), user=maker)
    waiting = register_guest(workshop, 1)
    someone_else = register_guest(make_workshop(by=facilitator), 2)
    client.force_login(maker)
    url = reverse("workshops:my_workshops")

    assert client.post(url, {"cancel": someone_else.pk}).status_code == 404
    assert client.post(url, {"cancel": "abc"}).status_code == 404
    response = client.post(url, {"cancel": mine.pk}, follow=True)

    someone_else.refresh_from_db()
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert someone_else.status == "confirmed"
    assert mine.status == "cancelled"
    assert waiting.status == "confirmed"
    assert "est annulée" in text(response)
    assert "Vous n'êtes inscrit·e à aucun atelier à venir." in text(response)


def test_renewing_my_calendar_address_stops_the_old_one(client, maker):
    client.force_login(maker)
    url = reverse("workshops:my_workshops")
    page = text(client.get(url))
    old = services.calendar_feed_of(user=maker, now=timezone.now()).token
    assert f"/workshops/agenda/{old}.ics" in page
    assert client.get(f"/workshops/agenda/{old}.ics").status_code == 200

    response = client.post(url, {"renew": "1"}, follow=True)

    new = services.calendar_feed_of(user=maker, now=timezone.now()).token
    assert new != old
    assert "L'ancienne ne fonctionne plus" in text(response)
    assert f"/workshops/agenda/{new}.ics" in text(response)
    assert client.get(f"/workshops/agenda/{old}.ics").status_code == 404
    assert client.get(f"/workshops/agenda/{new}.ics").status_code == 200


def test_my_workshops_costs_the_same_queries_however_many_registrations(client, facilitator, maker):
    client.force_login(maker)

    def add(n):
        for _ in range(n):
            workshop = make_workshop(by=facilitator, capacity=1)
            register_guest(workshop, 1)
            services.registration_create(workshop=workshop, now=timezone.now(), user=maker)

    add(1)
    client.get(reverse("workshops:my_workshops"))  # creates the calendar address
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("workshops:my_workshops"))
    add(6)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("workshops:my_workshops"))

    assert len(many) == len(few)


# Syntheses ---------------------------------------------------------------------------------


def test_a_draft_synthesis_stays_hidden(client, facilitator):
    workshop = make_workshop(by=facilitator, title="Atelier au brouillon")
    services.synthesis_save(
        workshop=workshop, body="Pas encore relu", by=facilitator, now=workshop.starts_at
    )

    listing = text(client.get(reverse("workshops:synthesis_list")))
    detail = client.get(reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk}))

    assert "Atelier au brouillon" not in listing
    assert "Aucune synthèse n'est encore publiée." in listing
    assert detail.status_code == 404


def test_a_published_synthesis_is_listed_with_its_attendance(client, facilitator):
    workshop = make_workshop(by=facilitator, title="Atelier documenté", capacity=3)
    present, absent, _third = (register_guest(workshop, n) for n in range(3))
    services.attendance_record(
        workshop=workshop,
        attended={present.pk: True, absent.pk: False},
        by=facilitator,
        now=workshop.starts_at,
    )
    publish_synthesis(workshop, facilitator)

    listing = text(client.get(reverse("workshops:synthesis_list")))
    detail = text(client.get(reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk})))
    page = text(client.get(detail_url(workshop)))

    assert "Atelier documenté" in listing
    assert '<td class="num" data-label="Inscrits">3</td>' in listing
    assert '<td class="num" data-label="Présents">1</td>' in listing
    assert "Ille-et-Vilaine" in listing
    assert "<h2>Ce que nous retenons</h2>" in detail
    assert "3 personnes inscrites" in detail and "1 présente" in detail
    assert reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk}) in page


def test_a_synthesis_renders_markdown_without_running_scripts(client, facilitator):
    workshop = make_workshop(by=facilitator)
    publish_synthesis(
        workshop,
        facilitator,
        body="**Important**\n\n<script>alert('x')</script>\n\n[lien](javascript:alert(1))",
    )

    response = client.get(reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk}))
    body = response.content.decode()

    assert "<strong>Important</strong>" in body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
    assert 'href="javascript:' not in body


def test_the_syntheses_list_costs_the_same_queries_however_many(client, facilitator):
    def add(n):
        for i in range(n):
            workshop = make_workshop(by=facilitator, capacity=2)
            register_guest(workshop, i)
            publish_synthesis(workshop, facilitator)

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("workshops:synthesis_list"))
    add(8)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("workshops:synthesis_list"))

    assert len(many) == len(few)


# Privacy -----------------------------------------------------------------------------------


def test_no_guest_email_appears_on_any_public_page_or_calendar(client, facilitator, maker):
    workshop = make_workshop(by=facilitator, capacity=1)
    for n in range(3):
        register_guest(workshop, n)
    publish_synthesis(workshop, facilitator)
    invited = make_workshop(by=facilitator, is_public=False)
    register_guest(invited, 9)
    urls = [
        "/",
        AGENDA,
        detail_url(workshop),
        reverse("workshops:ics", kwargs={"pk": workshop.pk}),
        reverse("workshops:feed"),
        reverse("workshops:feed") + "?department=35",
        reverse("workshops:synthesis_list"),
        reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk}),
        reverse("workshops:invitation", kwargs={"token": invited.invitation_token}),
    ]

    for viewer in (None, maker):
        if viewer:
            client.force_login(viewer)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            content = response.content.decode()
            assert "@example.org" not in content.replace("anne@example.org", ""), url
            assert "Invité" not in content, url
