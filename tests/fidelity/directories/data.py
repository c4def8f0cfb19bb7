"""Source rows for a directory spec, loaded into DuckDB and Spark, and networkx's clusters of them.

People have 1-3 identifiers per key, spread over the tables' records, some replaced by values
their key rejects (NULL, an ``invalid_texts`` entry, a value failing ``valid_regexp``). Chain
people link identifiers only pairwise through one table with two merge keys, numbered so the
smallest identifier sits at the far end: the loop needs about log2(length) + 2 iterations.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import networkx as nx

from tests.fidelity.directories.spec import DirectorySpec, Key, SourceTable

Rows = dict[str, list[tuple[Any, ...]]]

# A valid value per key name, from (person, index). Identifiers of different people never collide.
VALUE_FORMATS: dict[str, Callable[[int, int], str]] = {
    "email": lambda p, k: f"user{p:05d}.{k}@example.com",
    "customer_id": lambda p, k: f"C{p:05d}-{k}",
    "phone_number": lambda p, k: f"1{p:07d}{k:02d}",
    "td_client_id": lambda p, k: f"{p:08x}-0000-4000-8000-{k:012x}",
    "loyalty_id": lambda p, k: f"LY{p:06d}{k}",
    "household": lambda p, k: f"{p % 97} Elm St #{p // 97}-{k}",
}
# A value failing the key's valid_regexp (if it has one), whatever the variant's rule.
REGEXP_FAILS: dict[str, str] = {
    "email": "no-at-sign",
    "customer_id": "C",
    "phone_number": "555-0100",
    "td_client_id": "not-a-uuid",
    "loyalty_id": "X",
    "household": "",
}
_NAMES = ["Ada", "Bo", "Chen", "Dana", "Émile", "Fay", None]
T0 = 1_700_000_000


def _bad_values(key: Key) -> list[str | None]:
    bad: list[str | None] = [None, *key.invalid_texts]
    if key.valid_regexp:
        bad.append(REGEXP_FAILS[key.name])
    return bad


def _extra(kind: str, rng: random.Random) -> Any:
    if kind == "BIGINT":
        return rng.randint(0, 50)
    if kind.startswith("DECIMAL"):
        return Decimal(rng.randint(100, 99_999)) / 100
    return rng.choice(_NAMES)


def source_rows(
    specs: tuple[DirectorySpec, ...], *, seed: int, people: int, chains: int, chain_length: int
) -> Rows:
    """Rows for the source tables of ``specs`` (which share them), ``time`` last."""
    rng = random.Random(seed)
    tables = {t.name: t for spec in specs for t in spec.tables}
    keys = {k.name: k for spec in specs for k in spec.keys}
    rows: Rows = {name: [] for name in tables}

    def record(table: SourceTable, values: dict[str, str | None], t: int) -> tuple[Any, ...]:
        out: list[Any] = []
        for column in table.columns:
            if column.key is not None:
                out.append(values.get(column.name))
            else:
                out.append(_extra(column.type, rng))
        return (*out, t)

    for p in range(people):
        owned = {name: [VALUE_FORMATS[name](p, k) for k in range(1, rng.randint(1, 3) + 1)] for name in keys}
        for table in tables.values():
            for _ in range(rng.randint(0, 3)):
                values: dict[str, str | None] = {}
                for column in table.key_columns:
                    assert column.key is not None
                    if rng.random() < 0.12:
                        values[column.name] = rng.choice(_bad_values(keys[column.key]))
                    else:
                        values[column.name] = rng.choice(owned[column.key])
                rows[table.name].append(record(table, values, T0 + rng.randint(0, 10_000)))

    # chains: a_j - b_j - a_{j+1} - ... through every table with two key columns
    for n, chain_table in enumerate(t for t in tables.values() if len(t.key_columns) >= 2):
        col_a, col_b = chain_table.key_columns[:2]
        assert col_a.key is not None and col_b.key is not None
        for c in range(chains):
            p = 90_000 + 100 * n + c
            for j in range(chain_length):
                a = VALUE_FORMATS[col_a.key](p, chain_length - j + 10)
                a_next = VALUE_FORMATS[col_a.key](p, chain_length - j + 9)
                b = VALUE_FORMATS[col_b.key](p, 99 - j)
                rows[chain_table.name].append(record(chain_table, {col_a.name: a, col_b.name: b}, T0 + j))
                rows[chain_table.name].append(
                    record(chain_table, {col_a.name: a_next, col_b.name: b}, T0 + j)
                )
    return rows


def table_ddl(table: SourceTable) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in table.columns] + [("time", "BIGINT")]


def load_duckdb(con: Any, spec: DirectorySpec, rows: Rows) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {spec.source_schema}")
    for table in spec.tables:
        ddl = ", ".join(f'"{n}" {k.replace("STRING", "VARCHAR")}' for n, k in table_ddl(table))
        con.execute(f"CREATE OR REPLACE TABLE {spec.source_schema}.{table.name} ({ddl})")
        marks = ", ".join("?" for _ in table_ddl(table))
        con.executemany(f"INSERT INTO {spec.source_schema}.{table.name} VALUES ({marks})", rows[table.name])


def load_spark(session: Any, spec: DirectorySpec, rows: Rows) -> None:
    session.sql(f"CREATE DATABASE IF NOT EXISTS {spec.source_schema}")
    for table in spec.tables:
        schema = ", ".join(f"`{n}` {k}" for n, k in table_ddl(table))
        session.createDataFrame(rows[table.name], schema=schema).write.mode("overwrite").saveAsTable(
            f"{spec.source_schema}.{table.name}"
        )


def _valid(key: Key, value: str | None) -> bool:
    if value is None or value in key.invalid_texts:
        return False
    # REGEXP_LIKE finds the pattern anywhere, as re.search does (the patterns used are plain enough
    # for Java's and Python's syntax to agree)
    return key.valid_regexp is None or re.search(key.valid_regexp, value) is not None


def expected_clusters(spec: DirectorySpec, rows: Rows) -> set[frozenset[tuple[int, str]]]:
    """networkx's connected components of the identifiers ``(key type, id)`` a record links."""
    graph = nx.Graph()
    for table in spec.tables:
        merge = spec.merge_columns(table)
        positions = {c.name: i for i, c in enumerate(table.columns)}
        for row in rows[table.name]:
            ids = [
                (ns, row[positions[c.name]])
                for c, ns in merge
                if _valid(spec.key(c.key or ""), row[positions[c.name]])
            ]
            if ids:
                graph.add_node(ids[0])
                graph.add_edges_from((ids[0], other) for other in ids[1:])
    return {frozenset(component) for component in nx.connected_components(graph)}
