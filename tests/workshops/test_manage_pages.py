"""The facilitators' pages: their workshops, scheduling, editing, duplicating and cancelling one,
its registrations, the attendees' CSV, the check-in list, messages and the synthesis; nobody
else gets in, and another facilitator's workshop does not exist for them."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import text
from tests.factories import make_workshop, register_and_confirm, register_guest
from tests.spreadsheets import french_number
from tests.workshops.conftest import moved_to_the_past
from tilab import roles
from tilab.errors import BadInput
from workshops import errors, services
from workshops.models import Registration, Synthesis, Theme, Workshop, WorkshopMessage

PARIS = ZoneInfo("Europe/Paris")


def url(name: str, workshop=None) -> str:
    return reverse(f"workshops:{name}", kwargs={"pk": workshop.pk} if workshop else None)


def next_month_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.now().astimezone(PARIS).date() + datetime.timedelta(days=35)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def workshop_details():
    """`workshop` with a short title, which the edit and duplicate tests compare."""
    return {"capacity": 2, "title": "Makers et hôpitaux"}


def form_data(**changes) -> dict:
    starts = next_month_at(18, 30)
    data = {
        "title": "Coopérer entre FabLabs",
        "description": "Ce que 2020 nous a appris.",
        "theme": str(Theme.objects.get(slug="cooperation").pk),
        "starts_on": starts.date().isoformat(),
        "starts_time": "18:30",
        "duration_hours": "2",
        "duration_minutes": "30",
        "address": "2 rue de la Mabilais",
        "commune": "Rennes",
        "department": "35",
        "online_url": "",
        "capacity": "12",
        "deadline_on": "",
        "deadline_time": "",
        "visibility": "public",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# Who gets in -------------------------------------------------------------------------------

WORKSHOP_PAGES = [
    "manage_detail",
    "edit",
    "duplicate",
    "cancel",
    "attendees_csv",
    "checkin",
    "message",
    "synthesis_edit",
]


@pytest.mark.parametrize("name", ["manage", "create", *WORKSHOP_PAGES])
def test_anonymous_visitors_are_sent_to_the_login_page(client, workshop, name):
    response = client.get(url(name, workshop if name in WORKSHOP_PAGES else None))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "role", [roles.MAKER, roles.RELAY_STAFF, roles.REGION_STAFF, roles.AUDITOR]
)
@pytest.mark.parametrize("name", ["manage", "create", *WORKSHOP_PAGES])
def test_other_roles_are_refused(client, role_users, workshop, role, name):
    client.force_login(role_users[role])
    response = client.get(url(name, workshop if name in WORKSHOP_PAGES else None))
    assert response.status_code == 403


@pytest.mark.parametrize("name", WORKSHOP_PAGES)
def test_another_facilitators_workshop_does_not_exist_for_them(
    client, other_facilitator, workshop, name
):
    client.force_login(other_facilitator)
    assert client.get(url(name, workshop)).status_code == 404
    if name not in {"manage_detail", "attendees_csv"}:  # pages that take no POST
        assert (
            client.post(url(name, workshop), {"reason": "x", "capacity": "50"}).status_code == 404
        )
    workshop.refresh_from_db()
    assert workshop.status == "scheduled" and workshop.capacity == 2


@pytest.mark.parametrize("name", WORKSHOP_PAGES)
def test_a_co_facilitator_manages_the_workshop_like_its_author(
    client, facilitator, other_facilitator, name
):
    shared = make_workshop(by=facilitator, co_facilitators=[other_facilitator])
    client.force_login(other_facilitator)
    assert client.get(url(name, shared)).status_code == 200


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_workshops_first_then_past_ones(
    client, facilitator, other_facilitator
):
    later = make_workshop(by=facilitator, title="Atelier de juin", capacity=2)
    sooner = make_workshop(
        by=facilitator,
        title="Atelier de mai",
        starts_at=timezone.now() + datetime.timedelta(days=3),
        online_url="https://visio.example.org/mai",
        commune="",
        address="",
        department_id=None,
    )
    past = moved_to_the_past(make_workshop(by=facilitator, title="Atelier de mars"))
    make_workshop(by=other_facilitator, title="L'atelier de Morgane")
    for n in range(3):
        register_guest(later, n)
    services.synthesis_save(workshop=past, body="Bilan", by=facilitator, now=past.starts_at)
    client.force_login(facilitator)

    page = text(client.get(url("manage")))

    assert (
        page.index("Atelier de mai") < page.index("Atelier de juin") < page.index("Atelier de mars")
    )
    assert "L'atelier de Morgane" not in page
    assert "Nouvel atelier" in page
    row = page[page.index("Atelier de juin") :].split("</tr>")[0]
    assert "2 / 2" in row and ">1</td>" in row  # seats taken, one person waiting
    assert "Rennes (35)" in row
    assert "en ligne" in page[page.index("Atelier de mai") :].split("</tr>")[0]
    past_row = page[page.index("Atelier de mars") :].split("</tr>")[0]
    assert "brouillon" in past_row and "terminé" in past_row
    assert sooner.starts_at.astimezone(PARIS).strftime("%H:%M") in page


def test_the_list_shows_dates_as_read_in_brittany(client, facilitator):
    make_workshop(by=facilitator, starts_at=next_month_at(9, 15))
    client.force_login(facilitator)
    assert "09:15" in text(client.get(url("manage")))


def test_the_list_costs_the_same_for_3_or_30_workshops(client, facilitator):
    client.force_login(facilitator)

    def make(n, start):
        for i in range(start, start + n):
            workshop = make_workshop(by=facilitator, title=f"Atelier {i}", capacity=1)
            register_guest(workshop, 2 * i)
            register_guest(workshop, 2 * i + 1)
            if i % 2:
                moved_to_the_past(workshop)
                services.synthesis_save(
                    workshop=workshop, body="Bilan", by=facilitator, now=workshop.starts_at
                )

    make(3, 0)
    client.get(url("manage"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("manage")).status_code == 200
    make(27, 3)
    with CaptureQueriesContext(connection) as many:
        assert text(client.get(url("manage"))).count("Atelier ") >= 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# Scheduling ----------------------------------------------------------------------------------


def test_a_facilitator_schedules_a_workshop_in_paris_time(client, facilitator, other_facilitator):
    client.force_login(facilitator)
    assert client.get(url("create")).status_code == 200
    data = form_data(co_facilitators=[str(other_facilitator.pk)])

    response = client.post(url("create"), data)

    workshop = Workshop.objects.get(title="Coopérer entre FabLabs")
    assert response.status_code == 302 and response["Location"] == url("manage_detail", workshop)
    assert workshop.starts_at == next_month_at(18, 30)
    assert workshop.registration_deadline == workshop.starts_at  # blank: until it starts
    assert workshop.duration_minutes == 150
    assert (workshop.commune, workshop.department_id, workshop.capacity) == ("Rennes", "35", 12)
    assert workshop.is_public
    assert set(workshop.facilitators.all()) == {facilitator, other_facilitator}
    page = text(client.get(response["Location"]))
    assert "Atelier « Coopérer entre FabLabs » programmé" in page
    assert "18:30" in page and "2 h 30" in page


def test_the_form_offers_only_other_facilitators_as_co_facilitators(
    client, facilitator, other_facilitator, maker
):
    client.force_login(facilitator)
    page = text(client.get(url("create")))
    assert "Morgane Le Bihan" in page
    assert maker.email not in page
    assert (
        f'value="{facilitator.pk}"' not in page.split("co_facilitators")[-1].split("</fieldset>")[0]
    )


def test_an_invitation_only_workshop_shows_its_invitation_link_to_facilitators(client, facilitator):
    client.force_login(facilitator)
    client.post(
        url("create"),
        form_data(
            visibility="invitation",
            commune="",
            department="",
            address="",
            online_url="https://visio.example.org/coop",
            deadline_on=next_month_at(0).date().isoformat(),
            deadline_time="12:00",
        ),
    )
    workshop = Workshop.objects.get()
    assert not workshop.is_public and workshop.online_url == "https://visio.example.org/coop"
    assert workshop.registration_deadline == next_month_at(12)
    page = text(client.get(url("manage_detail", workshop)))
    assert reverse("workshops:invitation", kwargs={"token": workshop.invitation_token}) in page


BAD_INPUT = {
    "past date": (
        {"starts_on": (timezone.now() - datetime.timedelta(days=2)).date().isoformat()},
        "starts_on",
        "La date de l'atelier est passée",
    ),
    "deadline after the start": (
        {"deadline_on": next_month_at(0).date().isoformat(), "deadline_time": "20:00"},
        "deadline_on",
        "La clôture des inscriptions doit précéder le début",
    ),
    "deadline date without a time": (
        {"deadline_on": next_month_at(0).date().isoformat()},
        "deadline_time",
        "Indiquez aussi l'heure de clôture",
    ),
    "no seat": ({"capacity": "0"}, "capacity", "Prévoyez au moins une place"),
    "no place nor link": (
        {"commune": "", "department": "", "address": ""},
        "commune",
        "Indiquez un lieu (commune et département) ou un lien en ligne",
    ),
    "a commune without its department": (
        {"department": ""},
        "department",
        "Indiquez le département de la commune",
    ),
    "no duration": (
        {"duration_hours": "0", "duration_minutes": "0"},
        "duration_hours",
        "Indiquez une durée",
    ),
    "a department outside Brittany": ({"department": "75"}, "department", "Sélectionnez un choix"),
    "no title": ({"title": "  "}, "title", ""),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_refused_on_the_right_field_and_nothing_is_created(client, facilitator, case):
    changes, field, message = BAD_INPUT[case]
    client.force_login(facilitator)
    response = client.post(url("create"), form_data(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message in text(response)
    assert not Workshop.objects.exists()


def test_a_refusal_by_the_service_is_shown_above_the_form(client, facilitator, monkeypatch):
    def refuse(**kwargs):
        raise BadInput("title_taken", "Le titre est déjà pris ce jour-là.")

    monkeypatch.setattr(services, "workshop_create", refuse)
    client.force_login(facilitator)
    response = client.post(url("create"), form_data())
    form = response.context["form"]
    assert form.non_field_errors() == ["Le titre est déjà pris ce jour-là."]
    assert form.has_error(NON_FIELD_ERRORS, "title_taken")
    assert 'role="alert"' in text(response)
    assert not Workshop.objects.exists()


def test_the_edit_form_shows_the_workshop_as_scheduled(client, facilitator):
    workshop = make_workshop(
        by=facilitator, starts_at=next_month_at(18, 30), duration_minutes=90, capacity=7
    )
    client.force_login(facilitator)
    form = client.get(url("edit", workshop)).context["form"]
    assert form["starts_time"].value().strftime("%H:%M") == "18:30"
    assert (form["duration_hours"].value(), form["duration_minutes"].value()) == (1, 30)
    assert form["deadline_time"].value().strftime("%H:%M") == "06:30"  # 12 hours before
    assert form["capacity"].value() == 7


def test_more_seats_go_to_the_first_people_waiting_in_order(client, facilitator, workshop):
    people = [register_guest(workshop, n) for n in range(5)]
    client.force_login(facilitator)

    response = client.post(url("edit", workshop), form_data(capacity="4"))

    assert response.status_code == 302
    statuses = {r.pk: r.status for r in Registration.objects.all()}
    assert [statuses[p.pk] for p in people] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert Registration.objects.get(pk=people[2].pk).promoted_at is not None
    assert "2 personne(s) de la liste d'attente" in text(client.get(response["Location"]))


def test_fewer_seats_than_people_registered_is_refused(client, facilitator, workshop):
    register_guest(workshop, 1)
    register_guest(workshop, 2)
    client.force_login(facilitator)
    response = client.post(url("edit", workshop), form_data(capacity="1"))
    assert "2 personnes sont déjà inscrites" in " ".join(
        response.context["form"].errors["capacity"]
    )
    workshop.refresh_from_db()
    assert workshop.capacity == 2 and workshop.title == "Makers et hôpitaux"


def test_a_cancelled_workshop_cannot_be_edited(client, facilitator, workshop):
    services.workshop_cancel(
        workshop=workshop, reason="Tempête", by=facilitator, now=timezone.now()
    )
    client.force_login(facilitator)
    for response in (
        client.get(url("edit", workshop)),
        client.post(url("edit", workshop), form_data()),
    ):
        assert response.status_code == 302 and response["Location"] == url(
            "manage_detail", workshop
        )
    page = text(client.get(url("manage_detail", workshop)))
    assert "Cet atelier est annulé : il ne peut plus être modifié." in page
    assert "Tempête" in page
    workshop.refresh_from_db()
    assert workshop.title == "Makers et hôpitaux"


def test_an_unchanged_past_date_can_stay_when_editing(client, facilitator, workshop):
    moved_to_the_past(workshop, days=2)
    client.force_login(facilitator)
    initial = client.get(url("edit", workshop)).context["form"].initial
    data = form_data(
        starts_on=initial["starts_on"].isoformat(),
        starts_time=initial["starts_time"].strftime("%H:%M"),
        title="Makers et hôpitaux (compte rendu)",
    )
    assert client.post(url("edit", workshop), data).status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Makers et hôpitaux (compte rendu)"


# Duplicate and cancel ------------------------------------------------------------------------


def test_a_workshop_is_duplicated_at_a_new_date_without_its_registrations(
    client, facilitator, other_facilitator
):
    original = make_workshop(by=facilitator, co_facilitators=[other_facilitator], capacity=5)
    register_guest(original, 1)
    client.force_login(facilitator)
    assert client.get(url("duplicate", original)).status_code == 200
    new_start = next_month_at(14)

    response = client.post(
        url("duplicate", original),
        {"starts_on": new_start.date().isoformat(), "starts_time": "14:00"},
    )

    copy = Workshop.objects.exclude(pk=original.pk).get()
    assert response["Location"] == url("manage_detail", copy)
    assert copy.starts_at == new_start
    assert (copy.title, copy.capacity, copy.duplicated_from) == (original.title, 5, original)
    assert set(copy.facilitators.all()) == {facilitator, other_facilitator}
    assert not copy.registrations.exists()


def test_a_duplicate_stays_out_of_the_public_agenda_until_the_facilitator_opens_it(
    client, facilitator, workshop
):
    client.force_login(facilitator)
    new_start = next_month_at(14)
    client.post(
        url("duplicate", workshop),
        {"starts_on": new_start.date().isoformat(), "starts_time": "14:00"},
    )
    copy = Workshop.objects.exclude(pk=workshop.pk).get()
    assert not copy.is_public
    client.logout()
    agenda = text(client.get(reverse("workshops:agenda")))
    assert url("manage_detail", copy) not in agenda
    assert reverse("workshops:detail", kwargs={"pk": copy.pk}) not in agenda
    assert client.get(reverse("workshops:detail", kwargs={"pk": copy.pk})).status_code == 404

    client.force_login(facilitator)
    client.post(url("edit", copy), form_data(visibility="public"))
    copy.refresh_from_db()
    assert copy.is_public
    client.logout()
    assert reverse("workshops:detail", kwargs={"pk": copy.pk}) in text(
        client.get(reverse("workshops:agenda"))
    )


def test_a_duplicate_in_the_past_is_refused(client, facilitator, workshop):
    client.force_login(facilitator)
    yesterday = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    response = client.post(
        url("duplicate", workshop), {"starts_on": yesterday, "starts_time": "10:00"}
    )
    assert "La date de l'atelier est passée" in " ".join(
        response.context["form"].errors["starts_on"]
    )
    assert Workshop.objects.count() == 1


def test_cancelling_asks_for_a_reason_and_a_confirmation(client, facilitator, workshop):
    register_guest(workshop, 1)
    client.force_login(facilitator)

    confirmation = text(client.get(url("cancel", workshop)))
    assert "Confirmer l'annulation" in confirmation
    assert "1 personne" in confirmation
    response = client.post(url("cancel", workshop), {"reason": "   "})
    assert "Dites aux inscrits pourquoi" in " ".join(response.context["form"].errors["reason"])
    workshop.refresh_from_db()
    assert workshop.status == "scheduled"


def test_a_cancelled_workshop_tells_everyone_registered_or_waiting(
    client, facilitator, workshop, django_capture_on_commit_callbacks, mailoutbox
):
    for n in range(3):  # two seats, one person waiting
        register_guest(workshop, n)
    mailoutbox.clear()
    client.force_login(facilitator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("cancel", workshop), {"reason": "Salle inondée"})

    assert response["Location"] == url("manage_detail", workshop)
    workshop.refresh_from_db()
    assert (workshop.status, workshop.cancellation_reason) == ("cancelled", "Salle inondée")
    assert sorted(address for m in mailoutbox for address in m.to) == [
        "invite0@example.org",
        "invite1@example.org",
        "invite2@example.org",
    ]
    assert all("Salle inondée" in m.body for m in mailoutbox)
    assert client.get(url("cancel", workshop)).status_code == 302  # no second cancellation


# One workshop --------------------------------------------------------------------------------


def test_the_management_page_lists_registrations_then_the_waitlist_in_order(
    client, facilitator, maker, workshop
):
    services.registration_create(workshop=workshop, user=maker, now=timezone.now())
    for n in range(1, 4):
        register_guest(workshop, n)
    client.force_login(facilitator)

    page = text(client.get(url("manage_detail", workshop)))

    registered, waiting = page.split('id="liste-attente"')
    assert registered.index("Anne Le Goff") < registered.index("Invité 1")
    assert "anne@example.org" in registered and "invite1@example.org" in registered
    assert ">compte<" in registered and ">invité<" in registered
    assert waiting.index("Invité 2") < waiting.index("Invité 3")
    assert "Invité 2" not in registered
    rows = waiting.split("<tr>")
    assert '">1</td>' in rows[2] and "Invité 2" in rows[2]
    assert '">2</td>' in rows[3] and "Invité 3" in rows[3]
    for name in ["edit", "duplicate", "cancel", "attendees_csv", "checkin", "message"]:
        assert url(name, workshop) in page, name
    # The workshop is to come: no synthesis to write yet.
    assert url("synthesis_edit", workshop) not in page
    assert reverse("workshops:detail", kwargs={"pk": workshop.pk}) in page


def test_the_management_page_costs_the_same_for_3_or_30_registrations(client, facilitator):
    small = make_workshop(by=facilitator, capacity=2, title="Petit")
    large = make_workshop(by=facilitator, capacity=20, title="Grand")
    for n in range(3):
        register_guest(small, n)
    for n in range(30):
        register_guest(large, 100 + n)
    client.force_login(facilitator)
    client.get(url("manage_detail", small))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("manage_detail", small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert "Invité 129" in text(client.get(url("manage_detail", large)))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_attendees_csv_opens_in_french_excel(client, facilitator, workshop):
    first = register_and_confirm(workshop, name='=HYPERLINK("http://x")', email="a@example.org")
    register_guest(workshop, 2)
    register_guest(workshop, 3)
    register_guest(workshop, 4)
    services.attendance_record(
        workshop=workshop, attended={first.pk: True}, by=facilitator, now=workshop.starts_at
    )
    client.force_login(facilitator)

    response = client.get(url("attendees_csv", workshop))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Nom",
        "Adresse e-mail",
        "État",
        "Position en liste d'attente",
        "Inscrit le",
        "Présent",
    ]
    assert [row[:4] for row in rows[1:]] == [
        ['\'=HYPERLINK("http://x")', "a@example.org", "inscrit", ""],
        ["Invité 2", "invite2@example.org", "inscrit", ""],
        ["Invité 3", "invite3@example.org", "en liste d'attente", "1"],
        ["Invité 4", "invite4@example.org", "en liste d'attente", "2"],
    ]
    assert [row[5] for row in rows[1:]] == ["oui", "", "", ""]
    # Positions are numbers for French Excel.
    assert [french_number(row[3]) for row in rows[3:]] == [1, 2]
    registered = first.registered_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    assert rows[1][4] == registered


# Check-in ------------------------------------------------------------------------------------


def test_the_check_in_list_shows_people_with_a_seat_only(client, facilitator, workshop):
    for n in range(3):
        register_guest(workshop, n)
    client.force_login(facilitator)
    page = text(client.get(url("checkin", workshop)))
    assert "Invité 0" in page and "Invité 1" in page
    assert "Invité 2" not in page  # waiting: no seat, nobody to check in
    assert "Présents : 0 sur 2 inscrits" in " ".join(
        page.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert "Enregistrer" in page


def test_saving_the_whole_list_marks_ticked_people_present_and_the_others_absent(
    client, facilitator, workshop
):
    came, missed = register_guest(workshop, 1), register_guest(workshop, 2)
    moved_to_the_past(workshop, days=0)
    client.force_login(facilitator)
    response = client.post(
        url("checkin", workshop),
        {"present": [str(came.pk)], "shown": [str(came.pk), str(missed.pk)]},
    )
    assert response["Location"] == url("checkin", workshop)
    came.refresh_from_db()
    missed.refresh_from_db()
    assert (came.attended, missed.attended) == (True, False)
    page = " ".join(text(client.get(response["Location"])).split())
    assert "Présences enregistrées." in page
    assert "Présents : <strong>1</strong> sur 2 inscrits" in page


def test_one_toggle_saves_that_person_only_and_returns_their_line(client, facilitator, workshop):
    came, other = register_guest(workshop, 1), register_guest(workshop, 2)
    moved_to_the_past(workshop, days=0)
    client.force_login(facilitator)
    response = client.post(
        url("checkin", workshop),
        {"present": [str(came.pk)], "shown": [str(came.pk), str(other.pk)], "one": str(came.pk)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    line = " ".join(text(response).split())
    assert f'id="present-{came.pk}" checked' in line
    assert "data-focus" in line
    assert 'data-hx-swap-oob="innerHTML"' in line and "<strong>1</strong> sur 2" in line
    came.refresh_from_db()
    other.refresh_from_db()
    assert (came.attended, other.attended) == (True, None)

    client.post(
        url("checkin", workshop),
        {"present": [], "shown": [str(came.pk)], "one": str(came.pk)},
        headers={"HX-Request": "true"},
    )
    came.refresh_from_db()
    assert came.attended is False


def test_a_person_no_longer_registered_cannot_be_checked_in(client, facilitator, workshop):
    seated = register_guest(workshop, 1)
    register_guest(workshop, 2)
    waiting = register_guest(workshop, 3)  # two seats: the third person waits
    client.force_login(facilitator)
    response = client.post(
        url("checkin", workshop), {"present": [str(waiting.pk)], "shown": [str(waiting.pk)]}
    )
    assert response["Location"] == url("checkin", workshop)
    assert "La liste des inscrits a changé" in text(client.get(response["Location"]))
    waiting.refresh_from_db()
    seated.refresh_from_db()
    assert waiting.attended is None and seated.attended is None


def test_check_in_before_the_workshops_day_is_refused_and_records_nothing(
    client, facilitator, workshop
):
    came = register_guest(workshop, 1)
    client.force_login(facilitator)
    too_early = str(errors.CHECKIN_TOO_EARLY.message)
    page = client.get(url("checkin", workshop))
    assert page.context["not_yet"] == too_early
    assert 'role="note"' in text(page)
    for headers in ({}, {"HX-Request": "true"}):
        client.post(
            url("checkin", workshop),
            {"present": [str(came.pk)], "shown": [str(came.pk)], "one": str(came.pk)},
            headers=headers,
        )
        page = client.get(url("checkin", workshop))
        assert [str(message) for message in page.context["messages"]] == [too_early]
    came.refresh_from_db()
    assert came.attended is None
    moved_to_the_past(workshop, days=0)
    assert client.get(url("checkin", workshop)).context["not_yet"] is None


# Messages and synthesis ----------------------------------------------------------------------


def test_a_message_to_registrants_is_recorded_and_listed(
    client, facilitator, workshop, django_capture_on_commit_callbacks
):
    register_guest(workshop, 1)
    client.force_login(facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("message", workshop),
            {"subject": "Salle changée", "body": "Rendez-vous salle B.", "include_waitlist": "on"},
        )
    message = WorkshopMessage.objects.get()
    assert (message.subject, message.include_waitlist, message.sent_by) == (
        "Salle changée",
        True,
        facilitator,
    )
    page = text(client.get(response["Location"]))
    assert "Salle changée" in page and "inscrits et liste d'attente" in page


def test_a_message_needs_a_subject_and_a_text(client, facilitator, workshop):
    client.force_login(facilitator)
    response = client.post(url("message", workshop), {"subject": "", "body": "Bonjour"})
    assert "subject" in response.context["form"].errors
    assert not WorkshopMessage.objects.exists()


def test_the_synthesis_is_offered_only_once_the_workshop_has_started(client, facilitator, workshop):
    client.force_login(facilitator)
    synthesis_link = f'href="{url("synthesis_edit", workshop)}"'
    for page in ("manage_detail", "checkin", "message"):
        before = client.get(url(page, workshop)).content.decode()
        assert synthesis_link not in before, page
    assert "Écrire la synthèse" not in client.get(url("manage_detail", workshop)).content.decode()
    assert not services.synthesis_may_be_written(workshop=workshop, now=timezone.now())

    started = moved_to_the_past(workshop, days=0)
    assert services.synthesis_may_be_written(workshop=started, now=timezone.now())
    page = client.get(url("manage_detail", started)).content.decode()
    assert "Écrire la synthèse" in page and synthesis_link in page
    assert synthesis_link in client.get(url("message", started)).content.decode()


def test_a_synthesis_cannot_be_saved_or_published_before_the_workshop_starts(
    client, facilitator, workshop
):
    client.force_login(facilitator)
    for action in ("save", "publish"):
        response = client.post(url("synthesis_edit", workshop), {"body": "Bilan", "action": action})
        codes = [e.code for e in response.context["form"].non_field_errors().as_data()]
        assert codes == ["synthesis_too_early"]
    assert not Synthesis.objects.filter(workshop=workshop).exists()


def test_a_synthesis_is_previewed_then_saved_as_a_draft_then_published(
    client, facilitator, workshop
):
    other = make_workshop(by=facilitator, title="Un autre atelier")
    services.synthesis_save(workshop=other, body="Autre bilan", by=facilitator, now=other.starts_at)
    moved_to_the_past(workshop)
    client.force_login(facilitator)
    body = "## Ce qui a marché\n\n- les **visières**\n\n<script>alert(1)</script>"

    preview = client.post(url("synthesis_edit", workshop), {"body": body, "action": "preview"})
    assert "<h2>Ce qui a marché</h2>" in preview.content.decode()
    assert "<li>les <strong>visières</strong></li>" in preview.content.decode()
    assert "<script>alert(1)" not in preview.content.decode()
    assert not Synthesis.objects.filter(workshop=workshop).exists()

    client.post(url("synthesis_edit", workshop), {"body": body, "action": "save"})
    synthesis = Synthesis.objects.get(workshop=workshop)
    assert (synthesis.status, synthesis.body) == ("draft", body)
    assert "Brouillon enregistré" in text(client.get(url("synthesis_edit", workshop)))

    response = client.post(
        url("synthesis_edit", workshop), {"body": body + "\n\nMerci !", "action": "publish"}
    )
    synthesis.refresh_from_db()
    assert synthesis.status == "published" and synthesis.body.endswith("Merci !")
    page = text(client.get(response["Location"]))
    assert "Synthèse publiée" in page
    public = reverse("workshops:synthesis_detail", kwargs={"pk": workshop.pk})
    assert public in page
    assert "Merci !" in text(client.get(public))


def test_an_empty_synthesis_is_refused(client, facilitator, workshop):
    client.force_login(facilitator)
    response = client.post(url("synthesis_edit", workshop), {"body": " ", "action": "publish"})
    assert "La synthèse est vide." in text(response)
    assert not Synthesis.objects.exists()
