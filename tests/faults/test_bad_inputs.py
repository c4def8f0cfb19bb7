"""Bad input gives a clear error naming the problem and the fix, before any table is touched.

Each case is recorded for ``docs/reliability.md`` (input, where it is caught, the error)
before it is asserted on.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from airflow_idu import create_unification_dag
from airflow_idu.plan import PlanError
from tests.conftest import EXAMPLE_SQL
from tests.faults.harness import FaultDag, FaultRun, fault_dag_source, run, table_exists
from tests.faults.phases import error_lines
from tests.faults.reliability import Collector
from tests.sqldir import contract_dir, loop_file, make_sql_dir

pytestmark = pytest.mark.faults

Make = Callable[[Path], Path]


def _dir(files: dict[str, str | bytes]) -> Make:
    return lambda tmp: make_sql_dir(tmp / "sql", files)


def _outside_root(tmp: Path) -> Path:
    contract_dir(tmp / "elsewhere" / "sql")
    (tmp / "root").mkdir()
    return tmp / "root" / ".." / "elsewhere" / "sql"


IMPORT_CASES: list[tuple[str, Make, str]] = [
    ("missing directory", lambda tmp: tmp / "nope", "does not exist; generate it or fix the sql_dir path"),
    ("empty directory", _dir({}), "holds no .sql files; generate the workflow SQL into it"),
    ("no loop files", _dir({"01_create_graph.sql": "SELECT 1;"}), "no unify loop files"),
    (
        "loop file without a graph table",
        _dir({"04_unify_loop_iteration_01.sql": "CREATE TABLE foo AS SELECT 1;"}),
        "does not read a graph table <prefix>_graph_unify_loop_0",
    ),
    (
        "non-UTF-8 loop file",
        _dir({"04_unify_loop_iteration_01.sql": b"\xff\xfe USE CATALOG c;"}),
        "is not UTF-8 text",
    ),
    (
        "duplicate order numbers",
        _dir({"04_unify_loop_iteration_01.sql": loop_file(1), "02_a.sql": "", "02_b.sql": ""}),
        "duplicate order numbers [2]",
    ),
    (
        "file name that cannot be a task id",
        lambda tmp: contract_dir(tmp / "sql", extra={"07 x.sql": ""}),
        "cannot be a task id",
    ),
    ("sql_dir outside sql_root", _outside_root, "is outside the allowed root"),
]


@pytest.mark.parametrize(("name", "make", "message"), IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_bad_directory_is_refused_at_import(
    tmp_path: Path, name: str, make: Make, message: str, collector: Collector
) -> None:
    sql_dir = make(tmp_path)
    with pytest.raises(PlanError) as err:
        create_unification_dag("idu_bad", sql_dir, sql_root=tmp_path / "root" if "root" in name else None)
    collector.add("bad input", name, "DAG import (PlanError)", "", str(err.value))
    assert message in str(err.value)


PARAM_CASES = [
    ({"max_iterations": -1}, "max_iterations"),
    ({"max_iterations": "ten"}, "max_iterations"),
    ({"keep_iterations": 0}, "keep_iterations"),
    ({"min_coverage": 1.5}, "min_coverage"),
]


@pytest.mark.parametrize(
    ("conf", "field"), PARAM_CASES, ids=["negative", "not-a-number", "keep-zero", "coverage"]
)
def test_invalid_trigger_params_are_refused_by_the_form(conf: dict, field: str, collector: Collector) -> None:
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    dag = create_unification_dag("idu_params_check", EXAMPLE_SQL)
    params = ParamsDict(dag.params)
    with pytest.raises(ParamValidationError) as err:
        params.update(conf)  # what a trigger with this conf does before a run is created
        params.validate()
    collector.add("bad input", f"trigger param {conf}", "trigger form (Param schema)", "", str(err.value))
    assert field in str(err.value)


def _error_line(capfd: pytest.CaptureFixture[str], marker: str) -> str:
    """The AirflowFailException message containing ``marker`` from the run's console output."""
    console = "".join(capfd.readouterr())
    line = next((x for x in error_lines(console, "AirflowFailException") if marker in x), "")
    return line.split("AirflowFailException: ", 1)[-1]


