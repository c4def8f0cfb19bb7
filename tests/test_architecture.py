"""The package's rooms import only the rooms below them (see the README's "How it works").

Read statically from the source (every ``import`` and ``from ... import``, including those
inside functions), so a lazy import that breaks a rule is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_idu"

# room -> module prefixes it must not import, and why.
RULES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "plan",
        ("airflow.", "airflow_idu.engines", "airflow_idu.operators", "airflow_idu.sensors"),
        "plan is plain data: no Airflow, no connections",
    ),
    (
        "generate",
        (
            "airflow.",
            "airflow_idu.engines",
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.factory",
        ),
        "the example workload generator runs without Airflow",
    ),
    (
        "engines",
        (
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.factory",
            "airflow_idu.plan.reader",  # the statement splitter is shared; phases and files are not
            "airflow_idu.plan.model",
        ),
        "engines run statements; they know nothing of phases, XCom or tasks",
    ),
    (
        "operators",
        ("airflow_idu.factory", "airflow_idu.generate", "airflow_idu.demo"),
        "operators run their own file; they do not build tasks or import the example workload",
    ),
    (
        "sensors",
        ("airflow_idu.factory", "airflow_idu.generate", "airflow_idu.demo"),
        "the loop sensor does not build tasks or import the example workload",
    ),
    (
        "factory.py",
        ("airflow_idu.engines", "airflow_idu.generate", "airflow_idu.demo"),
        "the factory never touches a connection at parse time",
    ),
    (
        "params.py",
        ("airflow_idu.engines", "airflow_idu.operators", "airflow_idu.sensors", "airflow_idu.factory"),
        "the trigger form's params are plain definitions: no tasks, no connection",
    ),
    (
        "loop",
        (
            "airflow.",
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.triggers",
            "airflow_idu.factory",
            "airflow_idu.warehouse",
        ),
        "the loop runner drives an engine; the sensor, the trigger and the benchmarks share it without Airflow",
    ),
    (
        "triggers",
        (
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.factory",
            "airflow_idu.engines",
            "airflow_idu.warehouse",
        ),
        "a trigger runs in the triggerer: statements over the REST API through the provider hook, no engine",
    ),
    *[
        (
            room,
            ("airflow_idu.warehouse",),
            "the local warehouse is a tool beside the runtime path, never on it",
        )
        for room in ("engines", "operators", "sensors", "factory.py", "links.py", "plan")
    ],
    (
        "warehouse",
        (
            "airflow.",
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.factory",
            "airflow_idu.plan",
        ),
        "the warehouse serves SQL over the engines' translation; it knows nothing of Airflow or plans",
    ),
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(room: str) -> list[Path]:
    target = PACKAGE / room
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize(
    ("room", "forbidden", "why"),
    RULES,
    ids=[r[0] if "airflow_idu.warehouse" not in r[1] else f"{r[0]}-no-warehouse" for r in RULES],
)
def test_room_imports_only_what_it_may(room: str, forbidden: tuple[str, ...], why: str) -> None:
    files = _files(room)
    assert files, f"no source for room {room}"
    broken = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if any(f"{name}.".startswith(prefix) or name == prefix.rstrip(".") for prefix in forbidden)
    ]
    assert broken == [], f"{why}: {broken}"


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from airflow.sdk import DAG\n    import airflow_idu.engines.duckdb\n")
    assert imported_modules(source) == {"airflow.sdk", "airflow_idu.engines.duckdb"}
