"""Where the directory listens to makers: requests to join that a spreadsheet import asks for.

Connected once by `DirectoryConfig.ready`. The receiver runs inside the import's transaction
(Django calls receivers in `send()`), and an exception it raises rolls the import back: the
reports and the requests their lines ask for commit together or not at all (makers.signals).
"""

from makers import signals

from . import services


def memberships_requested(sender, *, pairs, by, now, source, **kwargs) -> None:
    services.membership_requests_open_for_import(pairs=pairs, by=by, now=now, source=source)


def connect() -> None:
    """Connect the receiver (idempotent: it has a `dispatch_uid`)."""
    signals.memberships_requested.connect(
        memberships_requested, dispatch_uid="directory.memberships_requested"
    )
