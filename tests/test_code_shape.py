"""Size limits that keep the package easy to change: no module over 400 lines, no function over 60.

Read statically from the source with ``ast``. A function's length runs from its ``def`` line to its
last line (docstring included, decorators not). The allow-list is for functions whose body is one
generated SQL text: splitting the template would scatter one statement over several functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_idu"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# "module path:function name" -> why it may be longer.
ALLOWED_LONG_FUNCTIONS: dict[str, str] = {
    "generate/sql_loop_full.py:loop_iteration": "one generated SQL file (a loop iteration's statements)",
}


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> dict[str, int]:
    """Every function or method over ``limit`` lines, by name, with its length."""
    return {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    }


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_the_limit() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these modules by responsibility (limit {MAX_MODULE_LINES} lines): {long}"


def test_no_function_is_over_the_limit() -> None:
    found = {
        f"{path.relative_to(PACKAGE)}:{name}": n
        for path in _modules()
        for name, n in long_functions(path.read_text(encoding="utf-8")).items()
    }
    unexpected = {key: n for key, n in found.items() if key not in ALLOWED_LONG_FUNCTIONS}
    assert unexpected == {}, f"split these functions (limit {MAX_FUNCTION_LINES} lines): {unexpected}"
    stale = sorted(set(ALLOWED_LONG_FUNCTIONS) - set(found))
    assert stale == [], f"no longer over the limit, remove from ALLOWED_LONG_FUNCTIONS: {stale}"


@pytest.mark.parametrize(
    ("body_lines", "expected"),
    [(58, {}), (59, {"f": 61})],
    ids=["at-the-limit", "one-over"],
)
def test_the_function_checker(body_lines: int, expected: dict[str, int]) -> None:
    body = "".join("    x = 1\n" for _ in range(body_lines))
    source = f'def f():\n    """doc"""\n{body}'
    assert long_functions(source) == expected
    method = "class C:\n" + "".join(f"    {line}\n" for line in source.splitlines())
    assert long_functions(method) == expected
