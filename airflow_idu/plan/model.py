"""Plain data describing an execution plan. No Airflow, no I/O beyond reading loop files."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from re import Match
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_idu.plan.incremental import IncrementalSpec

from airflow_idu.plan.contract import (
    LOOP_GROUP_ID,
    LOOP_WORK_TABLES,
    WRITER_LEASE_TABLE,
    TableNames,
    loop_table_pattern,
)

__all__ = [
    "LOOP_WORK_TABLES",
    "WRITER_LEASE_TABLE",
    "LoopSpec",
    "Phase",
    "PhasePlan",
    "Plan",
    "PlanError",
    "SqlFile",
    "SqlSource",
    "loop_work_table",
    "read_sql_file",
]


def loop_work_table(prefix: str, name: str) -> str:
    """The (unqualified) name of one of an incremental loop's work tables."""
    return TableNames(prefix=prefix).work(name)


class PlanError(ValueError):
    """A SQL directory does not follow the contract. The message names the problem and the fix."""


def read_sql_file(path: Path) -> str:
    """The text of a SQL file, or a :class:`PlanError` saying why it cannot be read and what to do."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise PlanError(f"{path} is not UTF-8 text ({err}); re-save it as UTF-8") from err
    except OSError as err:
        raise PlanError(f"cannot read {path}: {err.strerror}; check it exists and is readable") from err


class Phase(StrEnum):
    """Workflow phases, in execution order. The values are the public task-group ids."""

    SETUP = "setup"
    LOOP = LOOP_GROUP_ID
    CANONICALIZE = "canonicalize"
    STATS = "stats"
    ENRICHMENT = "enrichment"
    MASTER = "master"
    METADATA = "metadata"
    OTHER = "other"

    @property
    def parallel(self) -> bool:
        """Files of these phases write disjoint tables and read only earlier phases' output."""
        return self in (Phase.ENRICHMENT, Phase.MASTER, Phase.METADATA)


class SqlSource(StrEnum):
    """Where the SQL of one loop iteration came from."""

    FILE = "file"
    DERIVED = "derived"


@dataclass(frozen=True, kw_only=True)
class SqlFile:
    path: Path
    order: int | None  # the NN prefix; None for files without one (they run last)
    phase: Phase

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def task_id(self) -> str:
        """The file stem is the task id: stable, predictable, readable in the UI."""
        return self.path.stem


@dataclass(frozen=True, kw_only=True)
class PhasePlan:
    phase: Phase
    files: tuple[SqlFile, ...]

    @property
    def name(self) -> str:
        return self.phase.value


@dataclass(frozen=True, kw_only=True)
class LoopSpec:
    """Everything the unify loop needs; all table names are fully qualified."""

    prefix: str
    catalog: str | None
    schema: str | None
    files: tuple[Path, ...]  # iteration 1..N, in order

    @cached_property
    def names(self) -> TableNames:
        return TableNames(prefix=self.prefix, catalog=self.catalog, schema=self.schema)

    def qualify(self, table: str) -> str:
        return self.names.qualify(table)

    def table(self, iteration: int | str) -> str:
        return self.names.loop(iteration)

    @property
    def final_table(self) -> str:
        return self.names.loop_final

    @property
    def work_tables(self) -> tuple[str, ...]:
        return self.names.work_tables

    def sql_for_iteration(self, iteration: int) -> tuple[str, SqlSource]:
        """The SQL of iteration K: its file, or the last file with its loop numbers moved on."""
        if iteration < 1:
            raise ValueError(f"iteration must be >= 1, got {iteration}")
        if iteration <= len(self.files):
            return read_sql_file(self.files[iteration - 1]), SqlSource.FILE
        last = len(self.files)
        text = read_sql_file(self.files[-1])
        return derive_iteration_sql(text, prefix=self.prefix, last=last, target=iteration), SqlSource.DERIVED

    def label(self, iteration: int) -> str:
        """Names the file a statement of iteration K came from, for logs and error messages."""
        if iteration <= len(self.files):
            return f"{self.files[iteration - 1].name} (iteration {iteration})"
        return f"iteration {iteration}, derived from {self.files[-1].name}"

    def convergence_sql(self, iteration: int) -> str:
        """Rows of iteration K that were not in K-1; 0 means the graph reached its fixed point."""
        cols = "leader_ns, leader_id, follower_ns, follower_id"
        return (
            f"SELECT COUNT(*) AS updated_count FROM ("
            f"SELECT {cols} FROM {self.table(iteration)} "
            f"EXCEPT SELECT {cols} FROM {self.table(iteration - 1)}) AS diff"
        )

    def final_sql(self, iteration: int) -> str:
        return f"CREATE OR REPLACE TABLE {self.final_table} AS SELECT * FROM {self.table(iteration)}"

    def restore_final_sql(self, iteration: int) -> str:
        """``loop_final`` again, if canonicalize renamed it away; a no-op while it exists."""
        return f"CREATE TABLE IF NOT EXISTS {self.final_table} AS SELECT * FROM {self.table(iteration)}"


def derive_iteration_sql(text: str, *, prefix: str, last: int, target: int) -> str:
    """Rewrite the last iteration file (reads ``last-1``, writes ``last``) into iteration ``target``.

    ``loop_0`` (the extracted graph, which no iteration rewrites) may be read as well and
    stays ``loop_0``, unless it is ``last-1`` itself (a directory with one iteration file)."""
    pattern = loop_table_pattern(prefix)
    bare = TableNames(prefix=prefix)
    mapping = {0: 0, last: target, last - 1: target - 1}

    def move(match: Match[str]) -> str:
        number = int(match.group(1))
        if number not in mapping:
            raise PlanError(
                f"the last iteration file references {match.group(0)}, but may only reference "
                f"loop tables {last - 1} and {last} (and 0); fix the file so iterations can be derived from it"
            )
        return bare.loop(mapping[number])

    return pattern.sub(move, text)


@dataclass(frozen=True, kw_only=True)
class Plan:
    sql_dir: Path
    canonical_id: str
    catalog: str | None
    schema: str | None
    phases: tuple[PhasePlan, ...]
    loop: LoopSpec
    # The directory's incremental marker; None: every run is a full refresh.
    incremental: IncrementalSpec | None = None

    @property
    def files(self) -> tuple[SqlFile, ...]:
        return tuple(f for p in self.phases for f in p.files)

    def phase(self, phase: Phase) -> PhasePlan | None:
        return next((p for p in self.phases if p.phase is phase), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "canonical_id": self.canonical_id,
            "catalog": self.catalog,
            "schema": self.schema,
            "phases": [{"name": p.name, "files": [f.path.name for f in p.files]} for p in self.phases],
        }
