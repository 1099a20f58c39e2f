"""The load benchmark's world, in its own database: accounts with their sessions and tokens, the
day's queue of reports to validate, and the checks once the load has passed.

Run by tests/bench/test_load.py in a process of its own, with the settings the server runs with
(the sessions are signed with its SECRET_KEY):

    python -m tests.bench.load.world build --pool 2000 --makers 300 --out world.json
    python -m tests.bench.load.world check --world world.json --since <iso> --out checks.json
"""

import argparse
import datetime
import json
import os
import string
import sys
import time
from pathlib import Path

import django

PASSWORD = "demo-tilab-2020"
DOMAIN = "load.tilab.test"
STAFF_PER_RELAY = 3
REGION_STAFF = 3
# The generated makers' spring of 2020 (seed_demo --scale): the day's queue falls in its weeks.
FIRST_DAY = datetime.date(2020, 3, 16)
DAYS = 77
CSRF_CHARS = string.ascii_letters + string.digits


def _accounts(*, prefix: str, names: list[str], role: str, now) -> list:
    """Users with one role, inserted at once; each gets a session, a CSRF secret and a token,
    as after a login on a phone and a visit to the token page."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    from tilab.models import User
    from tilab.services import personal_token_create

    password = make_password(PASSWORD)  # one hash for all: nobody logs in with it here
    users = User.objects.bulk_create(
        [
            User(email=f"{prefix}-{n:04d}@{DOMAIN}", full_name=name, password=password)
            for n, name in enumerate(names)
        ]
    )
    group = Group.objects.get(name=role)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users]
    )
    store = SessionStore()
    sessions, accounts = [], []
    for user in users:
        key = get_random_string(32, string.ascii_lowercase + string.digits)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "allauth.account.auth_backends.AuthenticationBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=now + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE),
            )
        )
        _instance, token = personal_token_create(user=user)
        accounts.append(
            {
                "user": user.pk,
                "session": key,
                # Django accepts the cookie's secret itself as the form's token.
                "csrf": get_random_string(32, CSRF_CHARS),
                "token": token,
            }
        )
    Session.objects.bulk_create(sessions)
    return accounts


def build(*, pool: int, maker_accounts: int) -> dict:
    """Accounts for makers, relay staff and Région staff, and 2 × `pool` submitted reports
    (one pool validated through the page, the other through the API)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fablabs.models import Relay
    from makers.models import ItemType, Maker, ProductionReport
    from tilab import roles

    now = timezone.now()
    with transaction.atomic():
        makers = list(
            Maker.objects.filter(user__isnull=True, display_name__endswith=")").order_by("pk")
        )
        assert len(makers) >= maker_accounts, "run seed_demo --scale first"
        with_account = makers[:maker_accounts]
        maker_logins = _accounts(
            prefix="maker",
            names=[m.display_name for m in with_account],
            role=roles.MAKER,
            now=now,
        )
        for maker, login in zip(with_account, maker_logins, strict=True):
            maker.user_id = login["user"]
            login["maker"] = maker.pk
            login["department"] = maker.department_id
        Maker.objects.bulk_update(with_account, ["user"])

        staff_of: dict[str, list[dict]] = {}
        staff = []
        for relay in Relay.objects.prefetch_related("departments").order_by("pk"):
            logins = _accounts(
                prefix=f"relais{relay.pk}",
                names=[f"Équipe {relay.organisation.name} {n + 1}" for n in range(STAFF_PER_RELAY)],
                role=roles.RELAY_STAFF,
                now=now,
            )
            relay.staff.add(*[login["user"] for login in logins])
            for code in relay.departments.values_list("code", flat=True):
                staff_of[code] = logins
            staff += logins
        region = _accounts(
            prefix="region",
            names=[f"Agent de la Région {n + 1}" for n in range(REGION_STAFF)],
            role=roles.REGION_STAFF,
            now=now,
        )

        items = list(ItemType.objects.filter(is_active=True).order_by("position", "slug"))
        reports = []
        for n in range(2 * pool):
            maker = makers[(n * 7) % len(makers)]
            item = items[n % len(items)]
            quantity = 1 + (n * 13) % 90
            reports.append(
                ProductionReport(
                    maker_id=maker.pk,
                    department_id=maker.department_id,
                    item_type=item,
                    quantity=quantity,
                    produced_on=FIRST_DAY + datetime.timedelta(days=n % DAYS),
                    material_cost_cents=quantity * 45,
                    recipient="CHU Rennes",
                    status=ProductionReport.Status.SUBMITTED,
                    source=ProductionReport.Source.RELAY,
                    entered_at=now,
                    updated_at=now,
                )
            )
        ProductionReport.objects.bulk_create(reports, batch_size=2000)

    queue = []
    for n, report in enumerate(reports):
        decider = staff_of[report.department_id][n % STAFF_PER_RELAY]
        queue.append({"id": report.pk, **{k: decider[k] for k in ("session", "csrf", "token")}})
    # A steady state before measuring: fresh statistics, tables vacuumed and the seed's writes
    # flushed, so neither autovacuum nor a checkpoint wakes up during a journey (outside a
    # transaction: VACUUM refuses to run in one).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    return {
        "built_at": now.isoformat(),
        "makers": maker_logins,
        "staff": staff,
        "region": region,
        "items": [{"pk": item.pk, "slug": item.slug} for item in items],
        "page_queue": queue[:pool],
        "api_queue": queue[pool:],
    }


