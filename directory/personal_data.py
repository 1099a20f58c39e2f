"""What the directory holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): requests to join an organisation."""

from tilab.personal_data import delete, register

from .models import MembershipRequest

register(
    MembershipRequest,
    section="membership_requests",
    owner="maker__user",
    decisions=True,
    select_related=("organisation",),
    order_by=("requested_at", "pk"),
    export=lambda r: {
        "organisation": r.organisation.name,
        "message": r.message,
        "status": r.status,
        "requested_at": r.requested_at,
        "decided_at": r.decided_at,
    },
    erase=delete,
    why="Deleted, as the memberships: the person's words to an organisation, and a tie to it.",
)
