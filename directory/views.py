"""Pages of the directory: the public list with its search and filters, a page per
organisation and per opted-in maker, joining an organisation, its managers' pages (requests,
description) and the facilitators' curation. The map lives in `directory.map`.

The public never sees a maker who did not opt in, nor anybody's e-mail address.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fablabs.models import Organisation
from makers.selectors import maker_of
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.i18n import elide
from tilab.permissions import PUBLIC, SIGNED_IN, page_permission

from . import selectors, services
from .forms import (
    DirectoryFilterForm,
    KindCorrectForm,
    MembershipRequestForm,
    MergeForm,
    OrganisationEditForm,
    capability_name,
)
from .map import directory_map  # noqa: F401  (the map, written apart)
from .models import MembershipRequest

ORGANISATIONS_PER_PAGE = 20
MAKERS_PER_PAGE = 20


def _decorate(organisations):
    """Labels in the page's language for the cards."""
    for organisation in organisations:
        organisation.capability_names = [
            capability_name(c) for c in organisation.capabilities.all()
        ]
    return organisations


# --- The public directory -------------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def directory(request):
    """Organisations and opted-in makers, searched by name, commune or description and
    narrowed by department, kind and capability. A kind concerns organisations only: makers
    are then not listed."""
    form = DirectoryFilterForm(request.GET or None)
    chosen = form.chosen()
    department = chosen.get("department")
    capability = chosen.get("capability")
    search = chosen.get("q", "")
    organisations = selectors.organisations_listed(
        department=department.code if department else None,
        kind=chosen.get("kind"),
        capability=capability.slug if capability else None,
        search=search,
    )
    org_page = Paginator(organisations, ORGANISATIONS_PER_PAGE).get_page(request.GET.get("page"))
    _decorate(org_page)
    maker_page = None
    if not chosen.get("kind"):
        makers = selectors.makers_public(
            department=department.code if department else None,
            capability=capability,
            search=search,
        )
        maker_page = Paginator(makers, MAKERS_PER_PAGE).get_page(request.GET.get("makers_page"))
    # Each list's pages keep the filters and the other list's page.
    org_filters, maker_filters = request.GET.copy(), request.GET.copy()
    org_filters.pop("page", None)
    maker_filters.pop("makers_page", None)
    context = {
        "filter_form": form,
        "org_page": org_page,
        "maker_page": maker_page,
        "org_filters": org_filters.urlencode(),
        "maker_filters": maker_filters.urlencode(),
        "filtered": bool(chosen),
    }
    if request.htmx:
        return render(request, "directory/_results.html", context)
    return render(request, "directory/list.html", context)


# --- An organisation's page -----------------------------------------------------------------


def _organisation_for(request, slug: str) -> Organisation:
    """The organisation the visitor may see; anything else answers 404."""
    organisation = selectors.organisation_by_slug(slug)
    if organisation is None or not selectors.organisation_visible(request.user, organisation):
        raise Http404
    return organisation


def _managed(request, slug: str) -> Organisation:
    """An organisation the user manages (or curates); 404 for anybody else."""
    organisation = selectors.organisation_by_slug(slug)
    if organisation is None or organisation.merged_into_id:
        raise Http404
    if not selectors.may_manage(request.user, organisation):
        raise Http404
    return organisation


@page_permission(PUBLIC)
@require_GET
def organisation_detail(request, slug):
    organisation = selectors.organisation_by_slug(slug)
    if organisation is not None and organisation.merged_into_id:
        # A merged duplicate's address leads to the organisation that replaced it.
        return redirect("directory:organisation", slug=organisation.merged_into.slug)
    organisation = _organisation_for(request, slug)
    user = request.user
    is_manager = selectors.manages(user, organisation)
    curates = selectors.may_curate(user)
    sees_all = is_manager or curates
    members = selectors.members_visible_to(user, organisation, sees_all=sees_all)
    maker = maker_of(user)
    context = {
        "organisation": organisation,
        "capability_names": _decorate([organisation])[0].capability_names,
        "members": members,
        "sees_all_members": sees_all,
        "maker": maker,
        "is_member": maker is not None and any(m.maker_id == maker.pk for m in members),
        "latest_request": selectors.request_latest(maker, organisation),
        "join_form": MembershipRequestForm(),
        "is_manager": is_manager,
        "curates": curates,
        "merges": selectors.may_merge(user),
        "pending_count": selectors.requests_pending(organisation).count() if sees_all else 0,
    }
    return render(request, "directory/organisation.html", context)


