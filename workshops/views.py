"""Public workshop pages: the agenda, a workshop's page and registration (one click with an
account, a name and an e-mail without), the signed cancel link, one's own workshops and
calendar address, the published syntheses, and the iCalendar files.

Nobody's e-mail address appears on these pages or in the public calendars: a registration is
shown only to the person it belongs to (and to the facilitators, on their own pages).
"""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tilab.errors import BadInput, WrongState
from tilab.i18n import localised
from tilab.models import Department
from tilab.permissions import PUBLIC, SIGNED_IN, page_permission
from tilab.throttling import throttle_page

from . import selectors, services
from .calendar import Entry, calendar_build, uid_host
from .markdown import markdown_render
from .models import CalendarFeed, Registration, Synthesis, Workshop
from .public_forms import AgendaFilterForm, GuestRegistrationForm

AGENDA_PER_PAGE = 20
SYNTHESES_PER_PAGE = 20
HOME_WORKSHOPS = 3
PAST_REGISTRATIONS_SHOWN = 50
# The public feed keeps a month of past workshops, so a cancelled or just-held one still
# updates the calendars that carry it; the personal feed keeps a year.
FEED_PAST = timedelta(days=31)
PERSONAL_FEED_PAST = timedelta(days=365)
FEED_MAX_EVENTS = 500
ACTIVE = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)
CALENDAR_TYPE = "text/calendar; charset=utf-8"


# Presentation helpers ----------------------------------------------------------------------


def duration_label(minutes: int) -> str:
    """A duration as people say it: "45 min", "2 h", "1 h 30"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": rest}


def _decorate(workshops):
    """What the agenda cards show besides the fields: labels in the page's language, seats."""
    for workshop in workshops:
        workshop.theme_label = localised(workshop.theme, "name")
        workshop.duration_label = duration_label(workshop.duration_minutes)
        if hasattr(workshop, "confirmed_count"):  # the selectors' querysets count seats
            workshop.seats_left = max(0, workshop.capacity - workshop.confirmed_count)
    return workshops


def next_workshops(now, limit: int = HOME_WORKSHOPS) -> list[Workshop]:
    """The next public workshops, for the home page: one query."""
    return _decorate(list(selectors.workshops_upcoming(now=now)[:limit]))


def _calendar_response(content: bytes, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type=CALENDAR_TYPE)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """A page whose address is a secret (signed link, calendar token): kept out of caches and
    search engines. No Referer ever holds its path (tilab.middleware.PrivateAnswersMiddleware)."""
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# Agenda ------------------------------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def agenda(request):
    """Upcoming public workshops, soonest first, narrowed by department and theme."""
    now = timezone.now()
    form = AgendaFilterForm(request.GET or None)
    chosen = form.chosen()
    workshops = selectors.workshops_upcoming(now=now)
    if "department" in chosen:
        workshops = workshops.filter(department=chosen["department"])
    if "theme" in chosen:
        workshops = workshops.filter(theme=chosen["theme"])
    page = Paginator(workshops, AGENDA_PER_PAGE).get_page(request.GET.get("page"))
    _decorate(page)
    filters = request.GET.copy()
    filters.pop("page", None)
    feed_url = reverse("workshops:feed")
    if "department" in chosen:
        feed_url += f"?department={chosen['department'].code}"
    context = {
        "filter_form": form,
        "page": page,
        "filters": filters.urlencode(),
        "filtered": bool(chosen),
        "chosen_department": chosen.get("department"),
        "feed_url": request.build_absolute_uri(feed_url),
    }
    if request.htmx:
        return render(request, "workshops/_agenda_results.html", context)
    return render(request, "workshops/agenda.html", context)


# A workshop's page and registration --------------------------------------------------------


def _by_invitation(token: str) -> Workshop:
    workshop = selectors.workshop_by_invitation(token) if token else None
    if workshop is None:
        raise Http404
    return workshop


def _workshop_for(request, pk: int, token: str = "") -> tuple[Workshop, str]:
    """The workshop the visitor may see (public; invitation-only to its facilitators, the
    people registered, or with its token), and the invitation token to carry along (empty for
    a public workshop). Anything else answers 404, whether it exists or not."""
    workshop = get_object_or_404(
        selectors.workshops_visible_to(request.user, invitation_token=token), pk=pk
    )
    return workshop, "" if workshop.is_public else workshop.invitation_token


def _own_registration(user, workshop: Workshop) -> Registration | None:
    if not user.is_authenticated:
        return None
    return (
        workshop.registrations.filter(status__in=ACTIVE)
        .filter(Q(user=user) | Q(email=user.email.lower()))
        .order_by("pk")
        .first()
    )


