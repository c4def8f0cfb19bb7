"""Every name the SQL directory contract fixes, in one place. No Airflow, no I/O.

A SQL directory and the tasks that run it agree on names: the tables built from the
canonical-id **prefix** (``<prefix>_graph_unify_loop_<k>``, ``<prefix>_lookup``, ...), the
schema's writer-lease table, the task and group ids the factory creates, the XCom keys
tasks push and the report reads, and how a ``USE`` statement names the catalog or schema.
The generator, the plan, the operators, health, the loop state, the UI model and the report
all ask this module; a name written twice drifts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DROP_LOOP_TABLES_TASK_ID",
    "FAILURE_XCOM_KEY",
    "FULL_REFRESH_PARAM",
    "GATE_GROUP_ID",
    "GATE_TASK",
    "GATE_TASK_ID",
    "GRAPH_0_PATTERN",
    "GRAPH_COLUMN_NAMES",
    "HEALTH_XCOM_KEY",
    "HISTORY_XCOM_KEY",
    "INCREMENTAL_COMMIT_TASK_ID",
    "INCREMENTAL_GROUP_ID",
    "INCREMENTAL_MARKER",
    "INCREMENTAL_PREPARE_TASK",
    "INCREMENTAL_PREPARE_TASK_ID",
    "KEEP_PREVIOUS_TASK_ID",
    "LEASE_ACQUIRE_TASK_ID",
    "LEASE_RELEASE_TASK_ID",
    "LOOP_GROUP_ID",
    "LOOP_TASK",
    "LOOP_TASK_ID",
    "LOOP_WORK_TABLES",
    "PERSISTENT_IDS_COMMIT_TASK_ID",
    "PERSISTENT_IDS_GROUP_ID",
    "PERSISTENT_IDS_STAGE_TASK",
    "PERSISTENT_IDS_STAGE_TASK_ID",
    "QUERY_HISTORY_XCOM_KEY",
    "REPORT_TASK",
    "REPORT_TASK_ID",
    "RESTORE_FINAL_TASK_ID",
    "RETURN_XCOM_KEY",
    "WRITER_LEASE_TABLE",
    "TableNames",
    "UseKind",
    "UseStatement",
    "lease_table",
    "loop_table_pattern",
    "loop_table_shape",
    "parse_use",
    "qualify",
    "task_path",
    "use_statements",
]

# --- tables -------------------------------------------------------------------------------------

# One per target schema (not per prefix): every workflow writing the schema takes the same lease.
WRITER_LEASE_TABLE = "idu_writer_lease"
# The columns of every graph table (loop 0, each iteration, the converged graph, the stored links).
GRAPH_COLUMN_NAMES = (
    "follower_id",
    "follower_ns",
    "leader_id",
    "leader_ns",
    "follower_first_seen_at",
    "follower_last_seen_at",
    "follower_source_table_ids",
    "follower_last_processed_at",
)
# Work tables an incremental loop may keep between its statements (<prefix>_unify_work_<name>); no
# output reads them, and dropping the loop's intermediate tables drops them too.
LOOP_WORK_TABLES = ("nodes", "edges", "labels_even", "labels_odd", "changes_even", "changes_odd")

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOP = "_graph_unify_loop_"


def qualify(catalog: str | None, schema: str | None, table: str) -> str:
    """``catalog.schema.table``, leaving out the parts that are not set."""
    return ".".join([*(p for p in (catalog, schema) if p), table])


def lease_table(catalog: str | None, schema: str | None) -> str:
    """The schema's writer-lease table, qualified like the loop tables (``c.s.idu_writer_lease``)."""
    return qualify(catalog, schema, WRITER_LEASE_TABLE)


def loop_table_shape(iteration: int | str = "<k>") -> str:
    """How a loop table is named, for messages: ``<prefix>_graph_unify_loop_<k>``."""
    return f"<prefix>{_LOOP}{iteration}"


