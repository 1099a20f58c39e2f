"""Makers' and organisations' pages (pledging, one's pledges, recording a delivery, writing to
the establishment) and the network's follow-up (over-pledged, unanswered and unconfirmed needs,
moderation).

One's pledges only: anybody else's pledge answers 404. The follow-up is for facilitators (every
department) and relay staff (theirs); anybody else gets 403.
"""

import rules
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fablabs.selectors import departments_covered_by
from makers import selectors as makers_selectors
from tilab.errors import BadInput, Refusal, WrongState
from tilab.i18n import elide
from tilab.permissions import page_permission

from . import selectors, services
from .maker_forms import (
    MYSELF,
    ORGANISATION_PREFIX,
    CheckForm,
    ContactChangeForm,
    DeliveryForm,
    MessageForm,
    PledgeForm,
    RemovalForm,
)
from .models import Pledge


def _pledge_url(pledge: Pledge) -> str:
    return reverse("needs:my_pledges") + f"#promesse-{pledge.pk}"


# Pledging ------------------------------------------------------------------------------------


@page_permission("needs.pledge")
@require_http_methods(["GET", "POST"])
def pledge_create(request, pk):
    """Promise part of a published need, as oneself or for one's organisation, seeing what one
    declared and already delivered of that item (one cannot deliver more than that)."""
    need = selectors.need_public(pk)
    if need is None:
        raise Http404
    maker = makers_selectors.maker_of(request.user)
    organisations = list(makers_selectors.organisations_of(maker))
    form = PledgeForm(request.POST or None, maker=maker, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = services.pledge_create(
                need=need,
                quantity=form.cleaned_data["quantity"],
                message=form.cleaned_data["message"],
                by=request.user,
                now=timezone.now(),
                **form.producer_kwargs(),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _(
                    "Promesse enregistrée : %(establishment)s est prévenu. Enregistrez vos "
                    "livraisons ici quand vous les faites."
                )
                % {"establishment": need.establishment.name},
            )
            return redirect(_pledge_url(pledge))
    producers = [
        (
            label,
            (maker.pk, None, need.item_type_id)
            if value == MYSELF
            else (None, int(value.removeprefix(ORGANISATION_PREFIX)), need.item_type_id),
        )
        for value, label in form.fields["producer"].choices
    ]
    known = selectors.producer_outputs(key for _label, key in producers)
    outputs = [
        {
            "label": label,
            "produced": known[key].produced,
            "delivered": known[key].delivered,
            "left": known[key].left,
        }
        for label, key in producers
    ]
    status = 400 if request.method == "POST" else 200
    context = {"need": need, "form": form, "outputs": outputs, "is_open": need.status == "open"}
    return render(request, "needs/pledge.html", context, status=status)


# One's pledges ---------------------------------------------------------------------------------


def _my_pledges_page(request, *, bound: Pledge | None = None, status: int = 200, **forms):
    """The page of one's pledges; `bound` is the pledge whose `forms` came back with errors."""
    pledges = list(selectors.pledges_listed_for(request.user))
    outputs = selectors.outputs_of(pledges)
    for pledge in pledges:
        prefix = f"p{pledge.pk}"
        mine = bound is not None and pledge.pk == bound.pk
        pledge.delivery_form = (
            forms.get("delivery_form")
            if mine and "delivery_form" in forms
            else DeliveryForm(prefix=prefix, initial={"delivered_on": timezone.localdate()})
        )
        pledge.message_form = (
            forms.get("message_form")
            if mine and "message_form" in forms
            else MessageForm(prefix=prefix)
        )
        pledge.output = outputs[(pledge.maker_id, pledge.organisation_id, pledge.need.item_type_id)]
        pledge.delivered_here = sum(d.quantity for d in pledge.deliveries.all())
        pledge.confirmed_here = sum(d.confirmed_quantity or 0 for d in pledge.deliveries.all())
    active = [p for p in pledges if p.status == Pledge.Status.ACTIVE]
    withdrawn = [p for p in pledges if p.status != Pledge.Status.ACTIVE]
    context = {
        "active": active,
        "withdrawn": withdrawn,
        "bound": bound,
        # For the page's error summary (tilab_forms): these forms hang on a pledge.
        "refused_forms": [form for form in forms.values() if form is not None],
    }
    return render(request, "needs/my_pledges.html", context, status=status)


@page_permission("needs.pledge")
@require_GET
def my_pledges(request):
    """One's pledges (as oneself and for one's organisations), their deliveries and messages."""
    return _my_pledges_page(request)


def _own_pledge(request, pk) -> Pledge:
    return get_object_or_404(
        selectors.pledges_of_user(request.user).select_related(
            "need__establishment", "maker", "organisation"
        ),
        pk=pk,
    )


@page_permission("needs.pledge")
@require_POST
def pledge_withdraw(request, pk):
    pledge = _own_pledge(request, pk)
    try:
        services.pledge_withdraw(pledge=pledge, by=request.user, now=timezone.now())
    except WrongState as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Promesse retirée : %(establishment)s ne compte plus dessus.")
            % {"establishment": pledge.need.establishment.name},
        )
    return redirect(_pledge_url(pledge))


