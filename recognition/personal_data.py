"""What recognition holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): the attestations issued to them or about their maker profile."""

from tilab.personal_data import delete, register

from . import attestations, selectors
from .models import Attestation

register(
    Attestation,
    section="attestations",
    owner=lambda person: selectors.held_by(person.user),
    order_by=("issued_at", "pk"),
    export=lambda a: {
        "code": attestations.code_display(a.code),
        "issued_at": a.issued_at,
        "holder_name": a.holder_name,
        "content": a.content,
    },
    erase=delete,
    why=(
        "Deleted: the public check then says no attestation carries the code, instead of "
        "showing a name that is gone."
    ),
)
