"""``airflow-idu warehouse serve``: start the local warehouse and print the connection that reaches it."""

from __future__ import annotations

import json
import logging
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType

from airflow_idu.warehouse.core import Warehouse
from airflow_idu.warehouse.faults import Auth
from airflow_idu.warehouse.latency import Latency
from airflow_idu.warehouse.server import WarehouseServer, connection_json

__all__ = ["serve"]


def serve(
    *,
    database: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    connection_host: str | None = None,
    statement_latency_ms: float = 0.0,
    fetch_latency_ms: float = 0.0,
) -> int:
    """Serve until SIGTERM/SIGINT. When ready, print one line: the connection as JSON."""
    if not database.parent.is_dir():
        raise OSError(f"--database {database}: directory {database.parent} does not exist; create it first")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    latency = Latency(statement_ms=statement_latency_ms, fetch_ms=fetch_latency_ms)
    warehouse = Warehouse(database, latency=latency)
    server = WarehouseServer(warehouse, host=host, port=port, auth=Auth(token=token or secrets.token_hex(16)))

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    conn = connection_json(connection_host or server.host, server.port, server.auth.token or "")
    print(json.dumps(conn), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        warehouse.close()
    return 0
