"""What the territory data holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): the relay teams they belong to. Organisations are not a person's data:
their members are declared by `makers.personal_data`."""

from tilab.personal_data import register

from .models import Relay


def _leave_the_teams(rows, person, now) -> None:
    Relay.staff.through.objects.filter(relay__in=rows, user=person.user).delete()


register(
    Relay,
    section="relay_teams",
    within="account",
    owner="staff",
    select_related=("organisation",),
    export=lambda relay: {"relay": relay.organisation.name},
    erase=_leave_the_teams,
    why="The person leaves the relay teams; the relays stay.",
)