@page_permission(SIGNED_IN)
@require_POST
def membership_request(request, slug):
    """A maker asks to join (or withdraws a pending request, with `withdraw`)."""
    organisation = _organisation_for(request, slug)
    target = reverse("directory:organisation", kwargs={"slug": organisation.slug})
    maker = maker_of(request.user)
    if maker is None:
        messages.error(
            request,
            _("Complétez d'abord votre profil de maker, puis demandez à rejoindre l'organisation."),
        )
        return redirect("makers:profile")
    now = timezone.now()
    if "withdraw" in request.POST:
        pending = selectors.request_latest(maker, organisation)
        if pending is None or pending.status != MembershipRequest.Status.PENDING:
            messages.error(request, _("Vous n'avez pas de demande en attente ici."))
            return redirect(target)
        try:
            services.membership_request_withdraw(request=pending, by=request.user, now=now)
        except WrongState as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Votre demande est retirée."))
        return redirect(target)
    form = MembershipRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Votre message est trop long (1 000 caractères au plus)."))
        return redirect(target)
    try:
        services.membership_request_create(
            maker=maker, organisation=organisation, message=form.cleaned_data["message"], now=now
        )
    except WrongState as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            elide(
                _("Votre demande est envoyée aux responsables de %(name)s.")
                % {"name": organisation},
                organisation,
            ),
        )
    return redirect(target)


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def membership_requests(request, slug):
    """The requests waiting for the organisation's managers; accept or refuse each."""
    organisation = _managed(request, slug)
    if request.method == "POST":
        pending = get_object_or_404(
            selectors.requests_pending(organisation), pk=request.POST.get("request")
        )
        accept = request.POST.get("decision") == "accept"
        try:
            services.membership_request_decide(
                request=pending, by=request.user, accept=accept, now=timezone.now()
            )
        except WrongState as refusal:
            messages.error(request, refusal.message)
        else:
            name = pending.maker.display_name
            messages.success(
                request,
                elide(
                    (
                        _("%(name)s est maintenant membre.")
                        if accept
                        else _("La demande de %(name)s est refusée.")
                    )
                    % {"name": name},
                    name,
                ),
            )
        return redirect("directory:requests", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "requests": list(selectors.requests_pending(organisation)),
    }
    return render(request, "directory/requests.html", context)


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug):
    organisation = _managed(request, slug)
    form = OrganisationEditForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.organisation_update(
                organisation=organisation,
                by=request.user,
                now=timezone.now(),
                capabilities=list(data["capabilities"]),
                **{name: data[name] for name in services.EDITABLE},
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except ValidationError as error:  # the model's own checks (lengths, address formats)
            form.add_error(None, error)
        else:
            messages.success(request, _("La fiche de l'organisation est à jour."))
            return redirect("directory:organisation", slug=organisation.slug)
    return render(request, "directory/edit.html", {"organisation": organisation, "form": form})


@page_permission("directory.merge", not_found=True, methods=["GET", "POST"])
def organisation_curate(request, slug):
    """Facilitators correct the kind of an organisation or merge it into another one; Région
    staff merge (the merges that move validated reports to another territory are theirs
    alone). The page does not exist for anybody else (404)."""
    organisation = selectors.organisation_by_slug(slug)
    if organisation is None or organisation.merged_into_id:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    kind_form = KindCorrectForm(
        request.POST if action == "kind" else None, organisation=organisation, prefix="kind"
    )
    merge_form = MergeForm(
        request.POST if action == "merge" else None,
        targets=selectors.merge_targets(organisation),
        prefix="merge",
    )
    now = timezone.now()
    if action == "kind" and kind_form.is_valid():
        data = kind_form.cleaned_data
        try:
            services.organisation_kind_correct(
                organisation=organisation,
                by=request.user,
                kind=data["kind"],
                siret=data["siret"],
                motivation=data["motivation"],
                now=now,
            )
        except (BadInput, WrongState) as refusal:
            kind_form.add_refusal(refusal)
        else:
            messages.success(request, _("Le type de l'organisation est corrigé."))
            return redirect("directory:organisation", slug=organisation.slug)
    if action == "merge" and merge_form.is_valid():
        into = merge_form.cleaned_data["into"]
        try:
            services.organisations_merge(
                duplicate=organisation,
                into=into,
                by=request.user,
                motivation=merge_form.cleaned_data["motivation"],
                now=now,
            )
        except (BadInput, WrongState, NotAllowed) as refusal:
            # A merge across territories says who decides it instead (the Région).
            merge_form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _("%(duplicate)s est fusionnée dans %(into)s.")
                % {"duplicate": organisation.name, "into": into.name},
            )
            return redirect("directory:organisation", slug=into.slug)
    context = {
        "organisation": organisation,
        "kind_form": kind_form,
        "merge_form": merge_form,
        "may_curate": selectors.may_curate(request.user),
        "may_merge_across": request.user.has_perm("directory.merge_across_territories"),
    }
    status = 400 if merge_form.is_bound and merge_form.errors else 200
    return render(request, "directory/curate.html", context, status=status)


# --- A maker's public profile ---------------------------------------------------------------


@page_permission(PUBLIC)
@require_GET
def maker_profile(request, pk):
    maker = selectors.maker_profile_visible_to(request.user, pk)
    if maker is None:
        raise Http404
    return render(
        request,
        "directory/maker.html",
        {
            "profile": maker,
            "is_self": request.user.is_authenticated and maker.user_id == request.user.pk,
        },
    )
