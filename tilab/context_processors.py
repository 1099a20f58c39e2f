"""What every page needs to know about the platform and the person looking at it: their roles,
the second-factor prompt, the run mode, when the session ends. The navigation, which names every
app's pages, is the composition root's (config/context_processors.py)."""

from django.conf import settings
from django.utils import timezone

from . import roles
from .permissions import must_activate_totp, roles_held
from .sessions import session_end


def platform(request):
    user = request.user
    return {
        "user_roles": [roles.ROLES[name] for name in roles_held(user)],
        "needs_totp": must_activate_totp.test(user),
        "demo_mode": settings.DEBUG,
        "mfa_required_for_money": settings.TILAB_MFA_REQUIRED_FOR_MONEY,
        "step_up_minutes": max(1, settings.TILAB_STEP_UP_MAX_AGE // 60),
        "session_warning_seconds": settings.TILAB_SESSION_WARNING_SECONDS,
        "session_warning_minutes": max(1, settings.TILAB_SESSION_WARNING_SECONDS // 60),
        "session_ends_at": (
            session_end(request.session, now=timezone.now()) if user.is_authenticated else None
        ),
    }
