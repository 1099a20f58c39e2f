"""A system check (`manage.py check`, run by `runserver` and `migrate`): say at start-up, not at
the first download, that this server cannot write PDF attestations, and what to install."""

from django.core.checks import Warning, register

from .attestations import pdf_renderer_problem


@register()
def pdf_renderer_available(app_configs, **kwargs):
    problem = pdf_renderer_problem()
    if problem is None:
        return []
    return [
        Warning(
            f"PDF attestations cannot be written on this server: {problem}",
            hint=(
                "WeasyPrint needs Pango. Debian or Ubuntu: apt install libpango-1.0-0 "
                "libpangoft2-1.0-0; macOS: brew install pango. See README, prerequisites."
            ),
            id="recognition.W001",
        )
    ]
