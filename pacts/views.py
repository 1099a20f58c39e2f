"""Pages of cooperation pacts: the public register (search, filters, each pact's page, PDF,
report attachments, open data), and the work on pacts (drafting, parties and commitments,
proposing, signing by each representative after a recap, activating, reporting, ending,
renewing, amending). Anybody else's pact answers 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from tilab.errors import BadInput, NotAllowed, Refusal, WrongState
from tilab.permissions import PUBLIC, SIGNED_IN, page_permission

from . import documents, selectors, services
from .forms import (
    AmendmentTextForm,
    CommitmentForm,
    MotivationForm,
    PactCreateForm,
    PartyForm,
    RegisterFilterForm,
    ReportForm,
    SignForm,
)
from .models import Commitment

PER_PAGE = 20


# The public register ---------------------------------------------------------------------


@page_permission(PUBLIC)
@require_safe
def register(request):
    form = RegisterFilterForm(request.GET or None)
    chosen = form.chosen()
    pacts = selectors.register(
        q=chosen.get("q", ""),
        department=chosen["department"].pk if "department" in chosen else "",
        party_kind=chosen.get("party_kind", ""),
        theme=chosen.get("theme", ""),
    )
    page = Paginator(pacts, PER_PAGE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "filters": filters.urlencode(),
        "filtered": bool(chosen),
    }
    if request.htmx:
        return render(request, "pacts/_register_results.html", context)
    return render(request, "pacts/register.html", context)


def _public(pk):
    pact = selectors.pact_public(pk)
    if pact is None:
        raise Http404
    return pact


@page_permission(PUBLIC)
@require_safe
def detail(request, pk):
    pact = _public(pk)
    return render(
        request,
        "pacts/detail.html",
        {"pact": pact, "version": selectors.in_force(pact), "reports": pact.reports.all()},
    )


@page_permission(PUBLIC)
@require_safe
def pdf(request, pk):
    pact = _public(pk)
    url = request.build_absolute_uri(reverse("pacts:detail", args=[pact.pk]))
    try:
        content = documents.pact_pdf(pact, url=url)
    except WrongState as refusal:
        messages.error(request, refusal.message)
        return redirect("pacts:detail", pk=pact.pk)
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="pacte-tilab-{pact.pk}.pdf"'},
    )


@page_permission(PUBLIC)
@require_safe
def attachment(request, pk):
    found = selectors.attachment_public(pk)
    if found is None:
        raise Http404
    # The name travels in a header: no quote, no line break, nothing a header could not hold.
    name = "".join(c for c in found.name if c.isprintable() and c not in '"\\') or "piece"
    return HttpResponse(
        bytes(found.content),
        content_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@page_permission(PUBLIC)
@require_safe
def register_csv(request):
    return HttpResponse(
        documents.register_csv(selectors.register()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{documents.CSV_FILENAME}"'},
    )


@page_permission(PUBLIC)
@require_safe
def register_schema(request):
    return JsonResponse(
        documents.pact_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )


# Working on pacts --------------------------------------------------------------------------


@page_permission(SIGNED_IN)
@require_safe
def mine(request):
    return render(
        request,
        "pacts/mine.html",
        {
            "pacts": selectors.pacts_of(request.user),
            "may_create": request.user.has_perm("pacts.create"),
        },
    )


@page_permission("pacts.follow_up")
@require_safe
def follow_up(request):
    due = selectors.pacts_due(today=timezone.localdate())
    return render(request, "pacts/follow_up.html", due)


@page_permission("pacts.create")
@require_http_methods(["GET", "POST"])
def create(request):
    form = PactCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pact = services.pact_create(
                title=data["title"],
                purpose=data["purpose"],
                commons=data["commons"],
                licence=data["licence"],
                theme=data["theme"],
                department_id=data["department"].pk if data["department"] else None,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                review_dates=data["review_dates"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Pacte créé en brouillon : nommez maintenant ses parties."))
            return redirect("pacts:work", pk=pact.pk)
    return render(request, "pacts/create.html", {"form": form})


def _text_initial(version) -> dict:
    return {
        "title": version.title,
        "purpose": version.purpose,
        "commons": version.commons,
        "licence": version.licence,
        "starts_on": version.starts_on,
        "ends_on": version.ends_on,
        "review_dates": [r.review_on for r in version.reviews.all()],
        "amendment_reason": version.amendment_reason,
    }


WORK_ACTIONS = (
    "text", "party_add", "party_remove", "commitment_add", "commitment_remove", "propose",
    "activate", "end", "renew", "amend",
)  # fmt: skip


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def work(request, pk):
    """A pact's workspace: its text in force, the version being written or signed, and the
    steps its state allows. One form per step; the POST's `action` says which."""
    pact = selectors.pact_for(request.user, pk)
    if pact is None:
        raise Http404
    draft = selectors.open_version(pact)
    bound = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if bound else None
    forms = {
        "text": AmendmentTextForm(bound if action == "text" else None,
                                  initial=_text_initial(draft) if draft else None),
        "party": PartyForm(bound if action == "party_add" else None, prefix="party"),
        "commitment": CommitmentForm(bound if action == "commitment_add" else None,
                                     prefix="commitment", version=draft) if draft else None,
        "end": MotivationForm(bound if action == "end" else None, prefix="end"),
    }  # fmt: skip
    if bound:
        if action not in WORK_ACTIONS:
            return HttpResponse(status=400)
        done = _work_step(request, pact, draft, action, forms)
        if done is not None:
            return done
    pact = selectors.pact_for(request.user, pk)
    return render(
        request,
        "pacts/work.html",
        {
            "pact": pact,
            "in_force": selectors.in_force(pact),
            "draft": selectors.open_version(pact),
            "forms": forms,
            "may_steward": request.user.has_perm("pacts.steward", pact),
            "may_act": request.user.has_perm("pacts.act", pact),
            "my_parties": [
                party
                for party in (
                    selectors.open_version(pact).parties.all()
                    if selectors.open_version(pact)
                    else []
                )
                if party.representative_id == request.user.pk
            ],
        },  # fmt: skip
        status=400 if bound else 200,
    )


