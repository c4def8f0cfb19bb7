"""What Databricks failures mean: transient (sending the same work later may pass) or permanent.

One classifier for every path that talks to Databricks: the SQL connector's exceptions (the
engine, and through it the operators and the lease), the SQL Statement Execution API's failed
statements (the deferrable loop's trigger) and Delta write conflicts (the lease retries those at
once, before the task's own retry). No Airflow imports: the triggerer loads it too.
"""

from __future__ import annotations

import re

from airflow_idu.engines.base import error_names

__all__ = [
    "DatabricksAuthError",
    "DatabricksTokenExpired",
    "http_code",
    "is_transient_databricks_error",
    "is_transient_statement_failure",
    "is_write_conflict",
]


class DatabricksAuthError(PermissionError):
    """The warehouse refused the connection's credentials (HTTP 401/403)."""


class DatabricksTokenExpired(ConnectionError):
    """The token expired while a statement it had sent was running (HTTP 401 on a poll or fetch).

    The credentials are good (they opened the session and sent the statement), but the running
    statement cannot be followed on a new session: the task's retry sends its work again with a new
    token, so this is transient."""


# Connector and transport errors that heal: dropped connections, timeouts, 429/503 after the
# connector's own retries, a session the server no longer knows. Matched by class name.
_TRANSIENT_NAMES = frozenset(
    {
        "RequestError",  # databricks-sql: a request failed after its retries (not 401/403, see below)
        "OperationalError",
        "MaxRetryError",  # urllib3: retries exhausted on 503/429 or dropped connections
        "ProtocolError",
        "NewConnectionError",
        "ConnectionError",
        "TimeoutError",
        "ReadTimeoutError",
        "SessionAlreadyClosedError",
    }
)
# SQL errors fail again; a few Databricks error classes describe conditions that pass.
_TRANSIENT_CLASSES = ("[CONCURRENT_", "[DELTA_CONCURRENT", "TEMPORARILY_UNAVAILABLE", "[OPERATION_CANCELED]")
# Service error codes of the Statement Execution API that pass.
_TRANSIENT_CODES = frozenset(
    {"TEMPORARILY_UNAVAILABLE", "WORKSPACE_TEMPORARILY_UNAVAILABLE", "SERVICE_UNDER_MAINTENANCE"}
)
# Delta's optimistic concurrency: another transaction changed the table first.
_WRITE_CONFLICT = re.compile(
    r"Concurrent\w*Exception|DELTA_CONCURRENT|MetadataChangedException|ProtocolChangedException"
)


def http_code(error: BaseException) -> int | None:
    """The HTTP status the SQL connector attached to ``error``, if any."""
    context = getattr(error, "context", None)
    code = context.get("http-code") if isinstance(context, dict) else None
    return int(code) if isinstance(code, int) else None


def _names_a_transient_class(message: str) -> bool:
    return any(marker in message for marker in _TRANSIENT_CLASSES)


def is_transient_databricks_error(error: BaseException) -> bool:
    """Dropped connections, 503/429 beyond the connector's retries, timeouts: transient. SQL errors
    (``ServerOperationError``), bad credentials (401/403) and configuration errors: permanent."""
    names = error_names(error)
    if isinstance(error, DatabricksTokenExpired):
        return True
    if isinstance(error, DatabricksAuthError) or http_code(error) in (401, 403):
        return False  # bad credentials; an expired OAuth token was already refreshed once by the engine
    if "ServerOperationError" in names:
        return _names_a_transient_class(str(error))
    if "CursorAlreadyClosedError" in names:
        return False
    module = type(error).__module__
    if not module.startswith(("databricks", "urllib3", "requests", "builtins", "socket", "http")):
        return False  # another driver's error (e.g. DuckDB's IOException): not ours to judge
    return bool(names & _TRANSIENT_NAMES)


def is_transient_statement_failure(state: str, error_code: str, message: str) -> bool:
    """A statement the Statement Execution API reports as not succeeded: a statement cancelled by
    someone else, a service that is briefly unavailable and a concurrent write pass when sent again."""
    return state == "CANCELED" or error_code in _TRANSIENT_CODES or _names_a_transient_class(message)


def is_write_conflict(message: str) -> bool:
    """A Delta write conflict: someone else changed the table at the same moment (retry at once)."""
    return bool(_WRITE_CONFLICT.search(message))
