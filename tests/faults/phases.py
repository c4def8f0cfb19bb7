"""Where faults are injected: one target per phase of the example workflow, and what each phase publishes.

The loop targets are those of the fault suite's directory (``fault_sql_dir`` in conftest.py: the default,
incremental loop with two iteration files, so iteration 3 is derived from the second file). Statement 13
of an iteration is its INSERT into ``loop_K``, after the label rounds on the work tables.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

P = "unified_customer_id"
CATALOG_ERROR = "CatalogException: Catalog Error: Table with name injected_missing_table does not exist!"

# Tables each phase creates (schema ``unified``); a failure in a phase must leave none of a later phase's.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "setup": (f"{P}_graph_unify_loop_0", f"{P}_source_key_stats"),
    "loop": (f"{P}_graph_unify_loop_final",),
    "canonicalize": (f"{P}_lookup", f"{P}_keys", f"{P}_tables", f"{P}_graph"),
    "stats": (f"{P}_result_key_stats",),
    "enrichment": tuple(
        f"enriched_{t}" for t in ("customer_profiles", "orders", "support_tickets", "web_sessions")
    ),
    "master": ("customer_master",),
    "metadata": ("unification_metadata", "filter_lookup", "column_lookup"),
    "report": (),
}
ORDER = list(OUTPUTS)


@dataclass(frozen=True, kw_only=True)
class Target:
    """One place to inject: the task, the script label (or query) and statement, and the expected error text."""

    name: str  # the phase name used in ids and the reliability table
    phase: str  # key of OUTPUTS
    task_id: str
    label: str | None = None  # regex on the run_script label
    statement: int | None = None
    query: str | None = None  # regex on SQL sent through query()/scalar()
    expect: tuple[str, ...] = ()  # substrings the task's error must contain

    def later_tables(self, downstream: set[str]) -> set[str]:
        """Tables of the phases after this one that hold a task of ``downstream`` (the task ids after
        this one in the DAG): a failure here must not leave any of them. Stats run beside the
        publishing phases, which do not wait for them."""
        later = ORDER[ORDER.index(self.phase) + 1 :]
        return {
            t for phase in later if any(d.split(".")[0] == phase for d in downstream) for t in OUTPUTS[phase]
        }


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            name="setup",
            phase="setup",
            task_id="setup.02_extract_merge",
            label=r"^02_extract_merge\.sql$",
            statement=3,
            expect=(
                "02_extract_merge.sql",
                "statement 3",
                f"INSERT INTO idu_demo.unified.{P}_graph_unify_loop_0",
            ),
        ),
        Target(
            name="loop iteration (file)",
            phase="loop",
            task_id="loop.unify_loop",
            label=r"^04_unify_loop_iteration_02\.sql \(iteration 2\)$",
            statement=13,
            expect=(
                "04_unify_loop_iteration_02.sql",
                "statement 13",
                f"INSERT INTO idu_demo.unified.{P}_graph_unify_loop_2",
            ),
        ),
        Target(
            name="loop iteration (derived)",
            phase="loop",
            task_id="loop.unify_loop",
            label=r"^iteration 3, derived from ",
            statement=13,
            expect=(
                # a derived iteration has no file of its own: the file it was derived from
                "04_unify_loop_iteration_02.sql",
                "statement 13",
                f"INSERT INTO idu_demo.unified.{P}_graph_unify_loop_3",
            ),
        ),
        Target(
            name="convergence query",
            phase="loop",
            task_id="loop.unify_loop",
            query=rf"updated_count .*{P}_graph_unify_loop_2 EXCEPT",
            expect=("SELECT COUNT(*) AS updated_count", f"{P}_graph_unify_loop_2"),
        ),
        Target(
            name="canonicalize",
            phase="canonicalize",
            task_id="canonicalize.05_canonicalize",
            label=r"^05_canonicalize\.sql$",
            statement=4,
            expect=(
                "05_canonicalize.sql",
                "statement 4",
                f"CREATE OR REPLACE TABLE idu_demo.unified.{P}_keys",
            ),
        ),
        Target(
            name="statistics",
            phase="stats",
            task_id="stats.06_result_key_stats",
            label=r"^06_result_key_stats\.sql$",
            statement=3,
            expect=("06_result_key_stats.sql", "statement 3", f"idu_demo.unified.{P}_result_key_stats"),
        ),
        Target(
            name="enrichment",
            phase="enrichment",
            task_id="enrichment.10_enrich_orders",
            label=r"^10_enrich_orders\.sql$",
            statement=4,
            expect=(
                "10_enrich_orders.sql",
                "statement 4",
                "DROP TABLE IF EXISTS idu_demo.unified.enriched_orders",
            ),
        ),
        Target(
            name="master",
            phase="master",
            task_id="master.20_master_customer_master",
            label=r"^20_master_customer_master\.sql$",
            statement=3,
            expect=(
                "20_master_customer_master.sql",
                "statement 3",
                "CREATE OR REPLACE TABLE idu_demo.unified.customer_master_tmp",
            ),
        ),
        Target(
            name="metadata",
            phase="metadata",
            task_id="metadata.31_filter_lookup",
            label=r"^31_filter_lookup\.sql$",
            statement=5,
            expect=(
                "31_filter_lookup.sql",
                "statement 5",
                "ALTER TABLE idu_demo.unified.filter_lookup_tmp RENAME",
            ),
        ),
        Target(
            name="report",
            phase="report",
            task_id="report",
            query=r"COUNT\(DISTINCT canonical_id\)",
            expect=("SELECT COUNT(DISTINCT canonical_id)",),
        ),
    )
}


def error_lines(console: str, exception: str) -> list[str]:
    """``exception``'s messages in the captured task logs, each on one line: a statement's error puts
    the cause first and the file, statement and detail on the lines after it, up to the next record."""
    lines = console.splitlines()
    messages = []
    for i, line in enumerate(lines):
        if re.search(rf"\b{re.escape(exception)}: ", line):
            rest = itertools.takewhile(lambda x: x.strip() and not _LOG_RECORD.match(x), lines[i + 1 :])
            messages.append(" | ".join([line, *rest]))
    return messages


_LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")  # a console log record starts with its timestamp
