"""The translation cache on disk (engines/duckdb/translation_cache.py): what it stores reads back equal,
a new process reads instead of translating, and nothing it does can fail or change a run."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.engines.base import split_statements_with_lines
from airflow_idu.engines.duckdb import translation_cache as cache
from airflow_idu.engines.duckdb.set_operations import Cte, Query, SetShape
from airflow_idu.engines.duckdb.store_assignment import WriteShape
from airflow_idu.engines.duckdb.translate import Translation, TranslationError, translate_statement
from tests.conftest import EXAMPLE_SQL, REPO
from tests.fidelity.catalogue import CASES, Kind

DIRECTORIES = (
    EXAMPLE_SQL,
    REPO / "tests" / "fidelity" / "handwritten" / "sql",
    REPO / "bench" / "baseline_sql",
)


def _statements() -> Iterator[str]:
    for directory in DIRECTORIES:
        for path in sorted(directory.glob("*.sql")):
            for statement, _ in split_statements_with_lines(path.read_text()):
                yield statement
    for case in CASES:
        if case.kind in (Kind.QUERY, Kind.SCRIPT):
            yield from (s for s, _ in split_statements_with_lines(case.sql))


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache of its own for the test; this process's memory of translations forgotten before and after."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "translations"))
    monkeypatch.setattr(cache, "_broken", [])
    cache.forget_process_memory()
    yield tmp_path / "translations" / cache._code_digest()
    cache.forget_process_memory()


def test_every_translation_of_the_directories_and_catalogue_reads_back_equal() -> None:
    seen = 0
    kinds = {"writes": 0, "set_operations": 0, "note": 0}
    for statement in _statements():
        try:
            translation = translate_statement(statement)
        except TranslationError:
            continue
        assert cache.decode(json.loads(json.dumps(cache.encode(translation)))) == translation, statement[:200]
        seen += 1
        kinds["writes"] += bool(translation.writes)
        kinds["set_operations"] += bool(translation.set_operations)
        kinds["note"] += translation.note is not None
    assert seen > 350
    assert all(count > 10 for count in kinds.values()), kinds  # every part of a translation was exercised


@pytest.mark.parametrize(
    ("cls", "encoded"),
    [
        (Translation, cache.encode(Translation(statements=())).keys()),
        (WriteShape, {"kind", "table", "query", "columns", "by_name"}),
        (SetShape, {"operation", "branches", "ctes", "computed", "by_name"}),
        (Cte, {"key", "name", "columns", "query"}),
        (Query, {"sql", "reads"}),
    ],
    ids=["translation", "write", "set-operation", "cte", "query"],
)
def test_the_encoding_names_every_field(cls: type, encoded: set[str]) -> None:
    """A field added to a translation's classes must be stored too, or a cached translation would lose it."""
    assert {f.name for f in dataclasses.fields(cls)} == set(encoded)
    source = Path(cache.__file__).read_text()
    assert all(f'"{name}"' in source for name in encoded)


