"""The same visors counted twice across sources (the maker, the FabLab's sheet, the relay): the
queue and the import preview flag likely double counts and link them; the relay keeps one."""

import datetime
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from makers import importing, selectors, services
from makers.models import Maker, Membership, ProductionReport
from tests.conftest import as_user, post, text
from tests.factories import make_maker, make_organisation, make_report
from tests.refusals import refused
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.models import Decision

NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)
APRIL = {day: datetime.date(2020, 4, day) for day in range(1, 31)}
HEADER = "Date;Nom du maker;Structure;Département;Article;Quantité;Coût matière (€);Livré à"
FABLAB = "FabLab des Champs Libres"
API = "/api/v1/production-reports/"


def sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def line(*, date="05/04/2020", maker="Gwen Le Bihan", structure=FABLAB, item="Visière", qty=200):
    return f"{date};{maker};{structure};35;{item};{qty};0;CHU Rennes"


def importing_upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("fablab.csv", content)


def preview(content: bytes, by) -> importing.ImportPlan:
    return importing.production_import_preview(
        content=content, filename="fablab.csv", by=by, now=NOW
    )


def apply(content: bytes, by) -> importing.ImportPlan:
    return importing.production_import_apply(content=content, filename="fablab.csv", by=by, now=NOW)


def flags(*reports) -> list[list[int]]:
    """The ids each report is linked to, as the queue reads them."""
    annotated = {
        r.pk: r
        for r in selectors.with_double_counts(
            ProductionReport.objects.filter(pk__in=[r.pk for r in reports])
        )
    }
    return [selectors.double_count_ids(annotated[r.pk]) for r in reports]


@pytest.fixture
def fablab(anne):
    """The FabLab Anne belongs to, in Ille-et-Vilaine (LabFab de Rennes' department)."""
    organisation = make_organisation(name=FABLAB, department="35")
    Membership.objects.create(maker=anne, organisation=organisation)
    return organisation


@pytest.fixture
def annes_50(anne, fablab):
    """Anne's own report: 50 visors on 3 April, typed by her."""
    return make_report(anne, quantity=50, produced_on=APRIL[3], recipient="")


# --- The story: the maker's report and the FabLab's sheet ---------------------------------------


def test_the_preview_flags_a_fablab_line_that_contains_a_members_own_report(relay_staff, annes_50):
    plan = preview(sheet(line()), relay_staff)

    assert plan.double_counts == [
        {
            "line": 2,
            "report_id": annes_50.pk,
            "other_line": None,
            "maker": "Anne Le Goff",
            "organisation": None,
            "quantity": 50,
            "produced_on": "2020-04-03",
            "source": "maker",
        }
    ]
    assert plan.as_dict()["double_counts"] == plan.double_counts
    assert plan.counts["rows_to_create"] == 1  # flagged, imported all the same


def test_the_preview_page_shows_the_double_counts_with_the_link(client, relay_staff, annes_50):
    client.force_login(relay_staff)
    response = client.post("/validation/import/", {"file": importing_upload(sheet(line()))})
    page = text(client.get(response["Location"]))
    assert "Doubles comptes probables" in page
    assert f"la déclaration n° {annes_50.pk}" in page
    assert "Anne Le Goff" in page
    assert "saisie par le maker" in page


def test_the_import_api_lists_the_double_counts(client, relay_staff, annes_50):
    response = as_user(client, relay_staff).post(
        "/api/v1/production-reports/import/", {"file": importing_upload(sheet(line()))}
    )
    assert response.status_code == 200, response.content
    assert response.json()["double_counts"] == [
        {
            "line": 2,
            "report_id": annes_50.pk,
            "other_line": None,
            "maker": "Anne Le Goff",
            "organisation": None,
            "quantity": 50,
            "produced_on": "2020-04-03",
            "source": "maker",
        }
    ]


