"""Workshop pages: the public agenda and the facilitators' management page."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render


def agenda(request):
    return render(request, "workshops/agenda.html")


@login_required
@permission_required("workshops.manage_workshops", raise_exception=True)
def manage(request):
    return render(request, "workshops/manage.html")
