"""Invalid trigger params are refused, naming the param, instead of being changed.

The form's number field clamps to a top-level ``minimum``/``maximum`` (``max_iterations`` 0 became 1),
so the range is a nested schema: the form shows the value as typed and Airflow refuses the run when
it is created. Checked through the REST API the form posts to (``POST /api/v2/dags/{id}/dagRuns``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_idu import create_unification_dag
from airflow_idu.sensors.unify_loop import _positive_int
from tests.conftest import DAGS_DIR, EXAMPLE_SQL

pytestmark = pytest.mark.e2e

DAG_ID = "idu_trigger_params"


@pytest.fixture(scope="module")
def api(airflow_db: Path) -> Iterator[Any]:
    """The API server's app in-process, with the DAG file synced to the metadata DB; admin token."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    path = DAGS_DIR / f"{DAG_ID}.py"
    path.write_text(
        f"from airflow_idu import create_unification_dag\n"
        f"dag = create_unification_dag({DAG_ID!r}, {str(EXAMPLE_SQL)!r})\n",
        encoding="utf-8",
    )
    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    bag = BundleDagBag(dag_folder=str(path), bundle_path=DAGS_DIR, bundle_name="dags-folder")
    assert not bag.import_errors
    sync_bag_to_db(bag, "dags-folder", None)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
        mp.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "idu-test-" * 8)  # 72 bytes: long enough for HS512
        from airflow.api_fastapi.app import create_app
        from fastapi.testclient import TestClient

        client = TestClient(create_app(apps="core"), base_url="http://127.0.0.1")
        token = client.get("/auth/token").json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"max_iterations": 0}, "param max_iterations: 0 is less than the minimum of 1"),
        ({"max_iterations": 1001}, "param max_iterations: 1001 is greater than the maximum of 1000"),
        ({"keep_iterations": 0}, "param keep_iterations: 0 is less than the minimum of 1"),
        ({"min_coverage": 1.5}, "param min_coverage: 1.5 is greater than the maximum of 1"),
    ],
    ids=["max_iterations_zero", "max_iterations_too_big", "keep_zero", "coverage_above_one"],
)
def test_rest_api_refuses_an_invalid_param_naming_it(api: Any, conf: dict[str, Any], message: str) -> None:
    response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]


def test_rest_api_accepts_valid_params_unchanged(api: Any) -> None:
    conf = {"max_iterations": 1, "keep_iterations": None, "min_coverage": 0}
    response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})
    assert response.status_code == 200, response.text
    assert response.json()["conf"] == conf


def test_the_form_gets_no_bounds_to_clamp_to() -> None:
    params = create_unification_dag("idu_form_bounds", EXAMPLE_SQL).params
    numeric = [n for n in params if set(_types(params.get_param(n).schema)) & {"integer", "number"}]
    assert {"max_iterations", "keep_iterations", "min_coverage"} <= set(numeric)
    for name in numeric:
        schema = params.get_param(name).schema
        assert "minimum" not in schema and "maximum" not in schema, (name, schema)
        assert "minimum" in schema["allOf"][0]


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


@pytest.mark.parametrize("value", [0, "0", -2, "ten"], ids=["zero", "zero_text", "negative", "text"])
def test_the_loop_task_refuses_max_iterations_below_one_naming_it(value: object) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^max_iterations must be"):
        _positive_int(value, "max_iterations")  # type: ignore[arg-type]
