"""Spark's VARIANT editing functions on :mod:`.variant_values`' values: ``variant_strip_nulls``,
``variant_delete``, ``variant_set``, ``variant_insert``, ``variant_array_append`` (and the ``try_``
forms), as local Spark 4.3 answers them (its examples and edges, tests/fidelity/test_variant.py).

A path is :func:`.variant_cast.parse_path`'s; ``$`` alone is no target of delete, set or insert, and
an invalid path raises in the ``try_`` forms too (:class:`PathError`). Walking a path, a key of a
non-object or an index of a non-array (a JSON null included) is a type mismatch: set, insert and
append raise (their ``try_`` forms give NULL), delete leaves the value as it is. A missing key or
index: set creates it (objects for keys, arrays padded with nulls for indexes; unchanged when
``create_if_missing`` is false), insert creates it (an existing key raises; an index inserts there,
shifting the rest, or pads with nulls past the end), append and delete leave the value as it is;
append raises when its target is not an array.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from airflow_idu.engines.duckdb.spark_compat.variant_cast import parse_path
from airflow_idu.engines.duckdb.spark_compat.variant_values import (
    VariantError,
    decimal_text,
    parse_variant,
    to_json_text,
)

__all__ = [
    "PathError",
    "array_append",
    "delete",
    "delete_text",
    "edit_text",
    "insert",
    "set_value",
    "strip_nulls",
    "strip_nulls_text",
    "target_path",
    "value_text",
]

Path = list[str | int]


class PathError(ValueError):
    """An invalid path: Spark raises it in the ``try_`` forms too."""


def target_path(path: str, function: str, root: bool = False) -> Path:
    """The segments of ``path``; PathError if invalid, or ``$`` alone where ``root`` is not allowed."""
    try:
        segments = parse_path(path)
    except VariantError:
        raise PathError(f"{function}: invalid path {path!r}") from None
    if not segments and not root:
        raise PathError(f"{function}: the path '$' is not a valid target")
    return segments


def strip_nulls(value: Any, include_arrays: bool) -> Any:
    if isinstance(value, dict):
        return {k: strip_nulls(v, include_arrays) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v, include_arrays) for v in value if v is not None or not include_arrays]
    return value


def _fits(node: Any, segment: str | int) -> bool:
    return isinstance(node, dict) if isinstance(segment, str) else isinstance(node, list)


def _has(node: Any, segment: str | int) -> bool:
    return segment in node if isinstance(segment, str) else segment < len(node)


def _mismatch(function: str, segments: Path, depth: int) -> VariantError:
    return VariantError(
        f"{function}: the path is incompatible with the value at segment {depth} of {segments}"
    )


def delete(value: Any, segments: Path) -> Any:
    node = value
    for segment in segments[:-1]:
        if not (_fits(node, segment) and _has(node, segment)):
            return value
        node = node[segment]
    last = segments[-1]
    if _fits(node, last) and _has(node, last):
        del node[last]
    return value


def _built(segments: Path, new: Any) -> Any:
    """The value a missing path creates around ``new``."""
    for segment in reversed(segments):
        new = {segment: new} if isinstance(segment, str) else [None] * segment + [new]
    return new


def _place(node: Any, segment: str | int, new: Any, shift: bool) -> None:
    if isinstance(segment, str):
        node[segment] = new
    elif segment < len(node):
        node.insert(segment, new) if shift else node.__setitem__(segment, new)
    else:
        node.extend([None] * (segment - len(node)) + [new])


def set_value(value: Any, segments: Path, new: Any, create: bool, function: str = "variant_set") -> Any:
    node = value
    for depth, segment in enumerate(segments):
        if not _fits(node, segment):
            raise _mismatch(function, segments, depth)
        if not _has(node, segment):
            if create:
                _place(node, segment, _built(segments[depth + 1 :], new), shift=False)
            return value
        if depth == len(segments) - 1:
            _place(node, segment, new, shift=False)
            return value
        node = node[segment]
    return value


def insert(value: Any, segments: Path, new: Any, function: str = "variant_insert") -> Any:
    node = value
    for depth, segment in enumerate(segments):
        if not _fits(node, segment):
            raise _mismatch(function, segments, depth)
        last = depth == len(segments) - 1
        if last and isinstance(segment, str) and segment in node:
            raise VariantError(f"{function}: the key {segment!r} exists")
        if last or not _has(node, segment):
            _place(node, segment, _built(segments[depth + 1 :], new), shift=True)
            return value
        node = node[segment]
    return value


def array_append(value: Any, segments: Path, new: Any, function: str = "variant_array_append") -> Any:
    node = value
    for depth, segment in enumerate(segments):
        if not _fits(node, segment):
            raise _mismatch(function, segments, depth)
        if not _has(node, segment):
            return value
        node = node[segment]
    if not isinstance(node, list):
        raise _mismatch(function, segments, len(segments))
    node.append(new)
    return value


def _edited(kind: str, value: Any, path: str, new: Any, create: bool) -> Any:
    function = kind.removeprefix("try_")
    segments = target_path(path, kind, root=function == "variant_array_append")
    if function == "variant_set":
        return set_value(value, segments, new, create)
    if function == "variant_insert":
        return insert(value, segments, new)
    return array_append(value, segments, new)


def edit_text(
    kind: str, variant: str | None, path: str | None, new: str | None, create: bool | None
) -> str | None:
    """``kind(variant, path, new[, create])`` on the engine's texts (``new``: a VARIANT's text)."""
    if variant is None or path is None or new is None or create is None:
        return None
    target_path(path, kind, root=kind.endswith("array_append"))  # an invalid path raises in try_ too
    try:
        return to_json_text(_edited(kind, parse_variant(variant), path, parse_variant(new), create))
    except VariantError:
        if kind.startswith("try_"):
            return None
        raise


def delete_text(variant: str | None, paths: list[str | None] | None) -> str | None:
    if variant is None:
        return None
    value = parse_variant(variant)
    for path in paths or []:
        if path is not None:
            value = delete(value, target_path(path, "variant_delete"))
    return to_json_text(value)


def strip_nulls_text(variant: str | None, include_arrays: bool | None) -> str | None:
    if variant is None or include_arrays is None:
        return None
    return to_json_text(strip_nulls(parse_variant(variant), include_arrays))


def value_text(kind: str, text: str | None) -> str | None:
    """A value cast to VARIANT as its text: ``kind`` is variant (already one), integer, boolean,
    string or decimal (its trailing zeros go, as Spark prints a VARIANT DECIMAL)."""
    if text is None:
        return None
    if kind == "string":
        return to_json_text(text)
    if kind == "decimal":
        return decimal_text(Decimal(text))
    return text
