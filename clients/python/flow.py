"""The platform's main flow, run by a program through the Python client generated from the
schema (openapi-python-client, package `tilab_client`): a maker declares production with her
personal token, the relay covering her department validates it, the public figures show it;
she registers for a workshop and cancels; a care home posts a need and she pledges to it.

Reads TILAB_URL and the personal tokens TILAB_MAKER_TOKEN, TILAB_RELAY_TOKEN,
TILAB_CONTACT_TOKEN (with TILAB_CONTACT_EMAIL, the contact's own verified address). Every
answer's status and values are checked; the first one that differs stops the flow with a
non-zero exit. Run by .ci/clients; see README, "Generated clients".
"""

import datetime
import os
import sys
import time

from tilab_client import AuthenticatedClient, Client
from tilab_client.api.figures import figures_list
from tilab_client.api.needs import needs_create, needs_retrieve
from tilab_client.api.pledges import pledges_create
from tilab_client.api.production_reports import (
    production_reports_create,
    production_reports_retrieve,
    production_reports_validate_create,
)
from tilab_client.api.registrations import registrations_cancel_create
from tilab_client.api.workshops import (
    workshops_list,
    workshops_register_create,
    workshops_retrieve,
)
from tilab_client.models import (
    Error,
    EstablishmentCareType,
    FigureRowPage,
    NeedCreateRequest,
    NeedStatus,
    OrgKindEnum,
    PledgeCreateRequest,
    PledgeStatus,
    ProductionReportCreateRequest,
    ProductionReportOutputStatusEnum,
    RegisterRequest,
    RegistrationCancelRequest,
    RegistrationStatus,
)

URL = os.environ["TILAB_URL"]
DEPARTMENT = "35"  # Ille-et-Vilaine: the demo maker's, covered by the relay whose staff validates
QUANTITY = 7


def expect(response, status: int, what: str):
    """The parsed answer, once its status is the one expected."""
    if response.status_code != status:
        body = response.content.decode(errors="replace")[:500]
        sys.exit(f"FAIL {what}: {response.status_code} (expected {status}): {body}")
    print(f"ok   {what}: {status}")
    return response.parsed


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"FAIL {what}")
    print(f"ok   {what}")


def person(variable: str) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=URL, token=os.environ[variable], prefix="Token", timeout=30.0
    )


public = Client(base_url=URL, timeout=30.0)
maker = person("TILAB_MAKER_TOKEN")
relay = person("TILAB_RELAY_TOKEN")
contact = person("TILAB_CONTACT_TOKEN")


def public_row(week: datetime.date, item_type: str):
    """The public weekly total of the maker's department, item and producer kind (independent
    makers), as anyone reads it; None when the public does not see it."""
    # The figures operation also serves signed-in callers; anonymous, it takes the plain client.
    page = expect(
        figures_list.sync_detailed(
            client=public,  # type: ignore[arg-type]
            department=DEPARTMENT,
            item_type=item_type,
            org_kind=OrgKindEnum.INDEPENDENT,
            period_start=week,
            period_end=week,
        ),
        200,
        f"public figures of week {week}, {item_type}",
    )
    assert isinstance(page, FigureRowPage)
    rows = [row for row in page.results if row.week_start == week]
    return rows[0] if rows else None


# --- A maker declares, the relay validates, the public figures show it -----------------------

page = expect(
    figures_list.sync_detailed(
        client=public,  # type: ignore[arg-type]
        department=DEPARTMENT,
        org_kind=OrgKindEnum.INDEPENDENT,
        page_size=20,
    ),
    200,
    "public weekly figures",
)
assert isinstance(page, FigureRowPage)
check(len(page.results) > 0, "the public sees weekly totals of department 35")
week, item = page.results[0].week_start, page.results[0].item_type
before = public_row(week, item)
check(before is not None, f"the public sees week {week}'s {item} total")

report = expect(
    production_reports_create.sync_detailed(
        client=maker,
        body=ProductionReportCreateRequest(
            item_type=item,
            quantity=QUANTITY,
            produced_on=week,
            recipient="CHU de Rennes (client Python)",
        ),
    ),
    201,
    "the maker declares her production with her token",
)
check(report.status == ProductionReportOutputStatusEnum.SUBMITTED, "the report awaits its relay")
check(
    (report.quantity, report.item_type, report.department) == (QUANTITY, item, DEPARTMENT),
    "the report holds what she declared",
)
check(report.maker.display_name == "Anne Le Goff", "the report is hers")

