"""The webhooks page: a Région's or a relay's staff register the addresses of their programs,
see what was sent to them, rotate a secret, turn an address off or on, replay a message.

The same services as the API; a secret is shown once, in the answer that made it, never
cached. Another's endpoint or delivery answers 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fablabs.selectors import relays_staffed_by
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.permissions import page_permission

from . import selectors, services
from .forms import WebhookEndpointForm

# Deliveries shown on the page, newest first; the API has the whole log.
SHOWN = 30


def _form(request, data=None):
    return WebhookEndpointForm(
        data,
        relays=list(relays_staffed_by(request.user)),
        region=request.user.has_perm("webhooks.manage_region_endpoints"),
    )


def _act(request, now) -> None:
    """One of the buttons of a row: rotate, turn off or on, delete, replay."""
    user = request.user
    if "replay" in request.POST:
        delivery = get_object_or_404(
            selectors.deliveries_managed_by(user).select_related("endpoint"),
            pk=request.POST["replay"] if request.POST["replay"].isdigit() else 0,
        )
        services.webhook_delivery_replay(delivery=delivery, by=user, now=now)
        messages.success(request, _("Le message est renvoyé."))
        return
    for action in ("toggle", "delete"):
        if action in request.POST:
            value = request.POST[action]
            endpoint = get_object_or_404(
                selectors.endpoints_managed_by(user), pk=value if value.isdigit() else 0
            )
            if action == "delete":
                services.webhook_endpoint_delete(endpoint=endpoint, by=user)
                messages.success(request, _("L'adresse est supprimée."))
            else:
                services.webhook_endpoint_update(
                    endpoint=endpoint, by=user, now=now, is_active=not endpoint.is_active
                )
                if endpoint.is_active:
                    messages.success(request, _("L'adresse est réactivée."))
                else:
                    messages.success(request, _("L'adresse est désactivée."))
            return


@page_permission("webhooks.manage_endpoints")
@require_http_methods(["GET", "POST"])
def endpoints(request):
    user, now = request.user, timezone.now()
    form = _form(request)
    shown_secret = made = None
    if request.method == "POST":
        if "create" in request.POST:
            form = _form(request, request.POST)
            if form.is_valid():
                relay, given = form.relay()
                try:
                    made = services.webhook_endpoint_create(
                        url=form.cleaned_data["url"],
                        events=form.cleaned_data["events"],
                        description=form.cleaned_data["description"],
                        relay=relay,
                        relay_given=given,
                        by=user,
                        now=now,
                    )
                except (BadInput, NotAllowed) as refusal:
                    form.add_refusal(refusal)
                else:
                    shown_secret, form = made.secret, _form(request)
        elif "rotate" in request.POST:
            value = request.POST["rotate"]
            made = get_object_or_404(
                selectors.endpoints_managed_by(user), pk=value if value.isdigit() else 0
            )
            made = services.webhook_endpoint_rotate_secret(endpoint=made, by=user, now=now)
            shown_secret = made.secret
        else:
            try:
                _act(request, now)
            except WrongState as refusal:
                messages.error(request, refusal.message)
            return redirect("webhooks:endpoints")
    response = render(
        request,
        "webhooks/endpoints.html",
        {
            "form": form,
            "endpoints": selectors.endpoints_managed_by(user),
            "deliveries": selectors.deliveries_shown(user)[:SHOWN],
            "shown_secret": shown_secret,
            "made": made,
        },
    )
    # A secret is shown once: keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response
