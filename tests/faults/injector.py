"""A fault-injecting wrapper around the real engines.

``install(monkeypatch, *faults)`` replaces ``airflow_idu.engines.open_engine`` (the
name ``IduBaseOperator.engine`` imports at execute time) with a function that opens
the real engine and wraps it in :class:`FaultyEngine`. Every statement a task sends
— through ``run_script`` (numbered, like the product numbers them) or through
``query``/``scalar`` — is checked against the installed :class:`Fault` specs.

Fault kinds:

* ``sql``: a permanent SQL error (``duckdb.CatalogException``); fires on *every*
  try, because the same SQL fails again — so a retry the product should not have
  made shows up as a second firing and a try_number > 1.
* ``transient``: a dropped connection (``duckdb.IOException``); fires on the first
  try only. ``after=True`` runs the statement first and then "loses the answer",
  the classic ambiguous failure of a network client.
* ``kill``: ``SIGKILL`` of the current process (used in a subprocess only).

State (firings by task id and try number) is module-level, so it survives
Airflow's retries inside one test process; ``reset()`` clears it between tests.
``install_from_env()`` lets a DAG file run by ``airflow dags test`` in a
subprocess install the same faults from ``IDU_FAULTS`` (JSON).
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import duckdb

from airflow_idu.engines.base import EngineKind, StatementStats, fetch_rows, run_statements

__all__ = ["FIRED", "Fault", "FaultyEngine", "Firing", "install", "install_from_env", "reset"]

Kind = Literal["sql", "transient", "kill"]
ENV = "IDU_FAULTS"


@dataclass(frozen=True, kw_only=True)
class Fault:
    """Where to inject: a task, and within it a script label and statement number, or a query.

    :param task_id: the task's id (``group.task``).
    :param label: regex searched in the ``run_script`` label (the file name, ``iteration 4, derived from ...``).
    :param statement: 1-based statement number within that script (``None``: any).
    :param query: regex searched in SQL sent through ``query``/``scalar``; set instead of ``label``.
    :param after: run the statement, then fail (transient only): the answer was lost, not the work.
    """

    kind: Kind
    task_id: str
    label: str | None = None
    statement: int | None = None
    query: str | None = None
    after: bool = False

    def matches_script(self, task_id: str, label: str, index: int) -> bool:
        return (
            self.query is None
            and task_id == self.task_id
            and (self.label is None or re.search(self.label, label) is not None)
            and (self.statement is None or self.statement == index)
        )

    def matches_query(self, task_id: str, sql: str) -> bool:
        return self.query is not None and task_id == self.task_id and re.search(self.query, sql) is not None

    def error(self) -> BaseException:
        if self.kind == "sql":
            return duckdb.CatalogException(
                "Catalog Error: Table with name injected_missing_table does not exist! (injected fault)"
            )
        return duckdb.IOException("IO Error: connection to the warehouse was lost (injected fault)")


@dataclass(frozen=True)
class Firing:
    fault: Fault
    task_id: str
    try_number: int
    where: str


FIRED: list[Firing] = []
_ACTIVE: list[Fault] = []
_seen_tries: dict[tuple[Fault, str], set[int]] = {}


def reset() -> None:
    FIRED.clear()
    _ACTIVE.clear()
    _seen_tries.clear()


def _current_ti() -> tuple[str, int]:
    from airflow.sdk import get_current_context

    ti = get_current_context()["ti"]
    return str(ti.task_id), int(ti.try_number)


@dataclass
class FaultyEngine:
    """Delegates to the real engine; raises the injected error where a fault matches."""

    inner: Any
    task_id: str
    try_number: int
    faults: list[Fault] = field(default_factory=list)

    @property
    def kind(self) -> EngineKind:
        return self.inner.kind

    def __getattr__(self, name: str) -> Any:  # host, hook, ... of the real engine
        return getattr(self.inner, name)

    def _should_fire(self, fault: Fault) -> bool:
        if fault.kind != "transient":
            return True
        # Once per test: the first time the statement is reached.
        return (fault, self.task_id) not in _seen_tries

    def _fire(self, fault: Fault, where: str) -> None:
        _seen_tries.setdefault((fault, self.task_id), set()).add(self.try_number)
        FIRED.append(Firing(fault, self.task_id, self.try_number, where))
        if fault.kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise fault.error()

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        counter = iter(range(1, 1_000_000))
        execute: Callable[[str], tuple[int | None, str | None, str | None]] = self.inner._execute

        def guarded(statement: str) -> tuple[int | None, str | None, str | None]:
            index = next(counter)
            fault = next((f for f in self.faults if f.matches_script(self.task_id, label, index)), None)
            if fault is None or not self._should_fire(fault):
                return execute(statement)
            if fault.after:
                execute(statement)
            self._fire(fault, f"{label} #{index}")
            raise AssertionError("unreachable")

        return run_statements(sql, label=label, execute=guarded)

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        fetch: Callable[[str], list[tuple[Any, ...]]] = self.inner._fetch

        def guarded(text: str) -> list[tuple[Any, ...]]:
            fault = next((f for f in self.faults if f.matches_query(self.task_id, text)), None)
            if fault is None or not self._should_fire(fault):
                return fetch(text)
            if fault.after:
                fetch(text)
            self._fire(fault, f"query {text[:60]}")
            raise AssertionError("unreachable")

        # The same wrapping as the real engines' query(), with the fault at the driver edge.
        return fetch_rows(sql, label=label, fetch=guarded)

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.inner.close()

    def cancel(self) -> None:
        self.inner.cancel()


def _wrap(real_open: Callable[..., Any]) -> Callable[..., Any]:
    def open_engine(conn_id: str, **kwargs: Any) -> Any:
        inner = real_open(conn_id, **kwargs)
        task_id, try_number = _current_ti()
        faults = [f for f in _ACTIVE if f.task_id == task_id]
        return FaultyEngine(inner, task_id, try_number, faults) if faults else inner

    open_engine.__idu_faulty__ = True  # type: ignore[attr-defined]
    return open_engine


def install(monkeypatch: Any, *faults: Fault) -> None:
    """Activate ``faults`` for this test (``monkeypatch`` undoes the patch afterwards)."""
    import airflow_idu.engines as engines

    reset()
    _ACTIVE.extend(faults)
    if not getattr(engines.open_engine, "__idu_faulty__", False):
        monkeypatch.setattr(engines, "open_engine", _wrap(engines.open_engine))


def to_env(*faults: Fault) -> str:
    return json.dumps([asdict(f) for f in faults])


def install_from_env() -> None:
    """For DAG files run in a subprocess: install the faults listed in ``$IDU_FAULTS``."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    import airflow_idu.engines as engines

    reset()
    _ACTIVE.extend(Fault(**item) for item in json.loads(spec))
    if not getattr(engines.open_engine, "__idu_faulty__", False):
        engines.open_engine = _wrap(engines.open_engine)  # type: ignore[assignment]
