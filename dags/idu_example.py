"""The example identity-unification workflow on the embedded default (DuckDB file).

Connection ``idu_default`` (type ``duckdb``, host = database file), e.g.::

    AIRFLOW_CONN_IDU_DEFAULT='{"conn_type": "duckdb", "host": "/data/idu_demo.duckdb"}'

Point the same connection at Databricks (type ``databricks``) and this DAG runs there unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow_idu import create_unification_dag

SQL_DIR = Path(
    os.environ.get(
        "IDU_EXAMPLE_SQL_DIR", Path(__file__).parents[1] / "examples" / "customer_unification" / "sql"
    )
)

dag = create_unification_dag(
    "idu_example",
    SQL_DIR,
    conn_id="idu_default",
    schedule="@daily",
    description="Example identity unification (unify.yml → SQL → Airflow) on the embedded DuckDB default",
)
