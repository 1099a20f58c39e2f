"""Item names as volunteers wrote them in 2020: read against the catalogue and the aliases the
network remembered, asked in the import's preview when they cannot be read, kept for next time."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from makers import importing, services
from makers.item_names import BY_ALIAS, BY_NAME, BY_WORDS, item_names_index
from makers.models import ItemAlias, ItemType, ProductionImport, ProductionReport
from tests.conftest import count_queries, patch, post, text
from tests.refusals import answered, refused
from tilab.errors import NotAllowed, WrongState
from tilab.models import Decision

NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)


def item(slug: str) -> ItemType:
    return ItemType.objects.get(slug=slug)


# --- Reading names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Visières PETG", "visor"),
        ("Visiere 3D", "visor"),
        ("Visière 3D PETG", "visor"),
        ("VISIERES", "visor"),
        ("Masques tissu AFNOR", "fabric-mask"),
        ("masque en tissu lavable", "fabric-mask"),
        ("Ouvre porte", "door-opener"),
        ("Ouvre-porte", "door-opener"),
        ("Ouvreporte", "door-opener"),
        ("ouvre portes 3D", "door-opener"),
        ("Sur blouses", "gown"),
        ("Attaches-masques", "ear-saver"),
        ("Attache masque enfant", "ear-saver"),
        ("face shields", "visor"),
    ],
)
def test_names_written_in_2020_are_read_as_their_item(reference_data, text, slug):
    reading = item_names_index().read(text)
    assert reading.item is not None, text
    assert reading.item.slug == slug


def test_a_name_of_the_catalogue_is_read_as_written_and_others_by_their_words(reference_data):
    names = item_names_index()
    assert names.read("Visière de protection").how == BY_NAME
    assert names.read("visières").how == BY_NAME  # the unit, plural and accents aside
    assert names.read("Visières PETG").how == BY_WORDS
    assert names.read("Visières PETG").told
    assert not names.read("Surblouse").told


@pytest.mark.parametrize(
    "text",
    [
        "Gel hydroalcoolique",
        "Blouse",  # not "Surblouse"
        "Porte",  # one word of a name says nothing
        "Protection",
        "Visio",  # no spelling distance
        "Pièces imprimées",  # the door opener's unit is no name of it
        "Contact",
        "",
        # Equipment makers did not produce: "masque" alone must not make these fabric masks.
        "Masques FFP2",
        "Masque chirurgical",
        "Masques chirurgicaux",
        "Visière + gants",
        "Lunettes de protection",
        "Sur-chaussures",
    ],
)
def test_names_that_are_no_item_are_not_read(reference_data, text):
    reading = item_names_index().read(text)
    assert reading.item is None
    assert not reading.ambiguous


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("Visière masque", {"visor", "fabric-mask"}),
        ("Masque tissu attache", {"fabric-mask", "ear-saver"}),
        ("Strap visière", {"visor", "ear-saver"}),
    ],
)
def test_a_name_two_items_match_equally_is_not_guessed(reference_data, text, candidates):
    reading = item_names_index().read(text)
    assert reading.item is None
    assert reading.ambiguous
    assert {c.slug for c in reading.candidates} == candidates


def test_an_alias_reads_a_name_the_words_cannot(reference_data, relay_staff):
    assert item_names_index().read("Kit soignant").item is None
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    reading = item_names_index().read("KITS SOIGNANTS")
    assert reading.item.slug == "gown"
    assert reading.how == BY_ALIAS
    assert reading.alias.created_by == relay_staff


def test_an_alias_settles_a_name_two_items_tie_on(reference_data, relay_staff):
    services.item_alias_create(
        text="Visière masque", item_type=item("visor"), by=relay_staff, now=NOW
    )
    assert item_names_index().read("visieres masques").item.slug == "visor"


def test_an_alias_of_an_item_withdrawn_reads_nothing(reference_data, relay_staff):
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    ItemType.objects.filter(slug="gown").update(is_active=False)
    assert item_names_index().read("Kit soignant").item is None


# --- The service: recorded once, refused with a code, traced as decisions ----------------------


def test_a_name_the_catalogue_already_reads_cannot_become_an_alias(reference_data, relay_staff):
    with refused("item_alias_taken", kind=WrongState, field="text", item="Surblouse"):
        services.item_alias_create(
            text="SURBLOUSES", item_type=item("visor"), by=relay_staff, now=NOW
        )


def test_a_name_already_mapped_is_refused_naming_its_item(reference_data, relay_staff, facilitator):
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    with refused("item_alias_taken", kind=WrongState, item="Surblouse"):
        services.item_alias_create(
            text="kits soignants", item_type=item("visor"), by=facilitator, now=NOW
        )
    assert ItemAlias.objects.count() == 1


def test_an_empty_name_or_an_item_withdrawn_is_refused(reference_data, relay_staff):
    with refused("item_alias_text_empty", field="text"):
        services.item_alias_create(text=" - ", item_type=item("gown"), by=relay_staff, now=NOW)
    ItemType.objects.filter(slug="gown").update(is_active=False)
    with refused("item_alias_item_inactive", field="item_type"):
        services.item_alias_create(text="Kit", item_type=item("gown"), by=relay_staff, now=NOW)
    assert not ItemAlias.objects.exists()


def test_a_maker_or_an_auditor_cannot_record_an_alias(reference_data, maker, auditor):
    for user in (maker, auditor):
        with refused("role_not_allowed", kind=NotAllowed):
            services.item_alias_create(text="Kit", item_type=item("gown"), by=user, now=NOW)


def test_the_region_which_imports_too_records_an_alias(reference_data, region_staff):
    alias = services.item_alias_create(text="Kit", item_type=item("gown"), by=region_staff, now=NOW)
    assert alias.created_by == region_staff


def test_only_facilitators_change_or_delete_an_alias(reference_data, relay_staff, region_staff):
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    for user in (relay_staff, region_staff):
        with refused("role_not_allowed", kind=NotAllowed):
            services.item_alias_update(alias=alias, item_type=item("visor"), by=user, now=NOW)
        with refused("role_not_allowed", kind=NotAllowed):
            services.item_alias_delete(alias=alias, by=user, now=NOW)
    assert ItemAlias.objects.get().item_type.slug == "gown"


def test_creating_changing_and_deleting_an_alias_are_decisions(
    reference_data, relay_staff, facilitator
):
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    later = NOW + datetime.timedelta(days=1)
    services.item_alias_update(alias=alias, item_type=item("visor"), by=facilitator, now=later)
    alias.refresh_from_db()
    assert (alias.updated_by, alias.updated_at) == (facilitator, later)
    services.item_alias_delete(alias=alias, by=facilitator, now=later)
    decisions = Decision.objects.filter(object_id=str(alias.pk)).order_by("pk")
    assert [(d.action, d.actor, d.from_state, d.to_state) for d in decisions] == [
        ("item_alias_create", relay_staff, "", "gown"),
        ("item_alias_change", facilitator, "gown", "visor"),
        ("item_alias_delete", facilitator, "visor", ""),
    ]
    assert decisions[0].data["text"] == "Kit soignant"


# --- The importer: asked once, remembered for the network ---------------------------------------

HEADER = "Date;Nom du maker;Département;Article;Quantité"


def sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def preview(content: bytes, by) -> importing.ImportPlan:
    return importing.production_import_preview(
        content=content, filename="production.csv", by=by, now=NOW
    )


def test_names_of_2020_are_imported_without_asking(reference_data, relay_staff):
    plan = preview(
        sheet(
            "02/04/2020;Anne Le Goff;35;Visières PETG;10",
            "03/04/2020;Anne Le Goff;35;Visiere 3D;5",
            "03/04/2020;Gwen Le Bras;35;Masques tissu AFNOR;20",
            "04/04/2020;Gwen Le Bras;35;Ouvre porte;3",
            "05/04/2020;Gwen Le Bras;35;Masques tissu AFNOR;7",
        ),
        relay_staff,
    )
    assert [row.item.slug for row in plan.rows] == [
        "visor",
        "visor",
        "fabric-mask",
        "door-opener",
        "fabric-mask",
    ]
    assert [
        (r["text"], r["item"], r["how"], r["rows"]) for r in plan.as_dict()["item_aliases_used"]
    ] == [
        ("Visières PETG", "visor", "words", 1),
        ("Visiere 3D", "visor", "words", 1),
        ("Masques tissu AFNOR", "fabric-mask", "words", 2),
        ("Ouvre porte", "door-opener", "words", 1),
    ]


def test_an_unknown_or_ambiguous_name_refuses_the_file_and_is_listed_once(
    reference_data, relay_staff
):
    content = sheet(
        "02/04/2020;Anne Le Goff;35;Kit soignant;10",
        "03/04/2020;Anne Le Goff;35;Visière masque;5",
        "04/04/2020;Anne Le Goff;35;KITS SOIGNANTS;5",
    )
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(content, relay_staff)
    refusal = rejected.value
    assert [e.code for e in refusal.errors] == ["item_unknown", "item_ambiguous", "item_unknown"]
    assert refusal.unknown_items == [
        {"text": "Kit soignant", "lines": [2, 4]},
        {"text": "Visière masque", "lines": [3]},
    ]
    assert refusal.extra()["unknown_items"] == refusal.unknown_items


def test_an_alias_one_relay_records_is_used_by_the_next_import_of_another(
    reference_data, relay_staff, other_relay_staff
):
    relay_staff.full_name = "Camille Morvan"
    relay_staff.save(update_fields=["full_name"])
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    plan = preview(sheet("02/04/2020;Yann Kerouac;29;Kits soignants;10"), other_relay_staff)
    assert plan.rows[0].item.slug == "gown"
    (used,) = plan.as_dict()["item_aliases_used"]
    assert used["how"] == "alias"
    assert used["recorded_by"] == "Camille Morvan"
    assert used["alias_id"] == ItemAlias.objects.get().pk


def test_changing_an_alias_leaves_the_reports_already_imported_as_they_were(
    reference_data, relay_staff, facilitator
):
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    importing.production_import_apply(
        content=sheet("02/04/2020;Anne Le Goff;35;Kit soignant;10"),
        filename="production.csv",
        by=relay_staff,
        now=NOW,
    )
    services.item_alias_update(alias=alias, item_type=item("visor"), by=facilitator, now=NOW)
    assert ProductionReport.objects.get().item_type.slug == "gown"
    services.item_alias_delete(alias=alias, by=facilitator, now=NOW)
    assert ProductionReport.objects.get().item_type.slug == "gown"


# --- The preview page ------------------------------------------------------------------------


def upload(client, content: bytes) -> ProductionImport:
    response = client.post(
        "/validation/import/", {"file": SimpleUploadedFile("production.csv", content)}
    )
    assert response.status_code == 302, text(response)
    return ProductionImport.objects.latest("pk")


def test_the_preview_offers_each_unknown_name_then_reads_the_file_with_the_choices(
    client, relay_staff
):
    client.force_login(relay_staff)
    batch = upload(
        client,
        sheet(
            "02/04/2020;Anne Le Goff;35;Kit soignant;10",
            "03/04/2020;Anne Le Goff;35;Visière masque;5",
        ),
    )
    page = client.get(f"/validation/import/{batch.pk}/")
    html = text(page)
    assert "Articles à reconnaître" in html
    assert f'action="/validation/import/{batch.pk}/articles/"' in html
    assert '<label for="id_item_0">« Kit soignant »</label>' in html
    assert 'name="text_1" value="Visière masque"' in html
    assert 'select name="item_1"' in html

    response = client.post(
        f"/validation/import/{batch.pk}/articles/",
        {"text_0": "Kit soignant", "item_0": "gown", "text_1": "Visière masque", "item_1": "visor"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/validation/import/{batch.pk}/"
    html = text(response)
    assert "2 correspondances enregistrées" in html
    assert "Importer 2 déclarations" in html
    assert "« Kit soignant » lu comme « Surblouse » (correspondance enregistrée par" in html
    assert set(ItemAlias.objects.values_list("key", "item_type__slug")) == {
        ("kit soignant", "gown"),
        ("visiere masque", "visor"),
    }


def test_a_name_left_without_an_item_is_not_recorded_and_still_asked(client, relay_staff):
    client.force_login(relay_staff)
    batch = upload(client, sheet("02/04/2020;Anne Le Goff;35;Kit soignant;10"))
    response = client.post(
        f"/validation/import/{batch.pk}/articles/",
        {"text_0": "Kit soignant", "item_0": ""},
        follow=True,
    )
    assert not ItemAlias.objects.exists()
    assert "Articles à reconnaître" in text(response)


def test_another_relays_import_cannot_be_given_aliases(client, relay_staff, other_relay_staff):
    client.force_login(other_relay_staff)
    batch = upload(client, sheet("02/04/2020;Yann;29;Kit soignant;10"))
    client.force_login(relay_staff)
    response = client.post(
        f"/validation/import/{batch.pk}/articles/", {"text_0": "Kit soignant", "item_0": "gown"}
    )
    assert response.status_code == 404
    assert not ItemAlias.objects.exists()


# --- The list page -------------------------------------------------------------------------


def test_the_list_shows_who_recorded_each_alias_and_relay_staff_cannot_edit(
    client, relay_staff, facilitator
):
    relay_staff.full_name = "Camille Morvan"
    relay_staff.save(update_fields=["full_name"])
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    client.force_login(relay_staff)
    html = text(client.get("/validation/articles/alias/"))
    assert "« Kit soignant »" in html and "Camille Morvan" in html and "10/05/2020" in html
    assert f"/validation/articles/alias/{alias.pk}/" not in html
    assert client.get(f"/validation/articles/alias/{alias.pk}/").status_code == 403
    assert (
        client.post(f"/validation/articles/alias/{alias.pk}/", {"action": "delete"}).status_code
        == 403
    )
    assert ItemAlias.objects.filter(pk=alias.pk).exists()


def test_a_facilitator_changes_then_deletes_an_alias_on_its_page(client, relay_staff, facilitator):
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    client.force_login(facilitator)
    assert f"/validation/articles/alias/{alias.pk}/" in text(
        client.get("/validation/articles/alias/")
    )
    page = text(client.get(f"/validation/articles/alias/{alias.pk}/"))
    assert '<label for="id_item_type">' in page
    response = client.post(f"/validation/articles/alias/{alias.pk}/", {"item_type": "visor"})
    assert response.status_code == 302
    assert ItemAlias.objects.get().item_type.slug == "visor"
    client.post(f"/validation/articles/alias/{alias.pk}/", {"action": "delete"})
    assert not ItemAlias.objects.exists()
    assert Decision.objects.filter(action="item_alias_delete", actor=facilitator).exists()


def test_a_refused_name_is_shown_on_its_field(client, facilitator):
    client.force_login(facilitator)
    response = client.post("/validation/articles/alias/", {"text": "Visière", "item_type": "gown"})
    assert response.status_code == 200
    assert response.context["form"].has_error("text", "item_alias_taken")


# --- The API -------------------------------------------------------------------------------


def test_the_api_refusal_lists_unknown_names_and_an_alias_lets_the_file_through(
    client, relay_staff
):
    client.force_login(relay_staff)
    content = sheet("02/04/2020;Anne Le Goff;35;Kit soignant;10")

    def send():
        return client.post(
            "/api/v1/production-reports/import/",
            {"file": SimpleUploadedFile("production.csv", content)},
        )

    body = answered(send(), 400, "import_rejected")
    assert body["unknown_items"] == [{"text": "Kit soignant", "lines": [2]}]
    assert body["errors"][0]["code"] == "item_unknown"

    created = post(client, "/api/v1/item-aliases/", {"text": "Kit soignant", "item_type": "gown"})
    assert created.status_code == 201, created.content
    assert created.json()["item_type"] == "gown"
    assert created.json()["key"] == "kit soignant"

    response = send()
    assert response.status_code == 200, response.content
    (used,) = response.json()["item_aliases_used"]
    assert (used["text"], used["item"], used["how"]) == ("Kit soignant", "gown", "alias")

    again = post(client, "/api/v1/item-aliases/", {"text": "KIT SOIGNANT", "item_type": "visor"})
    answered(again, 409, "item_alias_taken", field="text")


def test_the_api_lets_facilitators_alone_change_and_delete(client, relay_staff, facilitator):
    alias = services.item_alias_create(
        text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW
    )
    url = f"/api/v1/item-aliases/{alias.pk}/"
    client.force_login(relay_staff)
    answered(patch(client, url, {"item_type": "visor"}), 403, "role_not_allowed")
    assert client.delete(url).status_code == 403
    client.force_login(facilitator)
    response = patch(client, url, {"item_type": "visor"})
    assert response.status_code == 200, response.content
    assert response.json()["item_type"] == "visor"
    assert response.json()["updated_by"]
    assert client.delete(url).status_code == 204
    assert not ItemAlias.objects.exists()


def test_the_api_list_is_filtered_and_its_cost_does_not_grow(client, relay_staff, facilitator):
    for n in range(3):
        services.item_alias_create(
            text=f"Kit soignant {n}", item_type=item("gown"), by=relay_staff, now=NOW
        )
    client.force_login(facilitator)
    few = count_queries(client, "/api/v1/item-aliases/", expected=3)
    for n in range(3, 12):
        alias = services.item_alias_create(
            text=f"Kit soignant {n}", item_type=item("visor"), by=facilitator, now=NOW
        )
        services.item_alias_update(alias=alias, item_type=item("visor"), by=facilitator, now=NOW)
    assert count_queries(client, "/api/v1/item-aliases/", expected=12) == few
    assert len(client.get("/api/v1/item-aliases/?item_type=visor").json()["results"]) == 9
    assert len(client.get("/api/v1/item-aliases/?text=soignant 1").json()["results"]) == 3


def test_makers_and_people_without_a_role_do_not_see_aliases(client, maker, region_staff):
    client.force_login(maker)
    assert client.get("/api/v1/item-aliases/").status_code == 403
    assert client.get("/validation/articles/alias/").status_code == 403
    client.force_login(region_staff)
    assert client.get("/api/v1/item-aliases/").status_code == 200