def _closed_reason(workshop: Workshop, now) -> str:
    """Why nobody can register any more ("cancelled", "past", "deadline"), or "" while open.
    The template says it in words."""
    if workshop.status == Workshop.Status.CANCELLED:
        return "cancelled"
    if now >= workshop.starts_at:
        return "past"
    if now > workshop.registration_deadline:
        return "deadline"
    return ""


def _detail_context(request, workshop: Workshop, token: str, **extra) -> dict:
    now = timezone.now()
    user = request.user
    _decorate([workshop])
    own = _own_registration(user, workshop)
    facilitators = list(workshop.facilitators.order_by("full_name", "pk"))
    is_facilitator = user.is_authenticated and any(f.pk == user.pk for f in facilitators)
    holds_seat = own is not None and own.status == Registration.Status.CONFIRMED
    ics_url = reverse("workshops:ics", kwargs={"pk": workshop.pk})
    if token:
        ics_url += f"?invitation={token}"
    context = {
        "workshop": workshop,
        "description": markdown_render(workshop.description),
        "invitation_token": token,
        "own_registration": own,
        "own_position": selectors.registration_waitlist_position(own) if own else None,
        "closed_reason": _closed_reason(workshop, now),
        "form": None if user.is_authenticated else GuestRegistrationForm(),
        "facilitator_names": [f.full_name for f in facilitators if f.full_name],
        "online_url_visible": bool(workshop.online_url) and (holds_seat or is_facilitator),
        "is_facilitator": is_facilitator,
        "ics_url": ics_url,
        "register_url": reverse("workshops:register", kwargs={"pk": workshop.pk}),
        "synthesis_published": Synthesis.objects.filter(
            workshop=workshop, status=Synthesis.Status.PUBLISHED
        ).exists(),
    }
    context.update(extra)
    return context


@page_permission(PUBLIC)
@require_GET
def workshop_detail(request, pk):
    workshop, token = _workshop_for(request, pk)
    response = render(request, "workshops/detail.html", _detail_context(request, workshop, token))
    # An invitation-only page carries its invitation token (in its links and its form).
    return _private(response) if token else response


@page_permission(PUBLIC)
@require_GET
def workshop_invitation(request, token):
    """An invitation-only workshop, opened by its secret link (a public one works too)."""
    workshop = _by_invitation(token)
    response = render(request, "workshops/detail.html", _detail_context(request, workshop, token))
    return _private(response)


def _register_again(request, workshop, token, *, status: int, **extra):
    """The registration block again, with the form's errors or the reason of a refusal.
    htmx swaps only a successful answer, so its partial comes back with 200."""
    context = _detail_context(request, workshop, token, **extra)
    if request.htmx:
        return render(request, "workshops/_register_block.html", context)
    return render(request, "workshops/detail.html", context, status=status)


@page_permission(PUBLIC)
@require_POST
@throttle_page("workshop_guest")  # the API's pace for guests, counted together
def register(request, pk):
    """Register the person logged in (one click) or a guest (name and e-mail). An
    invitation-only workshop needs its invitation token in the form, else 404."""
    workshop, token = _workshop_for(request, pk, request.POST.get("invitation", ""))
    if request.user.is_authenticated:
        form, who = None, {"user": request.user}
    else:
        form = GuestRegistrationForm(request.POST)
        if not form.is_valid():
            return _register_again(request, workshop, token, status=400, form=form)
        who = {"name": form.cleaned_data["name"], "email": form.cleaned_data["email"]}
    try:
        registration = services.registration_create(workshop=workshop, now=timezone.now(), **who)
    except BadInput as refusal:
        if form is None:
            return _register_again(request, workshop, token, status=400, refused=refusal.message)
        form.add_refusal(refusal)
        return _register_again(request, workshop, token, status=400, form=form)
    except WrongState as refusal:
        return _register_again(
            request, workshop, token, status=409, form=form, refused=refusal.message
        )
    # Counted again: the seats line the page shows has just changed (or not, when a link to
    # confirm was sent: nothing changes before it is followed).
    workshop, token = _workshop_for(request, pk, token)
    context = {
        "workshop": _decorate([workshop])[0],
        "registration": registration,
        # A link to confirm was sent (a guest, or an address not verified yet): the answer is
        # the same whatever the address (workshops.services.registration_create).
        "sent_to": (who["user"].email if "user" in who else who["email"]).strip().lower()
        if registration is None
        else "",
        "position": selectors.registration_waitlist_position(registration)
        if registration is not None
        else None,
        "invitation_token": token,
    }
    if request.htmx:
        context["seats_out_of_band"] = True
        return render(request, "workshops/_register_outcome.html", context)
    return render(request, "workshops/registration_done.html", context)