def test_the_imported_line_and_the_makers_report_are_flagged_and_linked_in_the_queue(
    client, relay_staff, relay_colleague, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    assert flags(annes_50, imported) == [[imported.pk], [annes_50.pk]]

    client.force_login(relay_colleague)
    response = client.get("/validation/")
    rows = {report.pk: report for report in response.context["page"]}
    assert rows[annes_50.pk].suspected_duplicate and rows[imported.pk].suspected_duplicate
    assert [other.pk for other in rows[annes_50.pk].double_counts] == [imported.pk]
    page = text(response)
    assert "Double compte probable avec :" in page
    assert (
        f"n° {imported.pk} : Gwen Le Bihan, 200 le 05/04/2020 (import de tableur, soumise)" in page
    )
    assert f"pour {FABLAB}" in page
    # Anne's report is the relay's to decide: a button keeps the other one.
    assert f'name="keep_other" value="{annes_50.pk}-{imported.pk}"' in page
    assert "Garder l'autre, refuser celle-ci comme doublon" in page


# --- What is not a double count ---------------------------------------------------------------


def test_another_item_is_no_double_count(relay_staff, annes_50):
    assert preview(sheet(line(item="Masque tissu")), relay_staff).double_counts == []


def test_dates_ten_days_apart_are_no_double_count_unless_the_window_says_so(
    relay_staff, annes_50, settings
):
    assert preview(sheet(line(date="13/04/2020")), relay_staff).double_counts == []
    assert len(preview(sheet(line(date="06/04/2020")), relay_staff).double_counts) == 1
    settings.TILAB_DOUBLE_COUNT_DAYS = 10
    assert len(preview(sheet(line(date="13/04/2020")), relay_staff).double_counts) == 1


def test_a_member_who_counted_more_than_the_organisation_is_not_contained(
    relay_staff, anne, fablab
):
    """The FabLab's 200 cannot hold Anne's 250: she counted more than it gathered, so these are
    not the same visors. Contained means the member's side is the smaller one."""
    annes_250 = make_report(anne, quantity=250, produced_on=APRIL[3])
    assert preview(sheet(line(qty=200)), relay_staff).double_counts == []
    apply(sheet(line(qty=200)), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    assert flags(annes_250, imported) == [[], []]


def test_a_report_of_a_maker_foreign_to_the_organisation_is_no_double_count(
    relay_staff, other_maker, fablab
):
    yann = make_report(other_maker.maker, quantity=50, produced_on=APRIL[3])
    assert preview(sheet(line()), relay_staff).double_counts == []
    assert flags(yann) == [[]]


def test_rejected_reports_are_neither_flagged_nor_flag_others(
    relay_staff, relay_colleague, anne, fablab
):
    rejected = make_report(
        anne, quantity=50, produced_on=APRIL[3], status="rejected", decided_by=relay_staff
    )
    assert preview(sheet(line()), relay_staff).double_counts == []
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    assert flags(rejected, imported) == [[], []]


def test_a_makers_steady_daily_production_is_no_double_count_but_a_twin_is(anne):
    monday = make_report(anne, quantity=20, produced_on=APRIL[6])
    tuesday = make_report(anne, quantity=20, produced_on=APRIL[7])
    assert flags(monday, tuesday) == [[], []]
    twin = make_report(anne, quantity=20, produced_on=APRIL[7])
    assert flags(monday, tuesday, twin) == [[], [twin.pk], [tuesday.pk]]


def test_the_same_count_typed_by_the_maker_and_entered_by_the_relay_is_flagged(anne, relay_staff):
    typed = make_report(anne, quantity=30, produced_on=APRIL[6])
    entered = make_report(
        anne, quantity=30, produced_on=APRIL[8], entered_by=relay_staff, source="relay"
    )
    assert flags(typed, entered) == [[entered.pk], [typed.pk]]


def test_lines_of_one_file_double_count_each_other_across_relationships(relay_staff, fablab):
    """The regional sheet lists the FabLab's total and one member's own line: flagged. Two lines
    of the same maker for the same FabLab on two days are its production, not a double count."""
    plan = preview(
        sheet(
            line(maker="Gwen Le Bihan", qty=200),
            line(maker="Anne Le Goff", structure="", qty=50, date="04/04/2020"),
            line(maker="Gwen Le Bihan", qty=200, date="06/04/2020"),
        ),
        relay_staff,
    )
    assert [(d["line"], d["other_line"], d["report_id"]) for d in plan.double_counts] == [
        (2, 3, None),
        (3, 2, None),
        (3, 4, None),
        (4, 3, None),
    ]


# --- One rule: the SQL of the queue and the Python of the preview agree ------------------------


def test_the_queue_and_the_preview_apply_the_same_rule(relay_staff, region_staff, anne, fablab):
    """Every pair of a grid of reports (makers in and out of the FabLab, with and without it,
    quantities equal, smaller and larger, days apart, sources): the annotation the queue uses
    and the function the preview uses say the same."""
    yann = make_maker(display_name="Yann Kervella", department="35")
    gwen = make_maker(display_name="Gwen Le Bihan", department="35")
    Membership.objects.create(maker=gwen, organisation=fablab)
    other = make_organisation(name="Repair Café", department="35")
    Membership.objects.create(maker=yann, organisation=other)
    made = []
    cases = itertools.product(
        [(anne, None), (anne, fablab), (gwen, fablab), (yann, None), (yann, other)],
        [50, 200],
        [APRIL[3], APRIL[5], APRIL[9]],
    )
    for n, ((maker, organisation), quantity, day) in enumerate(cases):
        by_relay = n % 3 == 0 or maker.user is None
        made.append(
            make_report(
                maker,
                quantity=quantity,
                produced_on=day,
                organisation=organisation,
                entered_by=relay_staff if by_relay else maker.user,
                source="relay" if by_relay else "maker",
                status="rejected" if n % 11 == 5 else "submitted",
                # What relay staff entered is the Région's to decide (four eyes).
                decided_by=region_staff if by_relay else relay_staff,
            )
        )
    annotated = list(selectors.with_double_counts(ProductionReport.objects.order_by("pk")))
    pairs = set(Membership.objects.values_list("maker_id", "organisation_id"))
    live = [r for r in annotated if r.status in selectors.LIVE_STATUSES]
    flagged = 0
    for report in annotated:
        expected = sorted(
            other.pk
            for other in live
            if report.status in selectors.LIVE_STATUSES
            and selectors.is_likely_double_count(
                selectors.Counted.of_report(report),
                selectors.Counted.of_report(other),
                is_member=lambda m, o: (m, o) in pairs,
                days=3,
            )
        )
        assert selectors.double_count_ids(report) == expected, report
        assert report.suspected_duplicate == bool(expected)
        flagged += bool(expected)
    assert 0 < flagged < len(annotated)
    # The preview's bulk matcher (its indexes only narrow the comparisons) finds the same.
    as_lines = [selectors.Counted.of_report(report) for report in live]
    found = selectors.double_counts_of_lines(as_lines, members=set())
    for report in live:
        matched = sorted(other.pk for other in found.get(report.pk, []))
        assert matched == selectors.double_count_ids(report), report
    # A write's answer finds them for the written reports alone: the same again.
    written = list(ProductionReport.objects.order_by("pk"))
    selectors.double_counts_of_written(written)
    for report, read in zip(written, annotated, strict=True):
        assert selectors.double_count_ids(report) == selectors.double_count_ids(read), report
        assert report.suspected_duplicate == read.suspected_duplicate


# --- Keeping one: the other is rejected with a reason naming the one kept ---------------------


def test_keeping_one_rejects_the_other_with_a_reason_naming_it(
    relay_staff, relay_colleague, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")

    rejected = services.production_report_reject_as_double_count(
        report=annes_50, kept_id=imported.pk, by=relay_colleague, now=timezone.now()
    )

    assert rejected.status == "rejected"
    assert rejected.rejection_reason.startswith(
        f"Double compte de la déclaration n° {imported.pk} (Gwen Le Bihan, 200 × "
    )
    decision = Decision.objects.get(action="reject", object_id=str(annes_50.pk))
    assert decision.data["double_count_of"] == imported.pk
    assert decision.actor == relay_colleague
    # Settled: neither is flagged again.
    assert flags(annes_50, imported) == [[], []]


def test_a_note_of_the_relay_follows_the_reason(relay_staff, relay_colleague, annes_50):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    rejected = services.production_report_reject_as_double_count(
        report=annes_50,
        kept_id=imported.pk,
        by=relay_colleague,
        now=timezone.now(),
        note="Vu avec Anne au téléphone.",
    )
    assert rejected.rejection_reason.endswith("gardée à sa place. Vu avec Anne au téléphone.")


def test_keeping_a_report_that_is_no_double_count_is_refused(relay_colleague, anne, annes_50):
    unrelated = make_report(anne, quantity=50, produced_on=APRIL[20])
    with refused("not_a_double_count", kind=BadInput, field="double_count_of"):
        services.production_report_reject_as_double_count(
            report=annes_50, kept_id=unrelated.pk, by=relay_colleague, now=timezone.now()
        )
    annes_50.refresh_from_db()
    assert annes_50.status == "submitted"


def test_a_kept_report_rejected_meanwhile_leaves_the_other_standing(
    relay_staff, relay_colleague, region_staff, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    # The Région rejects the imported line (it decides what relay staff imported)...
    services.production_report_reject(
        report=imported, by=region_staff, now=timezone.now(), reason="Recompte."
    )
    # ...so a colleague who kept it from a stale page does not reject Anne's too.
    with refused("kept_report_not_standing", kind=WrongState):
        services.production_report_reject_as_double_count(
            report=annes_50, kept_id=imported.pk, by=relay_colleague, now=timezone.now()
        )
    annes_50.refresh_from_db()
    assert annes_50.status == "submitted"


def test_four_eyes_the_importer_neither_rejects_nor_keeps_their_own_import(
    relay_staff, relay_colleague, region_staff, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    now = timezone.now()
    # Rejecting their own import is deciding on it: refused, as any rejection of it.
    with refused("own_entry", kind=NotAllowed, id=imported.pk):
        services.production_report_reject_as_double_count(
            report=imported, kept_id=annes_50.pk, by=relay_staff, now=now
        )
    # Keeping it, by rejecting the maker's own report, is deciding on it too.
    with refused("own_entry", kind=NotAllowed, id=imported.pk):
        services.production_report_reject_as_double_count(
            report=annes_50, kept_id=imported.pk, by=relay_staff, now=now
        )
    # The maker cannot keep her own report over the FabLab's either (she decides on nothing).
    with refused("own_report", kind=NotAllowed):
        services.production_report_reject_as_double_count(
            report=imported, kept_id=annes_50.pk, by=annes_50.maker.user, now=now
        )
    assert set(ProductionReport.objects.values_list("status", flat=True)) == {"submitted"}
    # What relay staff import is the Région's to decide: the Région keeps Anne's report.
    services.production_report_reject_as_double_count(
        report=imported, kept_id=annes_50.pk, by=region_staff, now=now
    )
    imported.refresh_from_db()
    assert imported.status == "rejected"


# --- The queue page ----------------------------------------------------------------------------


def test_the_queue_button_keeps_the_other_report(client, relay_staff, relay_colleague, annes_50):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    client.force_login(relay_colleague)

    response = client.post(
        "/validation/decider/",
        {"keep_other": f"{annes_50.pk}-{imported.pk}", "filters": "", "reason": ""},
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith("/validation/")
    assert (
        f"Déclaration n° {annes_50.pk} refusée comme double compte de la n° {imported.pk}"
        in text(response)
    )
    annes_50.refresh_from_db()
    assert annes_50.status == "rejected"
    assert f"n° {imported.pk}" in annes_50.rejection_reason


def test_the_queue_button_works_with_htmx_and_its_message_is_announced(
    client, relay_staff, relay_colleague, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    client.force_login(relay_colleague)
    response = client.post(
        "/validation/decider/",
        {"keep_other": f"{annes_50.pk}-{imported.pk}", "filters": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = text(response)
    # Read by the page's live region while focus stays in the list (static/js/tilab.js).
    assert 'class="messages" data-announce' in page
    assert "refusée comme double compte" in page
    assert "<html" not in page  # the queue only, swapped in place


def test_the_queue_says_why_keeping_is_refused(client, relay_staff, annes_50):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {"keep_other": f"{annes_50.pk}-{imported.pk}", "filters": ""},
        follow=True,
    )
    assert "Vous avez saisi, importé ou modifié en dernier" in text(response)
    annes_50.refresh_from_db()
    assert annes_50.status == "submitted"


def test_the_queue_cannot_keep_a_report_for_another_relays_row(
    client, other_relay_staff, relay_staff, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    client.force_login(other_relay_staff)
    response = client.post(
        "/validation/decider/", {"keep_other": f"{annes_50.pk}-{imported.pk}", "filters": ""}
    )
    assert response.status_code == 404


def test_the_queue_makes_as_many_queries_for_50_reports_as_for_5(
    client, relay_colleague, anne, fablab
):
    client.force_login(relay_colleague)
    gwen = make_maker(display_name="Gwen Le Bihan", department="35")
    Membership.objects.create(maker=gwen, organisation=fablab)
    counts = []
    made = 0
    for size in (5, 50):
        while made < size:
            # Pairs: Anne's own count, then the FabLab's line holding it, two days later.
            day = APRIL[1 + (made // 2) % 28]
            if made % 2:
                make_report(gwen, quantity=200, produced_on=day, organisation=fablab)
            else:
                make_report(anne, quantity=50, produced_on=day)
            made += 1
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/validation/")
        assert response.status_code == 200
        assert sum(bool(r.double_counts) for r in response.context["page"]) >= size - 1
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts


# --- The API -----------------------------------------------------------------------------------


def test_the_api_lists_the_links_and_rejects_as_a_double_count(
    client, relay_staff, relay_colleague, annes_50
):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    as_user(client, relay_colleague)

    body = client.get(f"{API}{annes_50.pk}/").json()
    assert (body["suspected_duplicate"], body["likely_double_counts"]) == (True, [imported.pk])
    listed = {row["id"]: row["likely_double_counts"] for row in client.get(API).json()["results"]}
    assert listed == {annes_50.pk: [imported.pk], imported.pk: [annes_50.pk]}

    response = post(client, f"{API}{annes_50.pk}/reject/", {"double_count_of": imported.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert f"n° {imported.pk}" in body["rejection_reason"]
    assert body["likely_double_counts"] == []


def test_the_api_refuses_keeping_what_is_no_double_count(client, relay_colleague, anne, annes_50):
    unrelated = make_report(anne, quantity=50, produced_on=APRIL[20])
    response = post(
        as_user(client, relay_colleague),
        f"{API}{annes_50.pk}/reject/",
        {"double_count_of": unrelated.pk},
    )
    assert (response.status_code, response.json()["code"]) == (400, "not_a_double_count")
    assert response.json()["field"] == "double_count_of"


def test_a_plain_rejection_through_the_api_still_needs_a_reason(client, relay_colleague, annes_50):
    response = post(as_user(client, relay_colleague), f"{API}{annes_50.pk}/reject/", {})
    assert (response.status_code, response.json()["code"]) == (400, "rejection_reason_missing")


def test_makers_see_no_one_elses_reports_through_the_links(client, maker, relay_staff, annes_50):
    apply(sheet(line()), relay_staff)
    imported = ProductionReport.objects.get(source="import")
    as_user(client, maker)
    assert client.get(f"{API}{annes_50.pk}/").json()["likely_double_counts"] == [imported.pk]
    assert client.get(f"{API}{imported.pk}/").status_code == 404
    assert Maker.objects.filter(display_name="Gwen Le Bihan").exists()
