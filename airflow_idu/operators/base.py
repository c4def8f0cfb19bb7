"""What every airflow-idu task shares: a connection id, catalog/schema, and an engine opened at execute time."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
    AirflowRescheduleException,
    AirflowSkipException,
)

from airflow_idu.engines.base import (
    ConnectionOpenError,
    EngineKind,
    StatementError,
    StatementStats,
    is_transient,
)
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstatus import FAILURE_XCOM_KEY, failure_record

if TYPE_CHECKING:
    from airflow_idu.engines import Engine

__all__ = ["DEFAULT_CONN_ID", "IduBaseOperator", "TablesOperator", "Verdict", "as_bool", "record_failure"]

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "idu_default"


class Verdict(StrEnum):
    """What a failed statement does to its task; the value ends the task's error message."""

    RETRY = "transient, Airflow retries the task"
    FAIL = "not retried: the same SQL would fail again"
    FIX_CONNECTION = "not retried: fix the connection or the path first"  # nothing ran: no SQL to blame

    @classmethod
    def of(cls, transient: bool) -> Verdict:
        return cls.RETRY if transient else cls.FAIL

    def exception(self, message: str) -> AirflowException:
        """Airflow retries an ``AirflowException``; an ``AirflowFailException`` fails the task at once."""
        return AirflowException(message) if self is Verdict.RETRY else AirflowFailException(message)


class IduBaseOperator(BaseOperator):
    """Base for tasks that run Databricks SQL through an :class:`~airflow_idu.engines.Engine`.

    :param conn_id: Airflow connection; its type (``databricks`` or ``duckdb``) picks the engine.
    :param catalog: catalog the session starts in (Databricks); defaults to the connection's.
    :param schema: schema the session starts in (Databricks); defaults to the connection's.
    :param http_path: SQL warehouse HTTP path (Databricks), if not in the connection.
    :param hook_params: extra keyword arguments for ``DatabricksSqlHook``.
    """

    template_fields: Sequence[str] = ("conn_id", "catalog", "schema", "http_path")
    ui_color = "#e8f1fb"
    # The query-history link of the statements this process ran ("" when the engine has none);
    # None until record_query_history ran. The task runner asks the extra link for it right after
    # execute, in this process: the link answers from here, without reading the XCom back.
    query_history_link: str | None = None

    def __init__(
        self,
        *,
        conn_id: str = DEFAULT_CONN_ID,
        catalog: str | None = None,
        schema: str | None = None,
        http_path: str | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.catalog = catalog
        self.schema = schema
        self.http_path = http_path
        self.hook_params = hook_params

    @cached_property
    def engine(self) -> Engine:
        from airflow_idu.engines import UnsupportedConnectionError, open_engine

        # Rendered by now: a trigger param may have set them. They end up in SQL, unquoted.
        for name in ("catalog", "schema"):
            _check_identifier(name, getattr(self, name))
        try:
            engine = open_engine(
                self.conn_id,
                catalog=self.catalog,
                schema=self.schema,
                http_path=self.http_path,
                hook_params=self.hook_params,
            )
        except AirflowNotFoundException:
            # Defining the connection is a deployment change: a retry minutes later finds the same.
            raise AirflowFailException(_missing_connection(self.conn_id)) from None
        except UnsupportedConnectionError as err:
            raise AirflowFailException(f"{err} — not retried") from None
        if engine.kind is not EngineKind.DATABRICKS:
            self.operator_extra_links = ()  # nothing to link to: Airflow then stores no link XCom
        return engine

    def task_error(self, err: StatementError) -> AirflowException:
        """Retry what may pass next time (a dropped connection); fail at once what will fail again (SQL).
        The engine that raised it decides (``engine.is_transient``). The message puts the cause first;
        ``err`` is reduced to its location (:meth:`StatementError.report`), so the log says it once."""
        cause = err.__cause__
        engine = self.__dict__.get("engine")
        transient = cause is not None and (
            engine.is_transient(cause) if engine is not None else is_transient(cause)
        )
        verdict = Verdict.of(transient)
        if not transient and isinstance(err, ConnectionOpenError):
            verdict = Verdict.FIX_CONNECTION
        return verdict.exception(err.report(verdict))

    def record_query_history(self, stats: list[StatementStats]) -> None:
        """Keep where the task's statements can be inspected, for the task's extra link: the task
        runner asks it right after execute and stores it under ``QUERY_HISTORY_XCOM_KEY``, the key
        the report tab reads (only Databricks has a query history; no key reads as "no link")."""
        self.query_history_link = self.engine.query_history_url(stats) or ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every ``execute`` and ``execute_complete`` (a resume after deferring) closes the engine
        however it ends (returned, deferred, skipped, failed). A method closes earlier only to let
        go of the file before work that needs no connection.

        The lease check (``pre_execute``) opens the task's connection for ``execute`` to use, and
        an ``execute`` may end before it uses it; on DuckDB an open connection holds the file."""
        super().__init_subclass__(**kwargs)
        for name in ("execute", "execute_complete"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_closes_engine", False):
                setattr(cls, name, _closing_engine(method))

    def close_engine(self) -> None:
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").close()

    def on_kill(self) -> None:
        if "engine" in self.__dict__:
            self.engine.cancel()
            self.close_engine()


def _closing_engine(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run_then_close(self: IduBaseOperator, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:
            record_failure(args[0] if args else kwargs.get("context"), err)
            raise
        finally:
            self.close_engine()

    run_then_close._closes_engine = True  # type: ignore[attr-defined]
    return run_then_close


# Not failures: how a sensor waits, a task defers or skips.
_CONTROL_FLOW = (AirflowRescheduleException, AirflowSkipException)


def record_failure(context: Any, err: BaseException) -> None:
    """Store the failing try's first error line for the report tab and ``airflow-idu summary``
    (:mod:`airflow_idu.runstatus`). Never raises: the task's own error is what matters."""
    if isinstance(err, _CONTROL_FLOW) or not isinstance(err, Exception):
        return
    try:
        context["ti"].xcom_push(key=FAILURE_XCOM_KEY, value=failure_record(err))
    except Exception:  # no task instance (a unit test) or the API is gone: the log still has it
        log.debug("could not record the failure of this try", exc_info=True)


def _missing_connection(conn_id: str) -> str:
    return (
        f"connection {conn_id!r} is not defined — not retried\n"
        f"Create it (UI: Admin > Connections; CLI: airflow connections add {conn_id} ...; or the "
        f"environment variable AIRFLOW_CONN_{conn_id.upper()}), or point the DAG's conn_id at an "
        "existing duckdb, databricks or spark_connect connection."
    )


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_identifier(name: str, value: str | None) -> None:
    if value and not _IDENTIFIER.fullmatch(str(value)):
        raise AirflowFailException(
            f"{name} {value!r} is not a plain identifier (letters, digits, '_'; no quotes or spaces); "
            f"fix the {name} argument or trigger param"
        )


class TablesOperator(IduBaseOperator):
    """An operator that works on the contract's tables of one canonical id (run state, persistent ids)."""

    def __init__(self, *, canonical_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.canonical_id = canonical_id

    @cached_property
    def tables(self) -> TableNames:
        return TableNames(prefix=self.canonical_id, catalog=self.catalog, schema=self.schema)


def as_bool(value: bool | str | None, name: str) -> bool:
    """A boolean argument or param as its template renders it (``True``, ``"false"``, ``None``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", "none", ""):
        return False
    raise AirflowFailException(f"{name} must be true or false, got {value!r}; pass a boolean")