@page_permission("needs.pledge")
@require_POST
def delivery_record(request, pk):
    """Record a delivery; the establishment is asked by e-mail to confirm what it received."""
    pledge = _own_pledge(request, pk)
    form = DeliveryForm(request.POST, prefix=f"p{pledge.pk}")
    if form.is_valid():
        try:
            delivery = services.delivery_record(
                pledge=pledge,
                quantity=form.cleaned_data["quantity"],
                delivered_on=form.cleaned_data["delivered_on"],
                by=request.user,
                now=timezone.now(),
            )
        except (BadInput, WrongState) as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _(
                    "Livraison enregistrée : %(establishment)s va recevoir un lien pour "
                    "confirmer ce qu'il a reçu."
                )
                % {"establishment": pledge.need.establishment.name},
            )
            for beyond in delivery.beyond:
                messages.warning(request, beyond.message)
            return redirect(_pledge_url(pledge))
    return _my_pledges_page(request, bound=pledge, status=400, delivery_form=form)


@page_permission("needs.pledge")
@require_POST
def message_send(request, pk):
    """Write to the establishment through the platform: neither address is shown."""
    pledge = _own_pledge(request, pk)
    form = MessageForm(request.POST, prefix=f"p{pledge.pk}")
    if form.is_valid():
        try:
            services.need_message_send(
                pledge=pledge,
                body=form.cleaned_data["body"],
                from_establishment=False,
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Message envoyé à l'établissement."))
            return redirect(_pledge_url(pledge))
    return _my_pledges_page(request, bound=pledge, status=400, message_form=form)


# The network's follow-up -----------------------------------------------------------------------


@page_permission("needs.view_follow_up")
@require_GET
def follow_up(request):
    """Needs to act on: over-pledged, unanswered, never confirmed. No contact address here:
    the establishment and its contact's name are enough to decide; e-mails go through the
    platform."""
    lists = selectors.follow_up_lists(request.user, now=timezone.now())
    context = {
        **lists,
        "shown": selectors.FOLLOW_UP_SHOWN,
        "departments": departments_covered_by(request.user),
        "everywhere": rules.has_perm("needs.follow_up_everywhere", request.user),
    }
    return render(request, "needs/follow_up.html", context)


@page_permission("needs.view_follow_up")
@require_POST
def need_remove(request, pk):
    """Moderation: take a need down with a reason. A need outside one's departments answers
    404; one that one may see but not moderate, 403 (the service decides)."""
    need = get_object_or_404(
        selectors.follow_up_needs_of(request.user).select_related("establishment"), pk=pk
    )
    form = RemovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
    else:
        try:
            services.need_remove(
                need=need, reason=form.cleaned_data["reason"], by=request.user, now=timezone.now()
            )
        except (BadInput, WrongState) as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                elide(
                    _("Besoin de %(establishment)s retiré : il n'apparaît plus sur le tableau.")
                    % {"establishment": need.establishment.name},
                    need.establishment.name,
                ),
            )
    return redirect("needs:follow_up")


@page_permission("needs.view_follow_up")
@require_POST
def need_contact_change(request, pk):
    """Correct a need's contact address: links sent to the old one stop opening and the new one
    is e-mailed its own. A need outside one's departments answers 404; one that one may see but
    not check, 403 (the service decides)."""
    need = get_object_or_404(
        selectors.follow_up_needs_of(request.user).select_related("establishment"), pk=pk
    )
    form = ContactChangeForm(request.POST)
    form.is_valid()
    try:
        services.need_contact_change(
            need=need,
            email=form.cleaned_data.get("email", ""),
            by=request.user,
            now=timezone.now(),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            elide(
                _(
                    "Contact du besoin de %(establishment)s changé : la nouvelle adresse reçoit "
                    "ses liens, ceux de l'ancienne ne s'ouvrent plus."
                )
                % {"establishment": need.establishment.name},
                need.establishment.name,
            ),
        )
    return redirect("needs:follow_up")


@page_permission("needs.view_follow_up")
@require_POST
def need_check(request, pk):
    """Say that a need's establishment and contact are real (a call, a known address): its
    deliveries then corroborate production. A need outside one's departments answers 404; one
    that one may see but not check, 403 (the service decides)."""
    need = get_object_or_404(
        selectors.follow_up_needs_of(request.user).select_related("establishment"), pk=pk
    )
    form = CheckForm(request.POST)
    form.is_valid()
    try:
        services.need_check(
            need=need, note=form.cleaned_data.get("note", ""), by=request.user, now=timezone.now()
        )
    except Refusal as refusal:  # the refusal says who checks it instead
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            elide(
                _("Besoin de %(establishment)s vérifié : ses livraisons confirmées corroborent.")
                % {"establishment": need.establishment.name},
                need.establishment.name,
            ),
        )
    return redirect("needs:follow_up")
