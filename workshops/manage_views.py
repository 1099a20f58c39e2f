"""Facilitators' pages: their workshops; scheduling, editing, duplicating and cancelling one;
its registrations and waitlist, the attendees' CSV, the check-in list, messages to registrants
and the synthesis.

Facilitators only (anybody else gets 403), and only the workshops they facilitate: another
facilitator's workshop answers 404, as if it did not exist.
"""

import io
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tilab.errors import BadInput, WrongState
from tilab.permissions import page_permission
from tilab.spreadsheets import french_csv_writer, spreadsheet_safe

from . import selectors, services
from .forms import (
    PARIS,
    CancelForm,
    CheckinForm,
    DuplicateForm,
    MessageForm,
    SynthesisForm,
    WorkshopForm,
)
from .markdown import markdown_render
from .models import Registration, Synthesis, Workshop

PAST_PER_PAGE = 30


def _managed(request, pk, queryset=None) -> Workshop:
    workshops = selectors.workshops_managed_by(request.user)
    return get_object_or_404(queryset(workshops) if queryset else workshops, pk=pk)


def _manage_url(workshop: Workshop) -> str:
    return reverse("workshops:manage_detail", kwargs={"pk": workshop.pk})


def _phase(workshop: Workshop, now) -> str:
    if workshop.status == Workshop.Status.CANCELLED:
        return "cancelled"
    if workshop.starts_at > now:
        return "scheduled"
    return "ongoing" if workshop.ends_at > now else "over"


def _start_of_today(now):
    return now.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)


# The list ------------------------------------------------------------------------------------


