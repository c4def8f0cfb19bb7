"""TCLIService (the Databricks SQL connector's Thrift protocol) over a :class:`Warehouse`.

The connector ships the generated stubs; this is the server side of the calls
``databricks-sql-connector`` 4.x makes: OpenSession (initial catalog/schema), CloseSession,
ExecuteStatement (with direct results), GetOperationStatus, GetResultSetMetadata, FetchResults
(Arrow IPC batches, LZ4-framed when the client can decompress), CancelOperation, CloseOperation.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from databricks.sql.thrift_api.TCLIService import TCLIService, ttypes
from thrift.protocol import TBinaryProtocol
from thrift.transport import TTransport

from airflow_idu.warehouse.core import Statement, StatementResult, StatementState, Warehouse

__all__ = ["ThriftHandler", "process"]

PROTOCOL_VERSION = ttypes.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7
LONG_POLL_SECONDS = 0.5  # ExecuteStatement / GetOperationStatus wait this long for a statement to end

_STATES = {
    StatementState.PENDING: ttypes.TOperationState.PENDING_STATE,
    StatementState.RUNNING: ttypes.TOperationState.RUNNING_STATE,
    StatementState.SUCCEEDED: ttypes.TOperationState.FINISHED_STATE,
    StatementState.FAILED: ttypes.TOperationState.ERROR_STATE,
    StatementState.CANCELED: ttypes.TOperationState.CANCELED_STATE,
    StatementState.CLOSED: ttypes.TOperationState.CLOSED_STATE,
}
_TYPE_IDS = {
    "STRING": ttypes.TTypeId.STRING_TYPE,
    "BIGINT": ttypes.TTypeId.BIGINT_TYPE,
    "INT": ttypes.TTypeId.INT_TYPE,
    "SMALLINT": ttypes.TTypeId.SMALLINT_TYPE,
    "TINYINT": ttypes.TTypeId.TINYINT_TYPE,
    "DOUBLE": ttypes.TTypeId.DOUBLE_TYPE,
    "FLOAT": ttypes.TTypeId.FLOAT_TYPE,
    "BOOLEAN": ttypes.TTypeId.BOOLEAN_TYPE,
    "DATE": ttypes.TTypeId.DATE_TYPE,
    "TIMESTAMP": ttypes.TTypeId.TIMESTAMP_TYPE,
    "TIMESTAMP_NTZ": ttypes.TTypeId.TIMESTAMP_TYPE,
    "BINARY": ttypes.TTypeId.BINARY_TYPE,
    "VOID": ttypes.TTypeId.NULL_TYPE,
}
_OK = ttypes.TStatus(statusCode=ttypes.TStatusCode.SUCCESS_STATUS)


@dataclass
class _Operation:
    statement: Statement
    lz4: bool
    offset: int = 0


class ThriftHandler:
    """One per server; thread-safe (the server answers requests on many threads)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._ops: dict[bytes, _Operation] = {}
        self._lock = threading.Lock()

    # sessions -------------------------------------------------------------------------------
    def OpenSession(self, req: ttypes.TOpenSessionReq) -> ttypes.TOpenSessionResp:
        namespace = req.initialNamespace
        catalog = namespace.catalogName if namespace else None
        schema = namespace.schemaName if namespace else None
        try:
            session_id = self.warehouse.open_session(catalog, schema)
        except Exception as err:  # e.g. a schema name DuckDB refuses
            return ttypes.TOpenSessionResp(status=_error_status(str(err), "42000"))
        return ttypes.TOpenSessionResp(
            status=_OK,
            serverProtocolVersion=PROTOCOL_VERSION,
            sessionHandle=ttypes.TSessionHandle(sessionId=_handle(session_id)),
            configuration={},
            initialNamespace=namespace,
            canUseMultipleCatalogs=True,
        )

    def CloseSession(self, req: ttypes.TCloseSessionReq) -> ttypes.TCloseSessionResp:
        self.warehouse.close_session(_id(req.sessionHandle.sessionId))
        return ttypes.TCloseSessionResp(status=_OK)

    # statements -----------------------------------------------------------------------------
    def ExecuteStatement(self, req: ttypes.TExecuteStatementReq) -> ttypes.TExecuteStatementResp:
        session_id = _id(req.sessionHandle.sessionId)
        if not self.warehouse.has_session(session_id):
            return ttypes.TExecuteStatementResp(
                status=ttypes.TStatus(
                    statusCode=ttypes.TStatusCode.INVALID_HANDLE_STATUS,
                    errorMessage=f"Invalid SessionHandle: {session_id}",
                )
            )
        statement = self.warehouse.submit(req.statement, session_id=session_id)
        op = _Operation(statement=statement, lz4=bool(req.canDecompressLZ4Result))
        key = uuid.UUID(statement.statement_id).bytes
        with self._lock:
            self._ops[key] = op
        handle = ttypes.TOperationHandle(
            operationId=_handle(statement.statement_id),
            operationType=ttypes.TOperationType.EXECUTE_STATEMENT,
            hasResultSet=True,
        )
        direct = None
        if req.getDirectResults is not None and statement.wait(LONG_POLL_SECONDS):
            direct = self._direct_results(key, op, req.getDirectResults.maxRows or 100_000)
        return ttypes.TExecuteStatementResp(status=_OK, operationHandle=handle, directResults=direct)

    def _direct_results(self, key: bytes, op: _Operation, max_rows: int) -> ttypes.TSparkDirectResults:
        status = _operation_status(op.statement)
        if op.statement.state is not StatementState.SUCCEEDED:
            return ttypes.TSparkDirectResults(operationStatus=status)
        metadata = _metadata(op)
        fetched = self._fetch(op, max_rows)
        close = None
        if not fetched.hasMoreRows:  # everything delivered: the operation closes with the response
            close = ttypes.TCloseOperationResp(status=_OK)
            self._close(key)
        return ttypes.TSparkDirectResults(
            operationStatus=status, resultSetMetadata=metadata, resultSet=fetched, closeOperation=close
        )

    def GetOperationStatus(self, req: ttypes.TGetOperationStatusReq) -> ttypes.TGetOperationStatusResp:
        op = self._op(req.operationHandle)
        if op is None:
            return ttypes.TGetOperationStatusResp(status=_invalid(req.operationHandle))
        op.statement.wait(LONG_POLL_SECONDS)
        return _operation_status(op.statement)

    def GetResultSetMetadata(self, req: ttypes.TGetResultSetMetadataReq) -> ttypes.TGetResultSetMetadataResp:
        op = self._op(req.operationHandle)
        if op is None:
            return ttypes.TGetResultSetMetadataResp(status=_invalid(req.operationHandle))
        if op.statement.state is not StatementState.SUCCEEDED:
            return ttypes.TGetResultSetMetadataResp(status=_not_succeeded(op.statement))
        return _metadata(op)

    def FetchResults(self, req: ttypes.TFetchResultsReq) -> ttypes.TFetchResultsResp:
        op = self._op(req.operationHandle)
        if op is None:
            return ttypes.TFetchResultsResp(status=_invalid(req.operationHandle))
        if op.statement.state is not StatementState.SUCCEEDED:
            return ttypes.TFetchResultsResp(status=_not_succeeded(op.statement))
        self.warehouse.latency.before_fetch()
        response = self._fetch(op, req.maxRows or 100_000)
        if req.includeResultSetMetadata:
            response.resultSetMetadata = _metadata(op)
        return response

    def _fetch(self, op: _Operation, max_rows: int) -> ttypes.TFetchResultsResp:
        table = _arrow(op.statement.result)
        start = op.offset
        chunk = table.slice(start, max_rows)
        op.offset = start + chunk.num_rows
        batches = [_arrow_batch(b, op.lz4) for b in chunk.combine_chunks().to_batches() if b.num_rows]
        return ttypes.TFetchResultsResp(
            status=_OK,
            hasMoreRows=op.offset < table.num_rows,
            results=ttypes.TRowSet(startRowOffset=start, rows=[], arrowBatches=batches),
        )

    def CancelOperation(self, req: ttypes.TCancelOperationReq) -> ttypes.TCancelOperationResp:
        op = self._op(req.operationHandle)
        if op is not None:
            self.warehouse.cancel(op.statement.statement_id)
        return ttypes.TCancelOperationResp(status=_OK)

    def CloseOperation(self, req: ttypes.TCloseOperationReq) -> ttypes.TCloseOperationResp:
        self._close(req.operationHandle.operationId.guid)
        return ttypes.TCloseOperationResp(status=_OK)

    def _close(self, key: bytes) -> None:
        with self._lock:
            op = self._ops.pop(key, None)
        if op is not None:
            self.warehouse.close_statement(op.statement.statement_id)

    def _op(self, handle: ttypes.TOperationHandle) -> _Operation | None:
        with self._lock:
            return self._ops.get(handle.operationId.guid)

    def GetInfo(self, req: Any) -> ttypes.TGetInfoResp:
        return ttypes.TGetInfoResp(
            status=_OK, infoValue=ttypes.TGetInfoValue(stringValue="airflow-idu warehouse")
        )