def _run_edited_copy(tmp_path: Path, dag_id: str, edit: Callable[[Path], object]) -> FaultRun:
    """Run the example directory after ``edit`` changed a copy of it."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(EXAMPLE_SQL, sql_dir)
    edit(sql_dir)
    return run(FaultDag.load(dag_id, fault_dag_source(dag_id, sql_dir)).dag)


def test_non_utf8_file_fails_its_task_without_retry(
    tmp_path: Path, airflow_db: Path, fault_db: Path, collector: Collector, capfd: pytest.CaptureFixture[str]
) -> None:
    result = _run_edited_copy(
        tmp_path,
        "idu_bad_utf8",
        lambda d: (d / "31_filter_lookup.sql").write_bytes(b"USE CATALOG idu_demo;\n-- caf\xe9\nSELECT 1;"),
    )
    line = _error_line(capfd, "is not UTF-8 text")
    collector.add("bad input", "non-UTF-8 file (not read at import)", "its task, at execute time", "", line)
    assert result.state == "failed"
    assert result.task_states["metadata.31_filter_lookup"] == "failed"
    assert result.tries["metadata.31_filter_lookup"] == 1, "a file that cannot be decoded is not retried"
    assert "31_filter_lookup.sql is not UTF-8 text" in line and "re-save it as UTF-8" in line
    assert not table_exists(fault_db, "filter_lookup")


def _second_catalog(sql_dir: Path) -> None:
    # The source schema `customer_db` now also appears under a second catalog.
    extract = sql_dir / "02_extract_merge.sql"
    extract.write_text(
        extract.read_text().replace("idu_demo.customer_db.orders", "crm.customer_db.orders", 1)
    )


def test_schema_in_two_catalogs_is_refused_on_duckdb(
    tmp_path: Path, airflow_db: Path, fault_db: Path, collector: Collector, capfd: pytest.CaptureFixture[str]
) -> None:
    result = _run_edited_copy(tmp_path, "idu_two_catalogs", _second_catalog)
    line = _error_line(capfd, "is used in catalogs")
    collector.add(
        "bad input", "one schema in two catalogs (DuckDB)", "the task, before its statement runs", "", line
    )
    assert result.state == "failed" and result.tries["setup.02_extract_merge"] == 1
    assert "schema 'customer_db' is used in catalogs" in line and "run this directory on Databricks" in line
    with duckdb.connect(str(fault_db), read_only=True) as con:
        rows = con.execute("SELECT COUNT(*) FROM unified.unified_customer_id_graph_unify_loop_0").fetchone()
    assert rows == (0,), "the refused INSERT must not have run"


EMBEDDED_WITH_SCHEMA_PARAM = """
from datetime import timedelta
from airflow.sdk import DAG, Param
from airflow_idu import unification_task_group

with DAG(
    {dag_id!r},
    schedule=None,
    params={{"target_schema": Param("unified", type="string")}},
    default_args={{"retries": 2, "retry_delay": timedelta(0)}},
) as dag:
    unification_task_group({sql!r}, operator_kwargs={{"schema": "{{{{ params.target_schema }}}}"}})
"""


@pytest.mark.parametrize("value", ["bad schema", "unified`; DROP TABLE x"], ids=["space", "backtick"])
def test_identifier_from_a_trigger_param_fails_before_any_table_is_touched(
    airflow_db: Path, fault_db: Path, collector: Collector, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    source = EMBEDDED_WITH_SCHEMA_PARAM.format(dag_id="idu_schema_param", sql=str(EXAMPLE_SQL))
    dag = FaultDag.load("idu_schema_param", source).dag
    result = run(dag, conf={"target_schema": value})
    line = _error_line(capfd, "not a plain identifier")
    collector.add(
        "bad input",
        f"trigger param target_schema={value!r} (templated schema)",
        "first task, before connecting",
        "",
        line,
    )
    assert result.state == "failed"
    # The writer lease's task is the first to use the schema: it refuses it before connecting.
    assert result.task_states["idu.lease_acquire"] == "failed"
    assert result.tries["idu.lease_acquire"] == 1, "an invalid identifier is not retried"
    assert result.task_states["idu.setup.01_create_graph"] == "upstream_failed"
    assert "schema" in line and "no quotes or spaces" in line and "fix the schema argument" in line
    assert not table_exists(fault_db, "unified_customer_id_graph_unify_loop_0")


BAD_DEFAULTS = [
    ({"max_iterations": -1}, "max_iterations: -1 is less than the minimum of 1"),
    ({"keep_iterations": 0}, "keep_iterations: 0 is less than the minimum of 1"),
    ({"min_coverage": 1.5}, "min_coverage: 1.5 is greater than the maximum of 1"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    BAD_DEFAULTS,
    ids=["negative_max_iterations", "keep_zero_iterations", "coverage_above_one"],
)
def test_bad_default_of_a_trigger_param_is_refused_at_import(
    kwargs: dict, message: str, collector: Collector
) -> None:
    with pytest.raises(ValueError) as err:
        create_unification_dag("idu_bad_default", EXAMPLE_SQL, **kwargs)
    collector.add(
        "bad input",
        f"create_unification_dag({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})",
        "DAG import (ValueError)",
        "",
        str(err.value),
    )
    assert str(err.value).startswith("create_unification_dag('idu_bad_default'): ")
    assert message in str(err.value) and "fix the keyword argument" in str(err.value)