@page_permission("workshops.manage_workshops")
@require_GET
def manage(request):
    """The facilitator's workshops: today's and upcoming ones soonest first, then past ones
    latest first (paginated). A fixed number of queries, however many workshops."""
    now = timezone.now()
    workshops = selectors.workshops_managed_by(request.user).select_related("synthesis")
    today = _start_of_today(now)
    upcoming = workshops.filter(starts_at__gte=today)
    past = workshops.filter(starts_at__lt=today)
    # Where the home page's to-do leads: this week's workshops, syntheses still to publish.
    only = request.GET.get("seulement", "")
    if only == "semaine":
        upcoming, past = selectors.workshops_this_week(upcoming, now=now), past.none()
    elif only == "syntheses":
        upcoming, past = upcoming.none(), selectors.workshops_awaiting_synthesis(past, now=now)
    else:
        only = ""
    upcoming = list(upcoming.order_by("starts_at", "pk"))
    past = Paginator(past.order_by("-starts_at", "-pk"), PAST_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for workshop in [*upcoming, *past]:
        workshop.phase = _phase(workshop, now)
    return render(
        request,
        "workshops/manage.html",
        {"upcoming": upcoming, "past": past, "now": now, "only": only},
    )


# Scheduling ----------------------------------------------------------------------------------


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def workshop_create(request):
    now = timezone.now()
    form = WorkshopForm(request.POST if request.method == "POST" else None, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = services.workshop_create(
                details=form.details(),
                by=request.user,
                now=now,
                co_facilitators=list(form.cleaned_data["co_facilitators"]),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _("Atelier « %(title)s » programmé.") % {"title": workshop.title}
                + " "
                + (
                    _("Il apparaît dans l'agenda public.")
                    if workshop.is_public
                    else _("Envoyez le lien d'invitation aux personnes attendues.")
                ),
            )
            return redirect(_manage_url(workshop))
    return render(request, "workshops/manage_form.html", {"form": form, "workshop": None})


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def workshop_edit(request, pk):
    """Change a workshop. More seats give them to the first people waiting, in order; fewer
    seats than people already registered is refused."""
    workshop = _managed(request, pk, lambda qs: qs.prefetch_related("facilitators"))
    if workshop.status == Workshop.Status.CANCELLED:
        messages.error(request, _("Cet atelier est annulé : il ne peut plus être modifié."))
        return redirect(_manage_url(workshop))
    now = timezone.now()
    form = WorkshopForm(
        request.POST if request.method == "POST" else None,
        by=request.user,
        workshop=workshop,
    )
    if request.method == "POST" and form.is_valid():
        waiting_before = workshop.waitlist_count
        try:
            workshop = services.workshop_update(
                workshop=workshop,
                details=form.details(),
                by=request.user,
                now=now,
                co_facilitators=list(form.cleaned_data["co_facilitators"]),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            text = _("Atelier « %(title)s » modifié.") % {"title": workshop.title}
            promoted = (
                waiting_before
                - workshop.registrations.filter(status=Registration.Status.WAITLISTED).count()
            )
            if promoted > 0:
                text += " " + _(
                    "Places libérées : %(count)s personne(s) de la liste d'attente sont inscrites "
                    "et prévenues par e-mail."
                ) % {"count": promoted}
            messages.success(request, text)
            return redirect(_manage_url(workshop))
    return render(request, "workshops/manage_form.html", {"form": form, "workshop": workshop})


def _next_week_same_day(workshop: Workshop, now):
    """The first same weekday after today, one week after the workshop at the earliest."""
    held_on = workshop.starts_at.astimezone(PARIS).date()
    today = now.astimezone(PARIS).date()
    weeks = max(1, (today - held_on).days // 7 + 1)
    return held_on + timedelta(weeks=weeks)


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def workshop_duplicate(request, pk):
    """Hold the workshop again at another date: same details, no registrations."""
    workshop = _managed(request, pk)
    now = timezone.now()
    form = DuplicateForm(
        request.POST if request.method == "POST" else None,
        initial={
            "starts_on": _next_week_same_day(workshop, now),
            "starts_time": workshop.starts_at.astimezone(PARIS).time().replace(tzinfo=None),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.workshop_duplicate(
                workshop=workshop,
                starts_at=form.cleaned_data["starts_at"],
                by=request.user,
                now=now,
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _(
                    "Atelier dupliqué, sur invitation : il n'est pas dans l'agenda public. "
                    "Vérifiez ses informations, puis ouvrez-le à tout le monde en le modifiant."
                ),
            )
            return redirect(_manage_url(copy))
    return render(request, "workshops/manage_duplicate.html", {"form": form, "workshop": workshop})


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def workshop_cancel(request, pk):
    """Cancel, after a confirmation page asking why; everyone registered or waiting gets an
    e-mail with the reason."""
    workshop = _managed(request, pk)
    try:
        services.workshop_check_cancellable(workshop=workshop)
    except WrongState as refusal:
        messages.error(request, refusal.message)
        return redirect(_manage_url(workshop))
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.workshop_cancel(
                workshop=workshop,
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _("Atelier annulé. Les inscrits et la liste d'attente sont prévenus par e-mail."),
            )
            return redirect(_manage_url(workshop))
    return render(request, "workshops/manage_cancel.html", {"form": form, "workshop": workshop})


# One workshop --------------------------------------------------------------------------------


def _registrations(workshop: Workshop) -> tuple[list[Registration], list[Registration]]:
    """Confirmed people in arrival order, then the waitlist with each one's
    `waitlist_position`."""
    confirmed, waiting = [], []
    for registration in selectors.registrations_of(workshop):
        if registration.status == Registration.Status.CONFIRMED:
            confirmed.append(registration)
        else:
            waiting.append(registration)
    return confirmed, waiting


def _duration(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": minutes}
    if not minutes:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": minutes}


def _invitation_url(request, workshop: Workshop) -> str:
    return request.build_absolute_uri(
        reverse("workshops:invitation", kwargs={"token": workshop.invitation_token})
    )


@page_permission("workshops.manage_workshops")
@require_GET
def workshop_manage(request, pk):
    """A workshop's registrations and waitlist, with everything a facilitator does to it."""
    workshop = _managed(
        request,
        pk,
        lambda qs: qs.select_related("synthesis").prefetch_related("facilitators"),
    )
    now = timezone.now()
    confirmed, waiting = _registrations(workshop)
    return render(
        request,
        "workshops/manage_detail.html",
        {
            "workshop": workshop,
            "phase": _phase(workshop, now),
            "duration": _duration(workshop.duration_minutes),
            "confirmed": confirmed,
            "waiting": waiting,
            "synthesis": getattr(workshop, "synthesis", None),
            "invitation_url": None if workshop.is_public else _invitation_url(request, workshop),
            **_header(workshop, "registrations"),
        },
    )


def _header(workshop: Workshop, current: str) -> dict:
    """What the header of a workshop's management pages needs: the page it is on, and whether
    the synthesis may be written yet (its link is offered only then)."""
    return {
        "current": current,
        "synthesis_open": services.synthesis_may_be_written(workshop=workshop, now=timezone.now()),
    }


def _local(moment) -> str:
    # Spreadsheets know no time zones: the time as read on a clock in Brittany.
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else ""


@page_permission("workshops.manage_workshops")
@require_GET
def attendees_csv(request, pk):
    """Registrations and waitlist as a CSV file French Excel opens directly: UTF-8 with a
    byte-order mark, ";" between fields, text cells a spreadsheet would run as a formula
    defused."""
    workshop = _managed(request, pk)
    confirmed, waiting = _registrations(workshop)
    attended = {True: _("oui"), False: _("non"), None: ""}
    buffer = io.StringIO()
    writer = french_csv_writer(buffer)
    writer.writerow(
        [
            _("Nom"),
            _("Adresse e-mail"),
            _("État"),
            _("Position en liste d'attente"),
            _("Inscrit le"),
            _("Présent"),
        ]
    )
    for registration in [*confirmed, *waiting]:
        writer.writerow(
            [
                spreadsheet_safe(registration.name),
                spreadsheet_safe(registration.email),
                registration.get_status_display(),
                "" if registration.waitlist_position is None else registration.waitlist_position,
                _local(registration.registered_at),
                attended[registration.attended],
            ]
        )
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="inscrits-atelier-{workshop.pk}.csv"'
    response["Cache-Control"] = "no-store"  # names and e-mails: never kept by a shared cache
    return response


# Check-in ------------------------------------------------------------------------------------


def _checkin_context(workshop: Workshop, confirmed: list[Registration], form=None) -> dict:
    try:
        services.attendance_check_open(workshop=workshop, now=timezone.now())
        not_yet = None
    except WrongState as refusal:
        not_yet = refusal.message
    return {
        "not_yet": not_yet,
        "workshop": workshop,
        "confirmed": confirmed,
        "present_count": sum(1 for r in confirmed if r.attended),
        "form": form,
        **_header(workshop, "checkin"),
    }


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def checkin(request, pk):
    """On the day, on a phone: tick who came. With htmx each toggle is saved at once (the
    person's line comes back, focus on its box); without JavaScript, one button saves the
    whole list."""
    workshop = _managed(request, pk)
    confirmed, _waiting = _registrations(workshop)
    if request.method == "GET":
        return render(
            request, "workshops/manage_checkin.html", _checkin_context(workshop, confirmed)
        )
    form = CheckinForm(request.POST, registrations=confirmed)
    if form.is_valid():
        attended = form.attended()
        try:
            services.attendance_record(
                workshop=workshop, attended=attended, by=request.user, now=timezone.now()
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            for registration in confirmed:
                if registration.pk in attended:
                    registration.attended = attended[registration.pk]
            one = form.cleaned_data["one"]
            if request.htmx and one is not None:
                context = _checkin_context(workshop, confirmed)
                context["registration"] = next(r for r in confirmed if r.pk == one)
                return render(request, "workshops/_manage_checkin_row.html", context)
            messages.success(request, _("Présences enregistrées."))
            return redirect(reverse("workshops:checkin", kwargs={"pk": workshop.pk}))
    for error in dict.fromkeys(e for errors in form.errors.values() for e in errors):
        messages.error(request, error)
    if request.htmx:
        # The list is out of date (someone cancelled meanwhile): show it again, fresh.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(reverse("workshops:checkin", kwargs={"pk": workshop.pk}))


# Messages ------------------------------------------------------------------------------------


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def message_send(request, pk):
    """Write to the registrants (and, if asked, the waitlist); a task sends the e-mails."""
    workshop = _managed(request, pk)
    form = MessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.workshop_message_send(
                workshop=workshop,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                include_waitlist=form.cleaned_data["include_waitlist"],
                by=request.user,
                now=timezone.now(),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Message enregistré : il part par e-mail dans un instant."))
            return redirect(reverse("workshops:message", kwargs={"pk": workshop.pk}))
    sent = workshop.messages.select_related("sent_by").order_by("-created_at", "-pk")
    return render(
        request,
        "workshops/manage_message.html",
        {
            "workshop": workshop,
            "form": form,
            "sent": sent,
            **_header(workshop, "message"),
        },
    )


# Synthesis -----------------------------------------------------------------------------------


@page_permission("workshops.manage_workshops")
@require_http_methods(["GET", "POST"])
def synthesis_edit(request, pk):
    """Write the synthesis in Markdown: preview it (nothing saved), save a draft, publish it.
    Publishing saves the text shown, then publishes it, in one transaction."""
    workshop = _managed(request, pk, lambda qs: qs.select_related("synthesis"))
    synthesis = getattr(workshop, "synthesis", None)
    action = request.POST.get("action", "save")
    form = SynthesisForm(
        request.POST if request.method == "POST" else None,
        initial={"body": synthesis.body if synthesis else ""},
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        body = form.cleaned_data["body"]
        if action == "preview":
            preview = markdown_render(body)
        else:
            now, publish = timezone.now(), action == "publish"
            try:
                with transaction.atomic():
                    synthesis = services.synthesis_save(
                        workshop=workshop, body=body, by=request.user, now=now
                    )
                    if publish and synthesis.status == Synthesis.Status.DRAFT:
                        synthesis = services.synthesis_publish(
                            synthesis=synthesis, by=request.user, now=now
                        )
            except (BadInput, WrongState) as refusal:
                form.add_refusal(refusal)
            else:
                if publish:
                    text = _("Synthèse publiée : elle est en ligne pour tout le monde.")
                elif synthesis.status == Synthesis.Status.PUBLISHED:
                    text = _("Synthèse mise à jour : la version en ligne a changé.")
                else:
                    text = _("Brouillon enregistré : il n'est pas encore public.")
                messages.success(request, text)
                return redirect(reverse("workshops:synthesis_edit", kwargs={"pk": workshop.pk}))
    return render(
        request,
        "workshops/manage_synthesis.html",
        {
            "workshop": workshop,
            "synthesis": synthesis,
            "form": form,
            "preview": preview,
            **_header(workshop, "synthesis"),
        },
    )
