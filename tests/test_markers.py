"""The markers `make unit` leaves out are given by directory, node id and fixture (tests/conftest.py)."""

from __future__ import annotations

import importlib
import re
import tomllib

import pytest

from tests.conftest import (
    MARKS_BY_FIXTURE,
    MARKS_BY_IMPORT,
    MARKS_BY_MARK,
    MARKS_BY_PATH,
    REPO,
    imported_from,
    marks_for,
)

UNIT_EXCLUDES = {
    "spark",
    "browser",
    "scheduler",
    "slow",
    "beyond_test",
}  # beyond_test: not in make test either


@pytest.mark.parametrize(
    ("nodeid", "fixtures", "marks", "imports", "expected"),
    [
        ("tests/spark/test_faithful.py::test_x", (), (), (), {"spark"}),
        ("tests/fidelity/test_catalogue.py::test_x", (), ("spark",), (), {"spark"}),
        ("tests/ui/test_browser.py::test_x", (), ("e2e",), (), {"browser", "slow"}),
        ("tests/ui/test_render.py::test_x", (), (), (), set()),
        ("tests/lease/test_writer_lease.py::test_x", (), (), (), set()),
        (
            "tests/faults/test_concurrent_runs.py::test_x",
            (),
            (),
            ("tests.scheduler.stack",),
            {"scheduler", "slow", "dagruns"},
        ),
        ("tests/plan/test_new.py::test_x", (), (), ("tests.scheduler.stack", "pathlib"), {"scheduler"}),
        ("tests/e2e/test_runs.py::test_x", (), (), (), {"slow", "dagruns"}),
        ("tests/plan/test_new_module.py::test_x", ("airflow_db",), (), (), {"slow"}),
        ("tests/engines/test_new_module.py::test_x", ("spark",), (), (), {"spark"}),
        ("tests/health/test_new_module.py::test_x", (), ("e2e",), (), {"slow"}),
        ("tests/plan/test_reader.py::test_x", ("tmp_path",), (), (), set()),
    ],
    ids=[
        "spark-dir",
        "fidelity-dir",
        "browser-file",
        "ui-render-is-unit",
        "lease-model-is-unit",
        "concurrent-faults",
        "scheduler-by-import",
        "e2e-dir",
        "dag-runs-by-fixture",
        "spark-by-fixture",
        "e2e-mark-anywhere",
        "plain-unit",
    ],
)
def test_marks_for(
    nodeid: str,
    fixtures: tuple[str, ...],
    marks: tuple[str, ...],
    imports: tuple[str, ...],
    expected: set[str],
) -> None:
    assert marks_for(nodeid, fixtures, marks, imports) == expected


def test_every_marker_given_is_registered() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    registered = {m.split(":")[0] for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    given = (
        {m for _, m in MARKS_BY_PATH}
        | set(MARKS_BY_FIXTURE.values())
        | set(MARKS_BY_MARK.values())
        | set(MARKS_BY_IMPORT.values())
    )
    assert given | UNIT_EXCLUDES <= registered


def test_make_unit_leaves_out_exactly_the_slow_markers() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^UNIT_MARKS := (.+)$", makefile, re.M)
    assert match, "Makefile has no UNIT_MARKS"
    assert set(re.findall(r"not (\w+)", match.group(1))) == UNIT_EXCLUDES


@pytest.mark.parametrize("prefix", [p for p, _ in MARKS_BY_PATH], ids=[p for p, _ in MARKS_BY_PATH])
def test_every_marked_path_still_exists(prefix: str) -> None:
    """A renamed file or test would silently drop back into `make unit`."""
    path, _, name = prefix.partition("::")
    name = name.partition("[")[0]  # a prefix of parametrized ids marks some cases of the function
    assert (REPO / path).exists(), f"{path} is gone; update MARKS_BY_PATH in tests/conftest.py"
    if name:
        assert f"def {name}" in (REPO / path).read_text(encoding="utf-8"), f"{prefix} is gone"


@pytest.mark.parametrize(
    ("module", "harness"),
    [
        ("tests.faults.test_concurrent_runs", "tests.scheduler.stack"),
        ("tests.ui.test_browser", "tests.ui.stack"),
    ],
    ids=["scheduler-stack", "ui-stack"],
)
def test_a_harness_import_is_seen(module: str, harness: str) -> None:
    assert harness in imported_from(importlib.import_module(module))
