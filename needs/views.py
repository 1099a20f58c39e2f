"""Public and establishment pages of needs: the board, posting a need, a need's public page, and
the establishment's own pages opened by the signed links of its e-mails (confirm the need,
follow it, confirm a delivery).

The contact's name and e-mail address appear only on the establishment's own pages; producers'
e-mail addresses never appear here, and a maker's name only if the maker chose a public
profile.
"""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tilab.errors import BadInput, WrongState
from tilab.permissions import PUBLIC, page_permission
from tilab.throttling import throttle_page

from . import selectors, services
from .forms import (
    BoardFilterForm,
    DeliveryConfirmForm,
    EstablishmentMessageForm,
    LinksResendForm,
    NeedPostForm,
)
from .models import Need

BOARD_PER_PAGE = 20
log = logging.getLogger(__name__)


def _private(response: HttpResponse) -> HttpResponse:
    """A page whose address is a secret (a signed link): kept out of caches and search
    engines. No Referer ever holds its path (tilab.middleware.PrivateAnswersMiddleware)."""
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_invalid(request, refusal=None) -> HttpResponse:
    """A link that does not open: altered, or over (then the contact asks for new ones)."""
    context = {
        "expired": refusal is not None and refusal.code == "link_expired",
        "form": LinksResendForm(),
    }
    return _private(render(request, "needs/link_invalid.html", context, status=400))


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
# Per address, signed in or not: asking e-mails an address typed in.
@throttle_page("needs_establishment", per="address")
def need_links_resend(request):
    """A contact who lost a link asks for the links of their needs again, by e-mail. The page
    answers the same whatever the address (no stranger learns who posted needs)."""
    form = LinksResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.need_links_resend(email=form.cleaned_data["email"], now=timezone.now())
        return _private(
            render(request, "needs/links_resend.html", {"sent_to": form.cleaned_data["email"]})
        )
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "needs/links_resend.html", {"form": form}, status=status))


# The board -----------------------------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def board(request):
    """Open needs, soonest date first, narrowed by department and item."""
    form = BoardFilterForm(request.GET or None)
    chosen = form.chosen()
    needs = selectors.needs_open()
    if "department" in chosen:
        needs = needs.filter(department=chosen["department"])
    if "item" in chosen:
        needs = needs.filter(item_type=chosen["item"])
    page = Paginator(needs, BOARD_PER_PAGE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "filters": filters.urlencode(),
        "filtered": bool(chosen),
    }
    if request.htmx:
        return render(request, "needs/_board_results.html", context)
    return render(request, "needs/board.html", context)


# Posting a need ------------------------------------------------------------------------------


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
# The API's pace, counted together: per account (or address without one), and per address.
@throttle_page("needs_post", per="account")
@throttle_page("needs_post_address", per="address")
def need_post(request):
    """Anyone may post a need for an establishment; it is published once its contact confirms
    the address (at once for a signed-in person whose verified address it is)."""
    if request.method == "GET":
        return render(request, "needs/post.html", {"form": NeedPostForm()})
    form = NeedPostForm(request.POST)
    if not form.is_valid():
        return render(request, "needs/post.html", {"form": form}, status=400)
    data = form.cleaned_data
    now = timezone.now()
    try:
        need = services.need_submit(
            establishment_name=data["establishment_name"],
            care_type=data["care_type"],
            department_id=data["department"].code,
            commune=data["commune"],
            item_type=data["item_type"],
            quantity=data["quantity"],
            needed_by=data["needed_by"],
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            delivery_constraints=data["delivery_constraints"],
            by=request.user,
            now=now,
        )
    except (BadInput, WrongState) as refusal:
        form.add_refusal(refusal)
        status = 409 if isinstance(refusal, WrongState) else 400
        return render(request, "needs/post.html", {"form": form}, status=status)
    # Only what the person just typed is shown back: an establishment that already existed
    # shows nothing of its other needs or contacts.
    context = {"posted": need, "contact_email": data["contact_email"]}
    return _private(render(request, "needs/post.html", context))


# A need's public page ------------------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def need_detail(request, pk):
    """A published need with its pledges; unconfirmed, withdrawn or removed needs answer 404."""
    need = selectors.need_public(pk)
    if need is None:
        raise Http404
    pledges = selectors.pledges_named(selectors.need_pledges_public(need))
    return render(request, "needs/detail.html", {"need": need, "pledges": pledges})


