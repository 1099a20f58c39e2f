"""When a person's credentials change (their password, set, changed or reset; a second factor
added, removed or renewed), every other session and every personal API token of theirs ends;
the session that made the change stays signed in; and they are told, as of a change of their
e-mail address or a sign-in from a new device (tilab.security_notices). allauth tells us
through its signals."""

from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import update_session_auth_hash
from django.utils import timezone

from . import devices, security_notices, throttling
from .services import account_sessions_end

# Which notice each signal gives (tilab.security_notices.CHANGES).
_CHANGE_OF_SIGNAL = {
    id(account_signals.password_changed): "password_changed",
    id(account_signals.password_set): "password_set",
    id(account_signals.password_reset): "password_reset",
    id(mfa_signals.authenticator_added): "mfa_added",
    id(mfa_signals.authenticator_removed): "mfa_removed",
    id(mfa_signals.authenticator_reset): "mfa_reset",
}


def credentials_changed(sender, request, user, signal=None, **kwargs):
    now = timezone.now()
    account_sessions_end(user=user, now=now)
    security_notices.credentials_change_notify(
        user=user, change=_CHANGE_OF_SIGNAL[id(signal)], now=now
    )
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


def email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    security_notices.email_change_notify(
        user=user,
        old=from_email_address.email if from_email_address else "",
        new=to_email_address.email,
        now=timezone.now(),
    )


def logged_in(sender, request, user, **kwargs):
    if request is None:
        security_notices.login_device_check(user=user, user_agent="", now=timezone.now())
        return
    checked = security_notices.login_device_check(
        user=user,
        user_agent=request.headers.get("User-Agent", ""),
        cookie=devices.device_cookie_of(request),
        now=timezone.now(),
    )
    # Set on the answer by tilab.middleware.DeviceCookieMiddleware (the signal has no answer).
    setattr(request, devices.REQUEST_ATTRIBUTE, checked.cookie)


def connect() -> None:
    account_signals.email_changed.connect(email_changed, dispatch_uid="tilab.email_changed")
    account_signals.user_logged_in.connect(logged_in, dispatch_uid="tilab.login_device")
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
