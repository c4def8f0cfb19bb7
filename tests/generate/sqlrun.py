"""Run a SQL directory to completion on an engine adapter (DuckDB here, Spark in tests/spark).

A deliberately small loop driver: setup files, iterations (files, then derived
SQL from ``airflow_idu.plan``) until the EXCEPT-count is 0, loop_final, then the
remaining files. The engine is abstracted as two callables so the same driver
runs the directory on DuckDB and on Spark SQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, translate_statement
from airflow_idu.plan import Phase, read_plan, split_statements

Execute = Callable[[str], None]  # run one Databricks statement
Scalar = Callable[[str], int]  # run one Databricks query returning one integer


@dataclass(frozen=True, kw_only=True)
class RunResult:
    iterations: int
    derived_iterations: int


def run_directory(sql_dir: Path, execute: Execute, scalar: Scalar, *, max_iterations: int = 30) -> RunResult:
    plan = read_plan(sql_dir)
    for phase in plan.phases:
        if phase.phase is Phase.LOOP:
            iterations = run_loop(plan.loop, execute, scalar, max_iterations)
            continue
        for sql_file in phase.files:
            for statement in split_statements(sql_file.path.read_text(encoding="utf-8")):
                execute(statement)
    return RunResult(iterations=iterations, derived_iterations=max(0, iterations - len(plan.loop.files)))


def run_loop(loop: Any, execute: Execute, scalar: Scalar, max_iterations: int) -> int:
    """Iterate until the contract's EXCEPT-count is 0, then create loop_final; the iteration count."""
    for k in range(1, max_iterations + 1):
        text, _source = loop.sql_for_iteration(k)
        for statement in split_statements(text):
            execute(statement)
        if scalar(loop.convergence_sql(k)) == 0:
            execute(loop.final_sql(k))
            return k
    raise AssertionError(f"loop did not converge in {max_iterations} iterations")


Record = tuple[str | None, str | None, str | None]


def setup_records(
    con: duckdb.DuckDBPyConnection, sql_dir: Path, records: list[Record]
) -> tuple[Execute, Scalar, Any]:
    """``src.recs`` (c1, c2, c3, time) from ``records``, then 01 and 02 of ``sql_dir``:
    ``(execute, scalar, loop spec)`` for running the loop."""
    con.execute("CREATE SCHEMA src")
    con.execute("CREATE TABLE src.recs (c1 VARCHAR, c2 VARCHAR, c3 VARCHAR, time BIGINT)")
    con.executemany(
        "INSERT INTO src.recs VALUES (?, ?, ?, ?)", [(*r, 100 + i) for i, r in enumerate(records)]
    )
    execute, scalar = duckdb_adapter(con)
    for name in ("01_create_graph.sql", "02_extract_merge.sql"):
        for statement in split_statements((sql_dir / name).read_text()):
            execute(statement)
    return execute, scalar, read_plan(sql_dir).loop


# -- DuckDB adapter -------------------------------------------------------------


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for macro in COMPAT_MACROS:
        con.execute(macro)
    return con


def duckdb_adapter(con: duckdb.DuckDBPyConnection) -> tuple[Execute, Scalar]:
    def execute(statement: str) -> None:
        for sql in translate_statement(statement).statements:
            con.execute(sql)

    def scalar(statement: str) -> int:
        *setup, last = translate_statement(statement).statements
        for sql in setup:
            con.execute(sql)
        row = con.execute(last).fetchone()
        assert row is not None
        return int(row[0])

    return execute, scalar


def normalize(value: Any) -> Any:
    """Engine-neutral form of a fetched value (lists/tuples/Decimals differ per client)."""
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, Decimal):
        return str(value)
    return value


# -- demo-like source data --------------------------------------------------------

SOURCE_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "customer_profiles": (
        ("email_std", "STRING"),
        ("customer_id", "STRING"),
        ("phone_number", "STRING"),
        ("first_name", "STRING"),
        ("time", "BIGINT"),
    ),
    "web_sessions": (("user_email", "STRING"), ("session_id", "STRING"), ("time", "BIGINT")),
    "orders": (
        ("customer_id", "STRING"),
        ("phone", "STRING"),
        ("amount", "DECIMAL(10,2)"),
        ("time", "BIGINT"),
    ),
    "support_tickets": (
        ("contact_email", "STRING"),
        ("contact_phone", "STRING"),
        ("ticket_id", "STRING"),
        ("time", "BIGINT"),
    ),
}
INVALID = ["", "N/A", "null", "0", None, "12345"]  # "12345" fails the phone regexp only


def demo_rows(seed: int = 7, people: int = 60, chain: int = 40) -> dict[str, list[tuple[Any, ...]]]:
    """A few hundred records: people with several keys spread over tables, invalid values,
    shared values and one long chain (email -> customer_id -> phone -> next email ...) that
    needs more iterations than the example's three iteration files."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in SOURCE_TABLES}
    t0 = 1_700_000_000

    def maybe_bad(value: str) -> str | None:
        return rng.choice(INVALID) if rng.random() < 0.12 else value

    for p in range(people):
        email, cid, phone = f"user{p}@example.com", f"C{p:04d}", f"555{p:07d}"
        for _ in range(rng.randint(1, 3)):
            rows["customer_profiles"].append(
                (
                    maybe_bad(email),
                    maybe_bad(cid),
                    maybe_bad(phone),
                    rng.choice(["Ann", "Bo", None, "Cy"]),
                    t0 + rng.randint(0, 10_000),
                )
            )
        for _ in range(rng.randint(0, 4)):
            rows["web_sessions"].append(
                (maybe_bad(email), f"s{rng.randint(0, 10**6)}", t0 + rng.randint(0, 10_000))
            )
        for _ in range(rng.randint(0, 3)):
            amount = Decimal(rng.randint(100, 99_999)) / 100
            rows["orders"].append((maybe_bad(cid), maybe_bad(phone), amount, t0 + rng.randint(0, 10_000)))
        if rng.random() < 0.5:
            rows["support_tickets"].append(
                (maybe_bad(f"alt{p}@example.org"), maybe_bad(phone), f"T{p}", t0 + rng.randint(0, 10_000))
            )
    # The chain: link i joins email_i -> cid_i (profiles), cid_i -> phone_i (orders),
    # phone_i -> email_{i+1} (tickets). Reversed zero-padded numbers keep leaders out of order.
    for i in range(chain):
        e, c, ph, e_next = f"z{chain - i:03d}@chain.io", f"K{(i * 7919) % 1000:03d}", f"777{i:07d}", None
        e_next = f"z{chain - i - 1:03d}@chain.io"
        rows["customer_profiles"].append((e, c, None, "Zed", t0 + i))
        rows["orders"].append((c, ph, Decimal("1.00"), t0 + i))
        rows["support_tickets"].append((e_next, ph, f"Z{i}", t0 + i))
    rows["web_sessions"].append(("nobody", "s-invalid", t0))  # no valid key at all
    return rows


def load_duckdb_sources(con: duckdb.DuckDBPyConnection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS customer_db")
    for table, columns in SOURCE_TABLES.items():
        ddl = ", ".join(f'"{name}" {kind.replace("STRING", "VARCHAR")}' for name, kind in columns)
        con.execute(f"CREATE OR REPLACE TABLE customer_db.{table} ({ddl})")
        if rows[table]:
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO customer_db.{table} VALUES ({marks})", rows[table])
