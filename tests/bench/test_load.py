"""The main journeys under load: gunicorn on PostgreSQL, Redis and a real Celery worker, as in
production, driven by wrk from another process on loopback, against a bare view (/healthz)
measured the same way in the same run.

The world lives in a database of its own (LOAD_DATABASE_URL, or DATABASE_URL's server with the
database `tilab_bench_load`), created, seeded (seed_demo: 612 makers, 25,200 validated reports
of spring 2020; then 300 maker accounts, 3 staff per relay, 3 Région staff, each with a session
and a token, and the day's queue of submitted reports) and dropped by the test. Cache on Redis
db 10, broker on db 9 (LOAD_REDIS_URL, LOAD_BROKER_URL), both flushed before and after.

Every journey sends distinct requests where that matters: each maker POST is a new report of
one of 300 makers (its material cost is its serial number, so the database can be checked
against what was sent), each validation decides a different report of the queue. After the
load: no error of any kind, every request sent did its work exactly once (those still in
flight when wrk stopped included), and the totals drained by the worker equal a full recompute.
Besides requests/s and latencies, the table gives the server's CPU per request (gunicorn,
PostgreSQL backends, Celery worker), which a busy machine disturbs far less.

LOAD_SECONDS (default 5) per journey; LOAD_THREADS (2) and LOAD_CONNECTIONS (8) for wrk;
LOAD_JOURNEYS (names separated by commas, e.g. "home,figures") runs only those journeys.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest

from tests.conftest import require

BASE_DIR = Path(__file__).resolve().parents[2]
LOAD_DIR = Path(__file__).resolve().parent / "load"
SECONDS = int(os.environ.get("LOAD_SECONDS", "5"))
ONLY = {name for name in os.environ.get("LOAD_JOURNEYS", "").split(",") if name}
BASELINE_SECONDS = 2
THREADS = int(os.environ.get("LOAD_THREADS", "2"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "8"))
# Two sync workers for two cores: the worker class production runs (Dockerfile), one request
# per process at a time, so the measure is the code's CPU and queries, not thread scheduling.
WORKERS = 2
MAKER_ACCOUNTS = 300
SCALE, REPORTS_PER_MAKER = 600, 42  # seed_demo: 600 generated makers × 42 = 25,200 reports
# Reports created or validated per POST journey, at most: far above what two workers manage
# (8 to 160 a second here), so no journey runs out.
POOL = max(3_000, 600 * SECONDS)
# A maker report's material cost (cents) is its serial number, a range for each journey.
PAGE_SERIALS = 10_000
API_SERIALS = PAGE_SERIALS + POOL
BENCH_DATABASE = "tilab_bench_load"

# Bounds per journey on three ratios to the bare view measured just before it: how many times
# fewer requests/s ("slower"), how many times its p99 latency, how many times the server's CPU
# per request (web + db + tasks). Measured here in 9 runs (8 for CPU) on 2 cores shared with
# four other CPU-bound jobs (load average 4 to 7), lowest–highest:
#                      slower      p99        CPU     (CPU ms/request)
#   home               17–46       7–15       16–24   (12–17)
#   figures            24–109      6–33       26–53   (26–34)
#   dashboard          47–210      2–63       61–96   (42–63)
#   api-reports        37–120      2–21       28–43   (20–29)
#   api-figures        12–55       1–18        8–16   (8–12)
#   api-organisations  28–95       5–20       21–33   (15–21)
#   api-workshops      16–72       1–30       19–35   (14–25)
#   maker-page         16–44       2–17       12–23   (8–15)
#   maker-api          21–79       4–29       25–40   (16–26)
#   validate-page      46–84       1–41       46–53   (27–43)
#   validate-api       30–119      3–56       38–72   (40–56)
# Before makers/selectors.py stopped joining two tables no list reads, the API reports list
# was 134× slower than the bare view (PostgreSQL spent ~24 ms planning that query).
# Since the public pages built from the totals come from the cache under the version of the
# totals (tilab/public_cache.py), measured in 2 runs on the same machine under a heavier load
# (load average 6 to 8, other benchmarks and test suites beside it), lowest–highest:
#                      slower      p99        CPU     (CPU ms/request)
#   home               1.8–4.7     0.4–2.2    1.9–3.7 (2.0–2.5)
#   figures            3.6–3.7     2.1–2.5    3.0–4.3 (2.1–2.9)
#   api-figures        5.0–5.8     2.5–3.1    4.0–4.1 (2.5–2.8)
#   dashboard          113 (1,110 while the to-do loaded the whole queue of 3,000 reports)
#                                  50         106     (67; 302 before)
# Since the dashboard keeps its figures in the cache under the version of the totals and its
# to-do builds its queries once per process (figures/views.py, makers/selectors.py), measured
# in 6 runs of the dashboard alone under the same heavy load (load average 13 to 16):
#   dashboard          37–164     6–31       30–44   (26–31: web 19–23, db 7–8)
# The other journeys were not changed by that work; their bounds stay those of the quieter
# measure above (under load 8 the API reports list, PostgreSQL-bound, measured 165–240× CPU).
# After a hit stopped querying the database (the totals' version read from the cache with the
# answer), the cache client was reused, and the double counts of a reports list were indexed,
# selected once and resolved once per process: 5 runs, 4 under load average 14 to 16 (CPU ×,
# CPU ms/request; the first run before the reports' changes):
#   home               1.3–1.7   (1.1–4.3)
#   figures            1.6–3.0   (1.3–3.0)
#   api-figures        2.2–3.1   (1.5–3.3; hits now counted by the anonymous limit)
#   api-reports        63–94     (46–79; 124 in the first run, 83 ms of it PostgreSQL)
#   api-organisations  20–34     (17–26)
#   api-workshops      24–35     (22–27)
#   maker-page         13–23     (9–19)
#   maker-api          24–52     (19–43)
#   validate-page      60–93     (37–73)
#   validate-api       63–123    (39–115)
# After an API write stopped reading its report again through the list's query (its double
# counts found for it alone), the Région's to-do counted through indexed columns and the model
# serializers built their fields once per class: one run on a quieter machine (load 0.4 to 2),
# CPU ×, CPU ms/request:
#   home 1.7 (0.8), figures 1.9 (0.8), api-figures 2.3 (1.1), dashboard 22 (10.1),
#   api-reports 61 (28.6: 15.9 of it PostgreSQL, the double counts' subquery per row),
#   api-organisations 18.6 (8.5, 17× slower), api-workshops 21.9 (10.0, 20× slower),
#   maker-page 12.6 (5.8), maker-api 20.2 (9.3), validate-page 45 (21.0), validate-api 46 (26.0)
# Not met yet: the dashboard's 15×, the lists' 12.5× slower at most, and a report created
# through the API still costs 1.6× the page's (API_NO_DEARER_THAN_PAGE fails on it).
# The public answers' CPU bounds are the issue's (3× the bare view); the API's writes are also
# held to the pages' own cost (API_NO_DEARER_THAN_PAGE).
# Requests/s and p99 move with whatever else the machine runs, so their bounds sit 2–3× above
# the worst seen; CPU per request moves less, so its bound sits 1.5–1.9× above: a journey
# whose own work doubles (a query per row, a join too many, a cache that stops hitting) fails.
BOUNDS = {
    "home": (15, 8, 2.5),
    "figures": (12, 8, 3),
    "dashboard": (450, 150, 60),
    "api-reports": (300, 50, 70),
    "api-figures": (18, 10, 3),
    "api-organisations": (250, 60, 50),
    "api-workshops": (180, 80, 55),
    "maker-page": (120, 40, 35),
    "maker-api": (200, 80, 70),
    "validate-page": (250, 120, 90),
    "validate-api": (300, 150, 120),
}
# An API write costs no more CPU per request than the same write through its page (the page
# answers a redirect; the API the report with its double counts), give or take this margin.
API_NO_DEARER_THAN_PAGE = {"maker-api": "maker-page", "validate-api": "validate-page"}
API_MARGIN = 1.2


@dataclass
class Journey:
    name: str
    label: str
    entries: list[dict]
    expect: int = 200
    once: bool = False  # each entry sent once: it creates or decides something
    location: str | None = None  # where a successful POST redirects
    result: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)  # the bare view, measured just before

    @property
    def slowdown(self) -> float:
        return self.baseline["rps"] / self.result["rps"]

    @property
    def cpu_ratio(self) -> float | None:
        """None where the server's processes cannot be seen (no /proc)."""
        if not self.baseline["cpu_ms"]:
            return None
        return self.result["cpu_ms"] / self.baseline["cpu_ms"]

    @property
    def p99_ratio(self) -> float:
        return self.result["latency_us"]["p99"] / self.baseline["latency_us"]["p99"]


