"""Registration as an Airflow provider: the CLI must be able to load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from airflow_idu.provider_info import get_provider_info


def test_provider_info_names_the_distribution() -> None:
    from importlib.metadata import entry_points, version

    assert get_provider_info()["package-name"] == "airflow-idu"
    (ep,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_idu")]
    assert ep.load() is get_provider_info
    assert version("airflow-idu") in get_provider_info()["versions"]


def test_airflow_cli_lists_the_provider() -> None:
    airflow = Path(sys.executable).with_name("airflow")
    out = subprocess.run(
        [str(airflow), "providers", "list", "-o", "plain"], capture_output=True, text=True, check=True
    )
    assert "airflow-idu" in out.stdout


def test_the_version_has_one_source() -> None:
    import tomllib

    import airflow_idu

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert airflow_idu.__version__ == declared
    assert get_provider_info()["versions"] == [declared]
    written = [
        p.name for p in (root / "airflow_idu").rglob("*.py") if f'"{declared}"' in p.read_text("utf-8")
    ]
    assert written == [], "read the version from airflow_idu.__version__"
