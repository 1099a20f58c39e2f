"""The production reports API: who sees, enters, changes and decides on which report."""

import datetime
import functools
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from makers import services
from makers.models import ItemType, Maker, Membership, ProductionReport
from tests import factories
from tests.conftest import as_user, count_queries, ids, patch, post
from tests.factories import make_maker, make_organisation, make_personal_token, make_user
from tests.refusals import answered, fields_named
from tilab import roles
from tilab.models import Decision

URL = "/api/v1/production-reports/"
APRIL = datetime.date(2020, 4, 15)


# --- Helpers ------------------------------------------------------------------------------


def profile(user) -> Maker:
    return Maker.objects.get(user=user)


# The reports of this file: 10 visors made on 15 April for 2.50 €, for no one in particular.
make_report = functools.partial(
    factories.make_report, quantity=10, produced_on=APRIL, cost_cents=250, recipient=""
)


def validated(report, by) -> ProductionReport:
    return services.production_report_validate(report=report, by=by, now=timezone.now())


def make_maker_with_account(*, department: str, name: str) -> Maker:
    user = make_user(role=roles.MAKER, full_name=name)
    return make_maker(user=user, display_name=name, department=department)


def refreshed(report) -> ProductionReport:
    return ProductionReport.objects.get(pk=report.pk)


def new_report_body(**changes) -> dict:
    return {
        "item_type": "visor",
        "quantity": 40,
        "produced_on": "2020-04-20",
        "material_cost_cents": 1200,
        "recipient": "CHU Rennes",
        **changes,
    }


@pytest.fixture
def three_reports(maker, relay_staff, other_relay_staff):
    """Anne's in 35, Yann's in 22 (both LabFab de Rennes), Gwen's in 29 (ENSTA)."""
    return {
        "35": make_report(profile(maker)),
        "22": make_report(make_maker_with_account(department="22", name="Yann Kerbrat")),
        "29": make_report(make_maker_with_account(department="29", name="Gwen Le Bras")),
    }


# --- Who sees which report ----------------------------------------------------------------


def test_a_maker_lists_only_their_own_reports(client, maker, three_reports):
    assert ids(as_user(client, maker).get(URL)) == [three_reports["35"].pk]


def test_relay_staff_list_the_reports_of_the_departments_they_cover(
    client, relay_staff, three_reports
):
    listed = ids(as_user(client, relay_staff).get(URL))
    assert sorted(listed) == sorted([three_reports["35"].pk, three_reports["22"].pk])


def test_another_relay_sees_none_of_ille_et_vilaine(client, other_relay_staff, three_reports):
    assert ids(as_user(client, other_relay_staff).get(URL)) == [three_reports["29"].pk]


@pytest.mark.parametrize("role", [roles.REGION_STAFF, roles.AUDITOR])
def test_region_staff_and_auditors_list_every_report(client, role_users, role, three_reports):
    listed = ids(as_user(client, role_users[role]).get(URL))
    assert sorted(listed) == sorted(r.pk for r in three_reports.values())


def test_a_facilitator_lists_no_report(client, facilitator, three_reports):
    assert ids(as_user(client, facilitator).get(URL)) == []


@pytest.mark.django_db
def test_an_anonymous_caller_is_asked_to_authenticate(client):
    assert client.get(URL).status_code == 401
    assert post(client, URL, new_report_body()).status_code == 401


def test_a_report_shows_its_maker_item_and_decision(client, maker, relay_staff):
    fablab = make_organisation(name="Le Biblio FabLab", department="35")
    Membership.objects.create(maker=profile(maker), organisation=fablab)
    report = validated(make_report(profile(maker), organisation=fablab), relay_staff)

    body = as_user(client, maker).get(f"{URL}{report.pk}/").json()
    assert body == {
        "id": report.pk,
        "maker": {"id": profile(maker).pk, "display_name": "Anne Le Goff"},
        "organisation": {"id": fablab.pk, "name": "Le Biblio FabLab"},
        "department": "35",
        "item_type": "visor",
        "quantity": 10,
        "produced_on": "2020-04-15",
        "material_cost_cents": 250,
        "recipient": "",
        "status": "validated",
        "source": "maker",
        "entered_at": body["entered_at"],
        "decided_at": body["decided_at"],
        "decided_by": "équipe du relais",  # a name when there is one, never an e-mail
        "rejection_reason": "",
        "corrects": None,
        "suspected_duplicate": False,
        "likely_double_counts": [],
        "corroborated_at": None,
        "corroboration_withheld": None,
        "to_be_decided_by": None,
        "you_may_decide": False,
    }
    assert body["entered_at"] and body["decided_at"]