def loop_table_pattern(prefix: str) -> re.Pattern[str]:
    """Matches ``<prefix>_graph_unify_loop_<k>`` as a whole word; group 1 is ``k``."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(prefix)}{_LOOP}(\d+)(?![A-Za-z0-9_])")


# Any prefix's loop_0 table, optionally qualified (groups: catalog or schema, schema, prefix).
GRAPH_0_PATTERN = re.compile(
    r"(?:`?([A-Za-z_][A-Za-z0-9_]*)`?\.)?(?:`?([A-Za-z_][A-Za-z0-9_]*)`?\.)?"
    rf"`?([A-Za-z_][A-Za-z0-9_]*){_LOOP}0`?(?![A-Za-z0-9_])"
)


@dataclass(frozen=True, kw_only=True)
class TableNames:
    """The tables of canonical id ``prefix`` in ``catalog.schema``, fully qualified.

    Without catalog and schema the names are bare (what the generator passes to its target).
    """

    prefix: str
    catalog: str | None = None
    schema: str | None = None

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(f"prefix {self.prefix!r} is not a plain identifier; pass the canonical id name")

    def qualify(self, table: str) -> str:
        return qualify(self.catalog, self.schema, table)

    def _t(self, suffix: str) -> str:
        return self.qualify(f"{self.prefix}_{suffix}")

    def loop(self, iteration: int | str) -> str:
        """``<prefix>_graph_unify_loop_<iteration>``: iteration 0 is the graph the source records make."""
        return self.qualify(f"{self.prefix}{_LOOP}{iteration}")

    @property
    def loop_final(self) -> str:
        return self.loop("final")

    @property
    def source_graph(self) -> str:
        """The initial graph: one row per (follower, leader) link from the source records."""
        return self.loop(0)

    def source_links(self, *, incremental: bool) -> str:
        """Every link the source records make, as an expression to read FROM (the graph columns).

        A full run's loop 0 holds them all. An incremental run's loop 0 holds only the contracted
        links between previous leaders and new identifiers (links the records do not make), so there
        the links are the stored ones (``edges``) beside this run's (``edges_delta``, which already
        merged the stored values of the links it repeats): a link may appear twice, never wrongly.
        A full refresh of an incremental directory has them all in loop 0 again."""
        if not incremental:
            return self.source_graph
        full = f"(SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) FROM {self.run_window}) = 1"
        columns = ", ".join(GRAPH_COLUMN_NAMES)
        return (
            f"(SELECT {columns} FROM {self.source_graph} WHERE {full}\n"
            f"UNION ALL SELECT {columns} FROM {self.edges} WHERE NOT {full}\n"
            f"UNION ALL SELECT {columns} FROM {self.edges_delta} WHERE NOT {full})"
        )

    @property
    def loop_log(self) -> str:
        """One row per finished loop iteration of a run (see ``airflow_idu.loop.state``)."""
        return self._t("unify_loop_log")

    def work(self, name: str) -> str:
        """One of an incremental loop's work tables."""
        if name not in LOOP_WORK_TABLES:
            raise ValueError(f"{name!r} is not one of the loop's work tables {LOOP_WORK_TABLES}")
        return self._t(f"unify_work_{name}")

    @property
    def work_tables(self) -> tuple[str, ...]:
        return tuple(self.work(name) for name in LOOP_WORK_TABLES)

    def graph(self, suffix: str = "") -> str:
        """The converged graph canonicalize keeps (``suffix`` names the generator's staging copies)."""
        return self._t(f"graph{suffix}")

    @property
    def lookup(self) -> str:
        return self._t("lookup")

    @property
    def lookup_previous(self) -> str:
        """The lookup as the previous run published it (kept before canonicalize replaces it)."""
        return self._t("lookup_previous")

    @property
    def previous_state(self) -> str:
        """One row: which run took the snapshot, whether a lookup existed, whether it was restored."""
        return self._t("lookup_previous_state")

    @property
    def id_history(self) -> str:
        return self._t("id_history")

    @property
    def id_map(self) -> str:
        """Persistent ids, the run state: identifier -> persistent id (``airflow_idu.runstate``)."""
        return self._t("id_map")

    @property
    def id_map_staging(self) -> str:
        """This run's next ``id_map`` and its changes, until the run's last task commits them."""
        return self._t("id_map_staging")

    @property
    def lookup_persistent_tmp(self) -> str:
        """Where the lookup with persistent ids is built before it replaces ``<prefix>_lookup``."""
        return self._t("lookup_pid_tmp")

    @property
    def id_changes(self) -> str:
        """Every change of an identifier's persistent id, one row per identifier and run."""
        return self._t("id_changes")

    @property
    def run_state(self) -> str:
        """Incremental runs: one row per source table with its watermark and the directory's digest."""
        return self._t("run_state")

    @property
    def run_window(self) -> str:
        """This run's window per source table (full refresh or rows newer than ``since``), until its commit."""
        return self._t("run_window")

    @property
    def edges(self) -> str:
        """Incremental runs: every source link seen so far (loop 0 of a full rebuild), the run state."""
        return self._t("edges")

    @property
    def edges_delta(self) -> str:
        """This run's links (from its window), merged with their stored values; committed into ``edges``."""
        return self._t("edges_delta")

    @property
    def moves(self) -> str:
        """Incremental runs: canonical ids enriched rows may still carry that moved since the last commit
        (``old_id`` and an identifier of its component: the id moved to that identifier's id)."""
        return self._t("moves")

    @property
    def move_pairs(self) -> str:
        """Incremental runs: ``(old_id, new_id)`` of every id in ``moves`` that moved, as the lookup has
        it now; written by canonicalize, and again by the persistent-ids stage when it replaces ids."""
        return self._t("move_pairs")

    def master_ids(self, master: str) -> str:
        """Incremental runs: the canonical ids master table ``master`` deletes (every row) and computes
        again (``in_use``), written once by its file so its two statements read a table, not a query."""
        return self._t(f"master_ids_{master}")

    @property
    def keys(self) -> str:
        return self._t("keys")

    @property
    def source_tables(self) -> str:
        return self._t("tables")

    @property
    def source_key_stats(self) -> str:
        return self._t("source_key_stats")

    @property
    def source_key_counts(self) -> str:
        """Incremental runs: the row counts of ``source_key_stats`` per source column and hour of the
        window column, so a run counts again only the hours its window reaches."""
        return self._t("source_key_counts")

    @property
    def result_key_stats(self) -> str:
        return self._t("result_key_stats")


