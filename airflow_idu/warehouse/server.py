"""The local warehouse's HTTP front end: Thrift TCLIService on the warehouse path, REST under
``/api/2.0/``, an OAuth client-credentials token endpoint, Bearer-token checks and fault injection.

Binds to 127.0.0.1 by default; keep-alive HTTP/1.1 with ``TCP_NODELAY`` so a statement's round
trip stays in the low milliseconds.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from databricks.sql.thrift_api.TCLIService import TCLIService

from airflow_idu.warehouse.core import Warehouse
from airflow_idu.warehouse.faults import Auth, FaultKind, Faults
from airflow_idu.warehouse.thrift import ThriftHandler, method_name, process

__all__ = ["HTTP_PATH", "WarehouseServer", "connection_json"]

log = logging.getLogger(__name__)

HTTP_PATH = "/sql/1.0/warehouses/local"
OIDC_PATH = "/oidc/v1/token"
# Thrift requests that start work; a token's expiry counts these (``faults.Auth``)
WORK_METHODS = frozenset({"OpenSession", "ExecuteStatement"})


class WarehouseServer:
    """Serve ``warehouse`` on ``host:port`` (port 0 = a free one) in a background thread."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        auth: Auth | None = None,
        faults: Faults | None = None,
        oauth_client: tuple[str, str] | None = None,
        oauth_expires_in: int = 3600,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.auth = auth or Auth()
        self.faults = faults or Faults()
        self.oauth_client = oauth_client
        self.oauth_expires_in = oauth_expires_in
        self.processor = TCLIService.Processor(ThriftHandler(warehouse))
        self.requests = 0
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> WarehouseServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="warehouse-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def connection(self, **extra: Any) -> dict[str, Any]:
        return connection_json(self.host, self.port, self.auth.token or "", **extra)


def connection_json(host: str, port: int, token: str, **extra: Any) -> dict[str, Any]:
    """The Airflow connection (``AIRFLOW_CONN_<ID>`` JSON form) that reaches a local warehouse.

    ``_connection_uri`` makes the connector speak plain HTTP to the loopback port (it builds an
    ``https://host:443`` URI otherwise); ``enable_telemetry: false`` stops it posting telemetry to
    port 443 of the host (retried for minutes when nothing listens there); the ``_retry_*`` budget
    makes a wrong setting fail in seconds instead of the connector's default 15 minutes. ``schema``
    and ``port`` point ``DatabricksHook``'s REST calls at the same server.
    """
    return {
        "conn_type": "databricks",
        "host": host,
        "port": port,
        "schema": "http",
        "password": token,
        "extra": {
            "http_path": HTTP_PATH,
            "_connection_uri": f"http://{host}:{port}{HTTP_PATH}",
            "enable_telemetry": False,
            "_retry_stop_after_attempts_count": 3,
            "_retry_stop_after_attempts_duration": 30,
            "_retry_delay_min": 0.1,
            "_retry_delay_max": 5,
            "_retry_delay_default": 1,
            "_socket_timeout": 120,
            **extra,
        },
    }


def _handler_class(server: WarehouseServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: WarehouseServer
    protocol_version = "HTTP/1.1"  # keep-alive: the connector reuses its connection
    disable_nagle_algorithm = True  # TCP_NODELAY: small answers leave at once

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("warehouse http: " + format, *args)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, verb: str) -> None:
        owner = self.owner
        owner.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path == OIDC_PATH and verb == "POST":
            self._oauth_token()
            return
        rest = parts.path.startswith("/api/2.0/")
        method = parts.path if rest else method_name(body)
        rule = owner.faults.take(method, body)
        if rule is not None and rule.kind is FaultKind.STATUS:
            log.info("warehouse fault: %s answered %d", method, rule.status)
            self._reply(rule.status, b"", "text/plain", {"Retry-After": str(rule.retry_after)})
            return
        if rule is not None and not rule.after:
            log.info("warehouse fault: %s connection dropped", method)
            self._drop()
            return
        starts_work = method in WORK_METHODS or (
            rest and verb == "POST" and parts.path.rstrip("/").endswith("/statements")
        )
        failure = owner.auth.check(self.headers.get("Authorization"), starts_work=starts_work)
        if failure is not None:
            self._reply(
                failure.status,
                json.dumps({"error_code": "PERMISSION_DENIED", "message": failure.reason}).encode(),
                "application/json",
                {"x-databricks-reason-phrase": failure.reason},
            )
            return
        if rest:
            status, payload = _route_rest(verb, parts.path, parts.query, body, owner.warehouse)
            answer, kind = json.dumps(payload, default=str).encode(), "application/json"
        elif verb == "POST" and parts.path.rstrip("/") == HTTP_PATH:
            status, answer, kind = 200, process(owner.processor, body), "application/x-thrift"
        else:
            status, answer, kind = 404, b'{"error_code":"ENDPOINT_NOT_FOUND"}', "application/json"
        if rule is not None:  # DROP after the work: the client never hears the answer
            log.info("warehouse fault: %s ran, answer dropped", method)
            self._drop()
            return
        self._reply(status, answer, kind)

    def _oauth_token(self) -> None:
        owner = self.owner
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        try:
            client = tuple(base64.b64decode(encoded).decode().split(":", 1)) if scheme == "Basic" else None
        except ValueError:
            client = None
        if owner.oauth_client is None or client != owner.oauth_client:
            self._reply(401, b'{"error":"invalid_client"}', "application/json")
            return
        token = {
            "access_token": owner.auth.issue(),
            "token_type": "Bearer",
            "expires_in": owner.oauth_expires_in,
            "scope": "all-apis",
        }
        self._reply(200, json.dumps(token).encode(), "application/json")

    def _reply(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _route_rest(verb: str, path: str, query: str, body: bytes, warehouse: Warehouse) -> tuple[int, Any]:
    try:
        rest = importlib.import_module("airflow_idu.warehouse.rest")
    except ModuleNotFoundError:
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"{path}: the REST API is not built yet"}
    status, payload = rest.route(verb, path, parse_qs(query), body, warehouse)
    return int(status), payload