def test_a_twin_report_is_flagged_as_a_suspected_duplicate(client, maker):
    first = make_report(profile(maker))
    twin = new_report_body(quantity=10, produced_on="2020-04-15", material_cost_cents=250)
    response = post(as_user(client, maker), URL, twin)
    assert response.status_code == 201
    assert response.json()["suspected_duplicate"] is True
    assert response.json()["likely_double_counts"] == [first.pk]
    assert client.get(f"{URL}{first.pk}/").json()["suspected_duplicate"] is True


# --- Entering reports ---------------------------------------------------------------------


def test_a_maker_logs_production_for_themself(client, maker):
    response = post(as_user(client, maker), URL, new_report_body())
    assert response.status_code == 201, response.content
    body = response.json()
    report = ProductionReport.objects.get(pk=body["id"])
    assert (report.maker, report.entered_by, report.source) == (profile(maker), maker, "maker")
    assert (body["status"], body["department"], body["quantity"]) == ("submitted", "35", 40)
    assert body["recipient"] == "CHU Rennes"


def test_the_cost_and_recipient_may_be_left_out(client, maker):
    body = new_report_body()
    del body["material_cost_cents"], body["recipient"]
    response = post(as_user(client, maker), URL, body)
    assert response.status_code == 201, response.content
    assert (response.json()["material_cost_cents"], response.json()["recipient"]) == (0, "")


