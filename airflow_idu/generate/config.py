"""Parse and validate ``unify.yml``, the identity-unification generator's input.

The result is a tree of frozen, keyword-only dataclasses. Every validation
problem raises :class:`UnifyConfigError` naming the field path (``tables[1].key_columns[0].key``)
and how to fix it, because the file is hand-written and the SQL generated from
it runs for hours: a typo must fail here, not in iteration 7 on a warehouse.

Assumption the config cannot express: every source table has a BIGINT ``time``
column (epoch seconds). It feeds first/last-seen in the graph and is the
default ``order_by`` of master attributes. It is not checked here (the config
does not know the table's schema); the generated SQL fails with "column time
not found" when it is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "TIME_COLUMN",
    "AttributeSpec",
    "CanonicalIdSpec",
    "IncrementalConfig",
    "KeyColumn",
    "KeySpec",
    "MasterTableSpec",
    "SourceColumn",
    "TableSpec",
    "UnifyConfig",
    "UnifyConfigError",
    "load_unify_config",
    "parse_unify_config",
]

TIME_COLUMN = "time"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnifyConfigError(ValueError):
    """unify.yml is malformed; the message names the field path and the fix."""


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    name: str
    valid_regexp: str | None = None
    invalid_texts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class KeyColumn:
    column: str
    key: str


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    database: str
    table: str
    key_columns: tuple[KeyColumn, ...]
    time_column: str | None = None  # incremental runs: the column this table's window is read by


@dataclass(frozen=True, kw_only=True)
class IncrementalConfig:
    """``incremental:``: runs read only rows newer than the last watermark minus the look-back."""

    time_column: str = TIME_COLUMN  # per table: tables[].time_column
    lookback_days: int = 2

    def time_column_of(self, table: TableSpec) -> str:
        return table.time_column or self.time_column


@dataclass(frozen=True, kw_only=True)
class CanonicalIdSpec:
    name: str
    merge_by_keys: tuple[str, ...]
    merge_iterations: int


@dataclass(frozen=True, kw_only=True)
class SourceColumn:
    table: str
    column: str
    order: str = "last"  # "first" = earliest by order_by wins, "last" = latest wins
    order_by: str = TIME_COLUMN
    priority: int = 1  # smaller wins


@dataclass(frozen=True, kw_only=True)
class AttributeSpec:
    name: str
    source_columns: tuple[SourceColumn, ...]
    array_elements: int | None = None  # None = single value, N = array of up to N values


@dataclass(frozen=True, kw_only=True)
class MasterTableSpec:
    name: str
    canonical_id: str
    attributes: tuple[AttributeSpec, ...]


@dataclass(frozen=True, kw_only=True)
class UnifyConfig:
    name: str
    keys: tuple[KeySpec, ...]
    tables: tuple[TableSpec, ...]
    canonical_ids: tuple[CanonicalIdSpec, ...]
    master_tables: tuple[MasterTableSpec, ...] = ()
    incremental: IncrementalConfig | None = None  # None: every run is a full rebuild

    @property
    def canonical_id(self) -> CanonicalIdSpec:
        """The one canonical id a SQL directory is generated for."""
        return self.canonical_ids[0]

    def key(self, name: str) -> KeySpec:
        return next(k for k in self.keys if k.name == name)

    def table(self, name: str) -> TableSpec:
        return next(t for t in self.tables if t.table == name)


def load_unify_config(path: str | Path) -> UnifyConfig:
    """Read and validate a unify.yml file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UnifyConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_unify_config(raw)


def parse_unify_config(raw: Any) -> UnifyConfig:
    """Validate an already-parsed unify.yml document."""
    doc = _mapping(
        raw,
        "<root>",
        required=("keys", "tables", "canonical_ids"),
        optional=("name", "master_tables", "incremental"),
    )
    keys = tuple(_key(k, f"keys[{i}]") for i, k in enumerate(_list(doc["keys"], "keys")))
    _unique([k.name for k in keys], "keys", "name")
    key_names = [k.name for k in keys]
    tables = tuple(_table(t, f"tables[{i}]", key_names) for i, t in enumerate(_list(doc["tables"], "tables")))
    _unique([t.table for t in tables], "tables", "table")
    canonical_ids = tuple(
        _canonical_id(c, f"canonical_ids[{i}]", key_names)
        for i, c in enumerate(_list(doc["canonical_ids"], "canonical_ids"))
    )
    if len(canonical_ids) != 1:
        raise UnifyConfigError(
            f"canonical_ids: exactly one canonical id is supported per SQL directory, got {len(canonical_ids)}; "
            "split the config into one file per canonical id"
        )
    used = {kc.key for t in tables for kc in t.key_columns}
    if not used & set(canonical_ids[0].merge_by_keys):
        raise UnifyConfigError(
            "canonical_ids[0].merge_by_keys: no table has a key column of these keys; "
            "map at least one table column to one of them under tables[].key_columns"
        )
    table_names = [t.table for t in tables]
    masters = tuple(
        _master(m, f"master_tables[{i}]", table_names, [c.name for c in canonical_ids])
        for i, m in enumerate(_list(doc.get("master_tables") or [], "master_tables"))
    )
    _unique([m.name for m in masters], "master_tables", "name")
    name = _identifier(doc.get("name", canonical_ids[0].name), "name")
    incremental = _incremental(doc.get("incremental"), tables)
    return UnifyConfig(
        name=name,
        keys=keys,
        tables=tables,
        canonical_ids=canonical_ids,
        master_tables=masters,
        incremental=incremental,
    )


