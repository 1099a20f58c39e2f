"""Pages for makers (their space), relay staff (the validation queue) and the dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import MakerProfileForm


@login_required
@permission_required("makers.access_maker_space", raise_exception=True)
@require_http_methods(["GET", "POST"])
def maker_space(request):
    maker = selectors.maker_of(request.user)
    form = MakerProfileForm(request.POST or None, instance=maker)
    if request.method == "POST" and form.is_valid():
        services.maker_profile_save(user=request.user, **form.cleaned_data)
        messages.success(request, _("Votre profil est enregistré."))
        return redirect("makers:space")
    return render(request, "makers/space.html", {"maker": maker, "form": form})


@login_required
@permission_required("makers.access_validation_queue", raise_exception=True)
def validation_queue(request):
    return render(
        request,
        "makers/validation_queue.html",
        {
            "departments": selectors.departments_decided_by(request.user),
            "relays": selectors.relays_staffed_by(request.user),
        },
    )


@login_required
@permission_required("makers.view_dashboard", raise_exception=True)
def dashboard(request):
    return render(
        request,
        "makers/dashboard.html",
        {
            "departments": selectors.departments_overview(),
            "item_types": selectors.item_types_active(),
        },
    )
