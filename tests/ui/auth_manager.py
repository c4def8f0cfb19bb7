"""Test auth manager: Airflow's SimpleAuthManager plus a per-user list of DAGs the user may not see.

SimpleAuthManager grants by role only (every viewer reads every DAG), so a "user without read
access to one DAG" needs this one rule on top; everything else (tokens, roles, login) is the stock
manager. Configured by ``IDU_TEST_DENIED_DAGS="user:dag_a|dag_b,other:dag_c"``.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager


def denied_dags(username: str) -> set[str]:
    rules = (r.split(":", 1) for r in os.environ.get("IDU_TEST_DENIED_DAGS", "").split(",") if ":" in r)
    return {dag for user, dags in rules if user == username for dag in dags.split("|") if dag}


class DagScopedSimpleAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        if details is not None and details.id and details.id in denied_dags(user.username):
            return False
        return super().is_authorized_dag(
            method=method, user=user, access_entity=access_entity, details=details
        )
