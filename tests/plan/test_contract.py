"""The SQL directory contract's names: one home (airflow_idu/plan/contract.py), and what they are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from airflow_idu.plan.contract import (
    GATE_TASK,
    LOOP_TASK,
    PERSISTENT_IDS_COMMIT_TASK_ID,
    PERSISTENT_IDS_STAGE_TASK,
    TableNames,
    UseKind,
    UseStatement,
    lease_table,
    parse_use,
    task_path,
    use_statements,
)

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_idu"
CONTRACT = PACKAGE / "plan" / "contract.py"

# Written anywhere in a string, these name a contract table.
TABLE_FRAGMENTS = (
    "_graph_unify_loop_",
    "_unify_loop_log",
    "_unify_work_",
    "idu_writer_lease",
    "_lookup_previous",
)
# Appended to the prefix (f"{p}_lookup", p + "_lookup"), these name a contract table.
PREFIX_SUFFIXES = re.compile(
    r"_(graph|lookup|lookup_previous|lookup_previous_state|keys|tables|id_history|id_map|id_map_staging|"
    r"id_changes|"
    r"source_key_stats|result_key_stats|unify_loop_log|graph_unify_loop_\w*|unify_work_\w*)(?![A-Za-z0-9_])"
)
TASK_IDS = {
    "unify_loop",
    "restore_loop_final",
    "drop_old_loop_tables",
    "keep_previous_lookup",
    "identity_health",
    "lease_acquire",
    "lease_release",
    "loop.unify_loop",
    "gate.identity_health",
    "persistent_ids_commit",
    "persistent_ids.stage",
}
NAME_SUFFIXES = ("_XCOM_KEY", "_TASK_ID", "_GROUP_ID", "_TASK")


def contract_literals(source: str) -> list[str]:
    """Where ``source`` spells a contract name itself instead of asking the contract module."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            found += [f"{node.lineno}: {frag}" for frag in TABLE_FRAGMENTS if frag in text]
            if text in TASK_IDS:
                found.append(f"{node.lineno}: task id {text!r}")
        elif isinstance(node, ast.JoinedStr):
            for before, after in zip(node.values, node.values[1:], strict=False):
                if (
                    isinstance(before, ast.FormattedValue)
                    and isinstance(after, ast.Constant)
                    and PREFIX_SUFFIXES.match(str(after.value))
                ):
                    found.append(f"{node.lineno}: prefix + {after.value!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.right, ast.Constant):
            if PREFIX_SUFFIXES.fullmatch(str(node.right.value)):
                found.append(f"{node.lineno}: prefix + {node.right.value!r}")
        elif isinstance(node, ast.keyword) and node.arg == "key" and isinstance(node.value, ast.Constant):
            found.append(f"{node.value.lineno}: XCom key {node.value.value!r}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            found += [f"{node.lineno}: {n} =" for n in names if n.endswith(NAME_SUFFIXES)]
    return found


def test_contract_names_are_written_only_in_the_contract_module() -> None:
    elsewhere = [
        f"{path.relative_to(PACKAGE.parent)}:{hit}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != CONTRACT
        for hit in contract_literals(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == [], "ask airflow_idu.plan.contract instead"


def test_the_contract_module_holds_them() -> None:
    assert len(contract_literals(CONTRACT.read_text(encoding="utf-8"))) >= 10


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('t = f"{p}_graph_unify_loop_{k}"', True),
        ('t = f"{schema}.{p}_unify_loop_log"', True),
        ('t = f"{p}_lookup"', True),
        ("t = p + '_result_key_stats'", True),
        ('t = "idu_writer_lease"', True),
        ('ti.xcom_push(key="history", value=1)', True),
        ('LOOP_TASK_ID = "unify_loop"', True),
        ('def f():\n    """Reads ``<p>_graph_unify_loop_0``."""', False),
        ('t = f"{name}_ranked"', False),
        ('t = f"{table}_tmp"', False),
        ('t = "enriched_" + name', False),
    ],
    ids=[
        "loop-table",
        "loop-log",
        "lookup",
        "concatenated",
        "lease",
        "xcom-key",
        "task-id-constant",
        "docstring-ok",
        "cte-ok",
        "staging-ok",
        "enriched-ok",
    ],
)
def test_the_literal_checker(source: str, flagged: bool) -> None:
    assert bool(contract_literals(source)) is flagged


NAMES = TableNames(prefix="uid", catalog="cat", schema="sch")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NAMES.loop(0), "cat.sch.uid_graph_unify_loop_0"),
        (NAMES.loop(12), "cat.sch.uid_graph_unify_loop_12"),
        (NAMES.loop_final, "cat.sch.uid_graph_unify_loop_final"),
        (NAMES.source_graph, "cat.sch.uid_graph_unify_loop_0"),
        (NAMES.loop_log, "cat.sch.uid_unify_loop_log"),
        (NAMES.work("labels_odd"), "cat.sch.uid_unify_work_labels_odd"),
        (NAMES.graph(), "cat.sch.uid_graph"),
        (NAMES.lookup, "cat.sch.uid_lookup"),
        (NAMES.lookup_previous, "cat.sch.uid_lookup_previous"),
        (NAMES.previous_state, "cat.sch.uid_lookup_previous_state"),
        (NAMES.id_history, "cat.sch.uid_id_history"),
        (NAMES.keys, "cat.sch.uid_keys"),
        (NAMES.source_tables, "cat.sch.uid_tables"),
        (NAMES.result_key_stats, "cat.sch.uid_result_key_stats"),
        (TableNames(prefix="uid").lookup, "uid_lookup"),
        (TableNames(prefix="uid", schema="s").loop_log, "s.uid_unify_loop_log"),
        (lease_table("cat", "sch"), "cat.sch.idu_writer_lease"),
        (lease_table(None, "sch"), "sch.idu_writer_lease"),
        (LOOP_TASK, "loop.unify_loop"),
        (GATE_TASK, "gate.identity_health"),
        (task_path("idu.", "gate", "identity_health"), "idu.gate.identity_health"),
        (TableNames(prefix="uid", catalog="c", schema="s").id_map, "c.s.uid_id_map"),
        (TableNames(prefix="uid").id_map_staging, "uid_id_map_staging"),
        (TableNames(prefix="uid").id_changes, "uid_id_changes"),
        (PERSISTENT_IDS_STAGE_TASK, "persistent_ids.stage"),
        (PERSISTENT_IDS_COMMIT_TASK_ID, "persistent_ids_commit"),
    ],
    ids=[
        "loop-0",
        "loop-12",
        "loop-final",
        "source-graph",
        "loop-log",
        "work",
        "graph",
        "lookup",
        "lookup-previous",
        "previous-state",
        "id-history",
        "keys",
        "tables",
        "result-key-stats",
        "bare",
        "schema-only",
        "lease",
        "lease-no-catalog",
        "loop-task",
        "gate-task",
        "embedded-task",
        "id-map",
        "id-map-staging",
        "id-changes",
        "persistent-ids-stage",
        "persistent-ids-commit",
    ],
)
def test_table_and_task_names(value: str, expected: str) -> None:
    assert value == expected


