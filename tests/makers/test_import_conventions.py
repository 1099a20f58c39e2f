"""A spreadsheet is read with its own conventions: the order of its dates, its decimal mark.

US files write 4/3/2020 for 3 April and 1,250 for one thousand two hundred and fifty; French
files 4/3/2020 for 4 March and 1,250 for one and a quarter. What the file proves is used and
said; what it leaves open is asked when the file looks English, read the French way otherwise.
"""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from makers import importing
from makers.models import ProductionImport, ProductionReport
from tests.makers.test_import import NOW, xlsx
from tests.refusals import answered, refused

FRENCH = ["Date", "Nom du maker", "Département", "Article", "Quantité", "Coût matière (€)"]
ENGLISH = ["Date", "Name", "Department", "Item", "Quantity", "Material cost"]
# 3 April, 11 April and 2 May as an English-language program writes them.
US_DATES = ["4/3/2020", "4/11/2020", "5/2/2020"]
US_READ = [datetime.date(2020, 4, 3), datetime.date(2020, 4, 11), datetime.date(2020, 5, 2)]
# 4 March, 1 April and 5 February as a French one writes them.
FRENCH_DATES = ["4/3/2020", "1/4/2020", "5/2/2020"]


def lines(dates, *, costs=None, quantities=None, header=FRENCH) -> list[list[str]]:
    """A header and one line per date: Anne Le Goff's visors in Ille-et-Vilaine."""
    costs = costs or ["12"] * len(dates)
    quantities = quantities or [str(n) for n in range(10, 10 + len(dates))]
    return [
        header,
        *(
            [when, "Anne Le Goff", "35", "Visière", quantity, cost]
            for when, quantity, cost in zip(dates, quantities, costs, strict=True)
        ),
    ]


def as_csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    return xlsx(rows)  # every cell a text cell, as typed


FORMATS = pytest.mark.parametrize("write", [as_csv, as_xlsx], ids=["csv", "xlsx"])


def preview(content: bytes, by, **options) -> importing.ImportPlan:
    return importing.production_import_preview(
        content=content,
        filename="production",
        by=by,
        now=NOW,
        options=importing.ImportOptions(**options),
    )


def apply(content: bytes, by, **options) -> importing.ImportPlan:
    return importing.production_import_apply(
        content=content,
        filename="production",
        by=by,
        now=NOW,
        options=importing.ImportOptions(**options),
    )


def errors_of(content: bytes, by, **options) -> list[tuple]:
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(content, by, **options)
    return [(e.line, e.column, e.code) for e in rejected.value.errors]


def convention(plan, option: str) -> dict:
    (found,) = [c for c in plan.as_dict()["conventions"] if c["option"] == option]
    return found


# --- Dates -------------------------------------------------------------------------------------


@FORMATS
def test_us_dates_proven_by_one_line_are_all_read_month_first(write, relay_staff):
    content = write(lines([*US_DATES, "4/21/2020"]))
    plan = apply(content, relay_staff)

    assert [r.produced_on for r in plan.rows] == [*US_READ, datetime.date(2020, 4, 21)]
    assert sorted(ProductionReport.objects.values_list("produced_on", flat=True)) == sorted(
        [*US_READ, datetime.date(2020, 4, 21)]
    )
    said = convention(plan, "date_order")
    assert (said["value"], said["decided_by"], said["choosable"], said["asked"]) == (
        "month_first",
        "file",
        False,
        False,
    )
    assert said["evidence"] == {"line": 5, "column": "Date", "value": "4/21/2020"}
    assert said["message"] == "Dates lues mois/jour : la ligne 5 porte 4/21/2020."
    assert plan.choices_needed == []


