"""Translations kept on disk, so a task process does not translate again what an earlier one did.

Translating is a pure function of the statement's text, the TIME-type setting and whether the
database has a FLOAT column (translate.py caches it per process for that reason). An Airflow task
runs in a fresh process, so without this every run of a directory translated each statement again:
4-6 s per run of the example directories on this machine, more than an incremental run's engine
work at 1.2M records (docs/benchmarks.md, section 17). Entries are keyed by those inputs and by a
digest of the code that translates (the engines and plan packages' sources, sqlglot's and DuckDB's
versions), so a changed translator never reads an old entry. A refusal is never stored: it is
raised again, naming its construct.

``IDU_TRANSLATION_CACHE`` names the directory (default ``$XDG_CACHE_HOME/airflow-idu/translations``,
else ``~/.cache/...``); ``off`` switches the cache off. A cache that cannot be read or written is
skipped with one warning: it never fails a run.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from airflow_idu.engines.duckdb.set_operations import Cte, Query, SetShape
from airflow_idu.engines.duckdb.spark_compat.time_type import enabled as time_type_enabled
from airflow_idu.engines.duckdb.store_assignment import WriteKind, WriteShape
from airflow_idu.engines.duckdb.translate import Translation, forget_translations, translate_statement

__all__ = ["CACHE_ENV", "cached_translation", "code_digest", "decode", "encode", "forget_process_memory"]

log = logging.getLogger(__name__)

CACHE_ENV = "IDU_TRANSLATION_CACHE"
_DAY = 24 * 3600
_UNUSED_ENTRY = 30 * _DAY  # an entry no run read for this long is removed (run-specific statements)
_OTHER_VERSION = 7 * _DAY  # another code version's directory, unchanged this long, is removed
_PRUNED = ".pruned"  # its time: when the directory was last pruned (at most once a day)
_CODE_ROOTS = ("engines", "plan")  # the packages whose sources decide a translation
_broken: list[str] = []  # the cache's first failure in this process: it is not tried again after it


def cached_translation(statement: str, *, float_values: bool = False) -> Translation:
    """``translate_statement``'s answer, from this process's memory, the directory, or translated
    (then stored)."""
    directory = _directory()
    if directory is None:
        return translate_statement(statement, float_values=float_values)
    return _remembered(statement, time_type_enabled(), float_values, directory)


def forget_process_memory() -> None:
    """Forget what this process translated or read, as a new task process starts (benchmarks)."""
    _remembered.cache_clear()
    forget_translations()


@functools.lru_cache(maxsize=4096)
def _remembered(statement: str, time_type: bool, float_values: bool, directory: Path) -> Translation:
    key = _key(statement, time_type, float_values)
    path = directory / f"{key}.json"
    stored = _read(path)
    if stored is not None:
        return stored
    translation = translate_statement(statement, float_values=float_values)
    _write(directory, path, translation)
    return translation


def _key(statement: str, time_type: bool, float_values: bool) -> str:
    text = f"{int(time_type)}\0{int(float_values)}\0{statement}"
    return hashlib.sha256(text.encode()).hexdigest()


def _directory() -> Path | None:
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() == "off" or _broken:
        return None
    if setting:
        root = Path(setting).expanduser()
    else:
        root = (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "airflow-idu" / "translations"
        )
    return root / _code_digest()


@functools.cache
def _code_digest() -> str:
    import duckdb
    import sqlglot

    versions = f"sqlglot {sqlglot.__version__}, duckdb {duckdb.__version__}"
    return code_digest(Path(__file__).resolve().parents[2], versions)


def code_digest(package: Path, versions: str) -> str:
    """What decides a translation besides its inputs: the translating code, and the versions of the
    libraries it calls (sqlglot's, and DuckDB's for the few constants it evaluates). This module is
    among the sources hashed, so a change of the encoding below is a new digest too."""
    digest = hashlib.sha256(versions.encode())
    for root in _CODE_ROOTS:
        for source in sorted((package / root).rglob("*.py")):
            digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:24]


def _give_up(action: str, path: Path, err: Exception) -> None:
    if not _broken:
        log.warning(
            "Translation cache: cannot %s %s (%s); translating without it in this process", action, path, err
        )
        _broken.append(str(err))


def _read(path: Path) -> Translation | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        _give_up("read", path, err)
        return None
    try:
        translation = decode(json.loads(text))
    except (ValueError, KeyError, TypeError) as err:  # a torn or foreign file: translated again, rewritten
        log.info("Translation cache: %s unreadable (%s); translating again", path.name, err)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # read: kept by the pruning below
    return translation


def _write(directory: Path, path: Path, translation: Translation) -> None:
    tmp: str | None = None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # written whole, then renamed: a reader in another process sees no file or the whole file
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(encode(translation), out, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        _give_up("write", directory, err)
        return
    with contextlib.suppress(OSError):  # another process pruning at the same time: either one's is enough
        _prune(directory)


def _prune(directory: Path) -> None:
    """At most once a day: entries no run read for 30 days (statements carrying a run's own values
    are never read again), files of writes that died half-way, other code versions left a week."""
    marker, now = directory / _PRUNED, time.time()
    if marker.exists() and marker.stat().st_mtime > now - _DAY:
        return
    marker.touch()
    for entry in directory.iterdir():
        with contextlib.suppress(FileNotFoundError):  # removed by another process meanwhile
            age = now - entry.stat().st_mtime
            if (entry.suffix == ".json" and age > _UNUSED_ENTRY) or (entry.suffix == ".tmp" and age > _DAY):
                entry.unlink(missing_ok=True)
    for sibling in directory.parent.iterdir():
        if sibling != directory and sibling.is_dir() and now - sibling.stat().st_mtime > _OTHER_VERSION:
            shutil.rmtree(sibling, ignore_errors=True)


def encode(translation: Translation) -> dict[str, Any]:
    """A translation as JSON values; :func:`decode` gives it back equal."""
    return {
        "statements": list(translation.statements),
        "catalog_schemas": sorted([list(pair) for pair in translation.catalog_schemas]),
        "note": translation.note,
        "writes": [
            {
                "kind": w.kind.value,
                "table": w.table,
                "query": w.query,
                "columns": None if w.columns is None else list(w.columns),
                "by_name": w.by_name,
            }
            for w in translation.writes
        ],
        "set_operations": [
            {
                "operation": s.operation,
                "branches": [_encode_query(q) for q in s.branches],
                "ctes": [
                    {
                        "key": c.key,
                        "name": c.name,
                        "columns": list(c.columns),
                        "query": _encode_query(c.query),
                    }
                    for c in s.ctes
                ],
                "computed": list(s.computed),
                "by_name": s.by_name,
            }
            for s in translation.set_operations
        ],
    }


def decode(value: dict[str, Any]) -> Translation:
    return Translation(
        statements=tuple(value["statements"]),
        catalog_schemas=frozenset((catalog, schema) for catalog, schema in value["catalog_schemas"]),
        note=value["note"],
        writes=tuple(
            WriteShape(
                kind=WriteKind(w["kind"]),
                table=w["table"],
                query=w["query"],
                columns=None if w["columns"] is None else tuple(w["columns"]),
                by_name=w["by_name"],
            )
            for w in value["writes"]
        ),
        set_operations=tuple(
            SetShape(
                operation=s["operation"],
                branches=tuple(_decode_query(q) for q in s["branches"]),
                ctes=tuple(
                    Cte(
                        key=c["key"],
                        name=c["name"],
                        columns=tuple(c["columns"]),
                        query=_decode_query(c["query"]),
                    )
                    for c in s["ctes"]
                ),
                computed=tuple(s["computed"]),
                by_name=s["by_name"],
            )
            for s in value["set_operations"]
        ),
    )


def _encode_query(query: Query) -> dict[str, Any]:
    return {"sql": query.sql, "reads": list(query.reads)}


def _decode_query(value: dict[str, Any]) -> Query:
    return Query(sql=value["sql"], reads=tuple(value["reads"]))
