"""When a person's credentials change (their password, set, changed or reset; a second factor
added, removed or renewed), every other session and every personal API token of theirs ends;
the session that made the change stays signed in. allauth tells us through its signals."""

from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import update_session_auth_hash
from django.utils import timezone

from . import throttling
from .services import account_sessions_end


def credentials_changed(sender, request, user, **kwargs):
    account_sessions_end(user=user, now=timezone.now())
    if request is not None and request.user.is_authenticated and request.user.pk == user.pk:
        request.user.sessions_ended_at = user.sessions_ended_at
        update_session_auth_hash(request, user)


def login_lock_lifted(sender, request, user, **kwargs):
    """A password reset proves the owner: the wrong passwords counted against the account
    (tilab.throttling) no longer lock it."""
    throttling.login_failures_forget(user.email)


def address_proved(sender, request, user, **kwargs):
    """A reset link opens only from the mailbox it was sent to: for an account with a single
    address (an invited member of staff, say), using it proves that address, and sign-in no
    longer waits for a confirmation e-mail."""
    addresses = EmailAddress.objects.filter(user=user)
    if addresses.count() == 1:
        addresses.update(verified=True)


def connect() -> None:
    account_signals.password_reset.connect(login_lock_lifted, dispatch_uid="tilab.login_lock")
    account_signals.password_reset.connect(address_proved, dispatch_uid="tilab.address_proved")
    for signal in (
        account_signals.password_changed,
        account_signals.password_set,
        account_signals.password_reset,
        mfa_signals.authenticator_added,
        mfa_signals.authenticator_removed,
        mfa_signals.authenticator_reset,
    ):
        signal.connect(credentials_changed, dispatch_uid=f"tilab.credentials_changed.{id(signal)}")
