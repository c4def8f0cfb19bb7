"""SQL directory → execution plan. Plain Python: no Airflow imports, no connections."""

from airflow_idu.plan.model import (
    WRITER_LEASE_TABLE,
    LoopSpec,
    Phase,
    PhasePlan,
    Plan,
    PlanError,
    SqlFile,
    SqlSource,
    derive_iteration_sql,
    read_sql_file,
)
from airflow_idu.plan.reader import phase_for_order, read_plan
from airflow_idu.plan.statements import first_line, split_statements
from airflow_idu.plan.writes import appended_tables, created_tables

__all__ = [
    "WRITER_LEASE_TABLE",
    "LoopSpec",
    "Phase",
    "PhasePlan",
    "Plan",
    "PlanError",
    "SqlFile",
    "SqlSource",
    "appended_tables",
    "created_tables",
    "derive_iteration_sql",
    "first_line",
    "phase_for_order",
    "read_plan",
    "read_sql_file",
    "split_statements",
]