def test_a_new_process_reads_what_an_earlier_one_translated(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement = (EXAMPLE_SQL / "05_canonicalize.sql").read_text().split(";")[2]
    first = cache.cached_translation(statement)
    assert len(list(directory.glob("*.json"))) == 1
    cache.forget_process_memory()  # as a new task process starts

    def refuse(*args: object, **kwargs: object) -> Translation:
        raise AssertionError("translated again although the cache holds it")

    monkeypatch.setattr(cache, "translate_statement", refuse)
    assert cache.cached_translation(statement) == first


@pytest.mark.parametrize(
    ("content", "why"),
    [("{not json", "torn"), ('{"statements": []}', "missing-fields"), ('["a list"]', "wrong-shape")],
    ids=["torn", "missing-fields", "wrong-shape"],
)
def test_an_unreadable_entry_is_translated_again_and_rewritten(
    directory: Path, content: str, why: str
) -> None:
    statement = "SELECT 1 AS a UNION SELECT 2"
    expected = cache.cached_translation(statement)
    (entry,) = directory.glob("*.json")
    entry.write_text(content)
    cache.forget_process_memory()
    assert cache.cached_translation(statement) == expected
    assert cache.decode(json.loads(entry.read_text())) == expected


def test_keys_separate_the_settings_a_translation_depends_on(directory: Path) -> None:
    statement = "SELECT 1.5 * 2 AS x"
    plain, floats = (
        cache.cached_translation(statement),
        cache.cached_translation(statement, float_values=True),
    )
    assert plain == translate_statement(statement) and floats == translate_statement(
        statement, float_values=True
    )
    assert len(list(directory.glob("*.json"))) == 2


def test_a_refusal_is_not_stored(directory: Path) -> None:
    statement = "SELECT java_method('java.lang.Math', 'abs', -1)"
    for _ in range(2):
        with pytest.raises(TranslationError):
            cache.cached_translation(statement)
    assert not directory.exists() or not list(directory.glob("*.json"))


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    cache.forget_process_memory()
    assert cache.cached_translation("SELECT 2 AS b") == translate_statement("SELECT 2 AS b")
    assert not list(tmp_path.rglob("*.json"))


def test_an_unusable_directory_warns_once_and_never_fails_a_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker))
    monkeypatch.setattr(cache, "_broken", [])
    cache.forget_process_memory()
    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        for n in range(3):
            assert cache.cached_translation(f"SELECT {n} AS c") == translate_statement(f"SELECT {n} AS c")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "translating without it" in warnings[0].getMessage()
    cache.forget_process_memory()


def test_the_code_digest_changes_with_the_translating_code(tmp_path: Path) -> None:
    package = Path(cache.__file__).resolve().parents[2]
    for root in ("engines", "plan"):
        shutil.copytree(package / root, tmp_path / root, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.code_digest(tmp_path, "sqlglot 30.30.0")
    assert before == cache.code_digest(package, "sqlglot 30.30.0")
    assert cache.code_digest(tmp_path, "sqlglot 30.31.0") != before
    spark_compat = tmp_path / "engines" / "duckdb" / "spark_compat" / "unify.py"
    spark_compat.write_text(spark_compat.read_text() + "\n# a change\n")
    assert cache.code_digest(tmp_path, "sqlglot 30.30.0") != before


def test_pruning_removes_what_no_run_reads_and_keeps_what_runs_read(directory: Path) -> None:
    """Entries of run-specific statements are never read again: without pruning they would pile up."""
    month_ago = time.time() - 31 * 24 * 3600
    cache.cached_translation("SELECT 4 AS kept")  # the first write prunes (no marker yet): nothing old
    (kept,) = directory.glob("*.json")
    os.utime(kept, (month_ago, month_ago))
    old, recent = directory.parent / "old-version", directory.parent / "recent-version"
    for other in (old, recent):
        other.mkdir(parents=True)
        (other / "x.json").write_text("{}")
    os.utime(old, (month_ago, month_ago))
    unused = directory / ("0" * 64 + ".json")
    unused.write_text("{}")
    os.utime(unused, (month_ago, month_ago))

    cache.forget_process_memory()
    cache.cached_translation("SELECT 4 AS kept")  # read: touched
    os.utime(directory / ".pruned", (month_ago, month_ago))  # a day has passed since the last pruning
    cache.cached_translation("SELECT 5 AS written")  # a write prunes
    assert kept.exists() and recent.exists()
    assert not unused.exists() and not old.exists()

    unused.write_text("{}")
    os.utime(unused, (month_ago, month_ago))
    cache.cached_translation("SELECT 6 AS again")  # pruned less than a day ago: not again
    assert unused.exists()


def test_the_engine_translates_through_the_cache(
    directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_idu.engines.duckdb import DuckDBEngine

    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_CACHE_TEST", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "t.duckdb")})
    )
    engine = DuckDBEngine("idu_cache_test")
    try:
        engine.run_script("CREATE TABLE t AS SELECT 1 AS a;\nINSERT INTO t SELECT 2;", label="cache.sql")
        assert len(list(directory.glob("*.json"))) == 2
        assert engine.scalar("SELECT SUM(a) FROM t") == 3
    finally:
        engine.close()
