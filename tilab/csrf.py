"""The page shown when a form comes back without a valid CSRF token (settings.CSRF_FAILURE_VIEW)."""

from django.shortcuts import render


def csrf_failure(request, reason=""):
    """Nothing was done; the person learns how to try again, in the site's language (Django's
    own page speaks English to developers). Django logs the reason (django.security.csrf)."""
    return render(request, "403_csrf.html", status=403)
