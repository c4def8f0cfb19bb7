"""MERGE, UPDATE and DELETE on local Spark, which has no Delta Lake: the same statements as plain Spark SQL.

Local Spark (no Delta jars, no network to fetch them) refuses ``MERGE INTO``,
``UPDATE`` and ``DELETE`` on its file tables. ``UPDATE t SET c = e WHERE p`` is
``c = CASE WHEN p THEN e ELSE c END`` for every row, ``DELETE FROM t WHERE p``
keeps the rows where ``p`` is not true. The Databricks semantics of the form the contract's files use
(``WHEN MATCHED THEN UPDATE SET ...`` and ``WHEN NOT MATCHED THEN INSERT ...``,
each target row matched by at most one source row) are spelled here as a full
rewrite of the target: matched rows updated, unmatched target rows kept, unmatched
source rows inserted. Only the Spark side of the comparison uses this; the
embedded engine runs MERGE natively.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["dml_statements", "merge_statements"]


def merge_statements(statement: str, columns_of: Any) -> list[str]:
    """Spark statements equivalent to one MERGE; ``columns_of(table_sql)`` lists the target's columns."""
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
    updates: dict[str, str] | None = None
    inserts: dict[str, str] | None = None
    for when in merge.args["whens"].expressions:
        then = when.args["then"]
        if when.args.get("condition") is not None:
            raise NotImplementedError("conditional WHEN clauses")
        if when.args.get("matched") and isinstance(then, exp.Update):
            updates = (
                {e.this.name.lower(): e.expression.sql("spark") for e in then.expressions}
                if then.expressions
                else {c.lower(): f"{s_alias}.{c}" for c in columns}
            )
        elif not when.args.get("matched") and isinstance(then, exp.Insert):
            if isinstance(then.this, exp.Star) or then.this is None:
                inserts = {c.lower(): f"{s_alias}.{c}" for c in columns}
            else:
                cols = [c.name.lower() for c in then.this.expressions]
                vals = [v.sql("spark") for v in then.expression.expressions]
                inserts = dict(zip(cols, vals, strict=True))
        else:
            raise NotImplementedError(f"WHEN clause {when.sql('spark')}")
    kept = ", ".join(
        f"CASE WHEN {s_alias}.__idu_matched IS NOT NULL THEN {updates[c.lower()]} ELSE {t_alias}.{c} END AS {c}"
        if updates and c.lower() in updates
        else f"{t_alias}.{c} AS {c}"
        for c in columns
    )
    parts = [f"SELECT {kept} FROM {name} AS {t_alias} LEFT JOIN {marked} ON {cond}"]
    if inserts:
        values = ", ".join(f"{inserts.get(c.lower(), 'NULL')} AS {c}" for c in columns)
        parts.append(
            f"SELECT {values} FROM {marked} WHERE NOT EXISTS (SELECT 1 FROM {name} AS {t_alias} WHERE {cond})"
        )
    staged = f"{name}__idu_merge"
    return [
        f"DROP TABLE IF EXISTS {staged}",
        f"CREATE TABLE {staged} AS {' UNION ALL '.join(parts)}",
        f"INSERT OVERWRITE {name} SELECT * FROM {staged}",
        f"DROP TABLE {staged}",
    ]


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
