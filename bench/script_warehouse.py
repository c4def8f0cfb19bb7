"""The replaced script's real statement sequence, sent through ``databricks-sql-connector``.

:class:`bench.script_baseline.ScriptBaseline` models what the script does (one connection;
``USE CATALOG`` / ``USE SCHEMA`` at connect, before every file and before every loop iteration;
a plain ``;`` split; per iteration USE x2, the iteration's CREATE and INSERT, the diff count and
``OPTIMIZE``; a fixed pause between iterations; its own iteration SQL past the last file; the
``_final`` table). Here the same sequence goes over the real connector to a SQL warehouse (the
local one in the benchmarks, ``airflow_idu.warehouse``) instead of DuckDB in-process: the
warehouse translates, so nothing is translated here. Every statement is timed with its kind.

Used by ``bench.warehouse_e2e``; standalone against a running ``airflow-idu warehouse serve``:

    .venv/bin/python -m bench.script_warehouse --connection JSON --sql-dir DIR [--sleep 2]
prints ``SCRIPT_RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.script_baseline import SLEEP_SECONDS, BaselineResult, ScriptBaseline


def connect_kwargs(connection: dict[str, Any]) -> dict[str, Any]:
    """``databricks.sql.connect`` arguments for an Airflow ``databricks`` connection (JSON form)."""
    extra = dict(connection.get("extra") or {})
    return {
        "server_hostname": connection["host"],
        "http_path": extra.pop("http_path"),
        "access_token": connection["password"],
        **{k: v for k, v in extra.items() if k.startswith(("_", "enable_"))},
    }


def kind_of(sql: str) -> str:
    head = " ".join(sql.split()).upper()
    if head.startswith("USE "):
        return "USE"
    if head.startswith("OPTIMIZE"):
        return "OPTIMIZE"
    if head.startswith("SELECT COUNT(*)"):
        return "diff count"
    return head.split(" ")[0]


class WarehouseScript(ScriptBaseline):
    def __init__(
        self,
        connection: dict[str, Any],
        *,
        sleep: float = SLEEP_SECONDS,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(Path("unused"), sleep=sleep, pause=pause)
        self.connection = connection
        self.timed: list[tuple[str, float]] = []  # (kind, seconds) per statement

    def connect(self, catalog: str | None, schema: str | None) -> None:
        from databricks import sql

        self.conn = sql.connect(**connect_kwargs(self.connection))
        self.cursor = self.conn.cursor()

    def close(self) -> None:
        self.cursor.close()
        self.conn.close()

    def statement(self, sql: str) -> Any:
        self.result.statements += 1
        t0 = time.perf_counter()
        self.cursor.execute(sql)
        self.timed.append((kind_of(sql), time.perf_counter() - t0))
        return self.cursor


def run(
    connection: dict[str, Any], sql_dir: Path, *, sleep: float
) -> tuple[BaselineResult, list[tuple[str, float]]]:
    script = WarehouseScript(connection, sleep=sleep)
    return script.run(sql_dir, max_iterations=100), script.timed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connection", required=True, help="the JSON `airflow-idu warehouse serve` prints")
    parser.add_argument("--sql-dir", type=Path, required=True)
    parser.add_argument("--sleep", type=float, default=SLEEP_SECONDS, help="seconds between iterations")
    args = parser.parse_args(argv)
    result, timed = run(json.loads(args.connection), args.sql_dir, sleep=args.sleep)
    print("SCRIPT_RESULT " + json.dumps({**asdict(result), "timed": timed}))


if __name__ == "__main__":
    main()
