"""The production pages: a maker logs and follows their reports, a relay works its queue."""

import datetime

import pytest
from django.utils import timezone

from makers.models import Maker, ProductionReport
from tests.conftest import count_queries, text
from tests.factories import make_maker, make_organisation, make_report
from tilab.models import Decision

TODAY = timezone.localdate()
LOG = {
    "item_type": "",  # filled with a pk in each test
    "quantity": "24",
    "produced_on": "2020-04-02",
    "material_cost_cents": "12,50",
    "recipient": "CHU Rennes",
    "organisation": "",
}


def _log(item_type_pk, **changes):
    return {**LOG, "item_type": str(item_type_pk), **changes}


@pytest.fixture
def visor():
    from makers.models import ItemType

    return ItemType.objects.get(slug="visor")


# --- The maker's space --------------------------------------------------------------------------


def test_a_maker_logs_production_with_a_decimal_comma_and_sees_it_submitted(client, maker, visor):
    client.force_login(maker)
    response = client.post("/maker/", _log(visor.pk), follow=True)
    report = ProductionReport.objects.get()
    assert (report.quantity, report.material_cost_cents, report.source) == (24, 1250, "maker")
    assert (report.status, report.department_id, report.entered_by) == ("submitted", "35", maker)
    html = response.content.decode()
    assert "Déclaration enregistrée" in html
    assert "soumise" in html
    assert "12,50" in html


