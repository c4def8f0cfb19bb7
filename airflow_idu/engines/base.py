"""The engine interface: run a script, run a scalar query, close, cancel.

Engines know nothing about phases, XCom or task ids; they take Databricks SQL
text and report what each statement did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from airflow_idu.plan.statements import first_line, split_statements_with_lines

__all__ = [
    "Engine",
    "EngineKind",
    "StatementError",
    "StatementStats",
    "fetch_rows",
    "is_transient",
    "run_statements",
]

log = logging.getLogger(__name__)


class EngineKind(StrEnum):
    """Connection types the product runs on; the value is the Airflow ``conn_type``."""

    DATABRICKS = "databricks"
    DUCKDB = "duckdb"


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
    """A statement failed. Names the script, the statement number and first line, and the engine error.

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
        where = f"line {self.line}: " if self.construct and self.line is not None else ""
        self.engine_error = f"{type(error).__name__}: {where}{error}"
        super().__init__(
            f"{label}: statement {index} failed ({self.statement_first_line}): {self.engine_error}"
        )


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


# Errors that may pass if the same statement is sent again later: dropped connections,
# timeouts, a file lock held by another process. Named, not imported, so this module
# does not need either driver installed.
_TRANSIENT = frozenset(
    {
        "OperationalError",  # databricks-sql: network/session; duckdb: its IO errors derive from it
        "RequestError",
        "IOException",
        "ConnectionException",
        "ConnectionError",
        "TimeoutError",
        "InterruptException",
    }
)
_PERMANENT = frozenset({"ServerOperationError", "CursorAlreadyClosedError"})


def is_transient(error: BaseException | None) -> bool:
    """True for connection-level failures worth a retry; False for SQL errors that will fail again."""
    names = {cls.__name__ for cls in type(error).__mro__} if error is not None else set()
    if names & _PERMANENT:
        return False
    return bool(names & _TRANSIENT)