def _work_step(request, pact, draft, action, forms):
    """Do the step `action` asks; a redirect when it is done, None to show the page again."""
    now, by = timezone.now(), request.user
    form = {"text": "text", "party_add": "party", "commitment_add": "commitment", "end": "end"}
    form = forms.get(form.get(action, ""))
    if form is not None and not form.is_valid():
        return None
    data = form.cleaned_data if form is not None else {}
    try:
        if action in ("text", "party_add", "party_remove", "commitment_add",
                      "commitment_remove", "propose") and draft is None:  # fmt: skip
            raise services.errors.PACT_NOT_EDITABLE()
        if action == "text":
            services.pact_version_update(version=draft, by=by, now=now, **data)
        elif action == "party_add":
            if data["representative"] is None:
                raise services.errors.PARTY_REPRESENTATIVE_UNKNOWN()
            services.party_add(version=draft, by=by, now=now, **data)
        elif action == "party_remove":
            party = draft.parties.filter(pk=request.POST.get("party")).first()
            if party is None:
                raise Http404
            services.party_remove(party=party, by=by, now=now)
        elif action == "commitment_add":
            services.commitment_add(by=by, now=now, **data)
        elif action == "commitment_remove":
            commitment = Commitment.objects.filter(
                party__version=draft, pk=request.POST.get("commitment")
            ).first()
            if commitment is None:
                raise Http404
            services.commitment_remove(commitment=commitment, by=by, now=now)
        elif action == "propose":
            services.pact_propose(version=draft, by=by, now=now)
            messages.success(request, _("Texte proposé : chaque représentant·e peut le signer."))
        elif action == "activate":
            services.pact_activate(pact=pact, by=by, now=now)
        elif action == "end":
            services.pact_end(pact=pact, motivation=data["motivation"], by=by, now=now)
        elif action == "renew":
            renewal = services.pact_renew(pact=pact, by=by, now=now)
            messages.success(request, _("Renouvellement créé en brouillon, à partir de ce texte."))
            return redirect("pacts:work", pk=renewal.pk)
        elif action == "amend":
            services.pact_amend(pact=pact, by=by, now=now)
            messages.success(request, _("Avenant ouvert : une nouvelle version en brouillon."))
    except Refusal as refusal:
        if form is not None and isinstance(refusal, BadInput):
            form.add_refusal(refusal)
            return None
        messages.error(request, refusal.message)
        return redirect("pacts:work", pk=pact.pk)
    return redirect("pacts:work", pk=pact.pk)


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def sign(request, pk):
    """The recap of the text one signs, then the signature: only the representative of this
    party, logged in; anybody else's answers 404."""
    party = selectors.party_to_sign(request.user, pk)
    if party is None:
        raise Http404
    pact = selectors.pact_for(request.user, party.version.pact_id)
    version = next(v for v in pact.versions.all() if v.pk == party.version_id)
    form = SignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pact_sign(
                party=party,
                confirmed=form.cleaned_data["confirm"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect("pacts:work", pk=pact.pk)
        else:
            messages.success(request, _("Signature enregistrée au nom de %(party)s.")
                             % {"party": party.name})  # fmt: skip
            return redirect("pacts:work", pk=pact.pk)
    return render(
        request,
        "pacts/sign.html",
        {"pact": pact, "version": version, "party": party, "form": form,
         "signed": hasattr(party, "signature") and party.signature is not None},
    )  # fmt: skip


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def report(request, pk):
    pact = selectors.pact_for(request.user, pk)
    if pact is None:
        raise Http404
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pact_report_submit(
                pact=pact,
                summary=form.cleaned_data["summary"],
                figures=form.cleaned_data["figures"],
                attachments=form.cleaned_data["attachments"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except (WrongState, NotAllowed) as refusal:
            messages.error(request, refusal.message)
            return redirect("pacts:work", pk=pact.pk)
        else:
            messages.success(request, _("Rapport remis : il paraît au registre public."))
            return redirect("pacts:work", pk=pact.pk)
    return render(request, "pacts/report.html", {"pact": pact, "form": form})