def process(processor: TCLIService.Processor, body: bytes) -> bytes:
    """One Thrift call: binary-protocol request in, binary-protocol response out."""
    itrans = TTransport.TMemoryBuffer(body)
    otrans = TTransport.TMemoryBuffer()
    processor.process(TBinaryProtocol.TBinaryProtocol(itrans), TBinaryProtocol.TBinaryProtocol(otrans))
    return otrans.getvalue()


def method_name(body: bytes) -> str:
    """The Thrift method a request calls (for logs and fault rules), without decoding the rest."""
    try:
        name, _, _ = TBinaryProtocol.TBinaryProtocol(TTransport.TMemoryBuffer(body)).readMessageBegin()
        return str(name)
    except Exception:
        return "?"


def _handle(identifier: str) -> ttypes.THandleIdentifier:
    return ttypes.THandleIdentifier(guid=uuid.UUID(identifier).bytes, secret=uuid.uuid4().bytes)


def _id(handle: ttypes.THandleIdentifier) -> str:
    return str(uuid.UUID(bytes=handle.guid))


def _invalid(handle: ttypes.TOperationHandle) -> ttypes.TStatus:
    return ttypes.TStatus(
        statusCode=ttypes.TStatusCode.INVALID_HANDLE_STATUS,
        errorMessage=f"Invalid OperationHandle: {_id(handle.operationId)}",
    )


