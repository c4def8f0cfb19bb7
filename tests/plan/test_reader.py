import json
from pathlib import Path

import pytest

from airflow_idu.plan import Phase, PlanError, SqlSource, derive_iteration_sql, phase_for_order, read_plan
from tests.sqldir import contract_dir, loop_file, make_sql_dir


@pytest.mark.parametrize(
    ("order", "phase"),
    [
        (1, Phase.SETUP),
        (3, Phase.SETUP),
        (4, Phase.LOOP),
        (5, Phase.CANONICALIZE),
        (6, Phase.STATS),
        (9, Phase.STATS),
        (10, Phase.ENRICHMENT),
        (19, Phase.ENRICHMENT),
        (20, Phase.MASTER),
        (30, Phase.METADATA),
        (39, Phase.METADATA),
        (40, Phase.OTHER),
        (None, Phase.OTHER),
    ],
    ids=lambda v: str(v),
)
def test_phase_for_order(order: int | None, phase: Phase) -> None:
    assert phase_for_order(order) is phase


def test_plan_orders_phases_and_files(tmp_path: Path) -> None:
    plan = read_plan(contract_dir(tmp_path / "sql"))
    assert [p.name for p in plan.phases] == [
        "setup",
        "loop",
        "canonicalize",
        "stats",
        "enrichment",
        "master",
        "metadata",
        "other",
    ]
    assert [f.task_id for f in plan.phase(Phase.SETUP).files] == [
        "01_create_graph",
        "02_extract_merge",
        "03_source_key_stats",
    ]
    assert [f.task_id for f in plan.phase(Phase.ENRICHMENT).files] == ["10_enrich_a", "10_enrich_b"]
    assert plan.files[-1].task_id == "custom_report"
    assert (plan.canonical_id, plan.catalog, plan.schema) == ("uid", "cat", "sch")
    assert [p.name for p in plan.loop.files] == [
        "04_unify_loop_iteration_01.sql",
        "04_unify_loop_iteration_02.sql",
    ]


def test_plan_json_shape(tmp_path: Path) -> None:
    data = read_plan(contract_dir(tmp_path / "sql", iterations=1)).to_dict()
    assert set(data) == {"canonical_id", "catalog", "schema", "phases"}
    assert data["phases"][1] == {"name": "loop", "files": ["04_unify_loop_iteration_01.sql"]}
    json.dumps(data)


def test_names_inferred_from_qualified_table_without_use(tmp_path: Path) -> None:
    sql = "CREATE TABLE c2.s2.cust_id_graph_unify_loop_1 AS SELECT * FROM c2.s2.cust_id_graph_unify_loop_0;"
    plan = read_plan(make_sql_dir(tmp_path, {"04_unify_loop_iteration_01.sql": sql}))
    assert (plan.canonical_id, plan.catalog, plan.schema) == ("cust_id", "c2", "s2")


BAD_DIRS = [
    ("missing", None, "does not exist"),
    ("empty", {}, "holds no .sql files"),
    ("no_loop_files", {"01_create_graph.sql": "SELECT 1;"}, "no unify loop files"),
    (
        "no_graph_table",
        {"04_unify_loop_iteration_01.sql": "CREATE TABLE foo AS SELECT 1;"},
        "does not read a graph table",
    ),
    (
        "loop_gap",
        {"04_unify_loop_iteration_01.sql": loop_file(1), "04_unify_loop_iteration_03.sql": loop_file(3)},
        "without gaps",
    ),
    (
        "duplicate_iteration",
        {"04_unify_loop_iteration_01.sql": loop_file(1), "04_loop_1.sql": loop_file(1)},
        "both claim iteration 1",
    ),
    (
        "duplicate_sequential_order",
        {"04_unify_loop_iteration_01.sql": loop_file(1), "01_a.sql": "", "01_b.sql": ""},
        "duplicate order numbers [1]",
    ),
    (
        "bad_task_id",
        {"04_unify_loop_iteration_01.sql": loop_file(1), "01 create graph.sql": ""},
        "cannot be a task id",
    ),
    (
        "non_utf8_loop_file",
        {"04_unify_loop_iteration_01.sql": b"\xff\xfe USE CATALOG c;"},
        "is not UTF-8",
    ),
]


@pytest.mark.parametrize(("files", "message"), [c[1:] for c in BAD_DIRS], ids=[c[0] for c in BAD_DIRS])
def test_bad_directories_name_the_problem(tmp_path: Path, files: dict | None, message: str) -> None:
    root = tmp_path / "sql"
    if files is not None:
        make_sql_dir(root, files)
    with pytest.raises(PlanError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_plan(root)


def test_iteration_sql_from_file_then_derived(tmp_path: Path) -> None:
    plan = read_plan(contract_dir(tmp_path / "sql", iterations=2))
    sql2, source2 = plan.loop.sql_for_iteration(2)
    assert source2 is SqlSource.FILE and sql2 == loop_file(2)
    sql7, source7 = plan.loop.sql_for_iteration(7)
    assert source7 is SqlSource.DERIVED
    assert sql7 == loop_file(7)
    # Labels name the file a statement came from (in logs and error messages).
    name = plan.loop.files[1].name
    assert plan.loop.label(2) == f"{name} (iteration 2)"
    assert plan.loop.label(7) == f"iteration 7, derived from {name}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "FROM p_graph_unify_loop_2 INTO p_graph_unify_loop_3",
            "FROM p_graph_unify_loop_9 INTO p_graph_unify_loop_10",
        ),
        (
            "c.s.p_graph_unify_loop_3, `p_graph_unify_loop_2`",
            "c.s.p_graph_unify_loop_10, `p_graph_unify_loop_9`",
        ),
        ("xp_graph_unify_loop_3 p_graph_unify_loop_final", "xp_graph_unify_loop_3 p_graph_unify_loop_final"),
    ],
    ids=["moves_both_numbers", "qualified_and_quoted", "leaves_other_names"],
)
def test_derive_iteration_sql(text: str, expected: str) -> None:
    assert derive_iteration_sql(text, prefix="p", last=3, target=10) == expected


def test_derive_rejects_foreign_loop_numbers() -> None:
    with pytest.raises(PlanError, match="may only reference loop tables 2 and 3"):
        derive_iteration_sql("p_graph_unify_loop_1", prefix="p", last=3, target=4)


def test_convergence_and_final_sql(tmp_path: Path) -> None:
    loop = read_plan(contract_dir(tmp_path / "sql")).loop
    assert loop.convergence_sql(4) == (
        "SELECT COUNT(*) AS updated_count FROM (SELECT leader_ns, leader_id, follower_ns, follower_id "
        "FROM cat.sch.uid_graph_unify_loop_4 EXCEPT SELECT leader_ns, leader_id, follower_ns, follower_id "
        "FROM cat.sch.uid_graph_unify_loop_3) AS diff"
    )
    assert loop.final_sql(4) == (
        "CREATE OR REPLACE TABLE cat.sch.uid_graph_unify_loop_final AS SELECT * FROM cat.sch.uid_graph_unify_loop_4"
    )
