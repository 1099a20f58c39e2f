"""The home page: it assembles the apps (figures, workshops, the relays' map), so it lives in the
composition root; the core's own pages are tilab/views.py."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from fablabs.selectors import departments_with_relay
from figures.selectors import TOTALS_VERSION
from figures.views import figures_at_a_glance
from tilab.permissions import PUBLIC, page_permission
from tilab.public_cache import cached_for_everyone
from workshops.views import next_workshops

from .context_processors import site_map_for


@page_permission(PUBLIC)
# For anonymous readers, from the cache until the totals change; the next workshops show up
# to a minute late.
@cached_for_everyone(version=TOTALS_VERSION, prefix="home", timeout=60)
@require_safe
def home(request):
    """What the network is, each role's way in, and the regional figures at a glance."""
    return render(
        request,
        "tilab/home.html",
        {
            "departments": departments_with_relay(),
            "next_workshops": next_workshops(timezone.now()),
            **figures_at_a_glance(),
        },
    )


@page_permission(PUBLIC)
@require_safe
def site_map(request):
    """Every page the person may open, by section: a second way to find a page (RGAA 12.1)."""
    return render(request, "tilab/site_map.html", {"sections": site_map_for(request.user)})
