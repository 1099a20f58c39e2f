"""What the pacts app holds about a person (the registry is `tilab.personal_data`): the pacts
they drafted, the parties they sign for, their signatures and the reports they submitted."""

from tilab.personal_data import keep, register

from .models import Pact, PactReport, Party, Signature

register(
    Pact,
    section="pacts_drafted",
    owner="created_by",
    decisions=True,
    order_by=("created_at", "pk"),
    export=lambda pact: {"id": pact.pk, "status": pact.status, "created_at": pact.created_at},
    erase=lambda rows, person, now: rows.update(created_by=None),
    why="Kept, a public act between bodies; only the link to the account who drafted it goes.",
)

register(
    Party,
    section="pact_parties",
    owner="representative",
    order_by=("pk",),
    export=lambda party: {
        "pact": party.version.pact_id,
        "version": party.version.number,
        "party": party.name,
        "kind": party.kind,
    },  # fmt: skip
    erase=keep,
    why=(
        "Kept: the representative signs on behalf of a body or an organisation; the account "
        "itself is anonymised by the account's erasure, the party's name stays."
    ),
)

register(
    Signature,
    section="pact_signatures",
    owner="signed_by",
    order_by=("signed_at", "pk"),
    export=lambda signature: {"party": signature.party.name, "signed_at": signature.signed_at},
    erase=keep,
    why="Kept: a signature commits a party and is a recorded decision; it cannot be undone.",
)

register(
    PactReport,
    section="pact_reports",
    owner="submitted_by",
    order_by=("submitted_at", "pk"),
    export=lambda report: {
        "pact": report.pact_id,
        "summary": report.summary,
        "submitted_at": report.submitted_at,
    },  # fmt: skip
    erase=lambda rows, person, now: rows.update(submitted_by=None),
    why="Kept, published in the register; only the link to the account who submitted it goes.",
)