# --- task ids, group ids, XCom keys ---------------------------------------------------------------

LOOP_GROUP_ID = "loop"  # the loop phase's group (plan.Phase.LOOP)
LOOP_TASK_ID = "unify_loop"
RESTORE_FINAL_TASK_ID = "restore_loop_final"
DROP_LOOP_TABLES_TASK_ID = "drop_old_loop_tables"
KEEP_PREVIOUS_TASK_ID = "keep_previous_lookup"
GATE_GROUP_ID = "gate"
GATE_TASK_ID = "identity_health"
REPORT_TASK_ID = "report"
# The writer lease of the target schema (docs/concurrency.md): first and last task of every run.
LEASE_ACQUIRE_TASK_ID = "lease_acquire"
LEASE_RELEASE_TASK_ID = "lease_release"
# Persistent ids (docs/persistent-ids.md): staged right after canonicalize, committed after the last
# phase (before the report and the lease release).
PERSISTENT_IDS_GROUP_ID = "persistent_ids"
PERSISTENT_IDS_STAGE_TASK_ID = "stage"
PERSISTENT_IDS_COMMIT_TASK_ID = "persistent_ids_commit"
# Incremental runs (docs/incremental-runs.md): the window is prepared after the lease, before setup;
# the watermarks are committed after every task (like persistent ids), before the report.
INCREMENTAL_GROUP_ID = "incremental"
INCREMENTAL_PREPARE_TASK_ID = "prepare"
INCREMENTAL_COMMIT_TASK_ID = "incremental_commit"
# The file that makes a SQL directory incremental-capable (JSON; written by `generate --incremental`).
INCREMENTAL_MARKER = "incremental.json"
FULL_REFRESH_PARAM = "full_refresh"  # the trigger-form param that forces a full refresh


