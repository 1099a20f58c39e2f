"""Staff exports: each role exports what it may and nothing more, the files open in French
Excel, small ones are ready at once, large ones are built by a task (a real worker in CI), a
dead broker leaves a pending export that its owner restarts, and a build runs once."""

import csv
import datetime
import html
import io
import logging
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from config.celery import app
from figures import errors, exports, tasks
from figures.models import ProductionExport
from makers.reference import item_catalogue_ensure
from tests.factories import make_maker, make_organisation, make_report, region_controller
from tests.refusals import refused
from tests.spreadsheets import (
    assert_date_cell,
    assert_numeric_cell,
    french_euros_cents,
    french_excel_rows,
    french_number,
)
from tilab.errors import BadInput, WrongState
from tilab.spreadsheets import XLSX_COUNT, XLSX_EUROS, XLSX_ID

NOW = timezone.now()
HEADERS = [
    "N°",
    "Date de production",
    "Maker",
    "Pour le compte de",
    "Département",
    "Article",
    "Quantité",
    "Coût matière (€)",
    "Livré à",
    "Statut",
    "Origine",
    "Saisie le",
    "Décidée le",
    "Décidée par",
    "Motif du refus",
]


# --- Helpers -------------------------------------------------------------------------------------


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Tasks go to a broker on a port nobody listens on, as when Redis is down in production."""
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = dead
    # Celery prefers the environment variable to the setting: CI sets one.
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = False  # tests/conftest.py restores it afterwards
    # Celery keeps one connection pool per process: build fresh ones on the dead broker, and
    # give the previous ones back afterwards.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def production(maker, relay_staff, other_relay_staff):
    """Reports in three departments: Anne (35) and Yann (22) for LabFab de Rennes, Gwen (29)
    for ENSTA Bretagne; validated, rejected and waiting ones."""
    item_catalogue_ensure()
    anne = maker.maker
    yann = make_maker(display_name="Yann Kerbrat", department="22", commune="Lannion")
    gwen = make_maker(display_name="Gwenaëlle Morvan", department="29", commune="Brest")
    lannion = make_organisation(name="FabLab Lannion", department="22")
    yann.memberships.create(organisation=lannion)
    return {
        "anne": make_report(
            maker=anne,
            quantity=24,
            cost_cents=1250,
            status="validated",
            decided_by=relay_staff,
            produced_on=datetime.date(2020, 4, 2),
        ),
        "yann": make_report(
            maker=yann,
            quantity=1200,
            cost_cents=123450,
            organisation=lannion,
            recipient='=HYPERLINK("http://example.org")',
            entered_by=relay_staff,
            status="rejected",
            decided_by=region_controller(),
            produced_on=datetime.date(2020, 4, 9),
        ),
        "yann_waiting": make_report(
            maker=yann,
            item="fabric-mask",
            quantity=50,
            cost_cents=0,
            entered_by=relay_staff,
            produced_on=datetime.date(2020, 5, 4),
        ),
        "gwen": make_report(
            maker=gwen,
            quantity=300,
            entered_by=other_relay_staff,
            status="validated",
            decided_by=region_controller(),
            produced_on=datetime.date(2020, 4, 3),
        ),
    }


def request_export(user, *, format="csv", now=NOW, **filters) -> ProductionExport:
    return exports.production_export_request(by=user, format=format, filters=filters, now=now)


def file_of(export: ProductionExport) -> bytes:
    return bytes(ProductionExport.objects.values_list("content", flat=True).get(pk=export.pk))


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "French Excel needs the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def ids_in(content: bytes) -> set[int]:
    return {int(row[0]) for row in csv_rows(content)[1:]}


# --- Who exports what ---------------------------------------------------------------------------


def test_a_relay_exports_the_reports_of_its_departments_and_no_other(production, relay_staff):
    export = request_export(relay_staff)
    assert export.status == ProductionExport.Status.READY
    content = file_of(export)
    assert ids_in(content) == {
        production["anne"].pk,
        production["yann"].pk,
        production["yann_waiting"].pk,
    }
    assert "Gwenaëlle Morvan" not in content.decode("utf-8-sig")
    assert export.row_count == 3


@pytest.mark.parametrize("role", ["region_staff", "auditor"])
def test_region_staff_and_auditors_export_every_department(production, request, role):
    export = request_export(request.getfixturevalue(role))
    assert ids_in(file_of(export)) == {report.pk for report in production.values()}


@pytest.mark.parametrize("role", ["maker", "facilitator"])
def test_makers_and_facilitators_may_not_export(client, production, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/exports/").status_code == 403
    assert client.post("/exports/", {"format": "csv"}).status_code == 403
    assert not ProductionExport.objects.exists()


def test_someone_without_an_account_is_sent_to_log_in(client, reference_data):
    response = client.get("/exports/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_relay_cannot_ask_for_a_department_it_does_not_cover(client, production, relay_staff):
    client.force_login(relay_staff)
    response = client.post("/exports/", {"format": "csv", "department": "29"})
    assert response.status_code == 200
    assert "department" in response.context["filter_form"].errors
    assert not ProductionExport.objects.exists()
    with refused("export_filter_invalid", kind=BadInput, field="department"):
        request_export(relay_staff, department="29")


def test_the_department_choices_are_those_the_user_may_export(client, production, relay_staff):
    client.force_login(relay_staff)
    response = client.get("/exports/")
    choices = [
        code for code, _label in response.context["filter_form"].fields["department"].choices
    ]
    assert [str(code) for code in choices if code] == ["22", "35"]


def test_another_persons_export_answers_404(client, production, relay_staff, other_relay_staff):
    theirs = request_export(other_relay_staff)
    client.force_login(relay_staff)
    assert client.get(f"/exports/{theirs.pk}/download/").status_code == 404
    assert client.post(f"/exports/{theirs.pk}/relancer/").status_code == 404
    assert b"Gwena" not in client.get("/exports/").content


def test_an_export_built_after_its_owner_lost_the_relay_role_fails_with_the_reason(
    production, relay_staff, monkeypatch
):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff)  # queued; no on_commit in this test: stays pending
    relay_staff.groups.clear()
    exports.production_export_build(export_id=export.pk, now=NOW)
    export.refresh_from_db()
    assert export.status == ProductionExport.Status.FAILED
    assert export.error == errors.EXPORT_NO_LONGER_ALLOWED().message
    assert export.content is None


def test_an_export_too_large_for_its_format_is_refused_with_the_way_out(
    client, production, relay_staff, monkeypatch
):
    monkeypatch.setattr(exports, "MAX_ROWS", {"csv": 3, "xlsx": 2})
    with refused("export_too_large", kind=BadInput, max=2, format="XLSX") as too_large:
        request_export(relay_staff, format="xlsx")
    client.force_login(relay_staff)
    response = client.post("/exports/", {"format": "xlsx"})
    assert response.status_code == 200
    assert too_large.value.message in text_of(response)
    assert not ProductionExport.objects.exists()
    assert request_export(relay_staff, format="csv").status == ProductionExport.Status.READY


# --- What the files hold ------------------------------------------------------------------------


def test_the_csv_opens_in_french_excel_with_names_and_decimal_commas(production, relay_staff):
    rows = csv_rows(file_of(request_export(relay_staff)))
    assert rows[0] == HEADERS
    by_id = {int(row[0]): row for row in rows[1:]}
    anne = by_id[production["anne"].pk]
    assert anne[1:11] == [
        "02/04/2020",
        "Anne Le Goff",
        "",
        "35",
        "Visière de protection",
        "24",
        "12,50",
        "CHU Rennes",
        "validée",
        "saisie par le maker",
    ]
    decided_at = timezone.localtime(production["anne"].decided_at)
    assert anne[12] == decided_at.strftime("%d/%m/%Y %H:%M")
    assert anne[13] == relay_staff.email  # no full name: the e-mail names them
    yann = by_id[production["yann"].pk]
    assert (yann[2], yann[3], yann[6], yann[7], yann[9], yann[14]) == (
        "Yann Kerbrat",
        "FabLab Lannion",
        "1200",
        "1234,50",
        "refusée",
        "Quantité à vérifier",
    )
    # A recipient typed as a formula stays text: Excel shows it, never runs it.
    assert yann[8] == '\'=HYPERLINK("http://example.org")'
    waiting = by_id[production["yann_waiting"].pk]
    assert (waiting[5], waiting[7], waiting[9], waiting[12], waiting[13]) == (
        "Masque en tissu",
        "0,00",
        "soumise",
        "",
        "",
    )


def test_the_csv_numbers_are_numbers_for_french_excel_and_add_up_to_the_cent(
    production, relay_staff
):
    rows = french_excel_rows(file_of(request_export(relay_staff)))[1:]
    assert len(rows) == 3
    for row in rows:
        for column in (0, 6):
            assert french_number(row[column]) == int(row[column])  # whole, no separator
        assert "." not in row[7]
    costs = {int(row[0]): french_euros_cents(row[7]) for row in rows}
    assert costs == {
        production[name].pk: production[name].material_cost_cents
        for name in ("anne", "yann", "yann_waiting")
    }
    assert sum(french_number(row[7]) for row in rows) == Decimal("1247.00")


def test_the_xlsx_has_typed_cells_a_bold_frozen_header_and_an_autofilter(production, relay_staff):
    export = request_export(relay_staff, format="xlsx")
    assert export.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(file_of(export))).active
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O4"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    anne = rows[production["anne"].pk]
    assert anne[1].value == datetime.datetime(2020, 4, 2)  # a date cell, shown 02/04/2020
    assert anne[1].number_format == "DD/MM/YYYY"
    assert anne[2].value == "Anne Le Goff"
    assert anne[6].value == 24
    assert anne[7].value == 12.5 and "€" in anne[7].number_format
    assert isinstance(anne[12].value, datetime.datetime)
    yann = rows[production["yann"].pk]
    assert yann[7].value == 1234.5
    assert yann[8].value == '=HYPERLINK("http://example.org")'
    assert yann[8].data_type == "s"  # text, not a formula
    assert yann[14].value == "Quantité à vérifier"


def test_every_number_of_the_xlsx_is_a_number_with_its_format_and_every_date_a_date(
    production, relay_staff
):
    sheet = load_workbook(io.BytesIO(file_of(request_export(relay_staff, format="xlsx")))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 3
    for row in rows:
        assert_numeric_cell(row[0], XLSX_ID)
        assert_date_cell(row[1])
        assert_numeric_cell(row[6], XLSX_COUNT)
        assert_numeric_cell(row[7], XLSX_EUROS)
        assert_date_cell(row[11])
    by_id = {row[0].value: row for row in rows}
    assert by_id[production["yann"].pk][6].value == 1200
    # Cells are refilled row after row: nothing of one row leaks into the next.
    waiting = by_id[production["yann_waiting"].pk]
    assert (waiting[3].value, waiting[12].value, waiting[13].value) == (None, None, None)
    assert waiting[7].value == 0
    # The euros add up to the cent, read back as Excel reads them.
    total = sum(Decimal(str(row[7].value)) for row in rows)
    assert total == Decimal("1247.00")


def test_filters_choose_the_rows(production, relay_staff, region_staff):
    validated = request_export(region_staff, status="validated", produced_before="2020-04-02")
    assert ids_in(file_of(validated)) == {production["anne"].pk}
    masks = request_export(relay_staff, item_type="fabric-mask", department="22")
    assert ids_in(file_of(masks)) == {production["yann_waiting"].pk}
    assert masks.filters == {"item_type": "fabric-mask", "department": "22"}
    april = request_export(region_staff, produced_after="2020-04-03", produced_before="2020-04-30")
    assert ids_in(file_of(april)) == {production["yann"].pk, production["gwen"].pk}


def test_the_file_speaks_the_language_of_the_person_who_asked(production, relay_staff):
    with translation.override("en"):
        export = request_export(relay_staff, item_type="visor")
    assert export.language == "en"
    rows = csv_rows(file_of(export))
    assert {row[5] for row in rows[1:]} == {"Face shield"}


# --- The page: ask, follow, download ------------------------------------------------------------


def test_a_small_export_is_ready_at_once_and_downloads_as_an_attachment(
    client, production, relay_staff
):
    client.force_login(relay_staff)
    response = client.post("/exports/", {"format": "csv", "status": "validated"}, follow=True)
    export = ProductionExport.objects.get()
    assert export.status == ProductionExport.Status.READY
    assert export.requested_by == relay_staff
    assert f"export n° {export.pk} est prêt" in text_of(response)
    download = client.get(f"/exports/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith("attachment")
    assert export.filename in download["Content-Disposition"]
    content = b"".join(download.streaming_content)
    assert ids_in(content) == {production["anne"].pk}


def test_a_large_export_is_queued_then_built_by_the_task(
    client, production, relay_staff, monkeypatch, eager_tasks, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 2)
    client.force_login(relay_staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/exports/", {"format": "xlsx"})
    assert response.status_code == 302
    export = ProductionExport.objects.get()
    # Nothing is built before the request's transaction commits.
    assert (export.status, export.row_count, len(callbacks)) == ("pending", 3, 1)
    assert client.get(f"/exports/{export.pk}/download/").status_code == 302
    callbacks[0]()
    export.refresh_from_db()
    assert export.status == ProductionExport.Status.READY
    assert export.queued_at is not None
    sheet = load_workbook(io.BytesIO(file_of(export))).active
    assert sheet.max_row == 4


def test_the_page_says_an_export_is_being_prepared_and_polls_until_it_is_ready(
    client, production, relay_staff, monkeypatch
):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff)
    # Handed to a broker a moment ago (this test's transaction never commits: nothing runs it).
    ProductionExport.objects.filter(pk=export.pk).update(queued_at=timezone.now())
    client.force_login(relay_staff)
    page = client.get("/exports/").content.decode()
    assert "Préparation en arrière-plan" in page
    assert f'data-hx-get="/exports/?watch={export.pk}" data-hx-trigger="every 3s"' in page
    assert 'id="export-announce" role="status"' in page
    poll = client.get(f"/exports/?watch={export.pk}", headers={"hx-request": "true"})
    assert 'data-hx-swap-oob="innerHTML"' in poll.content.decode()
    assert "every 3s" in poll.content.decode()
    tasks.production_export_build(export_id=export.pk)
    poll = client.get(f"/exports/?watch={export.pk}", headers={"hx-request": "true"})
    body = text_of(poll)
    assert f"export n° {export.pk} est prêt" in body
    assert f"/exports/{export.pk}/download/" in body
    assert "every 3s" not in body  # nothing left to wait for: the polling stops


def test_an_export_not_ready_is_not_downloaded(client, production, relay_staff, monkeypatch):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff)
    client.force_login(relay_staff)
    response = client.get(f"/exports/{export.pk}/download/", follow=True)
    assert response.redirect_chain == [("/exports/", 302)]
    assert "pas prêt" in text_of(response)


def test_a_failed_build_is_marked_with_its_reason_logged_and_restarted(
    client, production, relay_staff, monkeypatch, caplog
):
    def broken(rows):
        raise ValueError("disque plein")

    monkeypatch.setattr(exports, "_csv", broken)
    with caplog.at_level(logging.ERROR, logger="figures.exports"):
        export = request_export(relay_staff)
    assert export.status == ProductionExport.Status.FAILED
    assert "disque plein" in export.error
    assert any("failed" in record.getMessage() for record in caplog.records)
    monkeypatch.undo()
    client.force_login(relay_staff)
    page = client.get("/exports/").content.decode()
    assert "disque plein" in page and f"/exports/{export.pk}/relancer/" in page
    client.post(f"/exports/{export.pk}/relancer/")
    export.refresh_from_db()
    assert (export.status, export.error) == (ProductionExport.Status.READY, "")


# --- One build per export -----------------------------------------------------------------------


def test_building_twice_builds_once_and_keeps_the_same_file(production, relay_staff, monkeypatch):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff, format="xlsx")
    renders = []
    real_render = exports._render
    monkeypatch.setattr(exports, "_render", lambda e: renders.append(e.pk) or real_render(e))
    assert exports.production_export_build(export_id=export.pk, now=NOW) is True
    first = file_of(export)
    assert exports.production_export_build(export_id=export.pk, now=NOW) is False
    assert tasks.production_export_build(export_id=export.pk) is False
    assert file_of(export) == first
    assert renders == [export.pk]


def test_a_running_export_whose_worker_died_is_built_again(production, relay_staff, monkeypatch):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff)
    started = NOW - datetime.timedelta(hours=1)
    ProductionExport.objects.filter(pk=export.pk).update(status="running", started_at=started)
    # A worker may still be on it a few minutes later: leave it alone.
    soon = started + datetime.timedelta(minutes=5)
    assert exports.production_export_build(export_id=export.pk, now=soon) is False
    assert exports.production_export_build(export_id=export.pk, now=NOW) is True
    export.refresh_from_db()
    assert export.status == ProductionExport.Status.READY
    # The dead worker's late result, if it ever came, would find the export no longer its own.
    late = ProductionExport.objects.filter(pk=export.pk, status="running", started_at=started)
    assert late.update(status="failed", error="late") == 0


def test_a_recently_queued_export_is_not_restarted(client, production, relay_staff, monkeypatch):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 0)
    export = request_export(relay_staff)
    ProductionExport.objects.filter(pk=export.pk).update(queued_at=NOW)
    with refused("export_not_retryable", kind=WrongState):
        exports.production_export_retry(export_id=export.pk, by=relay_staff, now=NOW)
    later = NOW + exports.RETRY_AFTER + datetime.timedelta(seconds=1)
    exports.production_export_retry(export_id=export.pk, by=relay_staff, now=later)
    export.refresh_from_db()
    assert export.status == ProductionExport.Status.PENDING  # queued again (no on_commit here)


# --- The broker is down -------------------------------------------------------------------------


def test_with_the_broker_down_the_request_answers_quickly_and_the_owner_restarts_it_later(
    client,
    production,
    relay_staff,
    monkeypatch,
    broker_down,
    settings,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 1)
    client.force_login(relay_staff)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/", {"format": "csv"}, follow=True)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 10, f"requesting an export with the broker down took {elapsed:.1f}s"
    export = ProductionExport.objects.get()
    assert (export.status, export.queued_at) == (ProductionExport.Status.PENDING, None)
    page = response.content.decode()
    assert "le serveur de tâches ne répond pas" in page
    assert f"/exports/{export.pk}/relancer/" in page
    assert "every 3s" not in page  # nothing will happen until it is restarted

    # The broker is back (here: tasks run in-process again); its owner restarts it.
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/exports/{export.pk}/relancer/")
    export.refresh_from_db()
    assert export.status == ProductionExport.Status.READY
    assert f"/exports/{export.pk}/download/" in client.get("/exports/").content.decode()
    assert ids_in(file_of(export)) == {
        production["anne"].pk,
        production["yann"].pk,
        production["yann_waiting"].pk,
    }


def test_beat_queues_again_the_exports_the_broker_lost_and_leaves_failed_ones_to_their_owner(
    production, relay_staff, monkeypatch, broker_down, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=True):
        lost = request_export(relay_staff, now=timezone.now())
        failed = request_export(relay_staff, now=timezone.now())
    ProductionExport.objects.filter(pk=failed.pk).update(status="failed", error="disque plein")
    assert ProductionExport.objects.get(pk=lost.pk).status == "pending"

    # The broker is back (tasks in-process again); beat's next run picks the lost one up.
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    assert tasks.production_exports_requeue() == 1
    assert ProductionExport.objects.get(pk=lost.pk).status == "ready"
    assert ProductionExport.objects.get(pk=failed.pk).status == "failed"
    assert tasks.production_exports_requeue() == 0  # nothing left to do, nothing built twice


# --- Constant query count -----------------------------------------------------------------------


def test_the_exports_page_uses_the_same_number_of_queries_for_1_5_and_20_exports(
    client, production, relay_staff
):
    client.force_login(relay_staff)
    counts = []
    made = 0
    for size in (1, 5, 20):
        while made < size:
            request_export(
                relay_staff,
                format="xlsx" if made % 2 else "csv",
                item_type="visor" if made % 3 else "",
                status="validated" if made % 2 else "",
                now=NOW + datetime.timedelta(seconds=made),
            )
            made += 1
        for url, headers in (("/exports/", {}), ("/exports/?watch=1,2", {"hx-request": "true"})):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, headers=headers).status_code == 200
            counts.append((url, len(captured)))
    pages = [n for url, n in counts if "watch" not in url]
    polls = [n for url, n in counts if "watch" in url]
    assert len(set(pages)) == 1, counts
    assert len(set(polls)) == 1, counts


# --- A real worker ------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_a_large_export(celery_worker, monkeypatch, relay_staff):
    item_catalogue_ensure()
    anne = make_maker(display_name="Anne Le Goff", department="35")
    for day in range(1, 6):
        make_report(
            maker=anne,
            entered_by=relay_staff,
            quantity=day,
            produced_on=datetime.date(2020, 4, day),
        )
    monkeypatch.setattr(exports, "IMMEDIATE_MAX_ROWS", 2)
    export = request_export(relay_staff, format="xlsx", now=timezone.now())
    assert export.status in (ProductionExport.Status.PENDING, ProductionExport.Status.RUNNING)
    assert export.queued_at is not None  # handed to the broker
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export.refresh_from_db(fields=["status", "row_count", "error"])
        if export.status not in ("pending", "running"):
            break
        time.sleep(0.2)
    assert export.status == ProductionExport.Status.READY, export.error
    sheet = load_workbook(io.BytesIO(file_of(export))).active
    assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == [1, 2, 3, 4, 5]
