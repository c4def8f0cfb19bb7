"""``airflow-idu generate --incremental`` and the ``incremental:`` section of unify.yml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_idu.cli import main
from airflow_idu.generate.config import UnifyConfigError, parse_unify_config
from airflow_idu.generate.sql import render_sql_files
from airflow_idu.plan import read_plan
from airflow_idu.plan.contract import INCREMENTAL_MARKER
from airflow_idu.plan.incremental import directory_digest
from airflow_idu.plan.model import PlanError
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML

DAY = 86_400


def _doc(incremental: Any = None, **table_0: Any) -> dict[str, Any]:
    doc = yaml.safe_load(EXAMPLE_YML.read_text(encoding="utf-8"))
    if incremental is not None:
        doc["incremental"] = incremental
    doc["tables"][0].update(table_0)
    return doc


def _files(doc: dict[str, Any], *, flag: bool = False) -> dict[str, str]:
    return render_sql_files(parse_unify_config(doc), catalog="c", schema="s", incremental=flag)


@pytest.mark.parametrize(
    ("doc", "flag", "lookback", "time_columns"),
    [
        (_doc(), True, 2 * DAY, ["time"] * 4),
        (_doc({"lookback_days": 4}), False, 4 * DAY, ["time"] * 4),
        (_doc({"time_column": "ingested_at"}), False, 2 * DAY, ["ingested_at"] * 4),
        (_doc({}, time_column="updated_at"), False, 2 * DAY, ["updated_at", "time", "time", "time"]),
        (_doc(True), False, 2 * DAY, ["time"] * 4),
        (_doc({"lookback_days": 0}), True, 0, ["time"] * 4),
    ],
    ids=["flag", "lookback_days", "time_column", "per_table_time_column", "true", "no_lookback"],
)
def test_the_marker_names_every_source_and_its_window(doc, flag, lookback, time_columns) -> None:
    files = _files(doc, flag=flag)
    marker = json.loads(files[INCREMENTAL_MARKER])
    assert marker["lookback_seconds"] == lookback
    assert [s["time_column"] for s in marker["sources"]] == time_columns
    assert [s["source_table_id"] for s in marker["sources"]] == [1, 2, 3, 4]
    assert marker["sources"][0]["table"] == "c.customer_db.customer_profiles"
    # the window column filters; `time` still dates the links, as in a full rebuild
    extract = files["02_extract_merge.sql"]
    assert f"CAST(s.`{time_columns[0]}` AS BIGINT) > w.bound" in extract
    assert "CAST(`time` AS BIGINT) AS seen_at" in extract


@pytest.mark.parametrize(
    ("name", "differs"),
    [
        ("01_create_graph.sql", False),
        ("02_extract_merge.sql", True),
        ("03_source_key_stats.sql", True),
        ("04_unify_loop_iteration_01.sql", False),
        ("05_canonicalize.sql", True),
        ("06_result_key_stats.sql", True),
        ("10_enrich_orders.sql", True),
        ("20_master_customer_master.sql", True),
        ("30_unification_metadata.sql", False),
    ],
    ids=lambda v: str(v),
)
def test_only_extract_canonicalize_enrich_and_master_differ(name: str, differs: bool) -> None:
    default, incremental = _files(_doc()), _files(_doc(), flag=True)
    assert (default[name] != incremental[name]) is differs
    assert INCREMENTAL_MARKER not in default


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            _doc({"lookback_day": 2}),
            "incremental.lookback_day: unknown field; allowed fields are time_column",
        ),
        (_doc({"lookback_days": -1}), "incremental.lookback_days: -1 is out of range; use an integer from 0"),
        (_doc({"lookback_days": "2d"}), "incremental.lookback_days: expected an integer"),
        (_doc({"time_column": "event time"}), "incremental.time_column: 'event time' is not a plain SQL"),
        (_doc(["time"]), "incremental: expected a mapping"),
        (_doc(time_column="ts"), "tables[0].time_column: only incremental runs read it; add `incremental:"),
        (_doc({}, time_column="1ts"), "tables[0].time_column: '1ts' is not a plain SQL identifier"),
    ],
    ids=[
        "unknown_field",
        "negative",
        "not_int",
        "bad_column",
        "not_mapping",
        "column_without_section",
        "bad_table_column",
    ],
)
def test_bad_config_names_the_field_and_the_fix(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(UnifyConfigError) as err:
        parse_unify_config(doc)
    assert str(err.value).startswith(message), str(err.value)


def test_cli_writes_a_directory_the_plan_reader_knows_is_incremental(tmp_path: Path) -> None:
    out = tmp_path / "sql"
    args = ["generate", str(EXAMPLE_YML), "--catalog", "idu_demo", "--schema", "unified", "-o", str(out)]
    assert main([*args, "--incremental"]) == 0
    plan = read_plan(out)
    assert plan.incremental is not None and len(plan.incremental.sources) == 4
    assert read_plan(EXAMPLE_SQL).incremental is None
    digest = directory_digest(out)
    assert main(args) == 0  # regenerated without: the marker goes, the directory runs in full again
    assert not (out / INCREMENTAL_MARKER).exists() and read_plan(out).incremental is None
    assert directory_digest(out) != digest


def test_a_broken_marker_fails_the_plan_with_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "sql"
    assert (
        main(
            ["generate", str(EXAMPLE_YML), "--catalog", "c", "--schema", "s", "-o", str(out), "--incremental"]
        )
        == 0
    )
    (out / INCREMENTAL_MARKER).write_text('{"version": 1, "sources": []}')
    with pytest.raises(PlanError, match=r"not a valid incremental marker .* regenerate the directory with"):
        read_plan(out)
