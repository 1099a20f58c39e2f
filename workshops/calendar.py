"""iCalendar (RFC 5545) files of the workshops: one workshop, the public feed, a person's feed.

Times are written in Europe/Paris with its VTIMEZONE, so a calendar app shows 14:00 in Rennes
whatever the zone of the phone. A workshop keeps one UID for life: a changed or cancelled
workshop updates the event people already have instead of adding a second one. Public files
carry no personal data; the online link is only in the feed of a person holding a seat.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .models import Workshop

PRODID = "-//Ti Lab Bretagne//Ateliers de cooperation//FR"
TIME_ZONE = "Europe/Paris"
PARIS = ZoneInfo(TIME_ZONE)
UTC = ZoneInfo("UTC")
# How often a calendar app should fetch a feed again (RFC 7986, and Outlook's own property).
REFRESH = timedelta(hours=6)


def uid_host() -> str:
    """The platform's host name, from SITE_URL: the same whatever address served the file."""
    return urlparse(settings.SITE_URL).hostname or "tilab.invalid"


def workshop_uid(workshop: Workshop) -> str:
    return f"workshop-{workshop.pk}@{uid_host()}"


@dataclass(frozen=True)
class Entry:
    """A workshop as one person's calendar shows it."""

    workshop: Workshop
    page_url: str
    waitlisted: bool = False
    # Only someone holding a seat gets the online link (it is not public).
    online_url_visible: bool = False


def _location(workshop: Workshop) -> str:
    place = ", ".join(part for part in (workshop.address, workshop.commune) if part)
    if workshop.department_id and workshop.commune:
        place = f"{place} ({workshop.department_id})"
    if workshop.online_url:
        return _("%(place)s, et en ligne") % {"place": place} if place else _("En ligne")
    return place


def _description(entry: Entry) -> str:
    workshop = entry.workshop
    lines = []
    if workshop.status == Workshop.Status.CANCELLED:
        lines += [_("Atelier annulé : %(reason)s") % {"reason": workshop.cancellation_reason}, ""]
    elif entry.waitlisted:
        lines += [_("Vous êtes sur la liste d'attente : pas encore de place pour vous."), ""]
    if workshop.description:
        lines += [workshop.description.strip(), ""]
    if workshop.online_url and entry.online_url_visible:
        lines.append(_("Lien de connexion : %(url)s") % {"url": workshop.online_url})
    elif workshop.online_url:
        lines.append(_("Le lien de connexion est envoyé aux personnes inscrites."))
    lines.append(_("Programme et inscription : %(url)s") % {"url": entry.page_url})
    return "\n".join(lines)


def _summary(entry: Entry) -> str:
    title = entry.workshop.title
    if entry.workshop.status == Workshop.Status.CANCELLED:
        return _("Annulé : %(title)s") % {"title": title}
    if entry.waitlisted:
        return _("%(title)s (liste d'attente)") % {"title": title}
    return title


def _status(entry: Entry) -> str:
    if entry.workshop.status == Workshop.Status.CANCELLED:
        return "CANCELLED"
    return "TENTATIVE" if entry.waitlisted else "CONFIRMED"


def workshop_event(entry: Entry, *, now: datetime) -> icalendar.Event:
    workshop = entry.workshop
    url = (
        workshop.online_url if workshop.online_url and entry.online_url_visible else entry.page_url
    )
    event = icalendar.Event.new(
        uid=workshop_uid(workshop),
        stamp=now.astimezone(UTC),
        start=workshop.starts_at.astimezone(PARIS),
        end=workshop.ends_at.astimezone(PARIS),
        summary=_summary(entry),
        description=_description(entry),
        location=_location(workshop) or None,
        url=url,
        status=_status(entry),
        created=workshop.created_at.astimezone(UTC),
        last_modified=workshop.updated_at.astimezone(UTC),
        # Grows with every change of the workshop, so apps know which version is the latest.
        sequence=max(0, int((workshop.updated_at - workshop.created_at).total_seconds())),
    )
    return event


def _year_span(entries: list[Entry]) -> tuple[date, date]:
    """Whole years around the events: the VTIMEZONE covers them and stays the same all year."""
    if not entries:
        year = datetime.now(PARIS).year
        return date(year, 1, 1), date(year + 1, 1, 1)
    first = min(e.workshop.starts_at for e in entries).astimezone(PARIS)
    last = max(e.workshop.ends_at for e in entries).astimezone(PARIS)
    return date(first.year, 1, 1), date(last.year + 1, 1, 1)


def calendar_build(*, name: str, uid: str, entries: list[Entry], now: datetime) -> bytes:
    """A VCALENDAR to publish (METHOD:PUBLISH), with the Europe/Paris VTIMEZONE."""
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        calscale="GREGORIAN",
        method="PUBLISH",
        uid=uid,
        refresh_interval=REFRESH,
    )
    # The name is TEXT (RFC 7986; X-WR-CALNAME as Apple and Google read it): icalendar writes
    # both as given, so a comma cut a workshop's title short in other parsers and a line break
    # broke the file. Written as TEXT, they are escaped as SUMMARY is.
    for prop in ("NAME", "X-WR-CALNAME"):
        calendar.add(prop, icalendar.vText(name))
    calendar.add("X-WR-TIMEZONE", TIME_ZONE)
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH))
    first, last = _year_span(entries)
    calendar.add_component(
        icalendar.Timezone.from_tzid(TIME_ZONE, first_date=first, last_date=last)
    )
    for entry in entries:
        calendar.add_component(workshop_event(entry, now=now))
    return calendar.to_ical()