def test_the_log_form_proposes_today_and_the_active_catalogue(client, maker):
    client.force_login(maker)
    form = client.get("/maker/").context["form"]
    assert form.initial["produced_on"] == TODAY
    assert [item.slug for item in form.fields["item_type"].queryset] == [
        "visor",
        "fabric-mask",
        "gown",
        "ear-saver",
        "door-opener",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "100001"}, "quantity"),
        ({"quantity": "beaucoup"}, "quantity"),
        ({"produced_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "produced_on"),
        ({"produced_on": "2019-12-31"}, "produced_on"),
        ({"produced_on": "2020-02-31"}, "produced_on"),
        ({"material_cost_cents": "-3"}, "material_cost_cents"),
        ({"material_cost_cents": "douze"}, "material_cost_cents"),
        ({"item_type": "999"}, "item_type"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(client, maker, visor, changes, field):
    client.force_login(maker)
    response = client.post("/maker/", _log(visor.pk, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ProductionReport.objects.exists()


def test_a_maker_reports_for_an_organisation_they_belong_to_and_no_other(client, maker, visor):
    lannion = make_organisation(name="FabLab Lannion", department="22")
    stranger = make_organisation(name="FabLab Brest", department="29")
    maker.maker.memberships.create(organisation=lannion)
    client.force_login(maker)
    response = client.post("/maker/", _log(visor.pk, organisation=str(stranger.pk)))
    assert "organisation" in response.context["form"].errors
    client.post("/maker/", _log(visor.pk, organisation=str(lannion.pk)))
    assert ProductionReport.objects.get().department_id == "22"


def test_my_reports_show_each_status_the_reason_of_a_refusal_and_totals(client, maker, relay_staff):
    anne = maker.maker
    make_report(maker=anne, quantity=10, status="validated", decided_by=relay_staff)
    make_report(maker=anne, quantity=5, status="rejected", decided_by=relay_staff)
    make_report(maker=anne, quantity=7)
    client.force_login(maker)
    response = client.get("/maker/")
    html = response.content.decode()
    assert "validée" in html and "refusée" in html and "soumise" in html
    assert "Quantité à vérifier" in html
    totals = response.context["totals"]
    assert [(row["item_type"].slug, row["validated"], row["submitted"]) for row in totals] == [
        ("visor", 10, 7)
    ]


def test_a_maker_edits_a_submitted_report_and_withdraws_another(client, maker, visor):
    first = make_report(maker=maker.maker)
    second = make_report(maker=maker.maker)
    client.force_login(maker)
    client.post(f"/maker/declarations/{first.pk}/", _log(visor.pk, quantity="30"))
    client.post(f"/maker/declarations/{second.pk}/retirer/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity, second.status) == (30, "withdrawn")


def test_a_rejected_report_is_corrected_and_resubmitted(client, maker, relay_staff, visor):
    report = make_report(maker=maker.maker, status="rejected", decided_by=relay_staff)
    client.force_login(maker)
    page = client.get(f"/maker/declarations/{report.pk}/").content.decode()
    assert "Quantité à vérifier" in page
    response = client.post(f"/maker/declarations/{report.pk}/", _log(visor.pk, quantity="20"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.quantity) == ("submitted", 20)


def test_a_validated_report_is_corrected_by_a_new_report_not_edited(
    client, maker, relay_staff, visor
):
    report = make_report(maker=maker.maker, status="validated", decided_by=relay_staff)
    client.force_login(maker)
    client.post(f"/maker/declarations/{report.pk}/", _log(visor.pk, quantity="26"))
    report.refresh_from_db()
    assert (report.status, report.quantity) == ("validated", 24)
    correction = ProductionReport.objects.get(corrects=report)
    assert (correction.status, correction.quantity) == ("submitted", 26)
    response = client.post(f"/maker/declarations/{report.pk}/retirer/", follow=True)
    assert "ne peut plus être modifiée" in response.content.decode()


def test_another_makers_report_answers_404(client, maker, relay_staff, reference_data, visor):
    other = make_report(maker=make_maker(display_name="Yann Kerbrat", department="35"))
    client.force_login(maker)
    assert client.get(f"/maker/declarations/{other.pk}/").status_code == 404
    assert client.post(f"/maker/declarations/{other.pk}/", _log(visor.pk)).status_code == 404
    assert client.post(f"/maker/declarations/{other.pk}/retirer/").status_code == 404
    other.refresh_from_db()
    assert other.status == "submitted"


# --- The validation queue -----------------------------------------------------------------------


@pytest.fixture
def reports_in_three_departments(maker, reference_data):
    return {
        "35": make_report(maker=maker.maker, recipient="CHU Rennes"),
        "22": make_report(
            maker=make_maker(display_name="Yann Kerbrat", department="22"),
            recipient="EHPAD Lannion",
        ),
        "29": make_report(
            maker=make_maker(display_name="Maëlle Tanguy", department="29"),
            item="fabric-mask",
            recipient="Pharmacie Quimper",
        ),
    }


def test_the_queue_shows_only_the_departments_the_relay_covers(
    client, relay_staff, reports_in_three_departments
):
    client.force_login(relay_staff)
    shown = {r.pk for r in client.get("/validation/").context["page"]}
    assert shown == {reports_in_three_departments["35"].pk, reports_in_three_departments["22"].pk}


def test_the_queue_filters_by_department_item_maker_and_date(
    client, relay_staff, other_relay_staff, reports_in_three_departments
):
    client.force_login(relay_staff)

    def shown(query):
        return {r.pk for r in client.get("/validation/?" + query).context["page"]}

    assert shown("department=22") == {reports_in_three_departments["22"].pk}
    assert shown("department=29") == set()  # not offered, and nothing leaks
    assert shown("maker_name=kerbrat") == {reports_in_three_departments["22"].pk}
    assert shown("item_type=fabric-mask") == set()
    assert shown("produced_after=2020-04-03") == set()
    assert shown("produced_before=2020-04-02&item_type=visor") == {
        reports_in_three_departments["35"].pk,
        reports_in_three_departments["22"].pk,
    }
    client.force_login(other_relay_staff)
    assert shown("item_type=fabric-mask") == {reports_in_three_departments["29"].pk}


def test_a_relay_validates_a_batch_without_javascript(
    client, relay_staff, reports_in_three_departments
):
    ids = [reports_in_three_departments["35"].pk, reports_in_three_departments["22"].pk]
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/", {"ids": ids, "action": "validate", "filters": "department=35"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/validation/?department=35"
    assert set(ProductionReport.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "validated"
    }
    assert Decision.objects.filter(action="validate", actor=relay_staff).count() == 2
    assert "2 déclarations validées" in client.get(response["Location"]).content.decode()


def test_a_relay_validates_one_row_with_htmx_and_gets_the_queue_back(
    client, relay_staff, reports_in_three_departments
):
    report = reports_in_three_departments["35"]
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/", {"validate_one": report.pk, "filters": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "makers/_queue.html"
    html = response.content.decode()
    assert f"1 déclaration validée : n° {report.pk}." in html
    # Announced by the page's live region; focus stays in the list (static/js/tilab.js).
    assert 'class="messages" data-announce' in html
    # The decided report has left the queue of reports awaiting a decision.
    assert report.pk not in {r.pk for r in response.context["page"]}


def test_rejecting_needs_a_reason_and_the_maker_reads_it(
    client, relay_staff, maker, reports_in_three_departments
):
    report = reports_in_three_departments["35"]
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {"ids": [report.pk], "action": "reject", "reason": " "},
        HTTP_HX_REQUEST="true",
    )
    assert "Indiquez le motif du refus" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"

    client.post(
        "/validation/decider/",
        {"ids": [report.pk], "action": "reject", "reason": "Photo du lot manquante"},
    )
    client.force_login(maker)
    assert "Photo du lot manquante" in client.get("/maker/").content.decode()


def test_deciding_on_another_departments_report_answers_404_and_changes_nothing(
    client, relay_staff, reports_in_three_departments
):
    ours, theirs = reports_in_three_departments["35"], reports_in_three_departments["29"]
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/", {"ids": [ours.pk, theirs.pk], "action": "validate"}
    )
    assert response.status_code == 404
    assert not ProductionReport.objects.filter(status="validated").exists()


def test_a_report_decided_meanwhile_is_named_and_the_batch_left_untouched(
    client, relay_staff, reports_in_three_departments
):
    first, second = reports_in_three_departments["35"], reports_in_three_departments["22"]
    client.force_login(relay_staff)
    client.post("/validation/decider/", {"validate_one": first.pk})
    response = client.post(
        "/validation/decider/", {"ids": [first.pk, second.pk], "action": "validate"}, follow=True
    )
    assert f"n° {first.pk} est déjà validée" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "submitted"


def test_auditors_read_the_queue_but_cannot_decide(client, auditor, reports_in_three_departments):
    client.force_login(auditor)
    response = client.get("/validation/")
    assert len(response.context["page"]) == 3
    assert 'name="ids"' not in response.content.decode()
    report = reports_in_three_departments["35"]
    assert client.post("/validation/decider/", {"validate_one": report.pk}).status_code == 403


def test_an_auditor_is_told_at_the_top_that_the_queue_is_read_only(
    client, auditor, reports_in_three_departments
):
    client.force_login(auditor)
    page = client.get("/validation/").content.decode()
    notice = page.index('id="queue-read-only"')
    assert page.index("<h1>") < notice < page.index("<table")
    assert "Lecture seule :" in page
    for control in ('name="validate_one"', 'name="reject_one"', 'name="action"', "<textarea"):
        assert control not in page


def test_relay_staff_who_decide_are_not_told_the_queue_is_read_only(
    client, relay_staff, reports_in_three_departments
):
    client.force_login(relay_staff)
    page = client.get("/validation/").content.decode()
    assert 'name="validate_one"' in page
    assert "queue-read-only" not in page


@pytest.mark.parametrize("role", ["maker", "facilitator"])
def test_other_roles_cannot_decide(client, request, role, reports_in_three_departments):
    client.force_login(request.getfixturevalue(role))
    report = reports_in_three_departments["35"]
    assert client.post("/validation/decider/", {"validate_one": report.pk}).status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"


def test_region_staff_see_a_makers_report_left_to_the_relay(
    client, region_staff, relay_staff, reports_in_three_departments
):
    client.force_login(region_staff)
    page = text(client.get("/validation/"))
    assert 'name="ids"' not in page
    assert "À décider par l'équipe du relais" in page
    report = reports_in_three_departments["35"]
    response = client.post("/validation/decider/", {"validate_one": report.pk}, follow=True)
    assert "décidée par l'équipe du relais" in text(response)
    report.refresh_from_db()
    assert report.status == "submitted"


def test_suspected_duplicates_and_corrections_are_flagged_in_the_queue(
    client, relay_staff, maker, reference_data
):
    anne = maker.maker
    lannion = make_organisation(name="FabLab Lannion", department="35")
    anne.memberships.create(organisation=lannion)
    make_report(maker=anne)
    make_report(maker=anne, organisation=lannion, recipient="")
    # Ten days later: no double count (a few days apart, 3 would be contained in the FabLab's 24).
    make_report(maker=anne, quantity=3, produced_on=datetime.date(2020, 4, 12))
    client.force_login(relay_staff)
    response = client.get("/validation/")
    flags = sorted(r.suspected_duplicate for r in response.context["page"])
    assert flags == [False, True, True]
    assert "Double compte probable" in response.content.decode()
    only_duplicates = client.get("/validation/?suspected_duplicate=true").context["page"]
    assert len(only_duplicates) == 2


def test_a_relay_enters_a_report_for_a_maker_without_an_account(client, relay_staff, visor):
    client.force_login(relay_staff)
    form = client.get("/validation/saisie/").context["form"]
    assert [d.code for d in form.fields["new_maker_department"].queryset] == ["22", "35"]
    response = client.post(
        "/validation/saisie/",
        {
            **_log(visor.pk, quantity="40", material_cost_cents="18"),
            "maker": "",
            "new_maker_name": "Yann Kerbrat",
            "new_maker_department": "22",
            "new_maker_commune": "Lannion",
        },
    )
    assert response.status_code == 302
    report = ProductionReport.objects.get()
    assert (report.maker.display_name, report.maker.user, report.source) == (
        "Yann Kerbrat",
        None,
        "relay",
    )
    assert report.material_cost_cents == 1800


def test_the_relays_forms_speak_of_the_maker_and_the_makers_of_herself(
    client, maker, relay_staff, reports_in_three_departments
):
    client.force_login(relay_staff)
    waiting = reports_in_three_departments["35"]
    for url in ("/validation/saisie/", f"/validation/declarations/{waiting.pk}/"):
        page = client.get(url).content.decode()
        assert "Ce que la matière a coûté au maker" in page, url
        assert "vous a coûté" not in page and "Moi-même" not in page, url
    client.force_login(maker)
    assert "Ce que vous a coûté la matière" in client.get("/maker/").content.decode()


def test_entering_for_nobody_says_what_is_missing(client, relay_staff, visor):
    client.force_login(relay_staff)
    response = client.post("/validation/saisie/", {**_log(visor.pk), "maker": ""})
    assert set(response.context["form"].errors) == {"new_maker_name", "new_maker_department"}
    assert not Maker.objects.exists()


# --- Constant query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/maker/", "/validation/"])
def test_pages_use_the_same_number_of_queries_for_2_10_and_50_reports(
    client, maker, relay_staff, url
):
    lannion = make_organisation(name="FabLab Lannion", department="35")
    maker.maker.memberships.create(organisation=lannion)
    client.force_login(maker if url == "/maker/" else relay_staff)
    counts = []
    made = 0
    # From two reports on, the queue links likely double counts (one query for the page).
    for size in (2, 10, 50):
        while made < size:
            make_report(
                maker=maker.maker,
                quantity=made + 1,
                organisation=lannion if made % 2 else None,
                recipient=f"EHPAD {made}",
            )
            made += 1
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1] == counts[2], counts


def test_a_relay_fixes_a_waiting_report_of_its_departments_before_deciding(
    client, relay_staff, other_relay_staff, reports_in_three_departments, visor
):
    report = reports_in_three_departments["22"]
    client.force_login(relay_staff)
    assert (
        f'href="/validation/declarations/{report.pk}/"'
        in client.get("/validation/").content.decode()
    )
    response = client.post(f"/validation/declarations/{report.pk}/", _log(visor.pk, quantity="41"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.quantity, report.status) == (41, "submitted")

    client.force_login(other_relay_staff)
    assert client.get(f"/validation/declarations/{report.pk}/").status_code == 404
    foreign = reports_in_three_departments["29"]
    client.force_login(relay_staff)
    assert client.post(f"/validation/declarations/{foreign.pk}/", _log(visor.pk)).status_code == 404


def test_a_decided_report_is_shown_to_the_relay_but_not_changed(
    client, relay_staff, reports_in_three_departments, visor
):
    report = reports_in_three_departments["35"]
    client.force_login(relay_staff)
    client.post("/validation/decider/", {"validate_one": report.pk})
    page = client.get(f"/validation/declarations/{report.pk}/").content.decode()
    assert "ne peut plus être modifiée" in page
    client.post(f"/validation/declarations/{report.pk}/", _log(visor.pk, quantity="99"))
    report.refresh_from_db()
    assert (report.quantity, report.status) == (24, "validated")


@pytest.mark.parametrize("role", ["maker", "auditor", "region_staff"])
def test_only_relay_staff_fix_reports_from_the_queue(
    client, request, role, reports_in_three_departments
):
    report = reports_in_three_departments["35"]
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"/validation/declarations/{report.pk}/").status_code == 403


# --- Reports corroborated by a confirmed delivery (needs) ------------------------------------


def _deliver_and_confirm(user, *, quantity, confirmed, checked_by):
    """Anne pledges to an EHPAD (whose need `checked_by` checked), delivers, and the EHPAD
    confirms what it received."""
    from needs import services as needs
    from tests.factories import make_need

    now = timezone.now()
    pledge = needs.pledge_create(
        need=make_need(quantity=quantity, checked_by=checked_by),
        quantity=quantity,
        by=user,
        maker=user.maker,
        now=now,
    )
    delivery = needs.delivery_record(
        pledge=pledge, quantity=quantity, delivered_on=TODAY, by=user, now=now
    )
    needs.delivery_confirm(
        token=needs.delivery_confirm_token(delivery), confirmed_quantity=confirmed, now=now
    )


def test_the_queue_marks_reports_corroborated_by_a_confirmed_delivery(client, maker, relay_staff):
    delivered = make_report(maker=maker.maker, quantity=30, produced_on=datetime.date(2020, 4, 1))
    waiting = make_report(maker=maker.maker, quantity=40, produced_on=datetime.date(2020, 4, 5))
    _deliver_and_confirm(maker, quantity=30, confirmed=30, checked_by=relay_staff)
    client.force_login(relay_staff)
    html = client.get("/validation/").content.decode()
    mark = "corroborée par une livraison confirmée"
    assert html.count(mark) == 1
    rows = html.split("<tr")
    assert mark in next(row for row in rows if f'value="{delivered.pk}"' in row)
    assert mark not in next(row for row in rows if f'value="{waiting.pk}"' in row)


def test_the_queue_filters_the_corroborated_reports(client, maker, relay_staff):
    delivered = make_report(maker=maker.maker, quantity=30, produced_on=datetime.date(2020, 4, 1))
    waiting = make_report(maker=maker.maker, quantity=40, produced_on=datetime.date(2020, 4, 5))
    _deliver_and_confirm(maker, quantity=30, confirmed=30, checked_by=relay_staff)
    client.force_login(relay_staff)

    def shown(query):
        return {r.pk for r in client.get("/validation/?" + query).context["page"]}

    assert 'name="corroborated"' in client.get("/validation/").content.decode()
    assert shown("corroborated=true") == {delivered.pk}
    assert shown("corroborated=false") == {waiting.pk}
    assert shown("corroborated=") == {delivered.pk, waiting.pk}


def test_a_delivery_received_as_nothing_corroborates_nothing(client, maker, relay_staff):
    make_report(maker=maker.maker, quantity=30, produced_on=datetime.date(2020, 4, 1))
    _deliver_and_confirm(maker, quantity=30, confirmed=0, checked_by=relay_staff)
    client.force_login(relay_staff)
    assert "corroborée par une livraison" not in client.get("/validation/").content.decode()