refused = expect(
    production_reports_validate_create.sync_detailed(report.id, client=maker),
    403,
    "the maker cannot validate her own report",
)
check(isinstance(refused, Error) and bool(refused.code), f"a coded refusal ({refused.code})")

validated = expect(
    production_reports_validate_create.sync_detailed(report.id, client=relay),
    200,
    "the relay validates it",
)
check(validated.status == ProductionReportOutputStatusEnum.VALIDATED, "the report is validated")
seen = expect(
    production_reports_retrieve.sync_detailed(report.id, client=maker), 200, "the maker reads it"
)
check(seen.status == ProductionReportOutputStatusEnum.VALIDATED, "she sees it validated")

# The totals are updated when the decision commits (a drain, queued then); wait a little.
after = None
for _ in range(30):
    after = public_row(week, item)
    if after is not None and after.quantity != before.quantity:
        break
    time.sleep(0.5)
check(after is not None, "the week's total is still public")
check(
    after.quantity == before.quantity + QUANTITY,
    f"the public total rose by {QUANTITY}: {before.quantity} -> {after.quantity}",
)
check(after.report_count == before.report_count + 1, "one more report in the public total")

# --- A workshop registration and its cancellation -------------------------------------------

listing = expect(workshops_list.sync_detailed(client=maker, page_size=50), 200, "workshops")
open_ones = [
    w
    for w in listing.results
    if w.registration_open and w.is_public and w.has_seats and w.my_registration is None
]
check(bool(open_ones), "a public workshop with seats left that she has not registered for")
workshop = open_ones[0]

registration = expect(
    workshops_register_create.sync_detailed(workshop.id, client=maker, body=RegisterRequest()),
    201,
    f"she registers for workshop {workshop.id}",
)
check(registration.status == RegistrationStatus.CONFIRMED, "her seat is confirmed")
check(registration.workshop.id == workshop.id, "for that workshop")
now = expect(workshops_retrieve.sync_detailed(workshop.id, client=maker), 200, "the workshop")
# Counts of seats are the facilitators' (a count would tell who registered): none for her.
check(not isinstance(now.seats_left, int), "no count of seats for a participant")
check(now.my_registration.id == registration.id, "the workshop shows her registration")

cancelled = expect(
    registrations_cancel_create.sync_detailed(
        registration.id, client=maker, body=RegistrationCancelRequest()
    ),
    200,
    "she cancels",
)
check(cancelled.status == RegistrationStatus.CANCELLED, "the registration is cancelled")
again = expect(
    registrations_cancel_create.sync_detailed(
        registration.id, client=maker, body=RegistrationCancelRequest()
    ),
    409,
    "cancelling twice",
)
check(bool(again.code), f"a coded refusal ({again.code})")
now = expect(workshops_retrieve.sync_detailed(workshop.id, client=maker), 200, "the workshop")
check(now.has_seats, "seats are left again")
check(now.my_registration is None, "no registration of hers left")

# --- A need posted and pledged --------------------------------------------------------------

needed_by = datetime.date.today() + datetime.timedelta(days=21)
need = expect(
    needs_create.sync_detailed(
        client=contact,
        body=NeedCreateRequest(
            establishment_name="EHPAD Les Hortensias (client Python)",
            care_type=EstablishmentCareType.EHPAD,
            department=DEPARTMENT,
            commune="Cesson-Sévigné",
            item_type=item,
            quantity=40,
            needed_by=needed_by,
            contact_name="Gaëlle Tanguy",
            contact_email=os.environ["TILAB_CONTACT_EMAIL"],
        ),
    ),
    201,
    "a care home posts a need with its contact's token",
)
check(need.status == NeedStatus.OPEN, "posted with her own verified address, the need is open")
check((need.quantity, need.pledged, need.needed_by) == (40, 0, needed_by), "as posted")

pledge = expect(
    pledges_create.sync_detailed(
        client=maker,
        body=PledgeCreateRequest(need=need.id, quantity=15, message="Livrable sous 10 jours."),
    ),
    201,
    "the maker pledges to it",
)
check(pledge.status == PledgeStatus.ACTIVE and pledge.quantity == 15, "her pledge is active")
check(pledge.need.id == need.id, "for that need")
need = expect(needs_retrieve.sync_detailed(need.id, client=public), 200, "the need, publicly")  # type: ignore[arg-type]
check((need.pledged, need.received) == (15, 0), "15 pledged, nothing received yet")

print("python client: flow passed")