# The establishment's signed links -------------------------------------------------------------


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
def need_confirm(request, token):
    """The contact publishes the need from the link of the e-mail: GET shows a button (mail
    scanners follow links, they must not publish), POST publishes. Twice changes nothing."""
    try:
        # Read-only check of the signature, so that a forged link is refused before the button.
        need = services.need_from_confirm_token(token, now=timezone.now())
    except (BadInput, WrongState) as refusal:
        return _link_invalid(request, refusal)
    if request.method == "GET":
        return _private(render(request, "needs/confirm.html", {"need": need}))
    was_unconfirmed = need.status == Need.Status.UNCONFIRMED
    try:
        need = services.need_confirm(token=token, now=timezone.now())
    except (BadInput, WrongState) as refusal:
        return _link_invalid(request, refusal)
    context = {
        "need": need,
        "confirmed": True,
        "already": not was_unconfirmed,
        "manage_url": reverse("needs:manage", args=[services.need_manage_token(need)]),
    }
    return _private(render(request, "needs/confirm.html", context))


def _manage_post(request, need, pledges) -> HttpResponse | None:
    """The establishment withdraws its need or writes to a producer; None when the message
    form has errors (the page shows them)."""
    now = timezone.now()
    if "withdraw" in request.POST:
        try:
            services.need_withdraw(need=need, now=now)
        except WrongState as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Votre besoin est retiré du tableau. Merci !"))
        return redirect(request.path)
    form = EstablishmentMessageForm(request.POST, pledges=pledges)
    if not form.is_valid():
        return None
    pledge = next(p for p in pledges if p.pk == form.cleaned_data["pledge"])
    try:
        services.need_message_send(
            pledge=pledge, body=form.cleaned_data["body"], from_establishment=True, now=now
        )
    except (BadInput, WrongState) as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Message envoyé à %(name)s. La réponse vous arrivera par e-mail.")
            % {"name": pledge.public_name},
        )
    return redirect(request.path)


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
def need_manage(request, token):
    """The establishment's page of its need: who pledged, messages, deliveries to confirm, and
    withdrawing the need. No producer's e-mail address is shown."""
    try:
        need = services.need_from_manage_token(token, now=timezone.now())
    except (BadInput, WrongState) as refusal:
        return _link_invalid(request, refusal)
    pledges = selectors.pledges_named(selectors.need_pledges(need))
    form = None
    if request.method == "POST":
        response = _manage_post(request, need, pledges)
        if response is not None:
            return response
        form = EstablishmentMessageForm(request.POST, pledges=pledges)
        form.is_valid()
    need = (
        selectors.with_progress(Need.objects.filter(pk=need.pk))
        .select_related("establishment", "item_type")
        .get()
    )
    for pledge in pledges:
        for delivery in pledge.deliveries.all():
            delivery.confirm_url = reverse(
                "needs:delivery_confirm", args=[services.delivery_confirm_token(delivery)]
            )
    context = {
        "need": need,
        "pledges": pledges,
        "form": form or EstablishmentMessageForm(pledges=pledges),
        "withdrawable": need.status in (Need.Status.UNCONFIRMED, Need.Status.OPEN),
    }
    status = 400 if form is not None else 200
    return _private(render(request, "needs/manage.html", context, status=status))


@page_permission(PUBLIC)
@require_http_methods(["GET", "POST"])
@throttle_page("needs_establishment")
def delivery_confirm(request, token):
    """The establishment says how much of a delivery it received. Confirming twice changes
    nothing and says what was recorded."""
    try:
        delivery = services.delivery_from_token(token, now=timezone.now())
    except (BadInput, WrongState) as refusal:
        return _link_invalid(request, refusal)
    already = delivery.confirmed_at is not None
    form = None
    if request.method == "POST" and already:
        messages.info(
            request,
            _("Cette livraison était déjà confirmée : rien n'a changé."),
        )
        return redirect(request.path)
    if request.method == "POST":
        form = DeliveryConfirmForm(request.POST, declared=delivery.quantity)
        if form.is_valid():
            try:
                services.delivery_confirm(
                    token=token,
                    confirmed_quantity=form.cleaned_data["received"],
                    now=timezone.now(),
                )
            except (BadInput, WrongState) as refusal:
                form.add_refusal(refusal)
            else:
                messages.success(request, _("Merci, la réception est enregistrée."))
                return redirect(request.path)
    pledge = delivery.pledge
    pledge = (
        type(pledge)
        .objects.select_related("maker", "organisation", "need__item_type")
        .get(pk=pledge.pk)
    )
    selectors.pledges_named([pledge])
    context = {
        "delivery": delivery,
        "pledge": pledge,
        "need": pledge.need,
        "form": form or DeliveryConfirmForm(declared=delivery.quantity),
        "already": already,
        "manage_url": reverse("needs:manage", args=[services.need_manage_token(pledge.need)]),
    }
    status = 400 if form is not None else 200
    return _private(render(request, "needs/delivery_confirm.html", context, status=status))
