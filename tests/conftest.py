"""The cast of every test: one user per role, and the switches for the real parts.

Real parts: the database is the one DATABASE_URL names (SQLite when unset); a real Celery
worker on a real broker for tests marked `worker`; a real headless Chromium for `tests/e2e`.
When one is missing on a laptop those tests are skipped with the reason; in CI (CI=true) they
fail instead, so a green CI run always means they ran.
"""

import html
import os
import re

import pytest
from celery.result import allow_join_result
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from makers.reference import item_catalogue_ensure
from tests import factories
from tilab import roles
from tilab.reference import reference_data_ensure

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_database(url: str, offset: int) -> str:
    """The same Redis server, `offset` databases below the one `url` names."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    assert database - offset >= 0, f"no Redis database left below {url} for this test worker"
    return urlunsplit(parts._replace(path=f"/{database - offset}"))


def pytest_configure(config):
    """Under pytest-xdist each test process gets Redis databases of its own (the database is
    already one per process, pytest-django suffixes its name): a test clearing the cache or
    a worker consuming the broker must not reach into another process's test. Worker n uses
    the databases 2n below those the environment names (CI: broker 15, cache 14)."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0":
        return
    offset = 2 * int(worker[2:])
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        url = getattr(settings, name, "") or ""
        if url.startswith("redis"):
            moved = _redis_database(url, offset)
            setattr(settings, name, moved)
            os.environ[name] = moved  # processes the tests start (a real worker) follow
    if settings.REDIS_URL:
        settings.CACHES["default"]["LOCATION"] = settings.REDIS_URL


def skip_reasons(skipped) -> list[tuple[str, int]]:
    """The reasons of skipped test reports, each with how many tests it skipped, most first."""
    counts: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def pytest_terminal_summary(terminalreporter):
    """What was skipped, in one line grouped by reason (README lists every reason), instead
    of one line per place that skipped."""
    reasons = skip_reasons(terminalreporter.stats.get("skipped", []))
    if reasons:
        terminalreporter.write_line(
            "skipped, a real part being absent: "
            + "; ".join(f"{reason} ({count})" for reason, count in reasons)
        )


def require(condition: bool, reason: str) -> None:
    """Skip on a laptop, fail in CI, when a real part a test needs is absent."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this real part: {reason}")
    pytest.skip(reason)


def require_postgresql() -> None:
    """For tests of what only PostgreSQL does (row locks under real concurrency, its SQL): CI
    runs them in its PostgreSQL step, and its embedded-default step deselects `postgres`."""
    from django.db import connection

    require(connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fresh_cache_and_fast_hashing(settings):
    # Rate limits and sessions live in the cache: no test inherits another's counters.
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in the test's process, as in the embedded default, even when the environment
    names a broker (CI does): a test about figures checks figures, not transport. Tests about
    the queue itself are marked `worker` and go through the real broker. Whatever a test
    changes in the Celery configuration (a dead broker, say) is undone after it."""
    from config.celery import app

    # Overrides live in the first layer of the app's configuration, above Django's settings
    # (which the app reads under their CELERY_ names).
    app.conf["CELERY_TASK_ALWAYS_EAGER"]  # finalise the configuration before looking in
    changes = app.conf.changes
    saved = dict(changes)
    if request.node.get_closest_marker("worker"):
        changes.pop("CELERY_TASK_ALWAYS_EAGER", None)
    else:
        app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    # Eager tasks mark the process "inside a task" for their duration with a process-wide
    # flag, saved and restored around each call: threads enqueuing at once (the concurrency
    # tests) can restore each other's "inside" and leave it set, and a later test waiting on a
    # result would then be refused. Celery's public `allow_join_result` clears the flag for
    # the test and puts back, after it, the value it had before: nothing leaks into the next.
    with allow_join_result():
        yield
    changes.clear()
    changes.update(saved)


@pytest.fixture(autouse=True)
def _ledger_verifies_after_each_test(request):
    """Every test that leaves money movements in the ledger leaves a ledger that verifies
    intact (chain, each entry against its object, every balance): whatever a test does through
    the services, a controller's check still passes after it. Cheap: one query when the test
    wrote no entry. A test that breaks the ledger on purpose says so: `ledger_tampered`."""
    uses_database = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if not uses_database or request.node.get_closest_marker("ledger_tampered"):
        yield
        return
    # Requested here, the database is rolled back only after the check below.
    request.getfixturevalue("db")
    yield
    from subsidies.ledger import ledger_verify
    from subsidies.models import LedgerEntry

    if LedgerEntry.objects.exists():
        check = ledger_verify()
        if not check.intact:
            pytest.fail("ledger_verify after the test: " + " | ".join(check.breaks))


@pytest.fixture
def reference_data(db):
    """Departments and role groups, restored if a transactional test flushed them."""
    reference_data_ensure()


# --- Requests of the API tests, and what they cost --------------------------------------------


def as_user(client, user):
    """The test client, logged in as `user`."""
    client.force_login(user)
    return client


