"""Probe: what one Databricks SQL session costs a task, step by step (issue 24's "our share of a task").

Every Databricks SQL task opens a session through the provider's ``DatabricksSqlHook`` and the real
``databricks-sql-connector``, runs its statements and closes it. This probe opens and closes
sessions against the local SQL warehouse (a separate process on 127.0.0.1, 0 ms added latency) in
one warm process, as a preloaded task process would, and prints the median time of each step and
the share of the connect step spent in ``ssl.create_default_context`` (loading the system's CA
certificates), which the connector calls on every connect, for an ``http://`` endpoint too.

    .venv/bin/python -m bench.session_cost [--sessions 30]

Timings, not checks: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import ssl
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.common import median, timed

CONN_ID = "idu_session_probe"


def _serve(database: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "airflow_idu.cli", "warehouse", "serve", "--database", str(database)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())


def _session() -> tuple[float, float, float]:
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

    start = time.perf_counter()
    conn = DatabricksSqlHook(databricks_conn_id=CONN_ID).get_conn()
    opened = time.perf_counter()
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    cursor.fetchall()
    cursor.close()
    ran = time.perf_counter()
    conn.close()
    return opened - start, ran - opened, time.perf_counter() - ran


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=30, help="sessions timed (after 3 to warm up)")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")  # the provider's deprecation notices, not ours to act on
    with tempfile.TemporaryDirectory(prefix="idu-session-") as tmp:
        server, connection = _serve(Path(tmp) / "w.duckdb")
        try:
            os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(connection)
            for _ in range(3):
                _session()
            steps = [_session() for _ in range(args.sessions)]
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.sessions):
                _session()
            profile.disable()
        finally:
            server.terminate()
            server.wait()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    ssl_seconds = sum(v[3] for k, v in stats.items() if k[2] == "create_default_context")
    ssl_calls = sum(v[1] for k, v in stats.items() if k[2] == "create_default_context")
    alone = [timed(ssl.create_default_context)[0] for _ in range(20)]
    print(f"sessions: {args.sessions}; {ssl.OPENSSL_VERSION}")
    for i, name in enumerate(("connect (hook, connection lookup, OpenSession)", "SELECT 1", "close")):
        print(f"{name}: {1000 * median(s[i] for s in steps):.1f} ms (median)")
    print(
        f"ssl.create_default_context: {ssl_calls / args.sessions:.1f} calls per session, "
        f"{1000 * ssl_seconds / args.sessions:.1f} ms per session under the profiler; "
        f"{1000 * median(alone):.1f} ms per call alone"
    )


if __name__ == "__main__":
    main()