def check(*, world: dict, since: str, drain_timeout: float) -> dict:
    """What the load left in the database, once the worker has drained every dirty bucket."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from figures import totals
    from figures.models import DirtyBucket, TotalDelta
    from makers.models import ProductionReport
    from tests.figures.test_totals import expected_totals, no_drift, stored_totals
    from tilab.models import Decision

    started = time.monotonic()
    while DirtyBucket.objects.exists() or TotalDelta.objects.exists():
        if time.monotonic() - started > drain_timeout:
            break
        time.sleep(0.2)
    waited = time.monotonic() - started
    pending = DirtyBucket.objects.count()
    since_at = parse_datetime(since)

    created = list(
        ProductionReport.objects.filter(
            source=ProductionReport.Source.MAKER, entered_at__gte=since_at
        ).values_list("material_cost_cents", flat=True)
    )
    validated = {}
    for name in ("page_queue", "api_queue"):
        ids = [entry["id"] for entry in world[name]]
        validated[name] = list(
            ProductionReport.objects.filter(
                pk__in=ids, status=ProductionReport.Status.VALIDATED
            ).values_list("pk", flat=True)
        )
    decisions = Decision.objects.filter(
        content_type=ContentType.objects.get_for_model(ProductionReport),
        action="validate",
        decided_at__gte=since_at,
    ).count()

    after_drain = stored_totals()
    expected = expected_totals()
    drift = totals.production_totals_rebuild(now=timezone.now())
    return {
        "drain_waited_s": round(waited, 2),
        "dirty_left": pending,
        "created_costs": created,
        "validated": validated,
        "validate_decisions": decisions,
        "totals_buckets": len(after_drain),
        "totals_match_recompute": after_drain == expected,
        "totals_mismatched_buckets": sum(
            1
            for key in after_drain.keys() | expected.keys()
            if after_drain.get(key) != expected.get(key)
        ),
        "rebuild_found_no_drift": no_drift(drift),
        "rebuild": drift,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build")
    building.add_argument("--pool", type=int, required=True)
    building.add_argument("--makers", type=int, required=True)
    building.add_argument("--out", type=Path, required=True)
    checking = commands.add_parser("check")
    checking.add_argument("--world", type=Path, required=True)
    checking.add_argument("--since", required=True)
    checking.add_argument("--drain-timeout", type=float, default=60)
    checking.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    if args.command == "build":
        result = build(pool=args.pool, maker_accounts=args.makers)
    else:
        result = check(
            world=json.loads(args.world.read_text()),
            since=args.since,
            drain_timeout=args.drain_timeout,
        )
    args.out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