# -- sections -----------------------------------------------------------------


def _key(raw: Any, where: str) -> KeySpec:
    doc = _mapping(raw, where, required=("name",), optional=("valid_regexp", "invalid_texts"))
    regexp = doc.get("valid_regexp")
    if regexp is not None:
        regexp = _string(regexp, f"{where}.valid_regexp")
        try:
            re.compile(regexp)
        except re.error as exc:
            raise UnifyConfigError(
                f"{where}.valid_regexp: {regexp!r} is not a valid regular expression ({exc}); "
                "fix the pattern or remove valid_regexp to accept any value"
            ) from exc
    texts = _list(doc.get("invalid_texts") or [], f"{where}.invalid_texts")
    invalid = tuple(_string(t, f"{where}.invalid_texts[{i}]", allow_empty=True) for i, t in enumerate(texts))
    return KeySpec(name=_identifier(doc["name"], f"{where}.name"), valid_regexp=regexp, invalid_texts=invalid)


def _table(raw: Any, where: str, key_names: list[str]) -> TableSpec:
    doc = _mapping(raw, where, required=("database", "table", "key_columns"), optional=("time_column",))
    columns = _list(doc["key_columns"], f"{where}.key_columns")
    if not columns:
        raise UnifyConfigError(f"{where}.key_columns: is empty; list at least one {{column, key}}")
    key_columns = []
    for i, col in enumerate(columns):
        cwhere = f"{where}.key_columns[{i}]"
        cdoc = _mapping(col, cwhere, required=("column", "key"))
        key_columns.append(
            KeyColumn(
                column=_identifier(cdoc["column"], f"{cwhere}.column"),
                key=_known(cdoc["key"], f"{cwhere}.key", key_names, "a key defined under keys"),
            )
        )
    return TableSpec(
        database=_identifier(doc["database"], f"{where}.database"),
        table=_identifier(doc["table"], f"{where}.table"),
        key_columns=tuple(key_columns),
        time_column=None
        if doc.get("time_column") is None
        else _identifier(doc["time_column"], f"{where}.time_column"),
    )


def _incremental(raw: Any, tables: tuple[TableSpec, ...]) -> IncrementalConfig | None:
    if raw is None or raw is False:
        for i, table in enumerate(tables):
            if table.time_column is not None:
                raise UnifyConfigError(
                    f"tables[{i}].time_column: only incremental runs read it; add "
                    "`incremental: {time_column: time, lookback_days: 2}` or remove the field"
                )
        return None
    if raw is True:  # `incremental: true`: the defaults
        return IncrementalConfig()
    doc = _mapping(raw, "incremental", required=(), optional=("time_column", "lookback_days"))
    return IncrementalConfig(
        time_column=_identifier(doc.get("time_column", TIME_COLUMN), "incremental.time_column"),
        lookback_days=_int(doc.get("lookback_days", 2), "incremental.lookback_days", minimum=0, maximum=365),
    )


def _canonical_id(raw: Any, where: str, key_names: list[str]) -> CanonicalIdSpec:
    doc = _mapping(raw, where, required=("name", "merge_by_keys"), optional=("merge_iterations",))
    merge = _list(doc["merge_by_keys"], f"{where}.merge_by_keys")
    if not merge:
        raise UnifyConfigError(
            f"{where}.merge_by_keys: is empty; list the keys to merge by, highest priority first"
        )
    merge_by = tuple(
        _known(k, f"{where}.merge_by_keys[{i}]", key_names, "a key defined under keys")
        for i, k in enumerate(merge)
    )
    _unique(list(merge_by), f"{where}.merge_by_keys", None)
    iterations = _int(doc.get("merge_iterations", 10), f"{where}.merge_iterations", minimum=1, maximum=99)
    return CanonicalIdSpec(
        name=_identifier(doc["name"], f"{where}.name"), merge_by_keys=merge_by, merge_iterations=iterations
    )


