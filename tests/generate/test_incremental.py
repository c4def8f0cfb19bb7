"""The incremental loop gives exactly the full-rewrite loop's results.

Every case runs the same source rows through two generated directories, the
incremental loop (the default) and the previous full-rewrite loop
(``LoopAlgorithm.FULL``), on DuckDB, stopping at the contract's EXCEPT-count.
The lookup (canonical ids included) and ``<p>_graph`` must be identical row for
row, and the lookup must be networkx's components (tests/ground_truth.py). The
demo-like directory run compares every output table. Timings live in bench/.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import pytest
import yaml

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS
from airflow_idu.generate.config import parse_unify_config
from airflow_idu.generate.sql import LoopAlgorithm, generate_sql_directory
from airflow_idu.plan import PlanError, derive_iteration_sql, split_statements
from bench.script_baseline import BASELINE_SQL
from tests.generate.sqlrun import (
    Record,
    demo_rows,
    duckdb_adapter,
    duckdb_connection,
    load_duckdb_sources,
    run_directory,
    run_loop,
    setup_records,
)
from tests.generate.test_loop import CONFIG as LOOP_CONFIG
from tests.ground_truth import assert_lookup_matches

# Record: c1, c2 (key a, ns 1), c3 (key b, ns 2)

CONFIG: dict[str, Any] = {**LOOP_CONFIG, "name": "incremental_test"}  # keys a (ns 1) and b (ns 2)
P = "uid"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "customer_unification"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[LoopAlgorithm, Path]:
    out = {}
    for loop in LoopAlgorithm:
        path = tmp_path_factory.mktemp(f"sql_{loop.value}")
        generate_sql_directory(
            parse_unify_config(CONFIG), catalog="cat", schema="sch", out_dir=path, loop=loop
        )
        out[loop] = path
    return out


def run(sql_dir: Path, records: list[Record], db: Path) -> tuple[int, duckdb.DuckDBPyConnection]:
    """Setup, loop until the EXCEPT-count is 0, loop_final, canonicalize; returns (iterations, con)."""
    con = duckdb.connect(str(db))
    for macro in COMPAT_MACROS:
        con.execute(macro)
    execute, scalar, loop = setup_records(con, sql_dir, records)
    k = run_loop(loop, execute, scalar, max_iterations=59)
    for statement in split_statements((sql_dir / "05_canonicalize.sql").read_text()):
        execute(statement)
    return k, con


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


# -- graph families ---------------------------------------------------------------


def _ids(n: int, order: str, rng: random.Random) -> list[str]:
    positions = list(range(n))
    if order == "descending":
        positions.reverse()
    elif order == "random":
        rng.shuffle(positions)
    return [f"x{p:05d}" for p in positions]


def chain(length: int, order: str) -> list[Record]:
    ids = _ids(length + 1, order, random.Random(length))
    return [(ids[i], ids[i + 1], None) for i in range(length)]


def chains_mixed_keys(count: int, length: int) -> list[Record]:
    """Chains alternating key types (a-b-a-b...), random ids: ns order and id order disagree."""
    rng = random.Random(count * length)
    out: list[Record] = []
    for c in range(count):
        a_ids = [f"a{c}_{rng.randrange(10**6):06d}" for _ in range(length)]
        b_ids = [f"b{c}_{rng.randrange(10**6):06d}" for _ in range(length)]
        for i in range(length):
            out.append((a_ids[i], None, b_ids[i]))
            if i + 1 < length:
                out.append((a_ids[i + 1], None, b_ids[i]))
    return out


def stars(count: int, leaves: int, centre_smallest: bool) -> list[Record]:
    out: list[Record] = []
    for s in range(count):
        centre = f"s{s:03d}_{'0' if centre_smallest else 'z'}"
        out += [(centre, f"s{s:03d}_{leaf + 1:03d}", None) for leaf in range(leaves)]
    return out


def bipartite(pieces: int, left: int, right: int) -> list[Record]:
    """Complete bipartite pieces: every a-key of one side meets every b-key of the other."""
    return [
        (f"p{p}_l{i:02d}", None, f"p{p}_r{j:02d}")
        for p in range(pieces)
        for i in range(left)
        for j in range(right)
    ]


def random_graph(nodes: int, records: int, seed: int) -> list[Record]:
    rng = random.Random(seed)

    def pick(prefix: str) -> str | None:
        return f"{prefix}{rng.randrange(nodes)}" if rng.random() < 0.75 else None

    return [(pick("a"), pick("a"), pick("b")) for _ in range(records)]


CASES: dict[str, list[Record]] = {
    "chain_ascending_300": chain(300, "ascending"),
    "chain_descending_300": chain(300, "descending"),
    "chain_random_1000": chain(1000, "random"),
    "chains_mixed_keys": chains_mixed_keys(4, 60),
    "stars_centre_smallest": stars(5, 30, True),
    "stars_centre_largest": stars(5, 30, False),
    "bipartite_pieces": bipartite(4, 6, 5),
    "random_sparse": random_graph(400, 250, 1),
    "random_medium": random_graph(300, 400, 2),
    "random_dense": random_graph(60, 500, 3),
    "singletons_and_invalid": [
        ("x1", None, None),
        (None, None, "y1"),
        (None, None, None),
        ("x2", "x2", None),
    ],
}


def nx_graph(records: list[Record]) -> nx.Graph:
    graph = nx.Graph()
    for c1, c2, c3 in records:
        nodes = [(k, v) for k, v in (("a", c1), ("a", c2), ("b", c3)) if v is not None]
        if nodes:
            graph.add_node(nodes[0])
            graph.add_edges_from((nodes[0], other) for other in nodes[1:])
    return graph


@pytest.mark.parametrize("case", list(CASES))
def test_lookup_and_graph_identical_to_the_full_loop_and_networkx(
    dirs: dict[LoopAlgorithm, Path], tmp_path: Path, case: str
) -> None:
    records = CASES[case]
    results = {}
    for loop, sql_dir in dirs.items():
        iterations, con = run(sql_dir, records, tmp_path / f"{loop.value}.duckdb")
        results[loop] = (iterations, rows(con, f"sch.{P}_lookup"), rows(con, f"sch.{P}_graph"))
        con.close()
    new_iterations, new_lookup, new_graph = results[LoopAlgorithm.INCREMENTAL]
    old_iterations, old_lookup, old_graph = results[LoopAlgorithm.FULL]
    if case.startswith("chain"):
        # the contract's bound for chains (tests/generate/test_loop.py); the full loop needs
        # about as many (9 against 10 on the random chain of 1,000)
        assert new_iterations <= math.ceil(math.log2(len(records))) + 3, (new_iterations, old_iterations)
    assert new_lookup == old_lookup
    assert new_graph == old_graph
    assert len(new_graph) == len({(r[0], r[1]) for r in new_graph}), "one row per identifier"
    assert_lookup_matches(
        tmp_path / "incremental.duckdb",
        lookup_table=f"sch.{P}_lookup",
        graph=nx_graph(records),
        merge_by_keys=["a", "b"],
    )


def test_later_iterations_touch_only_what_changed(dirs: dict[LoopAlgorithm, Path], tmp_path: Path) -> None:
    """Loop tables hold one label row per identifier plus one marker row per label that changed in
    the last round; an untouched component's rows are carried over unchanged, and what a round
    changes late in the loop is on the chain only."""
    records = chain(3000, "random") + stars(3, 4, False)
    sql_dir = dirs[LoopAlgorithm.INCREMENTAL]
    iterations, con = run(sql_dir, records, tmp_path / "inc.duckdb")
    links = con.execute(f"SELECT COUNT(*) FROM sch.{P}_graph_unify_loop_0").fetchone()
    identifiers = con.execute(f"SELECT COUNT(*) FROM sch.{P}_graph").fetchone()
    assert links is not None and identifiers is not None
    star_rows = "follower_id LIKE 's%' AND NOT (leader_ns > follower_ns OR (leader_ns = follower_ns AND leader_id > follower_id))"
    first = rows(con, f"(SELECT * FROM sch.{P}_graph_unify_loop_1 WHERE {star_rows})")
    for k in range(1, iterations + 1):
        size = con.execute(f"SELECT COUNT(*) FROM sch.{P}_graph_unify_loop_{k}").fetchone()
        assert size is not None and size[0] <= 2 * identifiers[0] <= 2 * links[0]
        assert rows(con, f"(SELECT * FROM sch.{P}_graph_unify_loop_{k} WHERE {star_rows})") == first
    assert iterations >= 3, "the chain must still be changing after the stars are done"
    # the identifiers the last round of iteration 1 changed (its marker rows) are all on the chain
    changed = con.execute(
        f"SELECT leader_id FROM sch.{P}_graph_unify_loop_1"
        " WHERE leader_ns > follower_ns OR (leader_ns = follower_ns AND leader_id > follower_id)"
    ).fetchall()
    assert changed, "iteration 1's last round changed chain labels"
    assert all(node_id.startswith("x") for (node_id,) in changed), changed[:5]


def test_demo_directory_outputs_identical(tmp_path: Path) -> None:
    """The example unify.yml on demo-like rows with a long chain: every table the directory
    writes is identical under both loops (enrichment, master, metadata and statistics too),
    and equal to what the frozen SQL users had (``bench/baseline_sql``, the script benchmark's
    input) writes, so the end-to-end benchmark compares runs with the same result."""
    config = parse_unify_config(yaml.safe_load((EXAMPLE / "unify.yml").read_text()))
    data = demo_rows(seed=11, people=80, chain=120)
    sql_dirs = {"baseline": BASELINE_SQL}
    for loop in LoopAlgorithm:
        sql_dirs[loop.value] = tmp_path / loop.value
        generate_sql_directory(
            config,
            catalog="idu_demo",
            schema="unified",
            source_catalog="idu_demo",
            source_schema="customer_db",
            out_dir=sql_dirs[loop.value],
            loop=loop,
        )
    tables: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for name, sql_dir in sql_dirs.items():
        con = duckdb_connection()
        load_duckdb_sources(con, data)
        execute, scalar = duckdb_adapter(con)
        run_directory(sql_dir, execute, scalar)
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'unified'"
                " AND table_name NOT LIKE '%_graph_unify_loop_%'"
                " AND table_name NOT LIKE '%_unify_work_%' ORDER BY 1"
            ).fetchall()
        ]
        tables[name] = {table: rows(con, f"unified.{table}") for table in names}
        con.close()
    full = tables[LoopAlgorithm.FULL.value]
    assert len(full) >= 10
    for name in ("baseline", LoopAlgorithm.INCREMENTAL.value):
        assert set(tables[name]) == set(full), name
        for table, full_rows in full.items():
            assert tables[name][table] == full_rows, (name, table)


# -- the derived-iteration rule with loop_0 ---------------------------------------


@pytest.mark.parametrize(
    ("last", "target", "text", "expected"),
    [
        (
            3,
            7,
            "p_graph_unify_loop_0 p_graph_unify_loop_2 p_graph_unify_loop_3",
            "p_graph_unify_loop_0 p_graph_unify_loop_6 p_graph_unify_loop_7",
        ),
        (
            2,
            5,
            "p_graph_unify_loop_1 p_graph_unify_loop_0 p_graph_unify_loop_2",
            "p_graph_unify_loop_4 p_graph_unify_loop_0 p_graph_unify_loop_5",
        ),
        (1, 4, "p_graph_unify_loop_0 p_graph_unify_loop_1", "p_graph_unify_loop_3 p_graph_unify_loop_4"),
    ],
    ids=["keeps_loop_0", "keeps_loop_0_after_2", "one_file_moves_loop_0_as_before"],
)
def test_derived_iterations_keep_loop_0(last: int, target: int, text: str, expected: str) -> None:
    assert derive_iteration_sql(text, prefix="p", last=last, target=target) == expected


def test_derived_iterations_still_reject_other_loop_tables() -> None:
    with pytest.raises(PlanError, match="may only reference loop tables 2 and 3"):
        derive_iteration_sql("p_graph_unify_loop_1 p_graph_unify_loop_3", prefix="p", last=3, target=4)


def test_at_least_two_iteration_files(tmp_path: Path) -> None:
    """Iteration 1 differs from the rest, so merge_iterations=1 still gets a file to derive from."""
    one = dict(CONFIG, canonical_ids=[dict(CONFIG["canonical_ids"][0], merge_iterations=1)])
    generate_sql_directory(
        parse_unify_config(one), catalog="cat", schema="sch", out_dir=tmp_path, loop=LoopAlgorithm.INCREMENTAL
    )
    assert sorted(p.name for p in tmp_path.glob("04_*.sql")) == [
        "04_unify_loop_iteration_01.sql",
        "04_unify_loop_iteration_02.sql",
    ]