def _not_succeeded(statement: Statement) -> ttypes.TStatus:
    """No results for a statement that failed, was canceled or is still running."""
    if statement.error is not None:
        return _error_status(statement.error.message, statement.error.sqlstate)
    return _error_status(f"[INVALID_STATE] statement {statement.statement_id} is {statement.state}", "55000")


def _error_status(message: str, sqlstate: str) -> ttypes.TStatus:
    return ttypes.TStatus(
        statusCode=ttypes.TStatusCode.ERROR_STATUS,
        errorMessage=message,
        displayMessage=message,
        sqlState=sqlstate,
    )


def _operation_status(statement: Statement) -> ttypes.TGetOperationStatusResp:
    error = statement.error
    result = statement.result
    return ttypes.TGetOperationStatusResp(
        status=_OK,
        operationState=_STATES[statement.state],
        sqlState=error.sqlstate if error else None,
        errorCode=0 if error else None,
        errorMessage=error.message if error else None,
        displayMessage=error.message if error else None,
        hasResultSet=True,
        numModifiedRows=result.num_affected_rows if result else None,
    )


def _arrow(result: StatementResult | None) -> pa.Table:
    if result is None or result.arrow is None:
        return pa.table({})
    return result.arrow


def _metadata(op: _Operation) -> ttypes.TGetResultSetMetadataResp:
    result = op.statement.result
    table = _arrow(result)
    types = result.types if result else []
    columns = [
        ttypes.TColumnDesc(columnName=name, typeDesc=_type_desc(kind), position=i + 1)
        for i, (name, kind) in enumerate(zip(table.column_names, types, strict=False))
    ]
    return ttypes.TGetResultSetMetadataResp(
        status=_OK,
        schema=ttypes.TTableSchema(columns=columns),
        resultFormat=ttypes.TSparkRowSetType.ARROW_BASED_SET,
        lz4Compressed=op.lz4,
        arrowSchema=table.schema.serialize().to_pybytes(),
        isStagingOperation=False,
    )


def _type_desc(kind: str) -> ttypes.TTypeDesc:
    qualifiers = None
    if kind.startswith("DECIMAL("):
        precision, scale = (int(x) for x in kind[8:-1].split(","))
        type_id = ttypes.TTypeId.DECIMAL_TYPE
        qualifiers = ttypes.TTypeQualifiers(
            qualifiers={
                "precision": ttypes.TTypeQualifierValue(i32Value=precision),
                "scale": ttypes.TTypeQualifierValue(i32Value=scale),
            }
        )
    elif kind.startswith("ARRAY<"):
        type_id = ttypes.TTypeId.ARRAY_TYPE
    elif kind.startswith("MAP<"):
        type_id = ttypes.TTypeId.MAP_TYPE
    elif kind.startswith("STRUCT<"):
        type_id = ttypes.TTypeId.STRUCT_TYPE
    else:
        type_id = _TYPE_IDS.get(kind, ttypes.TTypeId.STRING_TYPE)
    entry = ttypes.TPrimitiveTypeEntry(type=type_id, typeQualifiers=qualifiers)
    return ttypes.TTypeDesc(types=[ttypes.TTypeEntry(primitiveEntry=entry)])


def _arrow_batch(batch: pa.RecordBatch, compress: bool) -> ttypes.TSparkArrowBatch:
    data = batch.serialize().to_pybytes()
    if compress:
        import lz4.frame

        data = lz4.frame.compress(data)
    return ttypes.TSparkArrowBatch(batch=data, rowCount=batch.num_rows)
