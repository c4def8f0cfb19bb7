"""The two steps of persistent ids, through an engine: stage (after canonicalize), commit (last).

No Airflow: the operators, the tests and a foreign executor call the same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from airflow_idu.engines.base import Engine, StatementError
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstate import persistent_ids as sql
from airflow_idu.runstate.incremental import move_pairs_sql
from airflow_idu.runstate.persistent_ids import ChangeReason, PersistentIdMode

__all__ = ["IdChanges", "StagingMismatchError", "commit_persistent_ids", "stage_persistent_ids"]

log = logging.getLogger(__name__)


class StagingMismatchError(RuntimeError):
    """The staging table does not hold this run's ids (another run staged it, or nothing did)."""


@dataclass(frozen=True, kw_only=True)
class IdChanges:
    """How many identifiers of one run got a new persistent id, per reason."""

    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    restaged: bool = False  # the run had committed already: staging was rebuilt from the state

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        reasons = {reason.value: self.counts.get(reason.value, 0) for reason in ChangeReason}
        return {"run_id": self.run_id, "changes": reasons, "total": self.total, "restaged": self.restaged}


def _counts(engine: Engine, tables: TableNames, run_id: str, *, staged: bool) -> dict[str, int]:
    rows = engine.query(sql.change_counts_sql(tables, run_id, staged=staged), label="persistent ids: count")
    return {str(reason): int(count) for reason, count in rows}


def _lookup_has_column(engine: Engine, tables: TableNames) -> bool:
    """Whether an earlier try of this run already added ``persistent_id`` to the lookup."""
    probe = f"SELECT {sql.PERSISTENT_ID_COLUMN} FROM {tables.lookup} LIMIT 0"
    try:
        engine.query(probe, label="persistent ids: probe lookup")
    except StatementError:
        return False
    return True


def _default_ids(engine: Engine, tables: TableNames) -> str:
    """The lookup's rows with their graph leader's canonical id (an incremental directory's lookup
    in ``replace`` mode mixes persistent ids and canonical ids until this stage rewrites it)."""
    key_count = engine.scalar(
        f"SELECT MAX(leader_ns) FROM {tables.graph()}", label="persistent ids: key types"
    )
    return sql.default_ids_sql(tables, int(key_count or 1))


def stage_persistent_ids(
    engine: Engine, tables: TableNames, *, run_id: str, mode: PersistentIdMode, incremental: bool = False
) -> IdChanges:
    """Compute this run's ids into ``<p>_id_map_staging`` and put them in the lookup (``mode``).

    Leaves ``<p>_id_map`` and ``<p>_id_changes`` as they are. When this run committed already (the
    run was cleared after its commit), staging is rebuilt from the committed state instead.
    ``incremental``: the directory is incremental-capable (its lookup is updated in place).
    """
    if mode is PersistentIdMode.OFF:
        raise ValueError("persistent ids are off: nothing to stage")
    engine.run_script(sql.ddl_sql(tables), label="persistent ids: state tables")
    restaged = bool(engine.scalar(sql.committed_rows_sql(tables, run_id), label="persistent ids: committed?"))
    if restaged:
        log.info("Run %s committed its persistent ids already: staging them again from the state", run_id)
        base = engine.scalar(sql.committed_base_sql(tables), label="persistent ids: committed base")
        engine.run_script(sql.restage_committed_sql(tables, run_id, base), label="persistent ids: restage")
    else:
        base = engine.scalar(sql.base_run_sql(tables), label="persistent ids: base")
        lookup = _default_ids(engine, tables) if incremental and mode is PersistentIdMode.REPLACE else None
        engine.run_script(sql.stage_sql(tables, run_id, base, lookup=lookup), label="persistent ids: stage")
    apply = sql.apply_to_lookup_sql(tables, mode, has_column=_lookup_has_column(engine, tables))
    engine.run_script(apply, label="persistent ids: lookup")
    if incremental and mode is PersistentIdMode.REPLACE:
        # the enrich files re-label rows by these pairs: they must name the ids the lookup now has
        engine.run_script(move_pairs_sql(tables), label="persistent ids: moved ids")
    changes = IdChanges(run_id=run_id, counts=_counts(engine, tables, run_id, staged=True), restaged=restaged)
    log.info("Persistent ids staged for run %s: %s", run_id, changes.to_dict()["changes"])
    return changes


def commit_persistent_ids(engine: Engine, tables: TableNames, *, run_id: str) -> IdChanges:
    """Staging -> ``<p>_id_map`` and ``<p>_id_changes``; idempotent (a retry gives the same state)."""
    engine.run_script(sql.ddl_sql(tables), label="persistent ids: state tables")
    staged = {
        str(row[0]) for row in engine.query(sql.staged_runs_sql(tables), label="persistent ids: staged")
    }
    if staged - {run_id}:
        raise StagingMismatchError(
            f"{tables.id_map_staging} holds runs {sorted(staged)}, not {run_id!r}: run (or clear) "
            "the stage task of this run first; the state is left as it was"
        )
    base = engine.scalar(sql.staged_base_sql(tables, run_id), label="persistent ids: staged base")
    engine.run_script(sql.commit_sql(tables, run_id, base), label="persistent ids: commit")
    changes = IdChanges(run_id=run_id, counts=_counts(engine, tables, run_id, staged=False))
    log.info("Persistent ids committed for run %s: %s", run_id, changes.to_dict()["changes"])
    return changes
