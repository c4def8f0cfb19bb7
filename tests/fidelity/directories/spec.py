"""The parameter set a published-style directory is rendered from (the shape of a ``unify.yml``).

Only what the directories need: keys with their validation, source tables with their key
and attribute columns, one canonical id per directory, master tables. Names follow
``docs/sql-directory-contract.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# The per-key-type masks of docs/sql-directory-contract.md for key types 1..3. Further key
# types get a mask of our own (any 9 bytes work: Spark is the oracle, not a constant).
CONTRACT_MASKS: tuple[str, ...] = ("0ffdbcf0c666ce190d", "61a821f2b646a4e890", "acd2206c3f88b3ee27")


def key_mask(ns: int) -> str:
    """The 18-hex-digit mask of key type ``ns`` (1-based)."""
    if ns <= len(CONTRACT_MASKS):
        return CONTRACT_MASKS[ns - 1]
    return hashlib.sha256(f"airflow-idu test mask {ns}".encode()).hexdigest()[:18]


@dataclass(frozen=True)
class Key:
    name: str
    valid_regexp: str | None = None  # as written in unify.yml (a Java regex, found anywhere)
    invalid_texts: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "STRING"  # Spark type
    key: str | None = None  # the key this column holds, if it is a key column


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[Column, ...]  # a BIGINT ``time`` column is always added last

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.key is not None)

    def column(self, name: str) -> Column:
        if name == "time":
            return Column("time", "BIGINT")
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class AttributeSource:
    table: str
    column: str
    priority: int
    order: str = "last"  # last: the latest by order_by wins (first in arrays); first: the earliest
    order_by: str = "time"


@dataclass(frozen=True)
class Attribute:
    name: str
    sources: tuple[AttributeSource, ...]
    array_elements: int | None = None  # an array of up to N distinct values instead of one value


@dataclass(frozen=True)
class MasterTable:
    name: str
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class DirectorySpec:
    """One SQL directory: one canonical id over ``merge_by_keys`` of the shared ``keys``.

    ``out_prefix`` names the enrichment and metadata tables (``<out_prefix>enriched_<table>``),
    so two directories with different canonical ids can write into one schema.
    ``hash_style`` is ``published`` (``replace`` x3 around ``base64(concat(unhex, unhex))``) or
    ``edited`` (``||`` of three ``unhex`` values, ``translate`` and ``regexp_replace``).
    ``now`` is the expression for ``*_last_processed_at`` and the stats' ``time``; the published
    generator writes ``UNIX_TIMESTAMP()``, the differential test a literal (two engines cannot
    share a clock).
    """

    canonical_id: str
    catalog: str
    schema: str
    source_schema: str
    keys: tuple[Key, ...]
    tables: tuple[SourceTable, ...]
    merge_by_keys: tuple[str, ...]
    merge_iterations: int
    master_tables: tuple[MasterTable, ...] = ()
    out_prefix: str = ""
    hash_style: str = "published"
    now: str = "UNIX_TIMESTAMP()"
    source_catalog: str = field(default="")

    def __post_init__(self) -> None:
        names = {k.name for k in self.keys}
        assert set(self.merge_by_keys) <= names, "merge_by_keys must name keys"
        assert self.hash_style in {"published", "edited"}

    @property
    def src_catalog(self) -> str:
        return self.source_catalog or self.catalog

    def ns(self, key: str) -> int | None:
        return self.merge_by_keys.index(key) + 1 if key in self.merge_by_keys else None

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def table(self, name: str) -> SourceTable:
        return next(t for t in self.tables if t.name == name)

    def merge_columns(self, table: SourceTable) -> tuple[tuple[Column, int], ...]:
        """The table's key columns whose key takes part, with their key type, in key_columns order."""
        out = []
        for column in table.key_columns:
            assert column.key is not None
            ns = self.ns(column.key)
            if ns is not None:
                out.append((column, ns))
        return tuple(out)
