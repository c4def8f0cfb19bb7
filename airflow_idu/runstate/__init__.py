"""Run state: what one successful run leaves for the next (persistent ids; no Airflow)."""

from airflow_idu.runstate.persistent_ids import ChangeReason, PersistentIdMode
from airflow_idu.runstate.steps import IdChanges, commit_persistent_ids, stage_persistent_ids

__all__ = ["ChangeReason", "IdChanges", "PersistentIdMode", "commit_persistent_ids", "stage_persistent_ids"]
