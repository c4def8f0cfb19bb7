"""The incremental-capable directory's marker (``incremental.json``) and the directory digest.

A directory written by ``airflow-idu generate --incremental`` holds, next to its SQL files, the
marker naming each source table, the column its window is read by and the look-back. Its
presence is what makes the directory incremental-capable; every other directory runs as a full
refresh. Plain data and file reads only (the marker is read at DAG-parse time, like the first
loop file).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_idu.plan.contract import INCREMENTAL_MARKER
from airflow_idu.plan.model import PlanError

__all__ = ["MARKER_VERSION", "IncrementalSource", "IncrementalSpec", "directory_digest", "read_incremental"]

MARKER_VERSION = 1
_QUALIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, kw_only=True)
class IncrementalSource:
    """One source table: its id in the graph (``follower_source_table_ids``), name and window column."""

    source_table_id: int
    table: str  # qualified as the SQL files read it
    time_column: str

    def __post_init__(self) -> None:
        if not _QUALIFIED.fullmatch(self.table):
            raise ValueError(f"table {self.table!r} is not a [catalog.][schema.]table name")
        if not _COLUMN.fullmatch(self.time_column):
            raise ValueError(f"time_column {self.time_column!r} is not a plain column name")
        if self.source_table_id < 1:
            raise ValueError(f"source_table_id must be >= 1, got {self.source_table_id}")


@dataclass(frozen=True, kw_only=True)
class IncrementalSpec:
    """What an incremental run needs beyond the SQL files."""

    lookback_seconds: int
    sources: tuple[IncrementalSource, ...]

    def __post_init__(self) -> None:
        if self.lookback_seconds < 0:
            raise ValueError(f"lookback_seconds must be >= 0, got {self.lookback_seconds}")
        if not self.sources:
            raise ValueError("sources is empty; list every source table the extract file reads")

    def to_json(self) -> str:
        doc = {
            "version": MARKER_VERSION,
            "lookback_seconds": self.lookback_seconds,
            "sources": [
                {"source_table_id": s.source_table_id, "table": s.table, "time_column": s.time_column}
                for s in self.sources
            ],
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, *, where: str) -> IncrementalSpec:
        try:
            doc: Any = json.loads(text)
            if doc.get("version") != MARKER_VERSION:
                raise ValueError(f"version {doc.get('version')!r} is not {MARKER_VERSION}")
            sources = tuple(
                IncrementalSource(
                    source_table_id=int(s["source_table_id"]), table=s["table"], time_column=s["time_column"]
                )
                for s in doc["sources"]
            )
            return cls(lookback_seconds=int(doc["lookback_seconds"]), sources=sources)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise PlanError(
                f"{where}: not a valid incremental marker ({err}); regenerate the directory with "
                "`airflow-idu generate --incremental`, or delete the file to run every time in full"
            ) from None


def read_incremental(root: Path) -> IncrementalSpec | None:
    """The directory's marker, or None: the directory is not incremental-capable."""
    path = root / INCREMENTAL_MARKER
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PlanError(f"{path}: cannot be read ({err}); fix its permissions or regenerate it") from None
    return IncrementalSpec.from_json(text, where=str(path))


def directory_digest(root: Path) -> str:
    """SHA-256 over every SQL file (name and bytes, in name order) and the marker.

    Every setting of unify.yml shows in the generated SQL or the marker, so this is also the
    config's digest: a changed rule, key or table changes it, and the next run refreshes in full.
    """
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.sql"), root / INCREMENTAL_MARKER]):
        if path.is_file():
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
