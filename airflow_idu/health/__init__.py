"""Identity health: SQL that measures the graph a run wrote, through an engine. No Airflow imports.

* :mod:`~airflow_idu.health.tables` — the table names health reads and writes;
* :mod:`~airflow_idu.health.measure` — cluster sizes, largest clusters, shared values;
* :mod:`~airflow_idu.health.churn` — the previous lookup, churn against it, ``<p>_id_history``;
* :mod:`~airflow_idu.health.gates` — limits and their verdicts;
* :mod:`~airflow_idu.health.explain` — why two identifiers share a canonical id.
"""

from airflow_idu.health.gates import GateLimits, GateResult, evaluate_gates, failure_message
from airflow_idu.health.tables import HealthTables

__all__ = ["GateLimits", "GateResult", "HealthTables", "evaluate_gates", "failure_message"]
