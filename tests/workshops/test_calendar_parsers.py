"""Every iCalendar file the platform publishes, read by two parsers other than the library that
writes it (icalendar): vobject and ics-py. Names, titles, places and descriptions holding the
characters RFC 5545 TEXT escapes (comma, semicolon, backslash, line break) come back whole, in
the calendar's NAME and X-WR-CALNAME as in each event."""

import ics
import pytest
import vobject
from django.urls import reverse
from django.utils import timezone
from ics.utils import unescape_string

from tests.factories import make_workshop
from tilab.models import Department
from workshops import services

pytestmark = pytest.mark.django_db

# Each of RFC 5545's escaped characters, in every text a feed carries.
TITLE = "Visières, masques; gants \\ blouses\nsuite"
DEPARTMENT = "Finistère, nord; îles \\ côte\nouest"
ADDRESS = "2, rue des Fours; bâtiment \\B"
COMMUNE = "Brest; port"
DESCRIPTION = "Apporter : PLA, PET; et un cutter \\ ou deux.\nDeuxième ligne, aussi."


@pytest.fixture
def department():
    return Department.objects.create(
        code="98", name=DEPARTMENT, region_code="53", region_name="Bretagne"
    )


@pytest.fixture
def workshop(facilitator, department):
    return make_workshop(
        by=facilitator,
        title=TITLE,
        description=DESCRIPTION,
        address=ADDRESS,
        commune=COMMUNE,
        department_id=department.code,
    )


def feeds(client, workshop, maker) -> dict[str, str]:
    """Each kind of file, with the name its calendar should carry."""
    services.registration_create(workshop=workshop, now=timezone.now(), user=maker)
    token = services.calendar_feed_of(user=maker, now=timezone.now()).token
    urls = {
        reverse("workshops:ics", kwargs={"pk": workshop.pk}): workshop.title,
        reverse("workshops:feed"): "Ateliers de coopération Ti Lab",
        reverse("workshops:feed") + "?department=98": (
            f"Ateliers de coopération Ti Lab – {DEPARTMENT.strip()} (98)"
        ),
        reverse("workshops:personal_feed", kwargs={"token": token}): "Mes ateliers Ti Lab",
    }
    files = {}
    for url, name in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        files[response.content.decode()] = name
    return files


def test_the_texts_keep_every_character_rfc_5545_escapes(workshop):
    # What the parsers below must find (the service keeps them as given, title trimmed).
    assert workshop.title == TITLE
    assert "," in DEPARTMENT and ";" in DEPARTMENT and "\\" in DEPARTMENT and "\n" in DEPARTMENT


def test_vobject_reads_every_feed_whole(client, workshop, maker):
    for text, name in feeds(client, workshop, maker).items():
        calendar = vobject.readOne(text)
        assert calendar.contents["name"][0].value == name
        assert calendar.contents["x-wr-calname"][0].value == name
        (event,) = calendar.contents["vevent"]
        assert event.summary.value == TITLE
        assert event.location.value == f"{ADDRESS}, {COMMUNE} (98)"
        assert DESCRIPTION in event.description.value


def test_ics_py_reads_every_feed_whole(client, workshop, maker):
    for text, name in feeds(client, workshop, maker).items():
        calendar = ics.Calendar(text)
        # ics-py keeps the lines it has no attribute for, as written: unescaped by its own rule.
        extra = {line.name: unescape_string(line.value) for line in calendar.extra}
        assert extra["NAME"] == name
        assert extra["X-WR-CALNAME"] == name
        (event,) = calendar.events
        assert event.name == TITLE
        assert event.location == f"{ADDRESS}, {COMMUNE} (98)"
        assert DESCRIPTION in event.description
