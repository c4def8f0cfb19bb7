"""The Statement Execution API of the local warehouse (what ``DatabricksHook`` and its triggers call).

``route(method, path, query, body, warehouse) -> (status, json)``; the HTTP server (``server.py``)
calls it for every authenticated request under ``/api/2.0/``.

- ``POST /api/2.0/sql/statements``: ``statement``, ``warehouse_id``, ``catalog``, ``schema``,
  ``wait_timeout`` (``"0s"`` or ``"5s"``..``"50s"``, default ``"10s"``), ``on_wait_timeout``
  (``CONTINUE``/``CANCEL``), ``disposition`` ``INLINE``, ``format`` ``JSON_ARRAY``, ``row_limit``.
- ``GET /api/2.0/sql/statements/{id}`` (and ``/result/chunks/0``), ``POST .../{id}/cancel``.
- ``GET /api/2.0/sql/warehouses`` (name lookup) and ``GET /api/2.0/sql/warehouses/{id}``.
- ``GET /api/2.0/sql/history/queries`` with ``filter_by.statuses`` (``QUEUED``/``RUNNING``/
  ``FINISHED``/``FAILED``/``CANCELED``): the statements a restarted client may have left running.

Answers have Databricks' shape: ``status.state``, ``manifest.schema.columns``, ``result.data_array``
with every value as a string (``null`` stays null), and ``status.error`` ``{error_code, message}``
with the message in Databricks' ``[ERROR_CLASS] text SQLSTATE: xxxxx`` form.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from airflow_idu.warehouse.core import Statement, StatementState, Warehouse

__all__ = ["WAREHOUSE_ID", "WAREHOUSE_NAME", "route", "statement_json"]

WAREHOUSE_ID = "local"  # the id in the server's http_path /sql/1.0/warehouses/local
WAREHOUSE_NAME = "idu-local"
Answer = tuple[int, dict[str, Any]]

_STATEMENTS = "/api/2.0/sql/statements"
_WAREHOUSES = "/api/2.0/sql/warehouses"
_HISTORY = "/api/2.0/sql/history/queries"
_ONE = re.compile(rf"^{_STATEMENTS}/([A-Za-z0-9-]+)$")
_CANCEL = re.compile(rf"^{_STATEMENTS}/([A-Za-z0-9-]+)/cancel$")
_CHUNK = re.compile(rf"^{_STATEMENTS}/([A-Za-z0-9-]+)/result/chunks/(\d+)$")
_WAREHOUSE = re.compile(rf"^{_WAREHOUSES}/([A-Za-z0-9_-]+)$")
_WAIT = re.compile(r"^(\d+)s$")
# Error classes that are not a bad request; everything else a statement fails with is BAD_REQUEST.
_ERROR_CODES = {"STATEMENT_TIMEOUT": "DEADLINE_EXCEEDED", "OPERATION_CANCELED": "CANCELLED"}
_TYPE_NAMES = {
    "BIGINT": "LONG",
    "INT": "INT",
    "SMALLINT": "SHORT",
    "TINYINT": "BYTE",
    "TIMESTAMP_NTZ": "TIMESTAMP",
    "VOID": "NULL",
}


def route(method: str, path: str, query: dict[str, list[str]], body: bytes, warehouse: Warehouse) -> Answer:
    """Answer one REST request; unknown paths are 404 ``ENDPOINT_NOT_FOUND`` like Databricks."""
    path = path.rstrip("/")
    if path == _STATEMENTS and method == "POST":
        return _submit(body, warehouse)
    if path == _HISTORY and method == "GET":
        return _history(query, body, warehouse)
    if path == _WAREHOUSES and method == "GET":
        return 200, {"warehouses": [_warehouse_json()]}
    if (match := _WAREHOUSE.match(path)) and method == "GET":
        if match.group(1) not in (WAREHOUSE_ID, WAREHOUSE_NAME):
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"SQL warehouse {match.group(1)} does not exist.")
        return 200, _warehouse_json()
    if (match := _ONE.match(path)) and method == "GET":
        return _with_statement(warehouse, match.group(1), lambda s: (200, statement_json(s, query)))
    if (match := _CHUNK.match(path)) and method == "GET":
        return _with_statement(warehouse, match.group(1), lambda s: _chunk(s, int(match.group(2)), warehouse))
    if (match := _CANCEL.match(path)) and method == "POST":
        return _with_statement(warehouse, match.group(1), lambda s: _cancel(warehouse, s))
    return _error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")


# requests -------------------------------------------------------------------------------------
def _submit(body: bytes, warehouse: Warehouse) -> Answer:
    try:
        request = json.loads(body or b"{}")
    except ValueError as err:
        return _error(400, "MALFORMED_REQUEST", f"Invalid JSON given in the body of the request: {err}")
    if not isinstance(request, dict):
        return _error(400, "MALFORMED_REQUEST", "The request body must be a JSON object.")
    problem = _invalid(request)
    if problem is not None:
        return _error(400, "INVALID_PARAMETER_VALUE", problem)
    if request.get("warehouse_id") not in (WAREHOUSE_ID, WAREHOUSE_NAME):
        return _error(
            404, "RESOURCE_DOES_NOT_EXIST", f"SQL warehouse {request.get('warehouse_id')} does not exist."
        )
    statement = warehouse.submit(
        str(request["statement"]), catalog=request.get("catalog"), schema=request.get("schema")
    )
    wait = _wait_seconds(request.get("wait_timeout"))
    if wait and not statement.wait(wait) and request.get("on_wait_timeout") == "CANCEL":
        warehouse.cancel(statement.statement_id)
        statement.wait(5)
    row_limit = request.get("row_limit")
    return 200, statement_json(statement, {}, row_limit=int(row_limit) if row_limit else None)


def _invalid(request: dict[str, Any]) -> str | None:
    """The first parameter Databricks would refuse, named with the values it accepts."""
    if not str(request.get("statement") or "").strip():
        return "statement is required and must not be empty."
    if not request.get("warehouse_id"):
        return "warehouse_id is required."
    wait = request.get("wait_timeout")
    if wait is not None and (not _WAIT.match(str(wait)) or _wait_seconds(wait) not in (0, *range(5, 51))):
        return f"wait_timeout must be 0s or between 5s and 50s, got {wait!r}."
    if request.get("on_wait_timeout") not in (None, "CONTINUE", "CANCEL"):
        return f"on_wait_timeout must be CONTINUE or CANCEL, got {request['on_wait_timeout']!r}."
    if request.get("disposition") not in (None, "INLINE"):
        return f"disposition {request['disposition']!r} is not supported by the local warehouse; use INLINE."
    if request.get("format") not in (None, "JSON_ARRAY"):
        return f"format {request['format']!r} is not supported by the local warehouse; use JSON_ARRAY."
    if request.get("parameters"):
        return "parameters are not supported by the local warehouse; inline the values into the statement."
    row_limit = request.get("row_limit")
    if row_limit is not None and (not isinstance(row_limit, int) or row_limit < 0):
        return f"row_limit must be a non-negative integer, got {row_limit!r}."
    return None


def _wait_seconds(value: Any) -> int:
    match = _WAIT.match(str(value if value is not None else "10s"))
    return int(match.group(1)) if match else 10


_HISTORY_STATUS = {
    StatementState.PENDING: "QUEUED",
    StatementState.RUNNING: "RUNNING",
    StatementState.SUCCEEDED: "FINISHED",
    StatementState.FAILED: "FAILED",
    StatementState.CANCELED: "CANCELED",
    StatementState.CLOSED: "FINISHED",
}


def _history(query: dict[str, list[str]], body: bytes, warehouse: Warehouse) -> Answer:
    """Query history (newest first): statements known to the warehouse, optionally filtered by status."""
    try:
        request = json.loads(body or b"{}") or {}
        if "filter_by" in query:
            request["filter_by"] = json.loads(query["filter_by"][0])
    except ValueError as err:
        return _error(400, "MALFORMED_REQUEST", f"filter_by must be JSON: {err}")
    statuses = set((request.get("filter_by") or {}).get("statuses") or [])
    with warehouse._lock:
        statements = list(warehouse._statements.values())
    rows = [
        {
            "query_id": s.statement_id,
            "status": _HISTORY_STATUS[s.state],
            "query_text": s.sql,
            "warehouse_id": WAREHOUSE_ID,
        }
        for s in reversed(statements)
        if not statuses or _HISTORY_STATUS[s.state] in statuses
    ]
    return 200, {"res": rows, "has_next_page": False}


def _with_statement(warehouse: Warehouse, statement_id: str, answer: Any) -> Answer:
    try:
        statement = warehouse.get(statement_id)
    except KeyError:
        return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {statement_id} does not exist.")
    result: Answer = answer(statement)
    return result


def _cancel(warehouse: Warehouse, statement: Statement) -> Answer:
    warehouse.cancel(statement.statement_id)
    return 200, {}


def _chunk(statement: Statement, index: int, warehouse: Warehouse) -> Answer:
    if statement.state is not StatementState.SUCCEEDED or statement.result is None or index != 0:
        return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Result chunk {index} does not exist.")
    warehouse.latency.before_fetch()
    return 200, _result_json(statement, None)


# answers ----------------------------------------------------------------------------------------
def statement_json(
    statement: Statement, query: dict[str, list[str]] | None = None, *, row_limit: int | None = None
) -> dict[str, Any]:
    """A statement as ``GET /api/2.0/sql/statements/{id}`` answers it."""
    state = statement.state
    status: dict[str, Any] = {"state": state.value}
    answer: dict[str, Any] = {"statement_id": statement.statement_id, "status": status}
    if state is StatementState.FAILED and statement.error is not None:
        status["error"] = {
            "error_code": _ERROR_CODES.get(statement.error.error_class, "BAD_REQUEST"),
            "message": statement.error.message,
        }
    if state is StatementState.SUCCEEDED and statement.result is not None:
        rows = _rows(statement, row_limit)
        columns = [
            {"name": name, "type_text": kind, "type_name": _type_name(kind), "position": i}
            for i, (name, kind) in enumerate(
                zip(statement.result.columns, statement.result.types, strict=True)
            )
        ]
        answer["manifest"] = {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns), "columns": columns},
            "total_chunk_count": 1,
            "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": len(rows)}],
            "total_row_count": len(rows),
            "truncated": row_limit is not None and len(statement.result.rows) > row_limit,
        }
        answer["result"] = _result_json(statement, row_limit)
    return answer


def _rows(statement: Statement, row_limit: int | None) -> list[tuple[Any, ...]]:
    rows = statement.result.rows if statement.result is not None else []
    return rows[:row_limit] if row_limit is not None else rows


def _result_json(statement: Statement, row_limit: int | None) -> dict[str, Any]:
    rows = _rows(statement, row_limit)
    return {
        "chunk_index": 0,
        "row_offset": 0,
        "row_count": len(rows),
        "data_array": [[_text(v) for v in row] for row in rows],
    }


def _type_name(type_text: str) -> str:
    head = re.split(r"[<(]", type_text, maxsplit=1)[0]
    return _TYPE_NAMES.get(head, head)


def _text(value: Any) -> str | None:
    """JSON_ARRAY sends every value as a string, like Databricks: ``1`` -> ``"1"``, arrays as JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | Decimal | int | float | str):
        return str(value)
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(value).decode()
    return json.dumps(value, default=str, separators=(",", ":"))


def _warehouse_json() -> dict[str, Any]:
    return {
        "id": WAREHOUSE_ID,
        "name": WAREHOUSE_NAME,
        "state": "RUNNING",
        "cluster_size": "2X-Small",
        "warehouse_type": "PRO",
        "enable_serverless_compute": True,
        "odbc_params": {"path": f"/sql/1.0/warehouses/{WAREHOUSE_ID}", "protocol": "http"},
    }


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error_code": code, "message": message}
