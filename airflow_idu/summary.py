"""What a run produced, read back from a DuckDB file (used by ``make demo``). No Airflow imports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_idu.plan.contract import TableNames

__all__ = ["RunSummary", "read_summary"]


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    iterations: list[dict[str, Any]]
    tables: dict[str, int]

    def to_text(self) -> str:
        lines = ["Unify loop:"]
        for it in self.iterations:
            lines.append(
                f"  iteration {it['iteration']:>2} ({it['source']}): updated_count={it['updated_count']:,} "
                f"rows={it['rows']:,} seconds={it['seconds']:.2f}"
            )
        lines.append("Tables:")
        width = max((len(t) for t in self.tables), default=10)
        lines += [f"  {name:<{width}}  {count:>12,} rows" for name, count in self.tables.items()]
        return "\n".join(lines)


def read_summary(database: str | Path, *, schema: str, canonical_id: str) -> RunSummary:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        contract = TableNames(prefix=canonical_id)
        log = TableNames(prefix=canonical_id, schema=schema).loop_log
        rows = conn.execute(
            f"SELECT iteration, updated_count, row_count, seconds, source FROM {log} "
            f"WHERE run_key = (SELECT run_key FROM {log} ORDER BY recorded_at DESC LIMIT 1) ORDER BY iteration"
        ).fetchall()
        iterations = [
            {"iteration": i, "updated_count": u, "rows": r or 0, "seconds": s, "source": src}
            for i, u, r, s, src in rows
        ]
        names = [
            n
            for (n,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
                [schema],
            ).fetchall()
        ]
        wanted = [
            n
            for n in names
            if n in (contract.lookup, contract.graph()) or n.startswith("enriched_") or n.endswith("_master")
        ]
        tables = {n: _count(conn, f"{schema}.{n}") for n in wanted}
    return RunSummary(iterations=iterations, tables=tables)


def _count(conn: Any, table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
