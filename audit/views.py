"""Pages of the auditor's view: the money ledger (with the check of its chain, run on demand)
and the decision log, read-only, for auditors and Région staff."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from subsidies.ledger import ledger_verify
from tilab.permissions import page_permission

from . import selectors as audit

PER_PAGE = 50


def _before(request) -> int | None:
    """The cursor of a page: the rows before this number (seq or id), newest first."""
    value = request.GET.get("avant", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _page(queryset, field: str, before: int | None):
    """One page by keyset: constant cost on any page, however long the table grows."""
    if before is not None:
        queryset = queryset.filter(**{f"{field}__lt": before})
    rows = list(queryset.order_by(f"-{field}")[: PER_PAGE + 1])
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    return rows, (getattr(rows[-1], field) if more else None)


def _query_without(request, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@page_permission("subsidies.audit")
@require_safe
def ledger(request):
    filterset = audit.LedgerFilter(request.GET, queryset=audit.ledger_entries())
    entries = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    rows, next_before = _page(entries, "seq", _before(request))
    return render(
        request,
        "audit/ledger.html",
        {
            "entries": rows,
            "next_before": next_before,
            "filter_form": filterset.form,
            "query": _query_without(request, "avant"),
        },
    )


@page_permission("subsidies.audit")
@require_safe
def ledger_check(request):
    """The chain and every balance checked now (`ledger_verify`): what `manage.py
    ledger_verify` says, for whoever reads the ledger."""
    return render(request, "audit/ledger_check.html", {"check": ledger_verify()})


@page_permission("subsidies.audit")
@require_safe
def decisions(request):
    filterset = audit.DecisionFilter(request.GET, queryset=audit.decisions())
    found = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    rows, next_before = _page(found, "pk", _before(request))
    return render(
        request,
        "audit/decisions.html",
        {
            "decisions": rows,
            "next_before": next_before,
            "filter_form": filterset.form,
            "query": _query_without(request, "avant"),
        },
    )
