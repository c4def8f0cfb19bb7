"""Read a SQL directory into a :class:`Plan`.

Only the directory listing and the first loop file are read here: this runs at
DAG-parse time, so it must stay cheap and must not touch any database.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from airflow_idu.plan.contract import GRAPH_0_PATTERN, UseKind, loop_table_shape, use_statements
from airflow_idu.plan.incremental import read_incremental
from airflow_idu.plan.model import LoopSpec, Phase, PhasePlan, Plan, PlanError, SqlFile, read_sql_file

__all__ = ["phase_for_order", "read_plan"]

_NUMBERED = re.compile(r"^(\d+)_")
_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_ITERATION = re.compile(r"(\d+)$")

_PHASE_BY_ORDER: tuple[tuple[range, Phase], ...] = (
    (range(1, 4), Phase.SETUP),
    (range(4, 5), Phase.LOOP),
    (range(5, 6), Phase.CANONICALIZE),
    (range(6, 10), Phase.STATS),
    (range(10, 20), Phase.ENRICHMENT),
    (range(20, 30), Phase.MASTER),
    (range(30, 40), Phase.METADATA),
)


def phase_for_order(order: int | None) -> Phase:
    for numbers, phase in _PHASE_BY_ORDER:
        if order in numbers:
            return phase
    return Phase.OTHER


def read_plan(sql_dir: str | Path, *, allowed_root: str | Path | None = None) -> Plan:
    """Return the ordered plan of ``sql_dir`` or raise :class:`PlanError` naming the problem.

    With ``allowed_root``, ``sql_dir`` must lie inside it (after resolving ``..`` and
    symlinks), so a directory chosen from configuration cannot point elsewhere.
    """
    root = Path(sql_dir)
    if allowed_root is not None:
        _check_inside(root, Path(allowed_root))
    if not root.exists():
        raise PlanError(f"SQL directory {root} does not exist; generate it or fix the sql_dir path")
    if not root.is_dir():
        raise PlanError(f"SQL directory {root} is not a directory; point sql_dir at the folder of .sql files")
    files = sorted((_sql_file(p) for p in root.iterdir() if p.suffix == ".sql" and p.is_file()), key=_key)
    if not files:
        raise PlanError(f"SQL directory {root} holds no .sql files; generate the workflow SQL into it")
    loop_files = _loop_files(root, [f for f in files if f.phase is Phase.LOOP])
    _check_sequential_orders(root, files)
    prefix, catalog, schema = _infer_names(loop_files[0].path)
    phases = tuple(
        PhasePlan(phase=phase, files=tuple(f for f in files if f.phase is phase))
        for phase in Phase
        if any(f.phase is phase for f in files)
    )
    loop = LoopSpec(prefix=prefix, catalog=catalog, schema=schema, files=tuple(f.path for f in loop_files))
    return Plan(
        sql_dir=root,
        canonical_id=prefix,
        catalog=catalog,
        schema=schema,
        phases=phases,
        loop=loop,
        incremental=read_incremental(root),
    )


def _check_inside(root: Path, allowed: Path) -> None:
    if not root.resolve().is_relative_to(allowed.resolve()):
        raise PlanError(
            f"SQL directory {root} is outside the allowed root {allowed} (sql_root); "
            "move the directory under it or point sql_dir at a directory inside it"
        )


def _sql_file(path: Path) -> SqlFile:
    if not _TASK_ID.match(path.stem):
        raise PlanError(
            f"file name {path.name!r} cannot be a task id; rename it to use only letters, digits, '_', '-', '.'"
        )
    match = _NUMBERED.match(path.name)
    order = int(match.group(1)) if match else None
    return SqlFile(path=path, order=order, phase=phase_for_order(order))


def _key(f: SqlFile) -> tuple[int, int, str]:
    # Files without a numeric prefix run last, in name order.
    return (1, 0, f.path.name) if f.order is None else (0, f.order, f.path.name)


def _loop_files(root: Path, loop: list[SqlFile]) -> list[SqlFile]:
    if not loop:
        raise PlanError(
            f"SQL directory {root} has no unify loop files (04_unify_loop_iteration_NN.sql); "
            "regenerate it with merge_iterations >= 1"
        )
    numbered: dict[int, SqlFile] = {}
    for f in loop:
        match = _ITERATION.search(f.stem)
        if not match:
            raise PlanError(f"loop file {f.path.name} does not end in its iteration number, e.g. _01")
        k = int(match.group(1))
        if k in numbered:
            raise PlanError(
                f"loop files {numbered[k].path.name} and {f.path.name} both claim iteration {k}; keep one"
            )
        numbered[k] = f
    expected = list(range(1, len(numbered) + 1))
    if sorted(numbered) != expected:
        raise PlanError(
            f"loop files must be iterations 1..{len(numbered)} without gaps, found {sorted(numbered)}; "
            "regenerate the directory"
        )
    return [numbered[k] for k in expected]


def _check_sequential_orders(root: Path, files: list[SqlFile]) -> None:
    """In phases that run one file after another, two files with one number leave the order to chance."""
    counts = Counter(f.order for f in files if f.order is not None and not f.phase.parallel)
    counts.pop(4, None)  # loop files are numbered by iteration instead
    duplicates = sorted(order for order, n in counts.items() if n > 1)
    if duplicates:
        names = [f.path.name for f in files if f.order in duplicates]
        raise PlanError(
            f"SQL directory {root} has duplicate order numbers {duplicates} in sequential phases "
            f"({', '.join(names)}); give each file its own number"
        )


def _infer_names(first_loop_file: Path) -> tuple[str, str | None, str | None]:
    """Find the prefix's loop_0 table (the graph iteration 1 reads) and the catalog/schema in use."""
    text = read_sql_file(first_loop_file)
    match = GRAPH_0_PATTERN.search(text)
    if not match:
        raise PlanError(
            f"{first_loop_file.name} does not read a graph table {loop_table_shape(0)}; "
            "this does not look like a unify loop file of the SQL directory contract"
        )
    first, second, prefix = match.groups()
    uses: dict[str, str] = {}
    for use in use_statements(text):
        uses.update(use.namespace())  # the last USE of each kind wins
    catalog = uses.get(UseKind.CATALOG.value) or (first if second else None)
    schema = uses.get(UseKind.SCHEMA.value) or (second or first)
    return prefix, catalog, schema
