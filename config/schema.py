"""The OpenAPI links between the apps' operations: which answer carries the id that which request
takes. The tables name every app's schemas and operations, so they live in the composition root;
finding the links is tilab/schema.py. The settings name `links_add` (SPECTACULAR_SETTINGS)."""

from tilab import schema
from tilab.schema import ID

# Objects that carry the id of another collection's object, beyond the object itself:
# response schema -> (collection, JSON pointer to the id inside that schema).
NESTED_IDS = {
    "ProgrammeOutput": [("/api/v1/allocations/", "/allocations/0/id")],
    "AllocationOutput": [
        ("/api/v1/programmes/", "/programme/id"),
        ("/api/v1/relays/", "/relay/id"),
        ("/api/v1/redistributions/", "/redistribution"),
    ],
    "RedistributionDetail": [("/api/v1/allocations/", "/allocation")],
    "ProductionReportOutput": [("/api/v1/makers/", "/maker/id")],
    "WorkshopOutput": [("/api/v1/registrations/", "/my_registration/id")],
    "RegistrationOutput": [("/api/v1/workshops/", "/workshop/id")],
    "PledgeOutput": [("/api/v1/needs/", "/need/id")],
    "DeliveryOutput": [("/api/v1/pledges/", "/pledge")],
}

# Requests whose body names an object of another collection:
# collection -> [(operationId, body with ID where the object's id, code or slug goes)].
BODY_IDS = {
    "/api/v1/departments/": [
        ("makers_create", {"department": ID}),
        ("needs_create", {"department": ID}),
        ("workshops_create", {"department": ID}),
    ],
    "/api/v1/item-types/": [
        ("production_reports_create", {"item_type": ID}),
        ("needs_create", {"item_type": ID}),
    ],
    "/api/v1/makers/": [("production_reports_create", {"maker": ID})],
    "/api/v1/production-reports/": [
        ("production_reports_validate_many", {"ids": [ID]}),
        ("production_reports_reject_many", {"ids": [ID]}),
    ],
    "/api/v1/relays/": [("programmes_create", {"relays": [ID]})],
    "/api/v1/allocations/": [("redistributions_create", {"allocation": ID})],
    "/api/v1/needs/": [("pledges_create", {"need": ID})],
    "/api/v1/pledges/": [("deliveries_create", {"pledge": ID})],
}


def links_add(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links of tilab/schema.py, from these tables."""
    return schema.links_add(result, nested_ids=NESTED_IDS, body_ids=BODY_IDS)