def _workshop_url(workshop: Workshop) -> str:
    """The address of a workshop's page that works for someone registered to it."""
    if workshop.is_public:
        return reverse("workshops:detail", kwargs={"pk": workshop.pk})
    return reverse("workshops:invitation", kwargs={"token": workshop.invitation_token})


# The signed link of the e-mail -------------------------------------------------------------


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
@throttle_page("workshop_guest")
def registration_manage(request, token):
    """A registration opened by the signed link of its e-mail, and its cancellation. A forged
    or altered link changes nothing and says so."""
    now = timezone.now()
    try:
        registration = services.registration_from_token(token, now=now)
    except (BadInput, WrongState) as refusal:
        context = {"expired": refusal.code == "cancel_link_expired"}
        return _private(render(request, "workshops/registration_invalid.html", context, status=400))
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration, now=now)
        except WrongState as refusal:
            messages.error(request, refusal.message)
        else:
            if registration.status == Registration.Status.WAITLISTED:
                text = _("Votre inscription est annulée : vous avez quitté la liste d'attente.")
            else:
                text = _(
                    "Votre inscription est annulée. Merci de nous avoir prévenus : la place "
                    "revient à la personne suivante sur la liste d'attente, s'il y en a une."
                )
            messages.success(request, text)
        return redirect(request.path)
    workshop = registration.workshop
    _decorate([workshop])
    ics_url = reverse("workshops:ics", kwargs={"pk": workshop.pk})
    if not workshop.is_public:
        # The person was invited: their link opens the workshop as the invitation does.
        ics_url += f"?invitation={workshop.invitation_token}"
    context = {
        "registration": registration,
        "workshop": workshop,
        "position": selectors.registration_waitlist_position(registration),
        "cancellable": registration.status != Registration.Status.CANCELLED
        and workshop.status == Workshop.Status.SCHEDULED
        and now < workshop.starts_at,
        "online_url_visible": bool(workshop.online_url)
        and registration.status == Registration.Status.CONFIRMED
        and workshop.status == Workshop.Status.SCHEDULED,
        "workshop_url": _workshop_url(workshop),
        "ics_url": ics_url,
    }
    return _private(render(request, "workshops/registration_manage.html", context))


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
@throttle_page("workshop_guest")
def registration_confirm(request, token):
    """A guest confirms a pending registration from the link of its e-mail: GET shows a button
    (mail scanners follow links, they must not take a seat), POST confirms: a seat, or a place
    in the waitlist if the workshop is full by then. Twice changes nothing."""
    now = timezone.now()
    try:
        pending = services.pending_registration_from_token(token, now=now)
    except (BadInput, WrongState) as refusal:
        context = {"confirm_link": True, "expired": refusal.code == "registration_link_expired"}
        return _private(render(request, "workshops/registration_invalid.html", context, status=400))
    workshop = pending.workshop
    context = {"workshop": workshop, "pending": pending, "registration": pending.registration}
    status = 200
    if request.method == "POST":
        try:
            context["registration"] = services.registration_confirm(token=token, now=now)
        except WrongState as refusal:
            context["refused"], status = refusal.message, 409
        else:
            context["just_confirmed"] = True
    registration = context["registration"]
    if registration is not None:
        context["position"] = selectors.registration_waitlist_position(registration)
        context["manage_url"] = reverse(
            "workshops:registration_manage", args=[services.registration_cancel_token(registration)]
        )
    _decorate([workshop])
    context["workshop_url"] = _workshop_url(workshop)
    return _private(render(request, "workshops/registration_confirm.html", context, status=status))


# My workshops ------------------------------------------------------------------------------


def _my_workshops_post(request, now):
    if "renew" in request.POST:
        services.calendar_feed_renew(user=request.user, now=now)
        messages.success(
            request,
            _(
                "Nouvelle adresse créée. L'ancienne ne fonctionne plus : remplacez-la dans "
                "votre application d'agenda."
            ),
        )
        return
    pk = request.POST.get("cancel", "")
    if not pk.isdigit():
        raise Http404
    # Only one's own registrations: anybody else's answers 404.
    registration = get_object_or_404(selectors.registrations_of_user(request.user), pk=int(pk))
    try:
        services.registration_cancel(registration=registration, now=now)
    except WrongState as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Votre inscription à « %(title)s » est annulée.")
            % {"title": registration.workshop.title},
        )


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def my_workshops(request):
    """The workshops one registered for, their cancellation, and one's calendar address."""
    now = timezone.now()
    if request.method == "POST":
        _my_workshops_post(request, now)
        return redirect("workshops:my_workshops")
    mine = selectors.registrations_of_user(request.user)
    # ?seulement=semaine: this week's only, where the home page's to-do leads.
    this_week = request.GET.get("seulement") == "semaine"
    if this_week:
        upcoming = selectors.registrations_this_week(request.user, now=now)
    else:
        upcoming = mine.filter(workshop__starts_at__gte=now)
    upcoming = list(upcoming.order_by("workshop__starts_at", "pk"))
    past = list(
        mine.filter(workshop__starts_at__lt=now).order_by("-workshop__starts_at", "-pk")[
            :PAST_REGISTRATIONS_SHOWN
        ]
    )
    _decorate([r.workshop for r in upcoming + past])
    feed = services.calendar_feed_of(user=request.user, now=now)
    feed_url = request.build_absolute_uri(
        reverse("workshops:personal_feed", kwargs={"token": feed.token})
    )
    context = {"upcoming": upcoming, "past": past, "feed_url": feed_url, "this_week": this_week}
    return _private(render(request, "workshops/my_workshops.html", context))


