"""The example workflow on a Databricks SQL warehouse.

Connection ``idu_databricks`` (type ``databricks``): host = workspace URL, ``http_path`` of the
SQL warehouse in extra, and a personal access token (password) or a service principal
(``login`` = client id, ``password`` = secret, extra ``{"service_principal_oauth": true}``).
See README "Running on Databricks". No connection is looked up when this file is parsed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum

from airflow_idu import create_unification_dag

SQL_DIR = Path(
    os.environ.get(
        "IDU_EXAMPLE_SQL_DIR", Path(__file__).parents[1] / "examples" / "customer_unification" / "sql"
    )
)

dag = create_unification_dag(
    "idu_databricks",
    SQL_DIR,
    conn_id="idu_databricks",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    max_iterations=30,
    optimize=True,  # Delta OPTIMIZE after each loop iteration, as the replaced script did
    description="Identity unification on a Databricks SQL warehouse",
)
