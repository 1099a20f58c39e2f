"""The package and its deployment files, read as an operator's tools would (no Docker on CI
machines, no hadolint): docker-compose.yml and the Dockerfile parsed and checked for what
production needs, the lock checked against pyproject.toml, and a wheel built and opened."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.packaging_wheel import wheel_problems
from tilab_site.healthcheck import probe_host

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def env_example() -> dict:
    pairs = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            pairs[name] = value
    return pairs


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    text = re.sub(r"\\\n", " ", (BASE_DIR / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


# docker-compose.yml ---------------------------------------------------------------------------


def test_no_password_is_written_in_the_compose_file(compose):
    raw = (BASE_DIR / "docker-compose.yml").read_text()
    assert not re.search(r"://[^/\s:@]+:[^@\s$]+@", raw), "a URL with a password"
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        for key, value in environment.items():
            if re.search("PASSWORD|SECRET|KEY|TOKEN", key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), (name, key)


def test_the_platform_reads_every_setting_from_env_and_nothing_overrides_it(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] in (".env", [".env"]), name
        assert "environment" not in service, f"{name} overrides .env (EMAIL_URL among others)"


def test_the_web_has_no_fixed_host_port_and_only_caddy_faces_the_internet(compose):
    services = compose["services"]
    assert "ports" not in services["web"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy", "mail"}
    caddy = services["caddy"]
    assert caddy["image"].startswith("caddy:")
    assert {port.split(":")[0] for port in caddy["ports"]} == {"80", "443"}
    assert any("Caddyfile" in volume for volume in caddy["volumes"])


def test_caddy_serves_the_site_of_env_in_front_of_every_web_container(compose):
    caddyfile = (BASE_DIR / "Caddyfile").read_text()
    assert "{$SITE_DOMAIN}" in caddyfile
    assert re.search(r"dynamic a \{\s*name web\s*port 8000", caddyfile)
    assert compose["services"]["caddy"]["environment"]["SITE_DOMAIN"].startswith("${SITE_DOMAIN")


def test_the_mail_catcher_is_only_in_the_trial_profile_and_on_localhost(compose):
    mail = compose["services"]["mail"]
    assert mail["profiles"] == ["trial"]
    assert mail["ports"] and all(port.startswith("127.0.0.1:") for port in mail["ports"])
    for name, service in compose["services"].items():
        if name != "mail":
            assert "profiles" not in service, f"{name} would not start by default"


def test_every_variable_the_compose_file_requires_is_in_env_example(compose):
    raw = (BASE_DIR / "docker-compose.yml").read_text()
    example = env_example()
    for name in re.findall(r"\$\{([A-Z_]+)", raw):
        assert name in example, name
    assert f":{example['POSTGRES_PASSWORD']}@db:5432/" in example["DATABASE_URL"]
    assert example["ALLOWED_HOSTS"].split(",")[0] == example["SITE_DOMAIN"]


def test_the_web_healthcheck_asks_with_an_accepted_host(compose, client, settings):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test == ["CMD", "python", "-m", "tilab_site.healthcheck"]
    settings.ALLOWED_HOSTS = ["tilab.example.org"]
    assert client.get("/healthz", HTTP_HOST=probe_host("tilab.example.org")).status_code == 200
    # What the probe asked before: refused once ALLOWED_HOSTS names the real site.
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400
    settings.ALLOWED_HOSTS = [".example.org", "other.example.net"]
    assert client.get("/healthz", HTTP_HOST=probe_host(".example.org,x")).status_code == 200


def test_the_probe_picks_a_name_the_settings_accept():
    assert probe_host("tilab.example.org,www.tilab.example.org") == "tilab.example.org"
    assert probe_host(" .example.org") == "example.org"
    assert probe_host("*") == "localhost"
    assert probe_host("") == "localhost"


# Dockerfile -----------------------------------------------------------------------------------


def test_the_image_installs_the_lock_with_hashes_before_the_code():
    build, final = dockerfile_stages()
    copies = [line for line in final if line.upper().startswith("COPY")]
    assert copies[0].split()[1:] == ["requirements.lock", "/tmp/requirements.lock"]
    lock_install = next(i for i, line in enumerate(final) if "-r /tmp/requirements.lock" in line)
    assert "--require-hashes" in final[lock_install]
    wheel_copy = next(i for i, line in enumerate(final) if "--from=wheel" in line)
    assert lock_install < wheel_copy, "the dependency layer must come before the code"


def test_the_image_copies_only_what_runs():
    build, final = dockerfile_stages()
    assert not any(re.match(r"COPY \. ", line) for line in final), "the source tree is copied"
    assert all("tests" not in line for line in final if line.upper().startswith("COPY"))
    assert any("tilab_site.healthcheck" in line for line in final if line.startswith("HEALTH"))
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {"tests", ".git", ".venv", ".env"} <= set(ignored)


def test_the_lock_pins_every_production_dependency_with_hashes():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    lock = (BASE_DIR / "requirements.lock").read_text()
    pinned = {
        match.group(1).lower().replace("_", "-")
        for match in re.finditer(r"^([A-Za-z0-9_.-]+)==\S+", lock, re.MULTILINE)
    }
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        assert name in pinned, f"{name} is not in requirements.lock: run make lock"
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[-1])
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)


# The wheel ------------------------------------------------------------------------------------


def test_the_wheel_holds_every_app_templates_static_files_and_catalogues(tmp_path):
    """Built from a copy of the checkout, as the image's first stage does."""
    source = tmp_path / "source"
    shutil.copytree(
        BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "tests", "var", "staticfiles", "build", "dist", "mutants",
            "__pycache__", "*.egg-info", ".*cache", ".hypothesis", "node_modules",
        ),
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path, source],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("tilab-*.whl")
    assert wheel_problems(wheel) == []