def test_a_maker_reports_on_behalf_of_their_organisation(client, maker):
    fablab = make_organisation(name="Fab Lab Lannion", department="22")
    Membership.objects.create(maker=profile(maker), organisation=fablab)
    response = post(as_user(client, maker), URL, new_report_body(organisation=fablab.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    # The organisation's department decides which relay validates.
    assert (body["organisation"], body["department"]) == (
        {"id": fablab.pk, "name": "Fab Lab Lannion"},
        "22",
    )


def test_a_maker_cannot_log_production_for_someone_else(client, maker):
    other = make_maker_with_account(department="35", name="Yann Kerbrat")
    response = post(as_user(client, maker), URL, new_report_body(maker=other.pk))
    assert response.status_code == 400
    assert fields_named(response.json()) == {"maker"}
    assert not ProductionReport.objects.exists()


def test_a_maker_may_name_themself(client, maker):
    response = post(as_user(client, maker), URL, new_report_body(maker=profile(maker).pk))
    assert response.status_code == 201
    assert response.json()["source"] == "maker"


def test_a_maker_without_a_profile_is_asked_to_fill_it_in(client, reference_data):
    newcomer = make_user(role=roles.MAKER)
    response = post(as_user(client, newcomer), URL, new_report_body())
    body = answered(response, 400, "maker_profile_missing", field="maker")
    assert "/maker/" in body["maker"][0]
    assert not ProductionReport.objects.exists()


def test_relay_staff_enter_a_report_for_a_maker_of_their_department(client, relay_staff):
    no_account = make_maker(display_name="Mona Guillou", department="22")
    response = post(as_user(client, relay_staff), URL, new_report_body(maker=no_account.pk))
    assert response.status_code == 201, response.content
    report = ProductionReport.objects.get(pk=response.json()["id"])
    assert (report.maker, report.entered_by, report.source) == (no_account, relay_staff, "relay")


def test_relay_staff_cannot_enter_a_report_outside_their_departments(client, relay_staff):
    in_finistere = make_maker(display_name="Gwen Le Bras", department="29")
    response = post(as_user(client, relay_staff), URL, new_report_body(maker=in_finistere.pk))
    assert response.status_code == 400
    assert "maker" in response.json()
    assert not ProductionReport.objects.exists()


def test_relay_staff_cannot_enter_a_report_for_an_organisation_outside_their_departments(
    client, relay_staff
):
    no_account = make_maker(display_name="Mona Guillou", department="22")
    in_finistere = make_organisation(name="Makers de Brest", department="29")
    response = post(
        as_user(client, relay_staff),
        URL,
        new_report_body(maker=no_account.pk, organisation=in_finistere.pk),
    )
    assert response.status_code == 400
    assert fields_named(response.json()) == {"organisation"}
    assert not ProductionReport.objects.exists()


def test_out_of_range_ids_answer_like_any_other_wrong_id(client, relay_staff):
    as_user(client, relay_staff)
    assert client.get(f"{URL}{10**30}/").status_code == 404
    response = post(client, f"{URL}validate/", {"ids": [10**30]})
    assert response.status_code == 400
    assert fields_named(response.json()) == {"ids"}


def test_relay_staff_name_the_maker_they_enter_for(client, relay_staff):
    response = post(as_user(client, relay_staff), URL, new_report_body())
    assert response.status_code == 400
    assert "maker" in response.json()


@pytest.mark.parametrize("role", [roles.REGION_STAFF, roles.FACILITATOR, roles.AUDITOR])
def test_region_staff_facilitators_and_auditors_enter_no_report(client, role_users, role):
    anne = Maker.objects.get(user=role_users[roles.MAKER])
    response = post(as_user(client, role_users[role]), URL, new_report_body(maker=anne.pk))
    assert response.status_code == 403
    assert not ProductionReport.objects.exists()


def _in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 100_001}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": "douze"}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"produced_on": "tomorrow"}, "produced_on"),
        ({"produced_on": "2019-12-31"}, "produced_on"),
        ({"material_cost_cents": -1}, "material_cost_cents"),
        ({"material_cost_cents": "cher"}, "material_cost_cents"),
        ({"material_cost_cents": 10**20}, "material_cost_cents"),
        ({"item_type": "spaceship"}, "item_type"),
        ({"organisation": 999_999}, "organisation"),
        ({"recipient": "x" * 201}, "recipient"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_created(
    client, maker, changes, field
):
    if changes.get("produced_on") == "tomorrow":
        changes = {"produced_on": _in_days(1)}
    response = post(as_user(client, maker), URL, new_report_body(**changes))
    assert response.status_code == 400
    assert fields_named(response.json()) == {field}
    assert not ProductionReport.objects.exists()


def test_the_bounds_themselves_are_accepted(client, maker):
    as_user(client, maker)
    for changes in (
        {"quantity": 1, "produced_on": "2020-01-01", "material_cost_cents": 0},
        {"quantity": 100_000, "produced_on": _in_days(0)},
    ):
        assert post(client, URL, new_report_body(**changes)).status_code == 201


def test_an_item_no_longer_offered_is_refused(client, maker):
    ItemType.objects.filter(slug="gown").update(is_active=False)
    response = post(as_user(client, maker), URL, new_report_body(item_type="gown"))
    answered(response, 400, "item_type_not_offered", field="item_type")
    assert not ProductionReport.objects.exists()


def test_an_organisation_the_maker_is_not_a_member_of_is_refused(client, maker):
    stranger = make_organisation(name="Makers de Brest", department="29")
    response = post(as_user(client, maker), URL, new_report_body(organisation=stranger.pk))
    answered(response, 400, "maker_not_member", field="organisation")
    assert not ProductionReport.objects.exists()


def test_the_refusal_never_names_an_organisation_the_maker_may_not_see(client, maker):
    # Trying every id must not list the hidden organisations' names.
    hidden = make_organisation(name="Atelier Discret", department="29", is_public=False)
    response = post(as_user(client, maker), URL, new_report_body(organisation=hidden.pk))
    answered(response, 400, "maker_not_member", field="organisation")
    assert "Atelier Discret" not in response.content.decode()


def test_missing_fields_are_each_named(client, maker):
    response = post(as_user(client, maker), URL, {})
    assert response.status_code == 400
    assert fields_named(response.json()) == {"item_type", "quantity", "produced_on"}
    assert not ProductionReport.objects.exists()


def test_several_mistakes_are_named_together(client, maker):
    response = post(
        as_user(client, maker),
        URL,
        new_report_body(quantity=0, produced_on="2019-06-01", material_cost_cents=-3),
    )
    assert response.status_code == 400
    assert fields_named(response.json()) == {"quantity", "produced_on", "material_cost_cents"}


# --- Changing and withdrawing -------------------------------------------------------------


def test_the_maker_changes_a_submitted_report_and_only_what_they_send(client, maker):
    fablab = make_organisation(name="FabLab", department="35")
    Membership.objects.create(maker=profile(maker), organisation=fablab)
    report = make_report(profile(maker), recipient="EHPAD", organisation=fablab)
    response = patch(as_user(client, maker), f"{URL}{report.pk}/", {"quantity": 12})
    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == 12
    report = refreshed(report)
    assert (report.quantity, report.recipient, report.organisation, report.material_cost_cents) == (
        12,
        "EHPAD",
        fablab,
        250,
    )


def test_put_replaces_every_editable_field(client, maker):
    report = make_report(profile(maker), recipient="EHPAD")
    response = as_user(client, maker).put(
        f"{URL}{report.pk}/",
        new_report_body(item_type="fabric-mask", recipient=""),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    report = refreshed(report)
    assert (report.item_type.slug, report.quantity, report.recipient) == ("fabric-mask", 40, "")


def test_relay_staff_change_a_report_of_their_department(client, maker, relay_staff):
    report = make_report(profile(maker))
    response = patch(as_user(client, relay_staff), f"{URL}{report.pk}/", {"quantity": 8})
    assert response.status_code == 200
    assert refreshed(report).quantity == 8


def test_a_change_with_bad_input_names_the_field_and_changes_nothing(client, maker):
    report = make_report(profile(maker))
    response = patch(as_user(client, maker), f"{URL}{report.pk}/", {"quantity": 100_001})
    assert response.status_code == 400
    assert fields_named(response.json()) == {"quantity"}
    assert refreshed(report).quantity == 10


def test_editing_a_validated_report_answers_409_with_the_message(client, maker, relay_staff):
    report = validated(make_report(profile(maker)), relay_staff)
    response = patch(as_user(client, maker), f"{URL}{report.pk}/", {"quantity": 99})
    answered(response, 409, "report_validated_not_editable")
    assert refreshed(report).quantity == 10


def test_a_rejected_report_corrected_by_its_maker_goes_back_to_the_relay(
    client, maker, relay_staff
):
    report = services.production_report_reject(
        report=make_report(profile(maker)), by=relay_staff, now=timezone.now(), reason="Date ?"
    )
    response = patch(as_user(client, maker), f"{URL}{report.pk}/", {"produced_on": "2020-04-16"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("submitted", "")
    assert Decision.objects.filter(action="resubmit", object_id=str(report.pk)).exists()


@pytest.mark.parametrize("role", [roles.REGION_STAFF, roles.AUDITOR])
def test_region_staff_and_auditors_change_nothing(client, role_users, role):
    report = make_report(profile(role_users[roles.MAKER]))
    as_user(client, role_users[role])
    assert patch(client, f"{URL}{report.pk}/", {"quantity": 1}).status_code == 403
    assert client.delete(f"{URL}{report.pk}/").status_code == 403
    assert refreshed(report).status == "submitted"


def test_a_maker_withdraws_a_submitted_report(client, maker):
    report = make_report(profile(maker))
    response = as_user(client, maker).delete(f"{URL}{report.pk}/")
    assert response.status_code == 204
    assert refreshed(report).status == "withdrawn"
    # It stays on record, shown as withdrawn.
    assert client.get(f"{URL}{report.pk}/").json()["status"] == "withdrawn"


def test_withdrawing_a_validated_report_answers_409(client, maker, relay_staff):
    report = validated(make_report(profile(maker)), relay_staff)
    response = as_user(client, maker).delete(f"{URL}{report.pk}/")
    assert answered(response, 409, "report_validated_not_editable")["detail"]
    assert refreshed(report).status == "validated"


FOREIGN_REQUESTS = [
    ("get", "", None),
    ("patch", "", {"quantity": 1}),
    ("put", "", new_report_body()),
    ("delete", "", None),
    ("post", "validate/", None),
    ("post", "reject/", {"reason": "Non"}),
    ("post", "correct/", {"quantity": 1}),
]


@pytest.mark.parametrize("method, suffix, body", FOREIGN_REQUESTS)
def test_a_maker_gets_404_on_another_makers_report(client, maker, method, suffix, body):
    other = make_report(make_maker_with_account(department="35", name="Yann Kerbrat"))
    response = getattr(as_user(client, maker), method)(
        f"{URL}{other.pk}/{suffix}", body, content_type="application/json"
    )
    assert response.status_code == 404
    assert refreshed(other).status == "submitted" and refreshed(other).quantity == 10
    assert ProductionReport.objects.count() == 1


@pytest.mark.parametrize("method, suffix, body", FOREIGN_REQUESTS)
def test_a_relay_gets_404_on_a_report_of_another_department(
    client, relay_staff, method, suffix, body
):
    in_finistere = make_report(make_maker_with_account(department="29", name="Gwen Le Bras"))
    response = getattr(as_user(client, relay_staff), method)(
        f"{URL}{in_finistere.pk}/{suffix}", body, content_type="application/json"
    )
    assert response.status_code == 404
    assert refreshed(in_finistere).status == "submitted"
    assert not Decision.objects.exists()


# --- Decisions ----------------------------------------------------------------------------


def test_relay_staff_validate_a_report_and_the_decision_is_recorded(client, maker, relay_staff):
    report = make_report(profile(maker))
    response = post(as_user(client, relay_staff), f"{URL}{report.pk}/validate/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decided_by"]) == ("validated", "équipe du relais")
    decision = Decision.objects.get(
        content_type=ContentType.objects.get_for_model(ProductionReport), object_id=str(report.pk)
    )
    assert (decision.action, decision.actor, decision.from_state, decision.to_state) == (
        "validate",
        relay_staff,
        "submitted",
        "validated",
    )


def test_relay_staff_reject_with_a_reason_the_maker_reads(client, maker, relay_staff):
    report = make_report(profile(maker))
    response = post(
        as_user(client, relay_staff), f"{URL}{report.pk}/reject/", {"reason": "Deux fois ?"}
    )
    assert response.status_code == 200
    decision = Decision.objects.get(object_id=str(report.pk))
    assert (decision.action, decision.to_state, decision.motivation) == (
        "reject",
        "rejected",
        "Deux fois ?",
    )
    body = as_user(client, maker).get(f"{URL}{report.pk}/").json()
    assert (body["status"], body["rejection_reason"]) == ("rejected", "Deux fois ?")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_rejecting_without_a_reason_is_refused(client, maker, relay_staff, body):
    report = make_report(profile(maker))
    response = post(as_user(client, relay_staff), f"{URL}{report.pk}/reject/", body)
    assert response.status_code == 400
    assert fields_named(response.json()) == {"reason"}
    assert refreshed(report).status == "submitted"


def test_nobody_validates_their_own_report(client, relay_staff):
    make_maker(user=relay_staff, display_name="Camille", department="35")
    own = make_report(profile(relay_staff))
    response = post(as_user(client, relay_staff), f"{URL}{own.pk}/validate/")
    answered(response, 403, "own_report")
    assert refreshed(own).status == "submitted"


def test_a_maker_cannot_validate_their_own_report(client, maker):
    report = make_report(profile(maker))
    response = post(as_user(client, maker), f"{URL}{report.pk}/validate/")
    assert answered(response, 403, "report_outside_relay")["detail"]
    assert refreshed(report).status == "submitted"


@pytest.mark.parametrize(
    "role, code",
    [(roles.REGION_STAFF, "report_for_the_relay"), (roles.AUDITOR, "report_outside_relay")],
)
@pytest.mark.parametrize("decision, body", [("validate", {}), ("reject", {"reason": "Non"})])
def test_region_staff_and_auditors_cannot_decide_a_makers_report(
    client, role_users, role, code, decision, body
):
    report = make_report(profile(role_users[roles.MAKER]))
    response = post(as_user(client, role_users[role]), f"{URL}{report.pk}/{decision}/", body)
    assert answered(response, 403, code)["detail"]
    assert refreshed(report).status == "submitted"
    assert not Decision.objects.exists()


def test_deciding_on_a_decided_report_answers_409(client, maker, relay_staff):
    report = validated(make_report(profile(maker)), relay_staff)
    as_user(client, relay_staff)
    response = post(client, f"{URL}{report.pk}/reject/", {"reason": "Trop tard"})
    answered(response, 409, "report_already_decided")
    assert post(client, f"{URL}{report.pk}/validate/").status_code == 409
    assert Decision.objects.count() == 1


# --- Corrections --------------------------------------------------------------------------


def test_a_correction_supersedes_the_validated_report_once_validated(client, maker, relay_staff):
    original = validated(make_report(profile(maker)), relay_staff)

    response = post(as_user(client, maker), f"{URL}{original.pk}/correct/", {"quantity": 14})
    assert response.status_code == 201, response.content
    correction = response.json()
    assert (correction["status"], correction["corrects"], correction["quantity"]) == (
        "submitted",
        original.pk,
        14,
    )
    assert (correction["item_type"], correction["produced_on"]) == ("visor", "2020-04-15")
    assert refreshed(original).status == "validated"  # until the relay agrees

    response = post(as_user(client, relay_staff), f"{URL}{correction['id']}/validate/")
    assert response.status_code == 200
    assert refreshed(original).status == "superseded"
    assert Decision.objects.filter(action="supersede", object_id=str(original.pk)).exists()


def test_relay_staff_propose_a_correction_too(client, maker, relay_staff):
    original = validated(make_report(profile(maker)), relay_staff)
    response = post(as_user(client, relay_staff), f"{URL}{original.pk}/correct/", {"quantity": 9})
    assert response.status_code == 201
    assert response.json()["source"] == "relay"


def test_only_a_validated_report_is_corrected_this_way(client, maker):
    report = make_report(profile(maker))
    response = post(as_user(client, maker), f"{URL}{report.pk}/correct/", {"quantity": 9})
    answered(response, 409, "correction_of_unvalidated_report")
    assert ProductionReport.objects.count() == 1


def test_one_pending_correction_at_a_time(client, maker, relay_staff):
    original = validated(make_report(profile(maker)), relay_staff)
    as_user(client, maker)
    assert post(client, f"{URL}{original.pk}/correct/", {"quantity": 9}).status_code == 201
    response = post(client, f"{URL}{original.pk}/correct/", {"quantity": 8})
    answered(response, 409, "correction_already_pending")
    assert ProductionReport.objects.count() == 2


def test_a_correction_with_bad_input_names_the_field(client, maker, relay_staff):
    original = validated(make_report(profile(maker)), relay_staff)
    response = post(as_user(client, maker), f"{URL}{original.pk}/correct/", {"quantity": 0})
    assert response.status_code == 400
    assert fields_named(response.json()) == {"quantity"}
    assert ProductionReport.objects.count() == 1


# --- Deciding on several reports ----------------------------------------------------------


def test_relay_staff_validate_several_reports_at_once(client, maker, relay_staff):
    reports = [make_report(profile(maker), quantity=q) for q in (1, 2, 3)]
    response = post(
        as_user(client, relay_staff), f"{URL}validate/", {"ids": [r.pk for r in reports]}
    )
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()] == ["validated"] * 3
    assert Decision.objects.filter(action="validate", actor=relay_staff).count() == 3


def test_relay_staff_reject_several_reports_with_one_reason(client, maker, relay_staff):
    reports = [make_report(profile(maker), quantity=q) for q in (1, 2)]
    as_user(client, relay_staff)
    response = post(client, f"{URL}reject/", {"ids": [r.pk for r in reports]})
    assert response.status_code == 400
    assert fields_named(response.json()) == {"reason"}
    response = post(client, f"{URL}reject/", {"ids": [r.pk for r in reports], "reason": "Doublon"})
    assert response.status_code == 200
    assert {refreshed(r).status for r in reports} == {"rejected"}


def test_bulk_validation_is_all_or_nothing(client, maker, relay_staff):
    waiting = make_report(profile(maker), quantity=1)
    decided = validated(make_report(profile(maker), quantity=2), relay_staff)
    response = post(
        as_user(client, relay_staff), f"{URL}validate/", {"ids": [waiting.pk, decided.pk]}
    )
    body = answered(response, 409, "report_already_decided")
    assert f"n° {decided.pk}" in body["detail"]
    assert refreshed(waiting).status == "submitted"
    assert Decision.objects.count() == 1


def test_bulk_decisions_on_a_report_out_of_sight_answer_404(client, maker, relay_staff):
    mine = make_report(profile(maker))
    in_finistere = make_report(make_maker_with_account(department="29", name="Gwen Le Bras"))
    as_user(client, relay_staff)
    body = {"ids": [mine.pk, in_finistere.pk], "reason": "Non"}
    for decision in ("validate", "reject"):
        response = post(client, f"{URL}{decision}/", body)
        assert response.status_code == 404
    assert not Decision.objects.exists()
    assert refreshed(mine).status == "submitted"


def test_bulk_decisions_the_caller_may_not_take_answer_403(client, maker, auditor):
    report = make_report(profile(maker))
    response = post(as_user(client, auditor), f"{URL}validate/", {"ids": [report.pk]})
    assert response.status_code == 403
    assert refreshed(report).status == "submitted"


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": ["un"]}])
def test_bulk_decisions_need_a_list_of_ids(client, relay_staff, body):
    response = post(as_user(client, relay_staff), f"{URL}validate/", body)
    assert response.status_code == 400
    assert fields_named(response.json()) == {"ids"}


# --- Filters and pages --------------------------------------------------------------------


@pytest.fixture
def varied_reports(maker, relay_staff):
    fablab = make_organisation(name="FabLab de Lannion", department="22")
    anne = profile(maker)
    Membership.objects.create(maker=anne, organisation=fablab)
    yann = make_maker_with_account(department="22", name="Yann Kerbrat")
    return {
        "anne_visor": make_report(anne, produced_on=datetime.date(2020, 3, 20)),
        "anne_mask_for_fablab": make_report(
            anne, item="fabric-mask", organisation=fablab, produced_on=datetime.date(2020, 4, 2)
        ),
        "yann_validated": validated(
            make_report(yann, produced_on=datetime.date(2020, 5, 11)), relay_staff
        ),
        "fablab": fablab,
        "yann": yann,
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("department=35", ["anne_visor"]),
        ("department=22", ["anne_mask_for_fablab", "yann_validated"]),
        ("item_type=fabric-mask", ["anne_mask_for_fablab"]),
        ("status=validated", ["yann_validated"]),
        ("status=submitted", ["anne_visor", "anne_mask_for_fablab"]),
        ("maker={yann}", ["yann_validated"]),
        ("organisation={fablab}", ["anne_mask_for_fablab"]),
        ("produced_after=2020-04-01", ["anne_mask_for_fablab", "yann_validated"]),
        ("produced_before=2020-04-02", ["anne_visor", "anne_mask_for_fablab"]),
        ("produced_after=2020-04-01&produced_before=2020-04-30", ["anne_mask_for_fablab"]),
        ("maker_name=kerbrat", ["yann_validated"]),
    ],
)
def test_the_list_filters(client, region_staff, varied_reports, query, expected):
    query = query.format(yann=varied_reports["yann"].pk, fablab=varied_reports["fablab"].pk)
    listed = ids(as_user(client, region_staff).get(f"{URL}?{query}"))
    assert sorted(listed) == sorted(varied_reports[name].pk for name in expected)


@pytest.mark.parametrize(
    "query", ["department=75", "item_type=spaceship", "status=lost", "produced_after=demain"]
)
def test_a_filter_value_that_makes_no_sense_is_refused(client, region_staff, query):
    response = as_user(client, region_staff).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert fields_named(response.json()) == {query.split("=")[0]}


def test_filters_never_widen_what_the_caller_sees(client, maker, varied_reports):
    listed = ids(as_user(client, maker).get(f"{URL}?maker={varied_reports['yann'].pk}"))
    assert listed == []


def test_reports_come_newest_first_in_cursor_pages(client, maker):
    reports = [make_report(profile(maker), quantity=q) for q in range(1, 6)]
    as_user(client, maker)
    url, seen = f"{URL}?page_size=2", []
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        assert "count" not in body  # a cursor never counts the table
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
        if url:
            assert "cursor" in parse_qs(urlparse(url).query)
    assert seen == [r.pk for r in reversed(reports)]


# --- Programs -----------------------------------------------------------------------------


def test_a_program_enters_and_validates_reports_with_personal_tokens(client, maker, relay_staff):
    maker_token = make_personal_token(maker)
    relay_token = make_personal_token(relay_staff)

    response = client.post(
        URL,
        new_report_body(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {maker_token}",
    )
    assert response.status_code == 201, response.content
    report_id = response.json()["id"]

    listed = client.get(URL, HTTP_AUTHORIZATION=f"Token {relay_token}").json()["results"]
    assert [r["id"] for r in listed] == [report_id]
    response = client.post(f"{URL}{report_id}/validate/", HTTP_AUTHORIZATION=f"Token {relay_token}")
    assert response.status_code == 200
    assert ProductionReport.objects.get(pk=report_id).decided_by == relay_staff


@pytest.mark.django_db
def test_a_forged_token_is_refused(client):
    assert client.get(URL, HTTP_AUTHORIZATION="Token " + "b" * 64).status_code == 401


# --- Constant cost ------------------------------------------------------------------------


def _fill_reports_up_to(count: int, *, cast: dict) -> None:
    """Reports with every related row set (organisation, decision, correction) in each
    department, so that a lazy relation anywhere would show up as extra queries."""
    n = ProductionReport.objects.count()
    while n < count:
        maker = cast["makers"][n % len(cast["makers"])]
        entered_by = maker.user or cast["relay_staff"]
        report = make_report(
            maker,
            organisation=cast["organisations"].get(maker.pk),
            quantity=n + 1,
            recipient="CHU",
            entered_by=entered_by,
            source=ProductionReport.Source.MAKER if maker.user else ProductionReport.Source.RELAY,
        )
        n += 1
        if n % 3 == 2:
            # What relay staff entered, the Région decides (four eyes).
            decider = cast["deciders"][maker.department_id] if maker.user else cast["region"]
            validated(report, decider)
            if n < count:
                services.production_report_correct(
                    report=report,
                    by=entered_by,
                    now=timezone.now(),
                    source="maker" if maker.user else "relay",
                    quantity=report.quantity + 1000,
                )
                n += 1


@pytest.mark.parametrize(
    "role, sees",
    [
        (roles.MAKER, {"anne"}),
        (roles.RELAY_STAFF, {"anne", "no_account", "yann"}),
        (roles.REGION_STAFF, {"anne", "no_account", "yann", "gwen"}),
        (roles.AUDITOR, {"anne", "no_account", "yann", "gwen"}),
    ],
)
def test_the_report_list_costs_the_same_queries_for_1_10_and_50_reports(
    client, role_users, other_relay_staff, role, sees
):
    anne = profile(role_users[roles.MAKER])
    fablab = make_organisation(name="FabLab", department="35")
    Membership.objects.create(maker=anne, organisation=fablab)
    everyone = {
        "anne": anne,
        "no_account": make_maker(display_name="Mona Guillou", department="35"),
        "yann": make_maker_with_account(department="22", name="Yann Kerbrat"),
        "gwen": make_maker_with_account(department="29", name="Gwen Le Bras"),
    }
    relay = role_users[roles.RELAY_STAFF]
    cast = {
        # Only the makers this role sees: each batch adds exactly what the list will show.
        "makers": [everyone[name] for name in sorted(sees)],
        "organisations": {anne.pk: fablab},
        "relay_staff": relay,
        "deciders": {"35": relay, "22": relay, "29": other_relay_staff},
        "region": role_users[roles.REGION_STAFF],
    }
    as_user(client, role_users[role])
    counts, filtered = [], []
    for size in (1, 10, 50):
        _fill_reports_up_to(size, cast=cast)
        counts.append(count_queries(client, URL, expected=size))
        filtered.append(
            count_queries(client, f"{URL}?department=35&item_type=visor&maker={anne.pk}")
        )
    assert len(set(counts)) == 1, counts
    assert len(set(filtered)) == 1, filtered
    print(f"{role}: {counts[0]} queries to list, {filtered[0]} with filters")


# --- A write answers what a read shows ------------------------------------------------------


def test_every_write_answers_the_report_as_a_read_shows_it(client, maker, relay_staff):
    """The answer of a write (its likely double counts found for it alone) is the report as the
    writer reads it right after, field for field: creation, change, validation, bulk
    validation, correction and rejection, with twins so that double counts show."""
    anne = profile(maker)
    first = make_report(anne)
    twin = make_report(anne, quantity=10, produced_on=APRIL + datetime.timedelta(days=2))
    flagged = 0

    def answered_as_read(user, response):
        nonlocal flagged
        assert response.status_code in (200, 201), response.content
        body = response.json()
        for answer in body if isinstance(body, list) else [body]:
            assert answer == as_user(client, user).get(f"{URL}{answer['id']}/").json()
            flagged += bool(answer["likely_double_counts"])
        return body

    created = answered_as_read(
        maker,
        post(as_user(client, maker), URL, new_report_body(quantity=10, produced_on="2020-04-15")),
    )["id"]
    answered_as_read(
        maker, patch(as_user(client, maker), f"{URL}{created}/", {"recipient": "EHPAD"})
    )
    answered_as_read(relay_staff, post(as_user(client, relay_staff), f"{URL}{first.pk}/validate/"))
    answered_as_read(
        relay_staff, post(as_user(client, relay_staff), f"{URL}validate/", {"ids": [twin.pk]})
    )
    answered_as_read(
        maker, post(as_user(client, maker), f"{URL}{first.pk}/correct/", {"quantity": 10})
    )
    answered_as_read(
        relay_staff,
        post(as_user(client, relay_staff), f"{URL}{created}/reject/", {"reason": "Doublon"}),
    )
    assert flagged >= 4
