"""The engine interface: run a script, run a scalar query, close, cancel.

Engines know nothing about phases, XCom or task ids; they take Databricks SQL
text and report what each statement did.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from airflow_idu.plan.statements import first_line, split_statements_with_lines

__all__ = [
    "ConnectionOpenError",
    "Engine",
    "EngineKind",
    "StatementError",
    "StatementStats",
    "describe_error",
    "error_names",
    "fetch_rows",
    "is_transient",
    "run_statements",
]

log = logging.getLogger(__name__)


class EngineKind(StrEnum):
    """Connection types the product runs on; the value is the Airflow ``conn_type``."""

    DATABRICKS = "databricks"
    DUCKDB = "duckdb"
    SPARK_CONNECT = "spark_connect"  # the Apache Spark provider's connection type


@dataclass(frozen=True, kw_only=True)
class StatementStats:
    index: int  # 1-based position in the script
    first_line: str
    rows: int | None  # rows affected, when the engine reports it
    seconds: float
    query_id: str | None = None
    skipped: str | None = None  # why the statement was not sent (e.g. a no-op on this engine)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StatementError(RuntimeError):
    """A statement failed. The message fits a log viewer: the cause first, on one short line; then the
    script, the statement number, its line and first line; the engine's long detail after (no ANSI codes).

    ``line`` is the 1-based line in the script: of the refused construct when the engine
    refused one (``construct`` then names it), else of the statement's start.
    """

    def __init__(
        self, *, label: str, index: int, statement: str, error: BaseException, line: int | None = None
    ) -> None:
        self.label = label
        self.index = index
        self.statement_first_line = first_line(statement)
        self.construct: str | None = getattr(error, "construct", None)
        offset = getattr(error, "line", None)
        self.line = line + offset - 1 if line is not None and isinstance(offset, int) else line
        self.engine_error = f"{type(error).__name__}: {strip_ansi(str(error))}"
        self.cause, self.detail = describe_error(error, statement_first_line=self.statement_first_line)
        super().__init__(self.message())

    @property
    def location(self) -> str:
        # A refused construct has a precise line, a value refused when it runs ([IDU_REFUSED]) its
        # statement's line; other errors name the statement by number.
        refused = self.construct or "[IDU_REFUSED]" in self.engine_error
        at = f" at line {self.line}" if refused and self.line is not None else ""
        return f"{self.label}: statement {self.index}{at} failed ({self.statement_first_line})"

    def message(self, verdict: str = "") -> str:
        """Cause, location (with ``verdict``, e.g. whether Airflow retries), then the detail."""
        location = f"{self.location} — {verdict}" if verdict else self.location
        return "\n".join(part for part in (self.cause, location, self.detail) if part)

    def report(self, verdict: str) -> str:
        """The message for the task's own exception. The engine's exception chain is dropped and this
        error keeps only its location, so the log shows the cause once and no escape codes."""
        self.__cause__ = None
        self.__suppress_context__ = True
        self.args = (self.location,)
        return self.message(verdict)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.location


class ConnectionOpenError(StatementError):
    """The engine could not open its connection or database file, so no statement ran and none is
    named: the cause is the file or connection (``target``), e.g. a DuckDB file whose directory does
    not exist. A :class:`StatementError` so every task classifies it (retry or fail) the same way."""

    def __init__(self, *, target: str, error: BaseException) -> None:
        self.target = target
        self.label = target
        self.index = 0
        self.statement_first_line = ""
        self.construct = None
        self.line = None
        self.engine_error = f"{type(error).__name__}: {strip_ansi(str(error))}"
        head, _, rest = strip_ansi(str(error)).strip().partition("\n")
        reason = _IO_PREFIX.sub("", head.strip())
        # One line however long the path is: the path and the reason are the whole message.
        self.cause = f"{type(error).__name__}: cannot open {target}: {reason}"
        self.detail = rest.strip()
        RuntimeError.__init__(self, self.message())

    @property
    def location(self) -> str:
        return f"{self.target}: no statement was sent"


_IO_PREFIX = re.compile(r'^IO Error: Cannot open file "[^"]*":\s*', re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# sqlglot prints tokens as their repr: <Token token_type: TokenType.WHERE, text: WHERE, line: 1, ...>
_TOKEN = re.compile(
    r"<Token token_type: [^,]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>"
)
_CAUSE_WIDTH = 160


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def describe_error(error: BaseException, *, statement_first_line: str) -> tuple[str, str]:
    """``(cause, detail)`` of an engine error: its first line (short, typed) and the rest.

    A parse error (an exception in the chain with sqlglot's ``errors`` list) is reduced to its first
    error and where it is; the follow-on errors a parser reports after the first are dropped."""
    text = strip_ansi(str(error)).strip()
    prefix = f"{statement_first_line}: "  # the translator starts its messages with the statement
    text = text.removeprefix(prefix)
    parse = _parse_error(error)
    if parse is not None:
        first = parse.errors[0]  # type: ignore[attr-defined]
        parse_text = strip_ansi(str(parse)).strip()
        lead = text[: text.find(parse_text)] if parse is not error and parse_text in text else ""
        description = _TOKEN.sub(lambda m: repr(m.group(1)), str(first.get("description", "")))
        cause = f"{lead}{description} (line {first.get('line')}, col {first.get('col')} of the statement)"
        near = f"{first.get('start_context', '')}>>>{first.get('highlight', '')}<<<{first.get('end_context', '')}"
        return _short(f"{type(parse).__name__}: {cause}"), f"near: {' '.join(near.split())}"
    head, _, rest = text.partition("\n")
    cause, more = _split_cause(f"{type(error).__name__}: {head.strip()}")
    return cause, "\n".join(part for part in (more, rest.strip()) if part)


def _parse_error(error: BaseException) -> BaseException | None:
    seen: BaseException | None = error
    while seen is not None:
        errors = getattr(seen, "errors", None)
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return seen
        seen = seen.__cause__
    return None


def _short(line: str) -> str:
    return line if len(line) <= _CAUSE_WIDTH else line[: _CAUSE_WIDTH - 3] + "..."


def _split_cause(line: str) -> tuple[str, str]:
    """A first line too long for the viewer is cut after a sentence (or a word); the rest (often
    the fix) opens the detail, so nothing is lost and nothing is said twice."""
    if len(line) <= _CAUSE_WIDTH:
        return line, ""
    sentence = max(line.rfind("; ", 0, _CAUSE_WIDTH), line.rfind(". ", 0, _CAUSE_WIDTH))
    if sentence > _CAUSE_WIDTH // 3:
        return line[: sentence + 1], line[sentence + 2 :]
    word = line.rfind(" ", 0, _CAUSE_WIDTH - 2)
    cut = word if word > _CAUSE_WIDTH // 3 else _CAUSE_WIDTH - 2
    return line[:cut] + " …", "… " + line[cut:].lstrip()


def known_connection(connection: Any, conn_id: str) -> Any:
    """``connection`` when it is the one ``conn_id`` names, else None: the connection ``open_engine``
    looked up to choose the engine, which the engine hands to its hook instead of looking it up again
    (in a task, each lookup of a connection stored in Airflow's database is a request to the API server)."""
    return connection if connection is not None and getattr(connection, "conn_id", None) == conn_id else None


class CatalogSchemaFromTask:
    """``from_task`` for engines that take only the catalog and schema (``http_path`` and
    ``hook_params`` are Databricks SQL settings the others have no use for)."""

    @classmethod
    def from_task(
        cls,
        conn_id: str,
        *,
        catalog: str | None = None,
        schema: str | None = None,
        http_path: str | None = None,
        hook_params: dict[str, Any] | None = None,
        connection: Any = None,
    ) -> Any:
        return cls(conn_id, catalog=catalog, schema=schema, connection=connection)  # type: ignore[call-arg]


@runtime_checkable
class Engine(Protocol):
    kind: EngineKind

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        """Split ``sql`` (Databricks SQL) into statements and run them in order on one connection."""
        ...

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        """Run one query and return all its rows (for small results: counts, the loop log)."""
        ...

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        """Run one query and return the first column of its first row."""
        ...

    def close(self) -> None: ...

    def cancel(self) -> None:
        """Cancel the statement in flight, if the engine can (called from ``on_kill``)."""
        ...

    @classmethod
    def from_task(
        cls,
        conn_id: str,
        *,
        catalog: str | None,
        schema: str | None,
        http_path: str | None,
        hook_params: dict[str, Any] | None,
        connection: Any = None,
    ) -> Engine:
        """Build the engine from a task's arguments (each engine takes what applies to it).
        ``connection``: the Airflow connection ``conn_id`` names, when the caller already looked it up
        (an engine whose hook can take it saves a second lookup: an API round trip in a task)."""
        ...

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        """True if sending the same statement later may succeed (a lock, a dropped connection, a 503);
        False for what will fail again (SQL errors, bad credentials, a missing file or directory).
        Answers False for errors of other drivers."""
        ...

    def query_history_url(self, stats: list[StatementStats]) -> str | None:
        """Where the statements in ``stats`` can be inspected, or None (the task's extra link)."""
        ...


def run_statements(
    sql: str,
    *,
    label: str,
    execute: Callable[[str], tuple[int | None, str | None, str | None]],
) -> list[StatementStats]:
    """Run each statement of ``sql`` through ``execute`` and log one line per statement.

    ``execute`` returns ``(rows, query_id, skipped_reason)``. Shared by all engines so
    that logs and stats look the same whichever engine ran them.
    """
    results: list[StatementStats] = []
    for index, (statement, line) in enumerate(split_statements_with_lines(sql), start=1):
        with _timed() as elapsed:
            try:
                rows, query_id, skipped = execute(statement)
            except ConnectionOpenError:
                raise  # the connection's fault, not the statement's: named as such
            except Exception as err:
                raise StatementError(
                    label=label, index=index, statement=statement, error=err, line=line
                ) from err
        stats = StatementStats(
            index=index,
            first_line=first_line(statement),
            rows=rows,
            seconds=round(elapsed(), 4),
            query_id=query_id,
            skipped=skipped,
        )
        _log_statement(label, stats)
        results.append(stats)
    return results


def fetch_rows(
    sql: str, *, label: str, fetch: Callable[[str], list[tuple[Any, ...]]]
) -> list[tuple[Any, ...]]:
    """Run one query through ``fetch``; a failure is a :class:`StatementError` like a script's,
    so the operators classify it (retry or fail) and the message names the query."""
    try:
        return fetch(sql)
    except ConnectionOpenError:
        raise
    except Exception as err:
        raise StatementError(label=label, index=1, statement=sql, error=err) from err


def _log_statement(label: str, s: StatementStats) -> None:
    if s.skipped:
        log.info("%s #%d %s — skipped: %s", label, s.index, s.first_line, s.skipped)
        return
    log.info(
        "%s #%d %s — rows=%s seconds=%.3f query_id=%s",
        label,
        s.index,
        s.first_line,
        "n/a" if s.rows is None else s.rows,
        s.seconds,
        s.query_id or "n/a",
    )


@contextmanager
def _timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def is_transient(error: BaseException | None) -> bool:
    """True when the engine whose driver raised ``error`` says a retry may heal it.

    Prefer ``engine.is_transient(error)`` where the engine is at hand; this asks every registered
    engine (each answers False for other drivers' errors)."""
    from airflow_idu.engines.registry import is_transient_anywhere

    return is_transient_anywhere(error)


def error_names(error: BaseException) -> set[str]:
    """Class names in ``error``'s MRO: rules match by name so they need no driver installed."""
    return {cls.__name__ for cls in type(error).__mro__}
