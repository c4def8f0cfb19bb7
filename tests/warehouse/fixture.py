"""One local warehouse per test process (the Databricks-path suites share it), on a free loopback port.

Import ``local_warehouse`` into a test module to use it; the server starts on first use and stops
at exit. Tests that add faults or token rules reset them (``reset()``) so they never leak.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.warehouse.core import Warehouse
from airflow_idu.warehouse.faults import Auth, Faults
from airflow_idu.warehouse.server import WarehouseServer

TOKEN = "dapi0123456789abcdefLOCALidu"
OAUTH_CLIENT = ("idu-sp-client", "idu-sp-secret-0123456789")
DEMO = {"schema": "customer_db", "people": 300, "seed": 5}


@dataclass
class LocalWarehouse:
    warehouse: Warehouse
    server: WarehouseServer
    database: Path

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @property
    def auth(self) -> Auth:
        return self.server.auth

    def connection(self, **overrides: Any) -> dict[str, Any]:
        conn = self.server.connection()
        extra = {**conn["extra"], **overrides.pop("extra", {})}
        return {**conn, **overrides, "extra": extra}

    def use(self, monkeypatch: pytest.MonkeyPatch, conn_id: str, **overrides: Any) -> dict[str, Any]:
        conn = self.connection(**overrides)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn

    def oauth(self, monkeypatch: pytest.MonkeyPatch, conn_id: str, *, tokens_last: int) -> dict[str, Any]:
        """Point ``conn_id`` at the warehouse with OAuth service-principal credentials: the hook gets
        tokens from the warehouse's ``/oidc/v1/token`` (HTTPS, self-signed, trusted through
        REQUESTS_CA_BUNDLE); each token is refused as expired after ``tokens_last`` requests."""
        token_server = _oauth_server(self)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(token_server.cert))
        self.auth.issued_ttl_requests = tokens_last
        conn = self.connection(
            host=f"127.0.0.1:{token_server.server.port}",
            login=OAUTH_CLIENT[0],
            password=OAUTH_CLIENT[1],
            extra={"service_principal_oauth": True},
        )
        conn.pop("port")
        conn.pop("schema")
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn

    def reset(self) -> None:
        self.faults.clear()
        self.auth.expire_after = None
        self.auth.issued_ttl_requests = None
        self.warehouse.clear_faults()

    def mark(self) -> int:
        """Position in the statement history; ``statements(since=mark)`` lists what ran after it."""
        return len(self.warehouse.history)

    def statements(self, since: int = 0) -> list[str]:
        return [h.sql for h in self.warehouse.history[since:]]


_SHARED: list[LocalWarehouse] = []


@dataclass
class _TokenServer:
    server: WarehouseServer
    cert: Path


_TOKEN_SERVERS: list[_TokenServer] = []


def _oauth_server(wh: LocalWarehouse) -> _TokenServer:
    """An HTTPS listener sharing the warehouse's token rules, for the OAuth client-credentials flow."""
    if not _TOKEN_SERVERS:
        from tests.warehouse.tls import self_signed

        cert, context = self_signed(wh.database.parent)
        server = WarehouseServer(
            wh.warehouse,
            auth=wh.auth,
            oauth_client=OAUTH_CLIENT,
            oauth_expires_in=3600,
            ssl_context=context,
        ).start()
        atexit.register(server.stop)
        _TOKEN_SERVERS.append(_TokenServer(server=server, cert=cert))
    return _TOKEN_SERVERS[0]


def shared_warehouse() -> LocalWarehouse:
    if not _SHARED:
        database = Path(tempfile.mkdtemp(prefix="idu-warehouse-")) / "warehouse.duckdb"
        warehouse = Warehouse(database)
        create_demo_data(database, **DEMO)  # type: ignore[arg-type]
        server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
        _SHARED.append(LocalWarehouse(warehouse=warehouse, server=server, database=database))
        owner = os.getpid()

        def stop() -> None:
            server.stop()
            warehouse.close()
            if os.getpid() == owner:  # a forked child must not remove its parent's warehouse
                shutil.rmtree(database.parent, ignore_errors=True)  # ~100 MB a session, else left in /tmp

        atexit.register(stop)
    return _SHARED[0]
