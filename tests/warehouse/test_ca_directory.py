"""The deployment's CA setting (docker-compose.yaml: ``SSL_CERT_FILE`` empty) keeps TLS verified.

The Databricks connector builds a TLS context on every connect (``ssl.create_default_context``),
which parses the system's whole CA bundle file each time (20-30 ms here, twice per session against
an ``https://`` workspace: docs/benchmarks.md, section 13_warm). With no bundle file, OpenSSL looks
a server's CA up in the hashed CA directory (``SSL_CERT_DIR``, ``/etc/ssl/certs`` on Debian and the
official Airflow image) during the handshake, one certificate when needed. These tests serve the
local warehouse over HTTPS with a certificate only that directory holds, and send a statement
through the real connector: it succeeds with the certificate in the directory and fails the
verification without it.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.engines import open_engine
from airflow_idu.engines.base import StatementError
from airflow_idu.warehouse.server import HTTP_PATH, WarehouseServer
from tests.scheduler.stack import CA_BUNDLE_SETTING
from tests.warehouse.fixture import LocalWarehouse
from tests.warehouse.tls import self_signed

CONN_ID = "idu_ca_directory"


def _subject_hash(cert: Path) -> str:
    """The file name OpenSSL looks a CA up by in a CA directory (what ``openssl rehash`` links)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to name a certificate in a CA directory")
    done = subprocess.run(
        [openssl, "x509", "-subject_hash", "-noout", "-in", str(cert)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def https_warehouse(
    local_warehouse: LocalWarehouse, tmp_path: Path
) -> Iterator[tuple[WarehouseServer, Path]]:
    cert, context = self_signed(tmp_path)
    server = WarehouseServer(
        local_warehouse.warehouse, auth=local_warehouse.auth, ssl_context=context
    ).start()
    try:
        yield server, cert
    finally:
        server.stop()


def _connect_over_https(
    monkeypatch: pytest.MonkeyPatch, local_warehouse: LocalWarehouse, server: WarehouseServer, ca_dir: Path
) -> list[Any]:
    monkeypatch.setenv(*CA_BUNDLE_SETTING)  # no bundle file: the CA directory only
    monkeypatch.setenv("SSL_CERT_DIR", str(ca_dir))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    local_warehouse.use(
        monkeypatch,
        CONN_ID,
        host=server.host,
        port=server.port,
        extra={
            "_connection_uri": f"https://{server.host}:{server.port}{HTTP_PATH}",
            "_retry_stop_after_attempts_count": 1,
        },
    )
    engine = open_engine(CONN_ID)
    try:
        return engine.query("SELECT 41 + 1")
    finally:
        engine.close()


@pytest.mark.parametrize("vouched", [True, False], ids=["ca-in-directory", "ca-not-in-directory"])
def test_a_session_verifies_the_server_through_the_ca_directory(
    https_warehouse: tuple[WarehouseServer, Path],
    local_warehouse: LocalWarehouse,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    vouched: bool,
) -> None:
    server, cert = https_warehouse
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    if vouched:
        shutil.copyfile(cert, ca_dir / f"{_subject_hash(cert)}.0")
        assert [tuple(r) for r in _connect_over_https(monkeypatch, local_warehouse, server, ca_dir)] == [
            (42,)
        ]
        # what makes it cheap: a new context holds no CA until a handshake asks the directory for one
        assert ssl.create_default_context().cert_store_stats()["x509_ca"] == 0
        return
    with pytest.raises(StatementError) as failed:
        _connect_over_https(monkeypatch, local_warehouse, server, ca_dir)
    causes: list[BaseException] = []
    error: BaseException | None = failed.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in causes), causes


def test_the_setting_leaves_httpx_clients_working(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty, not a path to nothing: httpx (the Task SDK's execution-API client) loads a non-empty
    ``SSL_CERT_FILE`` as its CA file, and ``/dev/null`` would fail every task before it starts."""
    import httpx

    monkeypatch.setenv(*CA_BUNDLE_SETTING)
    httpx.Client().close()
    monkeypatch.setenv("SSL_CERT_FILE", "/dev/null")
    with pytest.raises(ssl.SSLError):
        httpx.Client()