@FORMATS
def test_us_dates_left_open_in_an_english_sheet_are_asked_before_importing(write, relay_staff):
    content = write(lines(US_DATES, header=ENGLISH))

    plan = preview(content, relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["date_order"]
    said = convention(plan, "date_order")
    assert (said["value"], said["decided_by"], said["asked"], said["ambiguous"]) == (
        "day_first",
        "default",
        True,
        3,
    )
    assert "Name" in said["english_signs"][0]
    # Meanwhile the preview reads them day first, or the only way that can be (11 April, not
    # 4 November, which is after today).
    assert [r.produced_on.isoformat() for r in plan.rows] == [
        "2020-03-04",
        "2020-04-11",
        "2020-02-05",
    ]

    with refused("import_choice_needed"):
        apply(content, relay_staff)
    assert not ProductionReport.objects.exists()

    plan = apply(content, relay_staff, date_order="month_first")
    assert plan.choices_needed == []
    assert convention(plan, "date_order")["decided_by"] == "choice"
    assert sorted(ProductionReport.objects.values_list("produced_on", flat=True)) == US_READ


def test_an_english_sheet_whose_dates_prove_day_first_is_not_asked(relay_staff):
    plan = preview(as_csv(lines(["4/3/2020", "21/04/2020"], header=ENGLISH)), relay_staff)
    assert plan.choices_needed == []
    assert [r.produced_on.isoformat() for r in plan.rows] == ["2020-03-04", "2020-04-21"]


def test_a_decimal_point_is_a_sign_of_an_english_program_for_the_dates(relay_staff):
    content = as_csv(lines(US_DATES, costs=["12.50", "3", "4"]))
    plan = preview(content, relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["date_order"]
    assert convention(plan, "date_order")["english_signs"] == ["point décimal ligne 2 : 12.50"]


@FORMATS
def test_a_french_sheet_whose_dates_prove_nothing_is_read_day_first_and_says_so(write, relay_staff):
    plan = apply(write(lines(FRENCH_DATES)), relay_staff)

    assert [r.produced_on.isoformat() for r in plan.rows] == [
        "2020-03-04",
        "2020-04-01",
        "2020-02-05",
    ]
    said = convention(plan, "date_order")
    assert (said["value"], said["decided_by"], said["asked"], said["choosable"]) == (
        "day_first",
        "default",
        False,
        True,
    )
    assert said["message"].startswith(
        "Dates lues jour/mois par défaut : aucune date du fichier ne prouve l'ordre"
    )
    assert "4/3/2020 se lit 4 mars 2020" in said["message"]
    assert ProductionReport.objects.count() == 3


@FORMATS
def test_lines_written_against_the_order_of_the_rest_of_the_file_are_refused(write, relay_staff):
    content = write(lines(["21/04/2020", "22/04/2020", "4/23/2020", "4/3/2020"]))
    assert errors_of(content, relay_staff) == [(4, "Date", "date_order_mixed")]
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(content, relay_staff)
    (error,) = rejected.value.errors
    assert error.refusal.params == {
        "value": "4/23/2020",
        "written": "mois/jour",
        "order": "jour/mois",
        "line": 2,
        "example": "21/04/2020",
    }
    assert not ProductionReport.objects.exists()


def test_the_majority_of_a_mixed_file_decides_and_the_minority_is_refused(relay_staff):
    content = as_csv(lines(["4/21/2020", "4/22/2020", "21/04/2020"]))
    assert errors_of(content, relay_staff) == [(4, "Date", "date_order_mixed")]


def test_a_chosen_order_refuses_the_dates_that_contradict_it(relay_staff):
    content = as_csv(lines(["4/3/2020", "4/21/2020"]))
    assert errors_of(content, relay_staff, date_order="day_first") == [
        (3, "Date", "date_against_choice")
    ]


@FORMATS
def test_french_written_dates_are_read(write, relay_staff):
    written = [
        "12 avril 2020",
        "1er avril 2020",
        "vendredi 3 avril 2020",
        "3 avr. 2020",
        "03-avr-2020",
        "Lundi 4 mai 2020",
        "2 février 2020",
    ]
    plan = preview(write(lines(written)), relay_staff)
    assert [r.produced_on.isoformat() for r in plan.rows] == [
        "2020-04-12",
        "2020-04-01",
        "2020-04-03",
        "2020-04-03",
        "2020-04-03",
        "2020-05-04",
        "2020-02-02",
    ]
    assert plan.choices_needed == []


def test_english_written_dates_are_read_and_make_the_sheet_look_english(relay_staff):
    written = ["April 3, 2020", "3 April 2020", "Apr 3 2020", "Friday, April 3, 2020"]
    plan = preview(as_csv(lines(written)), relay_staff)
    assert {r.produced_on.isoformat() for r in plan.rows} == {"2020-04-03"}

    plan = preview(as_csv(lines([*written, "4/11/2020"])), relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["date_order"]
    assert convention(plan, "date_order")["english_signs"] == [
        "date écrite en anglais ligne 2 : April 3, 2020"
    ]


def test_typed_dates_of_a_workbook_prove_nothing_and_need_no_choice(relay_staff):
    rows = lines(["x", "x"], header=ENGLISH)
    rows[1][0], rows[2][0] = datetime.date(2020, 4, 3), datetime.datetime(2020, 4, 11)
    plan = preview(xlsx(rows), relay_staff)
    assert [r.produced_on for r in plan.rows] == US_READ[:2]
    assert plan.choices_needed == []
    assert plan.as_dict()["conventions"] == []


# --- Numbers -----------------------------------------------------------------------------------


@FORMATS
def test_1_250_in_a_french_file_is_one_euro_twenty_five(write, relay_staff):
    plan = preview(write(lines(["16/03/2020"], costs=["1,250"])), relay_staff)
    assert plan.rows[0].material_cost_cents == 125
    said = convention(plan, "decimal_mark")
    assert (said["value"], said["decided_by"], said["asked"], said["choosable"]) == (
        "comma",
        "default",
        False,
        True,
    )
    assert "1,250 se lit 1,25" in said["message"]
    # Counted in units, it is a fraction: refused.
    content = write(lines(["16/03/2020"], quantities=["1,250"]))
    assert errors_of(content, relay_staff) == [(2, "Quantité", "quantity_unreadable")]


@FORMATS
def test_1_250_in_an_english_file_proven_is_one_thousand_two_hundred_and_fifty(write, relay_staff):
    content = write(
        lines(["16/03/2020", "17/03/2020"], costs=["1,250", "12.50"], quantities=["1,250", "3"])
    )
    plan = apply(content, relay_staff)
    assert [(r.quantity, r.material_cost_cents) for r in plan.rows] == [(1250, 125000), (3, 1250)]
    said = convention(plan, "decimal_mark")
    assert (said["value"], said["decided_by"]) == ("point", "file")
    assert said["evidence"] == {"line": 3, "column": "Coût matière (€)", "value": "12.50"}
    assert sorted(ProductionReport.objects.values_list("material_cost_cents", flat=True)) == [
        1250,
        125000,
    ]


@FORMATS
def test_1_250_in_an_english_sheet_proving_nothing_is_asked(write, relay_staff):
    content = write(lines(["16/03/2020"], costs=["1,250"], header=ENGLISH))
    plan = preview(content, relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["decimal_mark"]
    assert convention(plan, "decimal_mark")["asked"] is True
    with refused("import_choice_needed"):
        apply(content, relay_staff)

    plan = apply(content, relay_staff, decimal_mark="point")
    assert ProductionReport.objects.get().material_cost_cents == 125000


def test_month_first_dates_make_a_sheet_look_english_for_its_numbers(relay_staff):
    plan = preview(as_csv(lines(["4/21/2020"], costs=["1,250"])), relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["decimal_mark"]
    assert convention(plan, "decimal_mark")["english_signs"] == [
        "dates mois/jour ligne 2 : 4/21/2020"
    ]


@FORMATS
def test_1_point_250_both_ways(write, relay_staff):
    french = write(lines(["16/03/2020", "17/03/2020"], costs=["1.250", "3,75"]))
    assert [r.material_cost_cents for r in preview(french, relay_staff).rows] == [125000, 375]

    english = write(lines(["16/03/2020", "17/03/2020"], costs=["1.250", "3.75"]))
    assert [r.material_cost_cents for r in preview(english, relay_staff).rows] == [125, 375]

    open_question = write(lines(["16/03/2020"], costs=["1.250"], header=ENGLISH))
    assert [c["option"] for c in preview(open_question, relay_staff).choices_needed] == [
        "decimal_mark"
    ]
    chosen = preview(open_question, relay_staff, decimal_mark="comma")
    assert chosen.rows[0].material_cost_cents == 125000


def test_numbers_written_against_the_rest_of_the_file_are_refused(relay_staff):
    content = as_csv(
        lines(["16/03/2020", "17/03/2020", "18/03/2020"], costs=["12,50", "1 250,50", "3.75"])
    )
    assert errors_of(content, relay_staff) == [(4, "Coût matière (€)", "number_mark_mixed")]


def test_a_chosen_mark_refuses_the_numbers_that_contradict_it(relay_staff):
    content = as_csv(lines(["16/03/2020"], costs=["12.5"]))
    assert errors_of(content, relay_staff, decimal_mark="comma") == [
        (2, "Coût matière (€)", "number_against_choice")
    ]


def test_typed_numbers_of_a_workbook_keep_their_value_whatever_the_mark(relay_staff):
    rows = lines(["16/03/2020", "17/03/2020"], header=ENGLISH)
    rows[1][4:6] = [1250, 12.5]
    rows[2][4:6] = [3, "1,250"]
    plan = preview(xlsx(rows), relay_staff, decimal_mark="point")
    assert [(r.quantity, r.material_cost_cents) for r in plan.rows] == [(1250, 1250), (3, 125000)]
    plan = preview(xlsx(rows), relay_staff, decimal_mark="comma")
    assert [(r.quantity, r.material_cost_cents) for r in plan.rows] == [(1250, 1250), (3, 125)]


# --- The page ----------------------------------------------------------------------------------


def preview_url() -> str:
    return f"/validation/import/{ProductionImport.objects.get().pk}/"


def test_the_page_asks_refuses_to_confirm_then_imports_with_the_choice(client, relay_staff):
    client.force_login(relay_staff)
    content = as_csv(lines(US_DATES, header=ENGLISH))
    client.post("/validation/import/", {"file": SimpleUploadedFile("us.csv", content)})

    html = client.get(preview_url()).content.decode()
    assert "Choisissez l&#x27;ordre des dates" in html
    assert "Dates lues jour/mois en attendant votre choix" in html
    assert 'name="date_order" value="month_first"' in html
    assert "<legend>Ordre des dates</legend>" in html
    assert '<button type="submit">Importer' not in html

    response = client.post(preview_url(), follow=True)
    said = [str(message) for message in response.context["messages"]]
    assert any("laisse un choix ouvert" in message for message in said)
    assert not ProductionReport.objects.exists()

    response = client.post(preview_url(), {"action": "choose", "date_order": "month_first"})
    assert response.status_code == 302
    assert ProductionImport.objects.get().options == {"date_order": "month_first"}
    html = client.get(preview_url()).content.decode()
    assert "Dates lues mois/jour, comme vous l&#x27;avez choisi." in html
    assert "11/04/2020" in html
    assert '<button type="submit">Importer 3 déclarations' in html

    response = client.post(preview_url(), follow=True)
    assert response.redirect_chain[-1][0] == "/validation/"
    assert sorted(ProductionReport.objects.values_list("produced_on", flat=True)) == US_READ


def test_a_choice_that_is_no_option_is_shown_on_the_preview_and_kept_nowhere(client, relay_staff):
    client.force_login(relay_staff)
    content = as_csv(lines(US_DATES, header=ENGLISH))
    client.post("/validation/import/", {"file": SimpleUploadedFile("us.csv", content)})

    response = client.post(preview_url(), {"action": "choose", "date_order": "backwards"})
    assert response.status_code == 200
    assert response.context["options_form"].has_error("date_order", code="invalid_choice")
    # The preview is still there, read as before, with the question and its error beside it.
    assert response.context["plan"].choices_needed
    assert 'name="date_order" value="month_first"' in response.content.decode()
    assert ProductionImport.objects.get().options == {}


def test_the_page_states_the_french_default_and_offers_to_change_it(client, relay_staff):
    client.force_login(relay_staff)
    content = as_csv(lines(FRENCH_DATES, costs=["12,50", "3", "4"]))
    client.post("/validation/import/", {"file": SimpleUploadedFile("fr.csv", content)})

    html = client.get(preview_url()).content.decode()
    assert "Dates lues jour/mois par défaut" in html
    assert "Nombres lus avec la virgule décimale : la ligne 2 porte 12,50." in html
    assert 'name="date_order"' in html
    assert 'name="decimal_mark"' not in html  # the file proves it
    assert '<button type="submit">Importer 3 déclarations' in html


# --- The API -----------------------------------------------------------------------------------

API = "/api/v1/production-reports/import/"


def api_post(client, content: bytes, **fields):
    return client.post(API, {"file": SimpleUploadedFile("us.csv", content), **fields})


def test_the_api_says_what_it_asks_refuses_then_imports_with_the_parameter(client, relay_staff):
    client.force_login(relay_staff)
    content = as_csv(lines(US_DATES, costs=["1,250", "3", "4"], header=ENGLISH))

    body = api_post(client, content).json()
    assert [c["option"] for c in body["choices_needed"]] == ["date_order", "decimal_mark"]
    conventions = {c["option"]: c for c in body["conventions"]}
    example = conventions["date_order"]["example"]
    assert example == {"line": 2, "column": "Date", "value": "4/3/2020"}
    assert conventions["decimal_mark"]["asked"] is True

    answered(api_post(client, content, dry_run="false"), 400, "import_choice_needed")
    answered(
        api_post(client, content, dry_run="false", date_order="month_first"),
        400,
        "import_choice_needed",
    )
    assert not ProductionReport.objects.exists()

    response = api_post(
        client, content, dry_run="false", date_order="month_first", decimal_mark="point"
    )
    assert response.status_code == 201
    body = response.json()
    assert [row["produced_on"] for row in body["rows"]] == [d.isoformat() for d in US_READ]
    assert body["rows"][0]["material_cost_cents"] == 125000
    assert {c["decided_by"] for c in body["conventions"]} == {"choice"}


def test_the_api_refuses_a_parameter_the_file_contradicts_line_by_line(client, relay_staff):
    client.force_login(relay_staff)
    content = as_csv(lines(["4/3/2020", "4/21/2020"]))
    body = answered(api_post(client, content, date_order="day_first"), 400, "import_rejected")
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, "date_against_choice")]
    assert api_post(client, content, date_order="month_first").status_code == 200
