"""Private PostgreSQL, Redis, web and worker processes for the fault tests.

The faults happen for real, to processes of the tests' own: a throwaway PostgreSQL cluster and
Redis servers on free ports, a gunicorn and a Celery worker (prefork, two children) pointed at
them, configured as in production (DEBUG off, persistent database connections). The shared
services (PostgreSQL 5432, Redis 6379) are never touched. A missing binary skips these tests on
a laptop and fails them in CI (`require`).

One cluster per session holds a migrated template database; each test gets its own copy, its
own Redis and its own processes, all stopped at the end, failure or not.
"""

import ast
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from itertools import count
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from celery import Celery

from tests.conftest import require

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TEMPLATE = "faults_template"
# The outer pytest's own services (shared by everyone): never handed to our processes.
SHARED = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CELERY_RESULT_BACKEND")
QUICK = 5  # seconds: what a person waiting for the validation page would still accept
_databases = count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable, *, timeout: float, what: str, every: float = 0.1):
    """Poll `condition` until it returns something true, and return it; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(every)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    candidates = []
    try:
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        candidates.append(Path(found))
    except (OSError, subprocess.CalledProcessError):
        pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory, on a free port, run as `postgres` when
    we are root (the server refuses to run as root)."""

    def __init__(self, bindir: Path, root: Path):
        self.bindir, self.root = bindir, root
        self.data, self.log = root / "data", root / "postgres.log"
        self.port = free_port()

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode:
            pytest.fail(f"{program} failed:\n{result.stdout}\n{result.stderr}\n{self.tail()}")
        return result

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _options(self) -> str:
        # Durability is not what these tests are about (a fast shutdown is clean): no fsync.
        # A killed worker's backend is noticed within 0.2 s even while it waits on a lock,
        # so the tests know when its locks are gone (PostgreSQL 14+ on Linux).
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            "-c client_connection_check_interval=200ms"
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.log),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                  check=check)  # fmt: skip

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.log),
                  "-m", "fast", "-w", "-t", "60", "restart")  # fmt: skip

    def url(self, database: str, application: str = "") -> str:
        url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        return f"{url}?application_name={application}" if application else url

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, name: str, template: str = "template1") -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@pytest.fixture(scope="session")
def private_postgres():
    """The session's private cluster, with the migrated template database."""
    bindir = _pg_bindir()
    require(bindir is not None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    version = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    major = int(re.search(r"(\d+)", version).group(1))
    require(major >= 14, f"PostgreSQL 14 or later is needed here, not {version.strip()}")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser is needed to run PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="tilab-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    cluster = PrivatePostgres(bindir, root)
    try:
        cluster.init()
        cluster.start()
        cluster.create_database(TEMPLATE)
        env = platform_env(database_url=cluster.url(TEMPLATE), broker_url="", cache_url="")
        migrated = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        yield cluster
    finally:
        cluster.stop("immediate", check=False)
        shutil.rmtree(root, ignore_errors=True)


# --- Redis ---------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own, without persistence: stopping it loses every message."""

    QUEUE = "celery"  # Celery's default queue; kombu adds priority lists next to it

    def __init__(self, root: Path):
        self.root, self.port, self.process = root, free_port(), None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root),
             "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_until(self._answers, timeout=10, what="the private Redis to answer")

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """SIGTERM, as `docker stop` or a crash-restart would; waits until it is gone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # were it frozen
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted (by the kernel), never answered, as with a
        Redis stuck or a network dropping packets."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def queued(self, prefix: str = "figures.") -> int:
        """Messages of the figures' tasks (drains, rebuilds) waiting in the default queue, every
        priority list of it. Other work shares the queue (an e-mail of the outbox, such as the
        notice of a new API token a world creates) and is not what these tests count."""
        client = self.client()
        return sum(
            1
            for key in client.scan_iter(match=f"{self.QUEUE}*")
            if client.type(key) == b"list"
            for message in client.lrange(key, 0, -1)
            if json.loads(message)["headers"]["task"].startswith(prefix)
        )

    def unacked(self) -> int:
        """Messages a worker took and has not acknowledged (kombu keeps them aside)."""
        return self.client().hlen("unacked")


# --- The platform's processes --------------------------------------------------------------------


def platform_env(*, database_url: str, broker_url: str, cache_url: str) -> dict:
    """The environment of a production deployment pointed at the private services."""
    env = {key: value for key, value in os.environ.items() if key not in SHARED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=cache_url,
        DEBUG="false",
        # The tests read the worker's lines ("Task … succeeded in …: {…}") as plain text.
        LOG_FORMAT="plain",
        SECRET_KEY="faults-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_MANIFEST="false",
        TILAB_MFA_REQUIRED_FOR_MONEY="false",
        CONN_MAX_AGE="60",
        PYTHONUNBUFFERED="1",
    )
    return env


class Process:
    """A process of ours in its own session (so its children die with it), logging to a file."""

    def __init__(self, name: str, command: list[str], *, env: dict, log: Path):
        self.name, self.log = name, log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> set[int]:
        """Its child processes now (gunicorn's workers, the Celery pool)."""
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as found:
            return {int(pid) for pid in found.read().split()}

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # gone already
            os.killpg(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group: the process and its children, at once."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Api:
    """The platform's API over HTTP, as a program with a personal token calls it."""

    def __init__(self, base: str, token: str):
        self.base, self.headers = base, {"Authorization": f"Token {token}"}

    def post(self, path: str, payload: dict | None = None) -> requests.Response:
        return requests.post(self.base + path, json=payload, headers=self.headers, timeout=60)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=60)

    def validate(self, report_id: int) -> requests.Response:
        return self.post(f"/api/v1/production-reports/{report_id}/validate/")


class Stack:
    """One test's platform: its database on the private cluster, its own Redis, and the web
    and worker processes it starts."""

    def __init__(self, postgres: PrivatePostgres, database: str, root: Path):
        self.postgres, self.database, self.root = postgres, database, root
        self.redis = PrivateRedis(root)
        self.processes: list[Process] = []
        self.web: Process | None = None
        self.web_port = 0
        self._celery: Celery | None = None
        # More of the environment of the processes this test starts (a mail server…).
        self.extra_env: dict = {}

    def env(self, application: str = "") -> dict:
        env = platform_env(
            database_url=self.postgres.url(self.database, application),
            broker_url=self.redis.url(0),
            cache_url=self.redis.url(1),
        )
        return {**env, **self.extra_env}

    # Processes -------------------------------------------------------------------------------

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [PYTHON, *command],
            cwd=BASE_DIR,
            env=self.env("faults-script"),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check:
            assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def world(self, name: str, *numbers: int) -> dict:
        """Build a world (tests/faults/world.py) in this test's database."""
        result = self.run("-m", "tests.faults.world", name, *map(str, numbers))
        return json.loads(result.stdout.strip().splitlines()[-1])

    def spawn(self, name: str, command: list[str], application: str) -> Process:
        process = Process(name, command, env=self.env(application), log=self.root / f"{name}.log")
        self.processes.append(process)
        return process

    def start_web(self) -> Process:
        """gunicorn with two sync workers, each keeping its database connection (CONN_MAX_AGE)."""
        self.web_port = free_port()
        self.web = self.spawn(
            "web",
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.web_port}",
             "--workers", "2", "--timeout", "60", "--graceful-timeout", "3",
             "--access-logfile", "-"],
            application="faults-web",
        )  # fmt: skip
        return self.web

    def wait_web(self) -> None:
        def answers():
            assert self.web.alive(), f"gunicorn died:\n{self.web.output()[-3000:]}"
            try:
                return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, timeout=60, what="gunicorn to answer")

    def start_worker(self, name: str) -> Process:
        """A Celery worker: prefork pool of two children, acks late, as in production."""
        return self.spawn(
            name,
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             "--concurrency=2", "--without-gossip", "--without-mingle", "--loglevel=INFO",
             f"--hostname={name}@faults"],
            application="faults-worker",
        )  # fmt: skip

    def wait_worker(self, worker: Process) -> None:
        def answers():
            assert worker.alive(), f"the worker died:\n{worker.output()[-3000:]}"
            try:
                return self.celery.control.ping(destination=[f"{worker.name}@faults"], timeout=0.5)
            except (OSError, redis.RedisError):
                self.forget_broker_connections()  # Redis restarted: they point to the old one
                return False

        wait_until(answers, timeout=60, what=f"the Celery worker {worker.name} to answer")

    def forget_broker_connections(self) -> None:
        if self._celery is not None:
            self._celery.close()
            self._celery = None

    def close(self) -> None:
        for process in reversed(self.processes):
            process.kill()  # throwaway: no graceful shutdown to wait for
        self.redis.stop()
        self.forget_broker_connections()

    def task_log(self, worker: Process, task_id: str) -> list[str]:
        """The worker's log lines about this task (received, succeeded, raised…)."""
        return [line for line in worker.output().splitlines() if f"[{task_id}]" in line]

    def logs(self) -> str:
        parts = [f"--- {p.name} ---\n" + p.output()[-4000:] for p in self.processes]
        return "\n".join(parts) + "\n--- postgres ---\n" + self.postgres.tail()

    # The broker, as beat and `celery inspect` see it --------------------------------------------

    @property
    def celery(self) -> Celery:
        """A bare Celery client on the private broker (the test's own app is left alone)."""
        if self._celery is None:
            self._celery = Celery("faults")
            # Celery prefers the CELERY_BROKER_URL environment variable (the outer pytest's
            # shared broker) to `broker_url`, but not to these two.
            self._celery.conf.broker_read_url = self.redis.url(0)
            self._celery.conf.broker_write_url = self.redis.url(0)
            self._celery.conf.broker_connection_timeout = 2
            self._celery.conf.broker_connection_retry_on_startup = True
            uri = self._celery.connection_for_write().as_uri()
            assert uri.startswith(f"redis://127.0.0.1:{self.redis.port}/"), uri
        return self._celery

    def send(self, task: str) -> str:
        """Queue a task by name, as celery beat does; returns its id."""
        return self.celery.send_task(task).id

    def active_task_pid(self, task_id: str) -> int | None:
        """The pool child running this task, as `celery inspect active` reports it."""
        for tasks in (self.celery.control.inspect(timeout=1).active() or {}).values():
            for task in tasks:
                if task["id"] == task_id:
                    return task["worker_pid"]
        return None

    # HTTP ---------------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def api(self, token: str) -> Api:
        return Api(self.base, token)

    # The database, read directly (not through the code under test) -------------------------------

    def db(self) -> psycopg.Connection:
        return self.postgres.connect(self.database)

    def count(self, sql: str, *params) -> int:
        with self.db() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def column(self, sql: str, *params) -> list:
        with self.db() as conn:
            return [row[0] for row in conn.execute(sql, params).fetchall()]

    def pending(self) -> tuple[int, int]:
        """(dirty buckets, journal rows) still waiting for a drain."""
        with self.db() as conn:
            return (
                conn.execute("SELECT count(*) FROM makers_dirtybucket").fetchone()[0],
                conn.execute("SELECT count(*) FROM makers_totaldelta").fetchone()[0],
            )

    def stored_totals(self) -> dict:
        with self.db() as conn:
            rows = conn.execute(
                "SELECT department_id, item_type_id, org_kind, week_start, quantity, "
                "report_count, maker_count, producer_count, material_cost_cents "
                "FROM makers_productiontotal"
            ).fetchall()
        return {tuple(row[:4]): tuple(int(v) for v in row[4:]) for row in rows}

    def expected_totals(self) -> dict:
        """The full recompute, in Python from the validated reports, without the code under
        test (as tests/makers/test_totals.py: expected_totals does)."""
        with self.db() as conn:
            rows = conn.execute(
                "SELECT r.department_id, r.item_type_id, coalesce(o.kind, 'independent'), "
                "r.produced_on, r.quantity, r.maker_id, r.organisation_id, r.material_cost_cents "
                "FROM makers_productionreport r "
                "LEFT JOIN fablabs_organisation o ON o.id = r.organisation_id "
                "WHERE r.status = 'validated'"
            ).fetchall()
        figures = defaultdict(lambda: [0, 0, set(), set(), 0])
        for department, item, kind, day, quantity, maker, organisation, cost in rows:
            monday = day - datetime.timedelta(days=day.weekday())
            bucket = figures[(department, item, kind, monday)]
            bucket[0] += quantity
            bucket[1] += 1
            bucket[2].add(maker)
            # A producer: the organisation of the report, or its maker producing on their own.
            bucket[3].add(("org", organisation) if organisation else maker)
            bucket[4] += cost
        return {
            key: (q, n, len(makers), len(producers), cost)
            for key, (q, n, makers, producers, cost) in figures.items()
        }

    def settled(self) -> bool:
        return self.pending() == (0, 0) and self.stored_totals() == self.expected_totals()

    def beat_until_settled(self, *, timeout: float = 60, tick: float = 5) -> int:
        """Send the drain as beat does (every minute in production, every `tick` seconds
        here) until nothing is pending and the totals are the full recompute; returns how many
        drains were sent."""
        sent, deadline = 0, time.monotonic() + timeout
        while True:
            self.send("figures.production_totals_drain")
            sent += 1
            next_tick = time.monotonic() + tick
            while time.monotonic() < next_tick:
                if self.settled():
                    return sent
                time.sleep(0.2)
            if time.monotonic() > deadline:
                pytest.fail(f"not settled after {timeout:.0f} s: pending {self.pending()}")

    def rebuild_drift(self, worker: Process) -> tuple[int, int, int]:
        """Run the nightly rebuild as beat does, on `worker`, and return what it had to fix:
        (changed, added, removed)."""
        task = self.send("figures.production_totals_rebuild")

        def done():
            for line in self.task_log(worker, task):
                if found := re.search(r"succeeded in [^ ]+: (\{.*\})$", line):
                    return ast.literal_eval(found.group(1))
            return None

        drift = wait_until(done, timeout=60, what="the rebuild")
        return drift["changed"], drift["added"], drift["removed"]


def backend_waiting_on_lock(stack: Stack, application: str, table: str) -> int | None:
    """The pid of a backend of `application` waiting on a lock while touching `table`."""
    with stack.db() as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            (application, f"%{table}%"),
        ).fetchone()
    return row[0] if row else None


def backend_gone(stack: Stack, pid: int) -> bool:
    with stack.db() as conn:
        return not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()


@pytest.fixture
def stack(private_postgres, tmp_path):
    """This test's platform, torn down at the end; the processes' logs are printed (pytest
    shows them when the test fails)."""
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    database = f"faults_{os.getpid()}_{next(_databases)}"
    private_postgres.create_database(database, template=TEMPLATE)
    platform = Stack(private_postgres, database, tmp_path)
    try:
        platform.redis.start()
        yield platform
    finally:
        print(platform.logs())
        platform.close()