def task_path(*parts: str) -> str:
    """A task's full id from its group ids and task id (``task_path("gate", "identity_health")``)."""
    return ".".join(p.rstrip(".") for p in parts if p)


LOOP_TASK = task_path(LOOP_GROUP_ID, LOOP_TASK_ID)
GATE_TASK = task_path(GATE_GROUP_ID, GATE_TASK_ID)
REPORT_TASK = REPORT_TASK_ID
PERSISTENT_IDS_STAGE_TASK = task_path(PERSISTENT_IDS_GROUP_ID, PERSISTENT_IDS_STAGE_TASK_ID)
INCREMENTAL_PREPARE_TASK = task_path(INCREMENTAL_GROUP_ID, INCREMENTAL_PREPARE_TASK_ID)

RETURN_XCOM_KEY = "return_value"  # Airflow's key for what execute returns
HISTORY_XCOM_KEY = "history"  # pushed by the loop sensor after every iteration
HEALTH_XCOM_KEY = "health"  # pushed by the identity-health gate
QUERY_HISTORY_XCOM_KEY = "databricks_query_history_url"  # link to the warehouse's query history
FAILURE_XCOM_KEY = "idu_failure"  # a failed try's first error line (airflow_idu.runstatus)


# --- USE statements -------------------------------------------------------------------------------


class UseKind(StrEnum):
    CATALOG = "CATALOG"
    SCHEMA = "SCHEMA"  # USE SCHEMA, USE DATABASE and a bare USE


@dataclass(frozen=True, kw_only=True)
class UseStatement:
    """What one ``USE`` statement puts in force: a catalog, or a schema (with its catalog if qualified)."""

    kind: UseKind
    name: str
    catalog: str | None = None  # USE SCHEMA c.s names the catalog too

    def namespace(self) -> dict[str, str]:
        """The session settings it changes: ``{"CATALOG": ..., "SCHEMA": ...}``."""
        if self.kind is UseKind.CATALOG:
            return {"CATALOG": self.name}
        return {"SCHEMA": self.name} | ({"CATALOG": self.catalog} if self.catalog else {})


_IDENT = r"(`[^`]+`|[A-Za-z0-9_]+)"
_USE = re.compile(rf"\s*USE\s+(?:(CATALOG|SCHEMA|DATABASE)\s+)?{_IDENT}(?:\s*\.\s*{_IDENT})?\s*;?\s*", re.I)


def parse_use(statement: str) -> UseStatement | None:
    """The ``USE`` statement ``statement`` is (a trailing ``;`` allowed), or None for any other statement."""
    match = _USE.fullmatch(statement)
    if not match:
        return None
    word, first, second = match.groups()
    if word is None and first.upper() in ("CATALOG", "SCHEMA", "DATABASE"):
        return None  # "USE SCHEMA" without a name
    first = _unquote(first)
    if (word or "").upper() == "CATALOG":
        return None if second else UseStatement(kind=UseKind.CATALOG, name=first)
    if second:
        return UseStatement(kind=UseKind.SCHEMA, name=_unquote(second), catalog=first)
    return UseStatement(kind=UseKind.SCHEMA, name=first)


def use_statements(text: str) -> list[UseStatement]:
    """The ``USE`` statements of a SQL file written one per line (as the generator writes them)."""
    found = (parse_use(line) for line in text.splitlines() if line.rstrip().endswith(";"))
    return [use for use in found if use is not None]


def _unquote(identifier: str) -> str:
    return identifier[1:-1] if identifier.startswith("`") else identifier
