"""What the makers app holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): the maker profile, memberships, production reports."""

from tilab.personal_data import anonymise, delete, keep, register

from .models import Maker, Membership, ProductionReport

register(
    Maker,
    section="maker",
    many=False,
    owner="user",
    decisions=True,
    select_related=("department",),
    export=lambda maker: {
        "id": maker.pk,
        "display_name": maker.display_name,
        "department": str(maker.department),
        "commune": maker.commune,
        "contact_email": maker.contact_email,
        "contact_phone": maker.contact_phone,
        "skills": maker.skills,
        "equipment": maker.equipment,
        "is_public": maker.is_public,
        "created_at": maker.created_at,
    },
    erase=anonymise(
        display_name=lambda maker: f"Maker anonyme n° {maker.pk}",
        commune="",
        contact_email="",
        contact_phone="",
        skills="",
        equipment="",
        is_public=False,
        user=None,
    ),
    why=(
        "Anonymised, not deleted: validated reports keep counting in the figures and the "
        "subsidy lines keep their payee. The name becomes « Maker anonyme n° <id> », the "
        "commune, contact details, skills and equipment are cleared, the profile leaves the "
        "public directory "
        "and its account."
    ),
)

register(
    Membership,
    section="memberships",
    owner="maker__user",
    select_related=("organisation",),
    export=lambda m: {
        "organisation": m.organisation.name,
        "is_manager": m.is_manager,
        "joined_on": m.joined_on,
    },
    erase=delete,
    why="Deleted: they would tie the anonymous maker to organisations and cooperation links.",
)

register(
    ProductionReport,
    section="production_reports",
    owner="maker__user",
    decisions=True,
    select_related=("item_type", "organisation", "department"),
    order_by=("produced_on", "pk"),
    export=lambda r: {
        "id": r.pk,
        "item": r.item_type.name_fr,
        "quantity": r.quantity,
        "produced_on": r.produced_on,
        "material_cost_cents": r.material_cost_cents,
        "recipient": r.recipient,
        "organisation": r.organisation.name if r.organisation_id else "",
        "department": str(r.department),
        "status": r.status,
        "source": r.source,
        "entered_at": r.entered_at,
        "updated_at": r.updated_at,
        "decided_at": r.decided_at,
        "rejection_reason": r.rejection_reason,
        "corrects": r.corrects_id,
    },
    erase=keep,
    why=(
        "Kept, every status: the figures, the drift check and the subsidies rest on them. "
        "They name the maker profile only, which is anonymised; who entered or decided them "
        "is staff."
    ),
)