# --- The real parts ------------------------------------------------------------------------


def _database_url() -> str | None:
    explicit = os.environ.get("LOAD_DATABASE_URL")
    if explicit:
        return explicit
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        return urlunsplit(urlsplit(current)._replace(path=f"/{BENCH_DATABASE}"))
    return None


def _admin(url: str):
    import psycopg
    from psycopg.conninfo import make_conninfo

    return psycopg.connect(
        make_conninfo(url, dbname="postgres"), autocommit=True, connect_timeout=3
    )


def _reachable(url: str) -> bool:
    try:
        _admin(url).close()
    except Exception:
        return False
    return True


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2)


def _redis_up(url: str) -> bool:
    try:
        return bool(_redis(url).ping())
    except Exception:
        return False


def _worker_answers(broker_url: str, name: str) -> bool:
    from celery import Celery

    with Celery(broker=broker_url) as app:
        return bool(app.control.ping(destination=[name], timeout=1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raised_throttles() -> dict[str, str]:
    """Every API_THROTTLE_* rate the settings read from the environment, set far above what
    the load sends: this benchmark measures throughput, the security tests measure throttling."""
    text = (BASE_DIR / "config" / "settings.py").read_text()
    return {name: "1000000/min" for name in sorted(set(re.findall(r"API_THROTTLE_\w+", text)))}


def _run(args: list[str], *, env: dict, what: str, timeout: float = 600) -> str:
    done = subprocess.run(
        args, env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        pytest.fail(
            f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _wait_for(check, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"{what} did not come up within {timeout:.0f} s\n{tail}")
        time.sleep(0.2)


def _get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- The journeys --------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


def _cookies(account: dict) -> str:
    return f"sessionid={account['session']}; csrftoken={account['csrf']}"


def _page_post(account: dict, path: str, fields: dict, origin: str) -> dict:
    """A form posted by a browser: session and CSRF cookies, the token in the form."""
    body = urlencode({"csrfmiddlewaretoken": account["csrf"], **fields})
    headers = {"Cookie": _cookies(account), "Content-Type": FORM, "Origin": origin}
    return {"m": "POST", "p": path, "h": headers, "b": body}


def _api(method: str, path: str, account: dict | None = None, payload=None) -> dict:
    headers = {"Accept": "application/json"}
    if account:
        headers["Authorization"] = f"Token {account['token']}"
    body = None
    if method == "POST":
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload) if payload is not None else ""
    return {"m": method, "p": path, "h": headers, "b": body}


def _production(n: int, items: list[dict]) -> dict:
    """The n-th batch a maker reports: varied items, sizes and days of spring 2020."""
    item = items[n % len(items)]
    return {
        "item": item,
        "quantity": 1 + (n * 17) % 120,
        "produced_on": (date(2020, 3, 16) + timedelta(days=(n * 5) % 77)).isoformat(),
    }


def _journeys(world: dict, origin: str) -> list[Journey]:
    makers, staff, region = world["makers"], world["staff"], world["region"]
    items = world["items"]

    maker_page, maker_api = [], []
    for n in range(POOL):
        batch = _production(n, items)
        serial = PAGE_SERIALS + n
        maker_page.append(
            {"k": serial}
            | _page_post(
                makers[n % len(makers)],
                "/maker/",
                {
                    "item_type": batch["item"]["pk"],
                    "quantity": batch["quantity"],
                    "produced_on": batch["produced_on"],
                    "material_cost_cents": f"{serial // 100},{serial % 100:02d}",
                    "recipient": "CHU Rennes",
                    "organisation": "",
                },
                origin,
            )
        )
        batch = _production(n + 1, items)
        maker_api.append(
            {"k": API_SERIALS + n}
            | _api(
                "POST",
                "/api/v1/production-reports/",
                makers[(n * 7 + 3) % len(makers)],
                {
                    "item_type": batch["item"]["slug"],
                    "quantity": batch["quantity"],
                    "produced_on": batch["produced_on"],
                    "material_cost_cents": API_SERIALS + n,
                    "recipient": "EHPAD Lannion",
                },
            )
        )
    validate_page = [
        {"k": entry["id"]}
        | _page_post(
            entry, "/validation/decider/", {"validate_one": entry["id"], "filters": ""}, origin
        )
        for entry in world["page_queue"]
    ]
    validate_api = [
        {"k": entry["id"]}
        | _api("POST", f"/api/v1/production-reports/{entry['id']}/validate/", entry)
        for entry in world["api_queue"]
    ]
    readers = staff + region  # relay staff see their departments, Région staff every report
    return [
        Journey("home", "public home /", [{"m": "GET", "p": "/"}]),
        Journey("figures", "public figures /chiffres/", [{"m": "GET", "p": "/chiffres/"}]),
        Journey(
            "dashboard",
            "dashboard /dashboard/ (Région)",
            [{"m": "GET", "p": "/dashboard/", "h": {"Cookie": _cookies(a)}} for a in region],
        ),
        Journey(
            "api-reports",
            "API reports list (relay, Région)",
            [_api("GET", "/api/v1/production-reports/", a) for a in readers],
        ),
        Journey(
            "api-figures",
            "API figures (public)",
            [
                _api("GET", path)
                for path in [
                    "/api/v1/figures/",
                    "/api/v1/figures/?group_by=department",
                    "/api/v1/figures/?group_by=week&item_type=visor",
                ]
            ],
        ),
        Journey(
            "api-organisations",
            "API organisations (makers)",
            [_api("GET", "/api/v1/organisations/", a) for a in makers[:50]],
        ),
        Journey(
            "api-workshops",
            "API workshops (makers)",
            [_api("GET", "/api/v1/workshops/", a) for a in makers[:50]],
        ),
        Journey(
            "maker-page",
            "maker logs a report, page POST",
            maker_page,
            expect=302,
            once=True,
            location="/maker/",
        ),
        Journey("maker-api", "maker logs a report, API POST", maker_api, expect=201, once=True),
        Journey(
            "validate-page",
            "relay validates, page POST",
            validate_page,
            expect=302,
            once=True,
            location="/validation/",
        ),
        Journey("validate-api", "relay validates, API POST", validate_api, once=True),
    ]


def _lua(value) -> str:
    """A Python value as a Lua literal (strings, numbers, booleans, None, lists, dicts)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # Lua reads JSON's escapes of these ASCII strings alike
    if isinstance(value, list):
        return "{" + ",".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"[{json.dumps(k)}]={_lua(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


class ServerCpu:
    """CPU time of everything that serves the load: the gunicorn workers (web), their
    PostgreSQL backends (db) and the Celery worker (tasks). Per request it hardly depends on
    what else the machine runs, unlike requests/s and latencies. (A PostgreSQL on another host
    is left out.)"""

    TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
    GROUPS = ("web", "db", "tasks")

    def __init__(self, *, server, worker, admin, database: str):
        self.server, self.worker = server.pid, worker.pid
        self.admin, self.database = admin, database

    def _pids(self) -> dict[int, str]:
        groups = {self.worker: "tasks"}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent in (self.server, self.worker):
                groups[int(stat.parent.name)] = "web" if parent == self.server else "tasks"
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
        ).fetchall()
        return groups | {pid: "db" for (pid,) in rows}

    def ticks(self) -> dict[int, tuple[str, int]]:
        ticks = {}
        for pid, group in self._pids().items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks[pid] = (group, int(fields[11]) + int(fields[12]))  # utime + stime
        return ticks

    def ms_since(self, before: dict[int, tuple[str, int]]) -> dict[str, float]:
        # A process gone in between (a database connection past CONN_MAX_AGE) is left out.
        spent = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, ticks) in self.ticks().items():
            spent[group] += (ticks - before.get(pid, (group, 0))[1]) * self.TICK_MS
        return spent


def _settle(url: str, *, timeout: float = 10) -> None:
    """Wait until the server is idle again: the requests wrk left in flight would otherwise
    queue before the next run's first ones."""
    deadline, quick = time.monotonic() + timeout, 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        _get(f"{url}/healthz")
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0


def _wrk(
    journey: Journey, *, url: str, folder: Path, cpu: ServerCpu, seconds: int = SECONDS
) -> dict:
    data = folder / f"{journey.name}.lua"
    data.write_text(
        "return "
        + _lua(
            {
                "entries": journey.entries,
                "once": journey.once,
                "expect": journey.expect,
                "location": journey.location,
            }
        )
        + "\n"
    )
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
        "--latency", "-s", str(LOAD_DIR / "journey.lua"), url, "--", str(data), str(THREADS),
    ]  # fmt: skip
    before = cpu.ticks()
    done = subprocess.run(command, capture_output=True, timeout=seconds + 60)
    _settle(url)  # the requests in flight when wrk stopped are served: count their CPU too
    cpu_ms = cpu.ms_since(before)
    output = done.stdout.decode("utf-8", errors="replace")
    line = next((x for x in output.splitlines() if x.startswith("LOAD-RESULT ")), None)
    if done.returncode or line is None:
        pytest.fail(f"wrk failed on {journey.name}:\n{output}\n{done.stderr.decode()[-2000:]}")
    result = json.loads(line.removeprefix("LOAD-RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms_by"] = {k: v / max(result["sent"], 1) for k, v in cpu_ms.items()}
    result["cpu_ms"] = sum(result["cpu_ms_by"].values())
    return result


def _sent(journey: Journey) -> list[dict]:
    """The entries wrk sent: thread k of n sent entries k, k+n… (journey.lua)."""
    sent = []
    for k, count in enumerate(journey.result["sent_per_thread"]):
        sent += journey.entries[k::THREADS][:count]
    return sent


def _print_table(journeys: list[Journey], env: dict, timings: dict, checks: dict) -> None:
    throttles = {k: v for k, v in env.items() if k.startswith("API_THROTTLE_")}
    print(
        f"\n[postgresql] load: gunicorn {WORKERS} sync workers, Redis cache, Celery worker; "
        f"wrk {THREADS} threads × {CONNECTIONS} connections, {SECONDS} s per journey, each "
        f"after {BASELINE_SECONDS} s of the bare view /healthz (world seeded in "
        f"{timings['seeding']:.0f} s)"
    )
    print(
        "  API throttles raised for the run: "
        + (", ".join(f"{k}={v}" for k, v in throttles.items()) or "none found in the settings")
    )
    print(
        f"  {'journey':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} │"
        f" {'bare req/s':>10} {'p99 ms':>7} │ {'slower ×':>8} {'p99 ×':>6} │"
        f" {'CPU ms/req (web+db+tasks)':>25} {'CPU ×':>6}"
    )
    for journey in journeys:
        r, b = journey.result, journey.baseline
        print(
            f"  {journey.label:<34} {r['requests']:>8} {r['rps']:>7.1f} "
            f"{r['latency_us']['p50'] / 1000:>7.1f} {r['latency_us']['p99'] / 1000:>7.1f} │"
            f" {b['rps']:>10.1f} {b['latency_us']['p99'] / 1000:>7.1f} │"
            f" {journey.slowdown:>8.1f} {journey.p99_ratio:>6.1f} │"
            f" {r['cpu_ms']:>6.1f} ({'+'.join(f'{v:.1f}' for v in r['cpu_ms_by'].values()):>16})"
            f" {journey.cpu_ratio or 0:>6.1f}"
        )
    made = len(checks["created_costs"])
    validated = {k: len(v) for k, v in checks["validated"].items()}
    print(
        f"  after the load: {made} reports created, {validated['page_queue']} + "
        f"{validated['api_queue']} validated ({checks['validate_decisions']} decisions); "
        f"worker drained in {checks['drain_waited_s']} s; totals over "
        f"{checks['totals_buckets']} buckets equal a full recompute: "
        f"{checks['totals_match_recompute']}"
    )


def _print_accounting(journey: Journey, sent: set, in_database: set) -> None:
    r = journey.result
    print(
        f"  {journey.label:<34} sent {len(sent)}, answered {r['answered']} "
        f"({r['good']} as expected), in the database {len(in_database)}"
    )


# --- The benchmark -------------------------------------------------------------------------


def _environments(*, database_url: str, cache_url: str, broker_url: str, origin: str):
    """The server's environment (production settings on plain HTTP), and seed_demo's."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "PYTEST", "DJANGO_SETTINGS"))
    }
    server = {
        **kept,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "False",
        "SECRET_KEY": "load-bench-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": origin,
        # Plain HTTP on loopback: no TLS proxy in front, so no redirect and no secure cookies.
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        # The manifest storage needs a 25 s collectstatic (compression); the pages only name
        # their static files, which wrk never fetches.
        "STATIC_MANIFEST": "False",
        "DATABASE_URL": database_url,
        "REDIS_URL": cache_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
        **_raised_throttles(),
    }
    # seed_demo refuses to run without DEBUG; it runs its tasks in-process.
    seed = {**server, "DEBUG": "True", "CELERY_BROKER_URL": "", "REDIS_URL": ""}
    return server, seed


def _seed(*, env: dict, seed_env: dict, world_file: Path) -> dict:
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput"], env=seed_env, what="migrate")
    _run(
        [python, "manage.py", "seed_demo", "--scale", str(SCALE),
         "--reports-per-maker", str(REPORTS_PER_MAKER), "--quiet-logins"],
        env=seed_env, what="seed_demo",
    )  # fmt: skip
    _run(
        [python, "-m", "tests.bench.load.world", "build", "--pool", str(POOL),
         "--makers", str(MAKER_ACCOUNTS), "--out", str(world_file)],
        env=env, what="building the world",
    )  # fmt: skip
    return json.loads(world_file.read_text())


def _start(*, env: dict, port: int, broker_url: str, folder: Path):
    """The Celery worker and gunicorn, once both answer."""
    python = sys.executable
    worker_log, server_log = folder / "worker.log", folder / "gunicorn.log"
    worker = subprocess.Popen(
        [python, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--loglevel=INFO",
         f"--hostname=tilab-load-{port}@%h", f"--logfile={worker_log}"],
        env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--worker-class", "sync", "--timeout", "30",
         "--access-logfile", str(folder / "access.log"), "--error-logfile", str(server_log)],
        env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    _wait_for(
        lambda: server_log.exists()
        and server_log.read_text().count("Booting worker") >= WORKERS
        and _get(f"http://127.0.0.1:{port}/healthz") == 200,
        timeout=60, what="gunicorn", log=server_log,
    )  # fmt: skip
    _wait_for(
        lambda: _worker_answers(broker_url, f"tilab-load-{port}@{socket.gethostname()}"),
        timeout=60, what="the Celery worker", log=worker_log,
    )  # fmt: skip
    return server, worker


def _warm_up(journeys: list[Journey], world: dict, origin: str) -> None:
    """Each gunicorn worker compiles its templates and fills its caches on first use."""
    maker, staff = world["makers"][0], world["staff"][0]
    for _ in range(2 * WORKERS):
        _get(f"{origin}/maker/", {"Cookie": _cookies(maker)})
        _get(f"{origin}/validation/", {"Cookie": _cookies(staff)})
        for journey in journeys:
            entry = journey.entries[0]
            if entry["m"] == "GET":
                _get(origin + entry["p"], entry.get("h"))


def _assert_no_error(journeys: list[Journey]) -> None:
    """No socket error, no unexpected status, no answer other than the expected one."""
    for journey in journeys:
        bare = journey.baseline
        assert not any(bare["errors"].values()) and bare["good"] == bare["answered"], bare
        r = journey.result
        assert r["requests"] > 0, journey.name
        assert not any(r["errors"].values()), (journey.name, r["errors"], r["sample"])
        assert r["exhausted"] == 0, f"{journey.name} ran out of entries: raise POOL"
        assert r["good"] == r["answered"], (journey.name, r["bad"], r["sample"])


def _assert_database_matches(journeys: list[Journey], checks: dict) -> None:
    """Every request sent did its work once, nothing else was done, the totals are right."""
    by_name = {journey.name: journey for journey in journeys}
    created = checks["created_costs"]
    assert len(created) == len(set(created)), "a maker report was created twice"
    done = {
        "maker-page": set(created) & set(range(PAGE_SERIALS, PAGE_SERIALS + POOL)),
        "maker-api": set(created) & set(range(API_SERIALS, API_SERIALS + POOL)),
        "validate-page": set(checks["validated"]["page_queue"]),
        "validate-api": set(checks["validated"]["api_queue"]),
    }
    for name, in_database in done.items():
        journey = by_name.get(name)
        if journey is None:  # not run (LOAD_JOURNEYS)
            assert not in_database, f"{name}: {len(in_database)} done, none sent"
            continue
        sent = {entry["k"] for entry in _sent(journey)}
        _print_accounting(journey, sent, in_database)
        # Those in flight when wrk stopped were answered to nobody, but done all the same.
        assert in_database == sent, f"{name}: {len(in_database)} done for {len(sent)} sent"
        assert len(sent) - journey.result["answered"] <= CONNECTIONS
    assert checks["validate_decisions"] == len(done["validate-page"]) + len(done["validate-api"])
    # The worker drained every change, and the totals are what a full recompute says.
    assert checks["dirty_left"] == 0, f"dirty buckets left after {checks['drain_waited_s']} s"
    assert checks["totals_match_recompute"], checks["totals_mismatched_buckets"]
    assert checks["rebuild_found_no_drift"], checks["rebuild"]


def test_the_main_journeys_under_load_stay_within_bounds_of_a_bare_view():
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk)")
    database_url = _database_url()
    require(
        database_url is not None,
        "the load benchmark needs PostgreSQL: set DATABASE_URL or LOAD_DATABASE_URL",
    )
    require(_reachable(database_url), f"PostgreSQL does not answer at {database_url}")
    cache_url = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/10")
    broker_url = os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/9")
    require(_redis_up(cache_url) and _redis_up(broker_url), "Redis does not answer")
    database = urlsplit(database_url).path.lstrip("/")
    assert re.fullmatch(r"\w+", database), database

    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env, seed_env = _environments(
        database_url=database_url, cache_url=cache_url, broker_url=broker_url, origin=origin
    )
    folder = Path(tempfile.mkdtemp(prefix="tilab-load-"))
    server = worker = None
    failed = True
    try:
        for url in (cache_url, broker_url):
            _redis(url).flushdb()
        with _admin(database_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{database}"')
        started = time.perf_counter()
        world = _seed(env=env, seed_env=seed_env, world_file=folder / "world.json")
        timings = {"seeding": time.perf_counter() - started}
        server, worker = _start(env=env, port=port, broker_url=broker_url, folder=folder)
        journeys = [j for j in _journeys(world, origin) if not ONLY or j.name in ONLY]
        assert journeys, f"no journey named in LOAD_JOURNEYS: {sorted(ONLY)}"
        _warm_up(journeys, world, origin)

        since = datetime.now(UTC).isoformat()
        bare = Journey("baseline", "bare view /healthz", [{"m": "GET", "p": "/healthz"}])
        with _admin(database_url) as monitor:
            cpu = ServerCpu(server=server, worker=worker, admin=monitor, database=database)
            for journey in journeys:
                # The bare view just before each journey: the machine's load drifts.
                journey.baseline = _wrk(
                    bare, url=origin, folder=folder, cpu=cpu, seconds=BASELINE_SECONDS
                )
                journey.result = _wrk(journey, url=origin, folder=folder, cpu=cpu)

        _run(
            [sys.executable, "-m", "tests.bench.load.world", "check",
             "--world", str(folder / "world.json"), "--since", since,
             "--out", str(folder / "checks.json")],
            env=env, what="the checks after the load",
        )  # fmt: skip
        checks = json.loads((folder / "checks.json").read_text())
        _print_table(journeys, env, timings, checks)

        _assert_no_error(journeys)
        _assert_database_matches(journeys, checks)
        for journey in journeys:
            max_slowdown, max_p99, max_cpu = BOUNDS[journey.name]
            slowdown, p99, cpu_ratio = journey.slowdown, journey.p99_ratio, journey.cpu_ratio
            assert slowdown <= max_slowdown, f"{journey.name}: {slowdown:.1f}× fewer requests/s"
            assert p99 <= max_p99, f"{journey.name}: p99 {p99:.1f}× the bare view's"
            assert cpu_ratio is None or cpu_ratio <= max_cpu, (
                f"{journey.name}: {cpu_ratio:.1f}× the bare view's CPU per request"
            )
        by_name = {journey.name: journey for journey in journeys}
        for api, page in API_NO_DEARER_THAN_PAGE.items():
            if api in by_name and page in by_name and by_name[api].cpu_ratio is not None:
                api_ms, page_ms = by_name[api].result["cpu_ms"], by_name[page].result["cpu_ms"]
                assert api_ms <= API_MARGIN * page_ms, (
                    f"{api}: {api_ms:.1f} ms of CPU per request, {page}: {page_ms:.1f} ms"
                )
        failed = False
    finally:
        _stop(server)
        _stop(worker)
        if failed:
            for log in ("gunicorn.log", "worker.log"):
                path = folder / log
                if path.exists():
                    print(f"\n--- {log} (end) ---\n{path.read_text(errors='replace')[-4000:]}")
        try:
            with _admin(database_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for url in (cache_url, broker_url):
                _redis(url).flushdb()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
