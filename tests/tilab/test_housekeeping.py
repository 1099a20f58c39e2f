"""Housekeeping at night (beat): ended sessions, e-mails sent long ago, export files and
uploaded spreadsheets past their retention are forgotten; what is still needed stays."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage
from django.utils import timezone

from config.celery import app
from figures import exports
from figures.models import ProductionExport
from makers import importing
from makers.models import ProductionImport
from tests.makers.test_import import ROW, sheet
from tilab import outbox, sessions
from tilab.models import OutboxEmail

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_every_housekeeping_task_is_scheduled_at_night_and_known_to_the_worker():
    tasks = {"tilab.housekeeping", "figures.production_exports_expire",
             "makers.production_imports_prune",
             "workshops.pending_registrations_prune"}  # fmt: skip
    app.loader.import_default_modules()  # what a worker does as it starts
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] in tasks]
    assert {e["task"] for e in entries} == tasks
    assert all(e["task"] in app.tasks for e in entries)
    assert all(e["schedule"].hour == {4} for e in entries)


def test_ended_sessions_are_deleted_and_open_ones_kept(client, maker):
    client.force_login(maker)
    Session.objects.create(session_key="ended", session_data="", expire_date=timezone.now() - DAY)
    sessions.sessions_clear_expired()
    assert not Session.objects.filter(session_key="ended").exists()
    assert client.get("/accounts/tokens/").status_code == 200


def _email(key: str, *, now):
    message = EmailMessage(subject="Objet", body="Votre lien : …", to=["anne@example.org"])
    return outbox.outbox_email_write(key=key, message=message, language="fr", now=now)


def test_emails_sent_long_ago_are_forgotten_unsent_ones_never(settings):
    settings.TILAB_OUTBOX_RETENTION_DAYS = 30
    now = timezone.now()
    old, recent, unsent = (_email(k, now=now - 40 * DAY) for k in ("old", "recent", "unsent"))
    OutboxEmail.objects.filter(pk=old.pk).update(sent_at=now - 31 * DAY)
    OutboxEmail.objects.filter(pk=recent.pk).update(sent_at=now - 29 * DAY)
    assert outbox.outbox_emails_prune(now=now) == 1
    assert set(OutboxEmail.objects.values_list("key", flat=True)) == {"recent", "unsent"}
    assert outbox.outbox_emails_prune(now=now) == 0  # twice is harmless


def test_export_files_past_their_retention_are_deleted(settings, relay_staff):
    settings.TILAB_EXPORT_RETENTION_DAYS = 7
    now = timezone.now()
    made = [
        exports.production_export_request(by=relay_staff, format="csv", filters={}, now=now)
        for _ in range(2)
    ]
    assert {e.status for e in made} == {ProductionExport.Status.READY}
    ProductionExport.objects.filter(pk=made[0].pk).update(finished_at=now - 8 * DAY)
    assert exports.production_exports_expire(now=now) == 1
    assert list(ProductionExport.objects.values_list("pk", flat=True)) == [made[1].pk]


def test_uploads_past_their_retention_are_deleted_or_emptied_keeping_the_record(
    settings, relay_staff
):
    settings.TILAB_UPLOAD_RETENTION_DAYS = 30
    then = timezone.now() - 31 * DAY
    content = sheet(ROW)
    left = importing.production_import_upload(
        content=content, filename="jamais.csv", by=relay_staff, now=then
    )
    importing.production_import_apply(content=content, filename="fait.csv", by=relay_staff,
                                      now=then)  # fmt: skip
    recent = importing.production_import_upload(
        content=content, filename="hier.csv", by=relay_staff, now=timezone.now() - DAY
    )
    assert importing.production_imports_prune(now=timezone.now()) == {"deleted": 1, "emptied": 1}
    assert not ProductionImport.objects.filter(pk=left.pk).exists()
    done = ProductionImport.objects.get(filename="fait.csv")
    assert (bytes(done.content), done.sha256, done.summary["counts"]["rows_to_create"]) == (
        b"", importing_digest(content), 1
    )  # fmt: skip
    assert bytes(ProductionImport.objects.get(pk=recent.pk).content) == content
    assert importing.production_imports_prune(now=timezone.now()) == {"deleted": 0, "emptied": 0}


def importing_digest(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()
