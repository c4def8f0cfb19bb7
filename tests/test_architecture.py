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
        ("airflow_idu.factory", "airflow_idu.render", "airflow_idu.generate", "airflow_idu.demo"),
        "operators run their own file; they do not build tasks or import the example workload",
    ),
    (
        "sensors",
        ("airflow_idu.factory", "airflow_idu.render", "airflow_idu.generate", "airflow_idu.demo"),
        "the loop sensor does not build tasks or import the example workload",
    ),
    *[
        (
            room,
            ("airflow_idu.engines", "airflow_idu.generate", "airflow_idu.demo"),
            "the factory and its rendering never touch a connection at parse time",
        )
        for room in ("factory.py", "render")
    ],
    (
        "render",
        ("airflow_idu.runstate.steps", "airflow_idu.runstate.incremental_steps"),
        "the persistent-id and incremental tasks run their steps at execute time, never at parse time",
    ),
    (
        "runstate",
        (
            "airflow.",
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.triggers",
            "airflow_idu.factory",
            "airflow_idu.warehouse",
            "airflow_idu.health",
        ),
        "run state is SQL and steps through an engine: no Airflow, no tasks",
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
        for room in (
            "engines",
            "operators",
            "sensors",
            "factory.py",
            "render",
            "links.py",
            "plan",
            "runstate",
        )
    ],
    (
        "lease",
        (
            "airflow.",
            "airflow_idu.operators",
            "airflow_idu.sensors",
            "airflow_idu.triggers",
            "airflow_idu.factory",
            "airflow_idu.render",
            "airflow_idu.warehouse",
        ),
        "the writer lease is a row and its SQL, run through an engine: no Airflow, no tasks",
    ),
    (
        "plan/contract.py",
        ("airflow.", "airflow_idu."),
        "the contract's names are the bottom of every room: it imports none of them",
    ),
    *[
        (
            module,
            (
                "airflow.sdk",
                "airflow_idu.engines.databricks.",
                "airflow_idu.engines.duckdb",
                "airflow_idu.engines.registry",
                "airflow_idu.operators",
                "airflow_idu.sensors",
                "airflow_idu.triggers",
            ),
            "the triggerer loads the Statement API client and the Databricks error classifier: no task SDK, "
            "no connector engine",
        )
        for module in ("engines/statement_api.py", "engines/databricks_errors.py")
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


# Modules a room may import although a rule above forbids their prefix, and why.
ALLOWED: dict[str, tuple[str, ...]] = {
    # The trigger speaks the Statement API through its one client and judges failures with the
    # Databricks classifier; neither opens an engine.
    "triggers": ("airflow_idu.engines.statement_api", "airflow_idu.engines.databricks_errors"),
}


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
        if name not in ALLOWED.get(room, ())
        and any(f"{name}.".startswith(prefix) or name == prefix.rstrip(".") for prefix in forbidden)
    ]
    assert broken == [], f"{why}: {broken}"


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from airflow.sdk import DAG\n    import airflow_idu.engines.duckdb\n")
    assert imported_modules(source) == {"airflow.sdk", "airflow_idu.engines.duckdb"}


# --- the provider's private methods ---------------------------------------------------------------

STATEMENT_API_CLIENT = PACKAGE / "engines" / "statement_api.py"


def provider_private_methods() -> set[str]:
    """Private methods of the Databricks provider's hooks (``_a_do_api_call``, ``_do_api_call``, ...)."""
    from airflow.providers.databricks.hooks.databricks import DatabricksHook
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

    return {
        name
        for cls in (DatabricksHook, DatabricksSqlHook)
        for name in dir(cls)
        if name.startswith("_") and not name.startswith("__") and callable(getattr(cls, name, None))
    }


def private_calls(path: Path, names: set[str]) -> list[str]:
    return private_calls_in(path.read_text(encoding="utf-8"), names, str(path.relative_to(PACKAGE.parent)))


def private_calls_in(source: str, names: set[str], where: str) -> list[str]:
    """Calls ``x._name(...)`` of ``names`` on anything but ``self``/``cls`` (their own methods)."""
    tree = ast.parse(source)
    return [
        f"{where}:{node.lineno} {node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "cls"))
    ]


def test_only_the_statement_api_client_calls_private_provider_methods() -> None:
    names = provider_private_methods()
    assert {"_a_do_api_call", "_do_api_call", "_get_sql_endpoint_by_name"} <= names
    elsewhere = [
        call
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != STATEMENT_API_CLIENT
        for call in private_calls(path, names)
    ]
    assert elsewhere == [], "call the provider through airflow_idu/engines/statement_api.py"


def test_the_statement_api_client_says_why_for_each_private_method() -> None:
    called = {
        call.rsplit(" ", 1)[1] for call in private_calls(STATEMENT_API_CLIENT, provider_private_methods())
    }
    assert called, "the client calls no private method: drop this test and the module's list"
    doc = ast.get_docstring(ast.parse(STATEMENT_API_CLIENT.read_text(encoding="utf-8"))) or ""
    assert [name for name in sorted(called) if f"._{name.lstrip('_')}``" not in doc] == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hook._a_do_api_call(('GET', 'x'))", ["_a_do_api_call"]),
        ("self.hook._do_api_call(('GET', 'x'))", ["_do_api_call"]),
        ("self._do_api_call(('GET', 'x'))", []),
        ("hook.cancel_sql_statement('id')", []),
    ],
    ids=["on-a-hook", "on-an-attribute", "own-method", "public"],
)
def test_the_private_call_checker(source: str, expected: list[str]) -> None:
    found = private_calls_in(source, {"_a_do_api_call", "_do_api_call"}, "probe.py")
    assert [f.rsplit(" ", 1)[1] for f in found] == expected
