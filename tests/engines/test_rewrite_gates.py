"""The rewrites' gates (spark_compat/gates.py) skip only what would change nothing.

Each gated rewrite promises to return a tree without its trigger unchanged. Every statement of the
directories and of the fidelity catalogue (each case as its harness sends it) is rewritten twice,
with the gates and with every rewrite run, and the two trees must be equal: a declaration that
misses a type, a name or a mark the rewrite acts on fails here on the statement that shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from airflow_idu.engines.base import split_statements_with_lines
from airflow_idu.engines.duckdb import translate
from airflow_idu.engines.duckdb.spark_compat import gates
from airflow_idu.engines.duckdb.spark_compat.gates import Census, Trigger, gated, trigger_of
from airflow_idu.engines.duckdb.spark_compat.rewrites import REWRITES, apply
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement
from tests.conftest import EXAMPLE_SQL, REPO
from tests.fidelity.catalogue import CASES, Case, Kind
from tests.fidelity.compositions import COMPOSITIONS
from tests.fidelity.harness import wide_sql

DIRECTORIES = (
    EXAMPLE_SQL,
    REPO / "tests" / "fidelity" / "handwritten" / "sql",
    REPO / "bench" / "baseline_sql",
    REPO / "tests" / "fidelity" / "directories",
)


def _directory_statements() -> Iterator[str]:
    for directory in DIRECTORIES:
        for path in sorted(Path(directory).rglob("*.sql")):
            yield from (s for s, _ in split_statements_with_lines(path.read_text()))


def _case_statements(case: Case) -> Iterator[str]:
    if case.kind in (Kind.SCALAR, Kind.AGG, Kind.WINDOW):
        yield wide_sql(case.kind, [(0, case)])
    elif case.kind is Kind.ERROR:
        yield f"SELECT {case.sql} AS c"
    else:
        yield from (s for s, _ in split_statements_with_lines(case.sql))


def test_gated_rewrites_give_the_trees_every_rewrite_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    compared = {"trees": 0, "skipped": 0}

    def both(tree: exp.Expr, *, float_values: bool = False) -> exp.Expr:
        everything = apply(tree.copy(), float_values=float_values, gates=False)
        census = Census(tree)
        compared["skipped"] += sum(
            1 for r in REWRITES if (t := trigger_of(r)) is not None and not census.holds(t)
        )
        gated_tree = apply(tree, float_values=float_values)
        assert repr(gated_tree) == repr(everything), gated_tree.sql()
        compared["trees"] += 1
        return gated_tree

    monkeypatch.setattr(translate, "apply_rewrites", both)
    translate.forget_translations()
    statements = [(s, False) for s in _directory_statements()]
    # the harness's inputs hold a FLOAT column, so its statements are translated with float_values
    statements += [(s, True) for case in CASES + COMPOSITIONS for s in _case_statements(case)]
    try:
        for statement, float_values in statements:
            try:
                translate_statement(statement, float_values=float_values)
            except TranslationError:
                continue  # refused before or after the rewrites: the same either way
    finally:
        translate.forget_translations()
    assert compared["trees"] > 700, compared
    # the gates do skip: most rewrites have nothing to act on in most statements
    assert compared["skipped"] > 40 * compared["trees"], compared


def _tree(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="databricks")


@pytest.mark.parametrize(
    ("sql", "trigger", "holds"),
    [
        ("SELECT CAST(a AS INT) FROM t", Trigger(types=(exp.Cast,)), True),
        # find_all matches subclasses: a TRY_CAST is a Cast
        ("SELECT TRY_CAST(a AS INT) FROM t", Trigger(types=(exp.Cast,)), True),
        ("SELECT a + 1 FROM t", Trigger(types=(exp.Cast,)), False),
        ("SELECT Json_Tuple(a, 'x') FROM t", Trigger(names=frozenset({"json_tuple"})), True),
        ("SELECT upper(a) FROM t", Trigger(names=frozenset({"json_tuple"})), False),
        ("SELECT a FROM t", Trigger(meta=frozenset({"mark"})), False),
        ("SELECT a FROM t WHERE a IN (SELECT max(b) FROM u)", Trigger(types=(exp.AggFunc,)), True),
    ],
    ids=["type", "subclass", "type-absent", "name-any-case", "name-absent", "meta-absent", "nested"],
)
def test_census_holds_a_trigger_as_find_all_would_find_it(sql: str, trigger: Trigger, holds: bool) -> None:
    assert Census(_tree(sql)).holds(trigger) is holds


def test_census_reads_the_marks_earlier_rewrites_left() -> None:
    tree = _tree("SELECT a FROM t WHERE b < c")
    comparison = tree.find(exp.LT)
    assert comparison is not None
    comparison.meta["mark"] = 1
    assert Census(tree).holds(Trigger(meta=frozenset({"mark"})))


def test_a_composite_rewrite_declares_its_parts_or_fails_at_import() -> None:
    def undeclared(tree: exp.Expr) -> exp.Expr:
        return tree

    with pytest.raises(TypeError, match="undeclared declares no trigger"):
        gated(like=(undeclared,))

    part = gated(types=(exp.Cast,), names=("Conv",))(undeclared)
    try:

        def whole(tree: exp.Expr) -> exp.Expr:
            return part(tree)

        gated(types=(exp.Div,), like=(part,))(whole)
        declared = trigger_of(whole)
        assert declared == Trigger(types=(exp.Div, exp.Cast), names=frozenset({"conv"}))
    finally:
        gates._TRIGGERS.pop(undeclared, None)
        gates._TRIGGERS.pop(whole, None)
