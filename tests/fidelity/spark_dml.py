"""MERGE, UPDATE and DELETE on local Spark, which has no Delta Lake: the same statements as plain Spark SQL.

Local Spark (no Delta jars, no network to fetch them) refuses ``MERGE INTO``,
``UPDATE`` and ``DELETE`` on its file tables. ``UPDATE t SET c = e WHERE p`` is
``c = CASE WHEN p THEN e ELSE c END`` for every row, ``DELETE FROM t WHERE p``
keeps the rows where ``p`` is not true. Delta's semantics of a ``MERGE`` whose target rows each
meet at most one source row (``WHEN MATCHED``, ``WHEN NOT MATCHED`` and ``WHEN NOT MATCHED BY
SOURCE`` clauses, with or without conditions, ``UPDATE SET``, ``SET *``, ``DELETE``, ``INSERT``)
are spelled here as a full rewrite of the target. Only the Spark side of the comparison uses
this; Delta's error for a target row that several source rows meet cannot be shown on local
Spark (tests/engines/test_merge.py checks the embedded engine's, engines/duckdb/merge.py).
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["dml_statements", "merge_statements"]


def merge_statements(statement: str, columns_of: Any) -> list[str]:
    """Spark statements equivalent to one MERGE; ``columns_of(table_sql)`` lists the target's columns.

    Clauses apply in order, the first whose condition holds (NULL does not) taking a row: matched
    target rows (``WHEN MATCHED``), source rows without a match (``WHEN NOT MATCHED``) and target
    rows without one (``WHEN NOT MATCHED BY SOURCE``). A row no clause takes is kept as it is.
    """
    merge = sqlglot.parse_one(statement, read="databricks")
    assert isinstance(merge, exp.Merge), statement
    target = merge.this
    name = exp.table_name(target, dialect="spark")
    t_alias = target.alias_or_name
    source = merge.args["using"]
    s_alias = source.alias_or_name
    if isinstance(source, exp.Subquery):
        inner = f"({source.this.sql('spark')})"
    else:
        src_sql = source.copy()
        src_sql.set("alias", None)
        inner = f"(SELECT * FROM {src_sql.sql('spark')})"
    marked = f"(SELECT *, 1 AS __idu_matched FROM {inner} AS __s) AS {s_alias}"
    cond = merge.args["on"].sql("spark")
    columns = list(columns_of(name))
    hit = f"{s_alias}.__idu_matched IS NOT NULL"
    # (when the clause takes the row, its new values or None for DELETE)
    target_clauses: list[tuple[str, dict[str, str] | None]] = []
    inserts: list[tuple[str, dict[str, str]]] = []
    for when in merge.args["whens"].expressions:
        then = when.args["then"]
        condition = when.args.get("condition")
        holds = f"coalesce({condition.sql('spark')}, false)" if condition is not None else "true"
        if when.args.get("matched") or when.args.get("source"):
            side = hit if when.args.get("matched") else f"NOT ({hit})"
            target_clauses.append((f"{side} AND {holds}", _action(then, columns, s_alias)))
        elif isinstance(then, exp.Insert):
            inserts.append((holds, _inserted(then, columns, s_alias)))
        else:
            raise NotImplementedError(f"WHEN clause {when.sql('spark')}")

    def value(column: str) -> str:
        kept = f"{t_alias}.{column}"
        branches = [
            f"WHEN {w} THEN {a[column.lower()] if a is not None and column.lower() in a else kept}"
            for w, a in target_clauses
        ]
        return f"CASE {' '.join(branches)} ELSE {kept} END" if branches else kept

    deleted = " ".join(f"WHEN {w} THEN {'true' if a is None else 'false'}" for w, a in target_clauses)
    keep = f" WHERE NOT (CASE {deleted} ELSE false END)" if deleted else ""
    kept_rows = ", ".join(f"{value(c)} AS {c}" for c in columns)
    parts = [f"SELECT {kept_rows} FROM {name} AS {t_alias} LEFT JOIN {marked} ON {cond}{keep}"]
    if inserts:
        values = ", ".join(
            "CASE "
            + " ".join(f"WHEN {w} THEN {v.get(c.lower(), 'NULL')}" for w, v in inserts)
            + f" END AS {c}"
            for c in columns
        )
        taken = " OR ".join(w for w, _ in inserts)
        parts.append(
            f"SELECT {values} FROM {marked} WHERE NOT EXISTS (SELECT 1 FROM {name} AS {t_alias} WHERE {cond}) "
            f"AND ({taken})"
        )
    staged = f"{name}__idu_merge"
    cte = merge.args.get("with_")  # WITH c AS (...) MERGE INTO t USING c ...
    prefix = f"{cte.sql('spark')} " if cte is not None else ""
    return [
        f"DROP TABLE IF EXISTS {staged}",
        f"CREATE TABLE {staged} AS {prefix}{' UNION ALL '.join(parts)}",
        f"INSERT OVERWRITE {name} SELECT * FROM {staged}",
        f"DROP TABLE {staged}",
    ]


def _action(then: exp.Expression, columns: list[str], s_alias: str) -> dict[str, str] | None:
    """An UPDATE's new values by column (``SET *``: the source's columns); None for DELETE."""
    if isinstance(then, exp.Update):
        if then.expressions and not isinstance(then.expressions[0], exp.Star):
            return {e.this.name.lower(): e.expression.sql("spark") for e in then.expressions}
        return {c.lower(): f"{s_alias}.{c}" for c in columns}
    if isinstance(then, exp.Var) and then.name.upper() == "DELETE":
        return None
    raise NotImplementedError(f"action {then.sql('spark')}")


def _inserted(then: exp.Insert, columns: list[str], s_alias: str) -> dict[str, str]:
    if isinstance(then.this, exp.Star) or then.this is None:
        return {c.lower(): f"{s_alias}.{c}" for c in columns}
    cols = [c.name.lower() for c in then.this.expressions]
    vals = [v.sql("spark") for v in then.expression.expressions]
    return dict(zip(cols, vals, strict=True))


def dml_statements(statement: str, columns_of: Any) -> list[str] | None:
    """Spark statements for a MERGE, UPDATE or DELETE; None for any other statement."""
    tree = sqlglot.parse_one(statement, read="databricks")
    if isinstance(tree, exp.Merge):
        return merge_statements(statement, columns_of)
    if not isinstance(tree, exp.Update | exp.Delete):
        return None
    name = exp.table_name(tree.this, dialect="spark")
    where = tree.args.get("where")
    hit = f"coalesce({where.this.sql('spark')}, false)" if where is not None else "true"
    columns = list(columns_of(name))
    if isinstance(tree, exp.Delete):
        query = f"SELECT * FROM {name} WHERE NOT {hit}"
    else:
        sets = {e.this.name.lower(): e.expression.sql("spark") for e in tree.expressions}
        query = (
            "SELECT "
            + ", ".join(
                f"CASE WHEN {hit} THEN {sets[c.lower()]} ELSE {c} END AS {c}" if c.lower() in sets else c
                for c in columns
            )
            + f" FROM {name}"
        )
    staged = f"{name}__idu_dml"
    return [
        f"DROP TABLE IF EXISTS {staged}",
        f"CREATE TABLE {staged} AS {query}",
        f"INSERT OVERWRITE {name} SELECT * FROM {staged}",
        f"DROP TABLE {staged}",
    ]
