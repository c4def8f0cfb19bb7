"""Persistent ids over daily deliveries, checked against networkx components of consecutive days."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_idu.runstate import PersistentIdMode
from airflow_idu.runstate.steps import commit_persistent_ids, stage_persistent_ids
from tests.runstate.checks import History, check_components, check_transition
from tests.runstate.conftest import TABLES, read_day, unify
from tests.runstate.days import build_daily_case


def run_days(
    database: Path, open_engine, *, people: int, days: int, published_style: Path | None = None
) -> History:
    """``published_style``: where to write a directory in the published generator's style for the
    example ``unify.yml`` and run it instead of ours (a full refresh each day, as such directories do)."""
    case = build_daily_case(database, people=people, seed=5, days=days)
    sql_dir = None
    if published_style is not None:
        case.deliver(1)
        sql_dir = _published_style_directory(database, published_style)
    history, before = History(), None
    for day in range(1, days + 1):
        graph = unify(case, day, sql_dir)
        run_id = f"scheduled__day{day:02d}"
        engine = open_engine(database)
        try:
            stage_persistent_ids(engine, TABLES, run_id=run_id, mode=PersistentIdMode.BESIDE)
            commit_persistent_ids(engine, TABLES, run_id=run_id)
        finally:
            engine.close()
        after = read_day(database, graph, run_id)
        check_components(after)
        if before is None:
            assert {reason for _, _, reason in after.changes.values()} == {"new"}
            assert len(after.changes) == graph.number_of_nodes()
            history.given |= set(after.ids.values())
        else:
            check_transition(before, after, history)
        before = after
    return history


def _published_style_directory(database: Path, out: Path) -> Path:
    import yaml

    from bench.published_style import column_types
    from tests.conftest import EXAMPLE_YML
    from tests.fidelity.directories.unify import spec_from_unify
    from tests.fidelity.directories.writer import write_directory

    spec = spec_from_unify(
        yaml.safe_load(EXAMPLE_YML.read_text()),
        column_types(database),
        catalog="idu_demo",
        schema="unified",
        source_schema="customer_db",
    )
    write_directory(spec, out)
    return out


def test_ids_survive_ten_daily_deliveries(tmp_path: Path, open_engine) -> None:
    history = run_days(tmp_path / "days.duckdb", open_engine, people=60, days=10)
    # the planted events happened: a merge (bridge), a split (bridge deleted), new and removed identifiers
    assert {"new", "merged", "split", "removed"} <= set(history.reasons), history.reasons


def test_ids_survive_ten_daily_full_refreshes_of_a_published_style_directory(
    tmp_path: Path, open_engine
) -> None:
    """The published generator's directories never run incrementally; persistent ids still hold."""
    history = run_days(
        tmp_path / "days.duckdb", open_engine, people=60, days=10, published_style=tmp_path / "published"
    )
    assert {"new", "merged", "split", "removed"} <= set(history.reasons), history.reasons


@pytest.mark.beyond_test
def test_ids_survive_ten_daily_deliveries_of_50000_people(tmp_path: Path, open_engine) -> None:
    history = run_days(tmp_path / "days.duckdb", open_engine, people=50_000, days=10)
    assert {"new", "merged", "split", "removed"} <= set(history.reasons), history.reasons