# Syntheses ---------------------------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def synthesis_list(request):
    page = Paginator(selectors.syntheses_published(), SYNTHESES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _decorate(s.workshop for s in page)
    return render(request, "workshops/synthesis_list.html", {"page": page})


@page_permission(PUBLIC)
@require_GET
def synthesis_detail(request, pk):
    """A published synthesis, by its workshop's number; a draft answers 404."""
    synthesis = get_object_or_404(selectors.syntheses_published(), workshop_id=pk)
    _decorate([synthesis.workshop])
    return render(
        request,
        "workshops/synthesis_detail.html",
        {
            "synthesis": synthesis,
            "workshop": synthesis.workshop,
            "body": markdown_render(synthesis.body),
        },
    )


# Calendars ---------------------------------------------------------------------------------


def _page_url(request, workshop: Workshop) -> str:
    return request.build_absolute_uri(reverse("workshops:detail", kwargs={"pk": workshop.pk}))


@page_permission(PUBLIC)
@require_GET
def workshop_ics(request, pk):
    """One workshop's .ics file (an invitation-only one with its token, as its page)."""
    workshop, _token = _workshop_for(request, pk, request.GET.get("invitation", ""))
    own = _own_registration(request.user, workshop)
    holds_seat = own is not None and own.status == Registration.Status.CONFIRMED
    is_facilitator = (
        request.user.is_authenticated and workshop.facilitators.filter(pk=request.user.pk).exists()
    )
    entry = Entry(
        workshop=workshop,
        page_url=_page_url(request, workshop),
        waitlisted=own is not None and own.status == Registration.Status.WAITLISTED,
        online_url_visible=holds_seat or is_facilitator,
    )
    content = calendar_build(
        name=workshop.title,
        uid=f"workshop-{workshop.pk}-file@{uid_host()}",
        entries=[entry],
        now=timezone.now(),
    )
    return _calendar_response(content, filename=f"atelier-{workshop.pk}.ics")


@page_permission(PUBLIC)
@require_GET
def feed(request):
    """Public workshops from a month ago on, cancelled ones included (marked so);
    `?department=35` keeps one department's. No personal data."""
    now = timezone.now()
    workshops = selectors.workshops_public().filter(starts_at__gte=now - FEED_PAST)
    name = _("Ateliers de coopération Ti Lab")
    code = request.GET.get("department", "").strip()
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            return HttpResponse(
                _("Département inconnu : %(code)s.") % {"code": code[:10]},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        workshops = workshops.filter(department=department)
        name = _("Ateliers de coopération Ti Lab – %(department)s") % {"department": department}
    entries = [
        Entry(workshop=workshop, page_url=_page_url(request, workshop))
        for workshop in workshops.order_by("starts_at", "pk")[:FEED_MAX_EVENTS]
    ]
    content = calendar_build(
        name=name, uid=f"workshops-feed-{code or 'all'}@{uid_host()}", entries=entries, now=now
    )
    return _calendar_response(content)


@page_permission(PUBLIC)
@require_GET
def personal_feed(request, token):
    """The workshops the token's owner registered for, seat or waitlist (said in the title
    and the STATUS); an unknown or renewed token answers 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    now = timezone.now()
    registrations = (
        selectors.registrations_of_user(feed.user)
        .filter(workshop__starts_at__gte=now - PERSONAL_FEED_PAST)
        .order_by("workshop__starts_at", "pk")[:FEED_MAX_EVENTS]
    )
    entries = []
    for registration in registrations:
        workshop = registration.workshop
        waitlisted = registration.status == Registration.Status.WAITLISTED
        entries.append(
            Entry(
                workshop=workshop,
                page_url=_page_url(request, workshop),
                waitlisted=waitlisted,
                online_url_visible=not waitlisted,
            )
        )
    content = calendar_build(
        name=_("Mes ateliers Ti Lab"),
        uid=f"workshops-personal-{feed.pk}@{uid_host()}",
        entries=entries,
        now=now,
    )
    return _private(_calendar_response(content))
