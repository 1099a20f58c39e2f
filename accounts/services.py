"""Writes about a person's own data: exporting it (JSON, CSV) and deleting the account, both by
walking the personal-data registry (`tilab.personal_data`, filled by each app's
`personal_data.py`). Moved here from the network app, which kept attestations and links."""

import datetime
import io

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from makers.models import Maker
from tilab import personal_data
from tilab.models import Decision, User
from tilab.personal_data import Person
from tilab.services import decision_record
from tilab.spreadsheets import csv_cell, french_csv_writer


def _plain(value):
    """A record as JSON can hold it: dates and times as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value


def _decision_rows(subjects: list) -> list[dict]:
    """Decisions about these objects, without who took them (staff are other people)."""
    ids_per_type: dict = {}
    for subject in subjects:
        content_type = ContentType.objects.get_for_model(subject)
        ids_per_type.setdefault(content_type, []).append(str(subject.pk))
    condition = Q(pk__in=[])
    for content_type, ids in ids_per_type.items():
        condition |= Q(content_type=content_type, object_id__in=ids)
    return [
        {
            "decided_at": d.decided_at,
            "action": d.action,
            "subject": f"{d.content_type.model} {d.object_id}",
            "from_state": d.from_state,
            "to_state": d.to_state,
            "motivation": d.motivation,
        }
        for d in Decision.objects.filter(condition)
        .select_related("content_type")
        .order_by("decided_at", "pk")
    ]


def personal_data_export(*, user: User, now) -> dict:
    """Everything the platform holds about `user`, and only about them: one section per
    declared model (its account, maker profile, memberships, production reports, subsidy lines
    and bank details, workshop registrations, the needs they posted, pledges, deliveries and
    messages, attestations…), then the decisions recorded about what the declarations mark.
    Other people appear by no name nor address: who validated a report is left out,
    organisations are named."""
    person = Person(user=user, email=user.email)
    data: dict = {"exported_at": now}
    subjects: list = []
    for declaration in personal_data.declarations():
        rows = declaration.exported(person)
        if declaration.decisions:
            subjects += rows
        records = [declaration.export(row) for row in rows]
        value = records if declaration.many else (records[0] if records else None)
        into = data if declaration.within is None else data.get(declaration.within)
        if into is not None:
            into[declaration.section] = value
    data["decisions"] = _decision_rows(subjects)
    return _plain(data)


def _flat(value, prefix: str = ""):
    """(field, value) pairs of a nested record: {"a": {"b": 1}} → ("a.b", 1)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value, start=1):
            yield from _flat(inner, f"{prefix}[{index}]")
    else:
        yield prefix, "" if value is None else value


def personal_data_csv(*, data: dict) -> str:
    """The export as one CSV a spreadsheet opens: one line per value, with the section, the
    record number within it and the field (section;record;field;value). Numbers are written
    as French spreadsheets read them (a decimal comma, no thousands separator; amounts are
    whole cents), nothing as an empty cell; text a spreadsheet would run as a formula
    (= + - @) starts with an apostrophe."""
    out = io.StringIO()
    writer = french_csv_writer(out)
    writer.writerow(["section", "record", "field", "value"])
    for section, content in data.items():
        records = content if isinstance(content, list) else [content]
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                writer.writerow([section, number, "", csv_cell(record)])
                continue
            for field, value in _flat(record):
                writer.writerow([section, number, field, csv_cell(value)])
    return out.getvalue()


# Deleting an account -------------------------------------------------------------------------


def account_delete(*, user: User, now) -> None:
    """Delete a person's account: what identifies them goes, what the network counted stays.

    Every declared model is erased as its declaration says (`why` in each app's
    `personal_data.py`). In short: the account is anonymised (decisions and the ledger point
    to it), so is the maker profile ("Maker anonyme n° <id>", out of the directory), whose
    reports, subsidy lines and payments stay as they are; bank details, memberships and
    requests, attestations, e-mail addresses, second factors, tokens and the calendar feed are
    deleted; registrations to workshops still to come are cancelled (the first person waiting
    gets the seat) and every registration anonymised; needs the person is the contact of lose
    the contact (still open ones are withdrawn), pledges keep their quantities without the
    person's message, their messages are withdrawn. Sessions elsewhere end (inactive, new
    password hash); the view logs out the current one.

    The rows are found first, then erased from the top app down to the account, all in one
    transaction; a decision "account_delete" is recorded on the user, by the user, with counts
    and no personal data. Deleting twice changes nothing more.
    """
    with transaction.atomic():
        # Lock the account: two deletions at once erase once.
        user = User.objects.select_for_update().get(pk=user.pk)
        if personal_data.account_is_erased(user):
            return
        # The address as it is now: guests' registrations and needs are found by it.
        person = Person(user=user, email=user.email)
        found = [
            (declaration, list(declaration.rows(person).values_list("pk", flat=True)))
            for declaration in personal_data.declarations()
        ]
        for declaration, pks in reversed(found):
            if pks:
                rows = declaration.model._default_manager.filter(pk__in=pks)
                declaration.erase(rows, person, now)
        counts = {declaration.section: len(pks) for declaration, pks in found if pks}
        makers = next((pks for declaration, pks in found if declaration.model is Maker), [])
        decision_record(
            actor=user,
            subject=user,
            action="account_delete",
            now=now,
            from_state="active",
            to_state="anonymised",
            data={
                "maker": makers[0] if makers else None,
                "registrations": counts.get("workshop_registrations", 0),
                "rows": counts,
            },
        )