def post(client, url, data=None, **extra):
    """`data` posted as JSON, as a program does."""
    return client.post(url, data or {}, content_type="application/json", **extra)


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def ids(response) -> list[int]:
    """The ids of a page of a list, in the order the API gives them."""
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def count_queries(client, url, *, expected: int | None = None) -> int:
    """How many SQL queries a GET of `url` makes; it must answer 200 and, given `expected`, list
    that many rows (an API list's results, or a redistribution's lines). Counted cold: the
    content types Django keeps per process are forgotten first, so a count does not depend on
    which test ran before in the same process."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    if expected is not None:
        body = response.json()
        assert len(body.get("results", body.get("lines"))) == expected
    return len(queries.captured_queries)


# --- Pages ------------------------------------------------------------------------------------


def text(response) -> str:
    """A page as a person reads it: its HTML with the entities (apostrophes, accents) decoded."""
    return html.unescape(response.content.decode())


def figure_captions(page: str) -> list[str]:
    """The captions of a page's figures, each reached as assistive technologies reach it: the
    figure role, then the caption its `aria-labelledby` names. A figure without either, or an
    empty caption, fails the test that asked."""
    captions = []
    for attributes in re.findall(r"<figure\b([^>]*)>", page):
        assert 'role="figure"' in attributes, attributes
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', attributes)
        assert labelled_by, attributes
        caption = re.search(
            rf'<figcaption id="{re.escape(labelled_by.group(1))}">(.*?)</figcaption>', page, re.S
        )
        assert caption and caption.group(1).strip(), labelled_by.group(1)
        captions.append(html.unescape(caption.group(1).strip()))
    return captions


# --- The cast: one person per role (tests/factories.py says who they are) ---------------------


@pytest.fixture
def maker(reference_data):
    """Anne Le Goff, a maker in Rennes (35): her account; `anne` is her maker profile."""
    return factories.cast_maker()


@pytest.fixture
def anne(maker):
    return maker.maker


@pytest.fixture
def other_maker(reference_data):
    """Yann Kervella, another maker of Ille-et-Vilaine, in Vitré: his account."""
    return factories.cast_other_maker()


@pytest.fixture
def relay_staff(reference_data):
    """Staff of LabFab de Rennes, which covers Ille-et-Vilaine (35) and Côtes-d'Armor (22)."""
    return factories.cast_relay_staff()


@pytest.fixture
def other_relay_staff(reference_data):
    """Staff of ENSTA Bretagne, which covers Finistère (29)."""
    return factories.cast_other_relay_staff()


@pytest.fixture
def loch_staff(reference_data):
    """Staff of La Fabrique du Loch, which covers Morbihan (56)."""
    return factories.cast_loch_staff()


@pytest.fixture
def region_staff(reference_data):
    return factories.cast_region_staff()


@pytest.fixture
def other_region_staff(reference_data):
    """Erwan, the Région's second agent: approves what Hélène proposed (four eyes)."""
    return factories.region_controller()


@pytest.fixture
def relay_colleague(relay_staff):
    """Morgane, Camille's colleague at LabFab de Rennes: the relay's second pair of eyes."""
    return factories.relay_colleague(relay_staff)


@pytest.fixture
def facilitator(reference_data):
    return factories.cast_facilitator()


@pytest.fixture
def auditor(reference_data):
    return factories.cast_auditor()


@pytest.fixture
def role_users(maker, relay_staff, region_staff, facilitator, auditor):
    return {
        roles.MAKER: maker,
        roles.RELAY_STAFF: relay_staff,
        roles.REGION_STAFF: region_staff,
        roles.FACILITATOR: facilitator,
        roles.AUDITOR: auditor,
    }


@pytest.fixture
def admin_user(reference_data):
    """An administrator of the site, in the Django admin (pytest-django's own has a username,
    which our users do not)."""
    return factories.cast_admin()


@pytest.fixture
def staff_reader(reference_data, staff_reader_app):
    """Staff allowed into the admin to read the records of one app, not an administrator: the
    test module names the app with a fixture `staff_reader_app`."""
    user = factories.make_user(email="lecteur@example.org", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label=staff_reader_app, codename__startswith="view_"
        )
    )
    return user


@pytest.fixture
def mfa_required(settings):
    """Money decisions need a second factor, as in production."""
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True


# --- Subsidies --------------------------------------------------------------------------------


@pytest.fixture
def allocation(region_staff, relay_staff, anne):
    """LabFab de Rennes' approved allocation of 15 000 €, on the validated production of Anne
    (24 visors, Ille-et-Vilaine) and Bertrand (72 visors, Côtes-d'Armor, no account)."""
    item_catalogue_ensure()  # a browser test's flush takes the catalogue with it
    bertrand = factories.make_maker(display_name="Bertrand Guillou", department="22")
    for payee, quantity in [(anne, 24), (bertrand, 72)]:
        factories.make_report(
            maker=payee, quantity=quantity, status="validated", decided_by=relay_staff
        )
    programme = factories.make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=1_500_000
    )
    factories.approve_all(programme, by=factories.region_controller())
    return programme.allocations.get()


# --- Workshops --------------------------------------------------------------------------------


@pytest.fixture
def workshop_details():
    """What `workshop` is scheduled with, over make_details' defaults; a test module that needs
    another workshop (a date, a title) overrides this fixture, not `workshop`."""
    return {"capacity": 2}


@pytest.fixture
def workshop(facilitator, workshop_details):
    """An upcoming public workshop the facilitator schedules in Rennes, two seats by default."""
    return factories.make_workshop(by=facilitator, **workshop_details)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker process on the configured broker, using the test database."""
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    from config.celery import app

    require(bool(settings.CELERY_BROKER_URL), "CELERY_BROKER_URL is not set (no real broker)")
    require(
        connection.vendor == "postgresql",
        "a worker process needs a database it can share (DATABASE_URL on PostgreSQL)",
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "--hostname=test-worker@%h",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                output = worker.stdout.read() if worker.poll() is not None else ""
                pytest.fail(f"the Celery worker did not start:\n{output}")
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