def _master(raw: Any, where: str, table_names: list[str], canonical_names: list[str]) -> MasterTableSpec:
    doc = _mapping(raw, where, required=("name", "canonical_id", "attributes"))
    attributes = tuple(
        _attribute(a, f"{where}.attributes[{i}]", table_names)
        for i, a in enumerate(_list(doc["attributes"], f"{where}.attributes"))
    )
    if not attributes:
        raise UnifyConfigError(f"{where}.attributes: is empty; define at least one attribute")
    _unique([a.name for a in attributes], f"{where}.attributes", "name")
    return MasterTableSpec(
        name=_identifier(doc["name"], f"{where}.name"),
        canonical_id=_known(
            doc["canonical_id"], f"{where}.canonical_id", canonical_names, "a canonical_ids name"
        ),
        attributes=attributes,
    )


def _attribute(raw: Any, where: str, table_names: list[str]) -> AttributeSpec:
    doc = _mapping(raw, where, required=("name", "source_columns"), optional=("array_elements",))
    elements = doc.get("array_elements")
    if elements is not None:
        elements = _int(elements, f"{where}.array_elements", minimum=1, maximum=10_000)
    sources = []
    for i, src in enumerate(_list(doc["source_columns"], f"{where}.source_columns")):
        swhere = f"{where}.source_columns[{i}]"
        sdoc = _mapping(src, swhere, required=("table", "column"), optional=("order", "order_by", "priority"))
        order = sdoc.get("order", "last")
        if order not in ("first", "last"):
            raise UnifyConfigError(f"{swhere}.order: {order!r} is not allowed; use 'first' or 'last'")
        sources.append(
            SourceColumn(
                table=_known(sdoc["table"], f"{swhere}.table", table_names, "a table defined under tables"),
                column=_identifier(sdoc["column"], f"{swhere}.column"),
                order=order,
                order_by=_identifier(sdoc.get("order_by", TIME_COLUMN), f"{swhere}.order_by"),
                priority=_int(sdoc.get("priority", 1), f"{swhere}.priority", minimum=1, maximum=1_000_000),
            )
        )
    if not sources:
        raise UnifyConfigError(f"{where}.source_columns: is empty; list at least one {{table, column}}")
    return AttributeSpec(
        name=_identifier(doc["name"], f"{where}.name"), source_columns=tuple(sources), array_elements=elements
    )


# -- field helpers ------------------------------------------------------------


def _mapping(
    raw: Any, where: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise UnifyConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    allowed = required + optional
    for field in raw:
        if field not in allowed:
            raise UnifyConfigError(
                f"{_join(where, str(field))}: unknown field; allowed fields are {', '.join(allowed)}"
            )
    for field in required:
        if raw.get(field) is None:
            raise UnifyConfigError(f"{_join(where, field)}: is required")
    return raw


def _join(where: str, field: str) -> str:
    return field if where == "<root>" else f"{where}.{field}"


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise UnifyConfigError(f"{where}: expected a list, got {type(raw).__name__}")
    return raw


def _string(raw: Any, where: str, *, allow_empty: bool = False) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise UnifyConfigError(f"{where}: expected a string, got {type(raw).__name__}")
    text = str(raw)  # YAML turns `0` and `1.5` into numbers; invalid_texts compare as strings
    if not text and not allow_empty:
        raise UnifyConfigError(f"{where}: must not be empty")
    return text


def _identifier(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _IDENTIFIER.fullmatch(raw):
        raise UnifyConfigError(
            f"{where}: {raw!r} is not a plain SQL identifier; use letters, digits and underscores, "
            "not starting with a digit ([A-Za-z_][A-Za-z0-9_]*)"
        )
    return raw


def _int(raw: Any, where: str, *, minimum: int, maximum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise UnifyConfigError(f"{where}: expected an integer, got {raw!r}")
    if not minimum <= raw <= maximum:
        raise UnifyConfigError(f"{where}: {raw} is out of range; use an integer from {minimum} to {maximum}")
    return raw


def _known(raw: Any, where: str, known: list[str], what: str) -> str:
    if raw not in known:
        raise UnifyConfigError(f"{where}: {raw!r} is not {what} (known: {', '.join(known)})")
    return raw


def _unique(values: list[str], where: str, field: str | None) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            path = f"{where}[{i}].{field}" if field else f"{where}[{i}]"
            raise UnifyConfigError(f"{path}: {value!r} is defined twice; names must be unique")
        seen.add(value)
