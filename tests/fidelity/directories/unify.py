"""A :class:`DirectorySpec` from a ``unify.yml`` (its first canonical id), for published-style runs.

Column types are not in ``unify.yml``; the caller passes them (read from the source tables),
so master attributes get typed NULLs in their ``UNION ALL`` arms.
"""

from __future__ import annotations

from typing import Any

from tests.fidelity.directories.spec import (
    Attribute,
    AttributeSource,
    Column,
    DirectorySpec,
    Key,
    MasterTable,
    SourceTable,
)

DUCKDB_TO_SPARK = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
}


def spark_type(duckdb_type: str) -> str:
    return duckdb_type if duckdb_type.startswith("DECIMAL") else DUCKDB_TO_SPARK.get(duckdb_type, "STRING")


def spec_from_unify(
    raw: dict[str, Any],
    column_types: dict[str, dict[str, str]],
    *,
    catalog: str,
    schema: str,
    source_schema: str,
    now: str = "UNIX_TIMESTAMP()",
) -> DirectorySpec:
    """``column_types``: table -> column -> Spark type, for every source table (``time`` excluded)."""
    keys = tuple(
        Key(k["name"], k.get("valid_regexp"), tuple(k.get("invalid_texts") or ())) for k in raw["keys"]
    )
    tables = []
    for t in raw["tables"]:
        key_of = {kc["column"]: kc["key"] for kc in t["key_columns"]}
        types = column_types[t["table"]]
        tables.append(
            SourceTable(
                t["table"],
                tuple(Column(name, kind, key_of.get(name)) for name, kind in types.items() if name != "time"),
            )
        )
    canonical = raw["canonical_ids"][0]
    masters = tuple(
        MasterTable(
            m["name"],
            tuple(
                Attribute(
                    a["name"],
                    tuple(
                        AttributeSource(
                            s["table"],
                            s["column"],
                            s.get("priority", i),
                            s.get("order", "last"),
                            s.get("order_by", "time"),
                        )
                        for i, s in enumerate(a["source_columns"], 1)
                    ),
                    a.get("array_elements"),
                )
                for a in m["attributes"]
            ),
        )
        for m in raw.get("master_tables", [])
        if m["canonical_id"] == canonical["name"]
    )
    return DirectorySpec(
        canonical_id=canonical["name"],
        catalog=catalog,
        schema=schema,
        source_schema=source_schema,
        keys=keys,
        tables=tuple(tables),
        merge_by_keys=tuple(canonical["merge_by_keys"]),
        merge_iterations=int(canonical.get("merge_iterations") or 3),
        master_tables=masters,
        now=now,
    )