@pytest.mark.parametrize(
    "prefix", ["", "1uid", "u-id", "uid; DROP"], ids=["empty", "digit", "dash", "injection"]
)
def test_a_prefix_must_be_an_identifier(prefix: str) -> None:
    with pytest.raises(ValueError, match="plain identifier"):
        TableNames(prefix=prefix)


def test_unknown_work_table() -> None:
    with pytest.raises(ValueError, match="work tables"):
        NAMES.work("scratch")


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("USE CATALOG idu_demo", UseStatement(kind=UseKind.CATALOG, name="idu_demo")),
        ("  use catalog `idu_demo` ;", UseStatement(kind=UseKind.CATALOG, name="idu_demo")),
        ("USE SCHEMA unified;", UseStatement(kind=UseKind.SCHEMA, name="unified")),
        ("USE DATABASE unified", UseStatement(kind=UseKind.SCHEMA, name="unified")),
        ("USE unified", UseStatement(kind=UseKind.SCHEMA, name="unified")),
        ("USE SCHEMA c.s", UseStatement(kind=UseKind.SCHEMA, name="s", catalog="c")),
        ("USE `my cat`.`my schema`", UseStatement(kind=UseKind.SCHEMA, name="my schema", catalog="my cat")),
        ("USE SCHEMA", None),
        ("USE CATALOG a.b", None),
        ("SELECT 1", None),
        ("USE SCHEMA s; SELECT 1", None),
        ("-- USE SCHEMA s", None),
    ],
    ids=[
        "catalog",
        "catalog-quoted-semicolon",
        "schema",
        "database",
        "bare",
        "qualified",
        "quoted-qualified",
        "keyword-only",
        "catalog-qualified",
        "select",
        "two-statements",
        "comment",
    ],
)
def test_parse_use(statement: str, expected: UseStatement | None) -> None:
    assert parse_use(statement) == expected


@pytest.mark.parametrize(
    ("use", "namespace"),
    [
        (UseStatement(kind=UseKind.CATALOG, name="c"), {"CATALOG": "c"}),
        (UseStatement(kind=UseKind.SCHEMA, name="s"), {"SCHEMA": "s"}),
        (UseStatement(kind=UseKind.SCHEMA, name="s", catalog="c"), {"SCHEMA": "s", "CATALOG": "c"}),
    ],
    ids=["catalog", "schema", "qualified-schema"],
)
def test_namespace(use: UseStatement, namespace: dict[str, str]) -> None:
    assert use.namespace() == namespace


def test_use_statements_of_a_file() -> None:
    text = "-- header\nUSE CATALOG c;\nUSE SCHEMA s;\nCREATE TABLE t AS\nSELECT 1;\n"
    assert use_statements(text) == [
        UseStatement(kind=UseKind.CATALOG, name="c"),
        UseStatement(kind=UseKind.SCHEMA, name="s"),
    ]
