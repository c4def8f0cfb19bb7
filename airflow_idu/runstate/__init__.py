"""Run state: what one successful run leaves for the next (persistent ids; no Airflow).

``persistent_ids`` holds the SQL (plain functions, no I/O, imported by the factory for the mode);
``steps`` runs it through an engine (the operators and the tests call it).
"""

from airflow_idu.runstate.persistent_ids import ChangeReason, PersistentIdMode

__all__ = ["ChangeReason", "PersistentIdMode"]
