"""The generated unify loop, run on DuckDB, converges to the right answer and fast enough.

The default loop (incremental) runs every case; the full-rewrite loop (``--loop full``) the chains
and the derived-iteration rule too.

The contract's stop rule is "no row of K that was not in K-1". These tests stop
at exactly that point and then demand the full answer: every identifier has
exactly one leader, the smallest (ns, id) of its connected component, and its
first/last-seen totals. Chains must stop within ceil(log2 L) + 3 iterations.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.generate.config import parse_unify_config
from airflow_idu.generate.sql import LoopAlgorithm, generate_sql_directory
from airflow_idu.plan import derive_iteration_sql
from tests.generate import sqlrun
from tests.generate.sqlrun import Record, duckdb_connection, setup_records

Node = tuple[int, str]  # (ns, id)
# Record: columns c1, c2 (key a, ns 1) and c3 (key b, ns 2)

CONFIG = {
    "name": "loop_test",
    "keys": [{"name": "a"}, {"name": "b"}],
    "tables": [
        {
            "database": "src",
            "table": "recs",
            "key_columns": [
                {"column": "c1", "key": "a"},
                {"column": "c2", "key": "a"},
                {"column": "c3", "key": "b"},
            ],
        }
    ],
    "canonical_ids": [{"name": "uid", "merge_by_keys": ["a", "b"], "merge_iterations": 2}],
}


LOOPS = ("default", "full")  # what generate writes without --loop (incremental), and --loop full


def generate(config: dict[str, Any], out: Path, loop: str) -> None:
    kwargs = {"loop": LoopAlgorithm.FULL} if loop == "full" else {}
    generate_sql_directory(parse_unify_config(config), catalog="cat", schema="sch", out_dir=out, **kwargs)


@pytest.fixture(scope="module")
def sql_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for loop in LOOPS:
        out[loop] = tmp_path_factory.mktemp(f"loop_sql_{loop}")
        generate(CONFIG, out[loop], loop)
    return out


@pytest.fixture(scope="module")
def sql_dir(sql_dirs: dict[str, Path]) -> Path:
    return sql_dirs["default"]


def run_loop(sql_dir: Path, records: list[Record]) -> tuple[int, list[tuple[Any, ...]]]:
    """Run 01/02 on ``records`` and iterate until the EXCEPT-count is 0; the stopping table."""
    con = duckdb_connection()
    execute, scalar, loop = setup_records(con, sql_dir, records)
    k = sqlrun.run_loop(loop, execute, scalar, max_iterations=39)
    rows = con.execute(
        "SELECT follower_ns, follower_id, leader_ns, leader_id, follower_first_seen_at,"
        " follower_last_seen_at, follower_source_table_ids FROM sch.uid_graph_unify_loop_final"
    ).fetchall()
    return k, rows


def expected_graph(records: list[Record]) -> dict[Node, tuple[Node, int, int]]:
    """follower -> (smallest node of its component, first seen, last seen), by union-find."""
    parent: dict[Node, Node] = {}

    def find(n: Node) -> Node:
        parent.setdefault(n, n)
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    seen: dict[Node, list[int]] = defaultdict(list)
    for i, (c1, c2, c3) in enumerate(records):
        nodes = [(ns, v) for ns, v in ((1, c1), (1, c2), (2, c3)) if v is not None]
        for n in nodes:
            seen[n].append(100 + i)
            a, b = find(nodes[0]), find(n)
            if a != b:
                parent[max(a, b)] = min(a, b)  # tuple order = (ns, id): the contract's leader order
    return {n: (find(n), min(t), max(t)) for n, t in seen.items()}


def assert_converged_correctly(rows: list[tuple[Any, ...]], records: list[Record]) -> None:
    expected = expected_graph(records)
    leaders: dict[Node, list[Node]] = defaultdict(list)
    for f_ns, f_id, l_ns, l_id, first, last, tables in rows:
        leaders[(f_ns, f_id)].append((l_ns, l_id))
        assert (first, last, list(tables)) == (expected[(f_ns, f_id)][1], expected[(f_ns, f_id)][2], [1])
    assert set(leaders) == set(expected)
    wrong = {f: ls for f, ls in leaders.items() if ls != [expected[f][0]]}
    assert not wrong, (
        f"followers without exactly their component minimum as leader: {list(wrong.items())[:5]}"
    )


def random_records(rng: random.Random) -> list[Record]:
    pool_a = [f"a{rng.randint(0, 60)}" for _ in range(rng.randint(1, 25))]
    pool_b = [f"b{rng.randint(0, 60)}" for _ in range(rng.randint(1, 25))]

    def pick(pool: list[str]) -> str | None:
        return rng.choice(pool) if rng.random() < 0.7 else None

    return [(pick(pool_a), pick(pool_a), pick(pool_b)) for _ in range(rng.randint(1, 40))]


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_converge_to_components(sql_dir: Path, seed: int) -> None:
    records = random_records(random.Random(seed))
    _, rows = run_loop(sql_dir, records)
    assert_converged_correctly(rows, records)


def chain(length: int, order: str, leader_first: bool) -> list[Record]:
    """``length`` links x0-x1-...; ``order`` decides how ids sort along the chain."""
    n = length + 1
    positions = list(range(n))
    if order == "descending":
        positions.reverse()
    elif order == "shuffled":
        random.Random(length).shuffle(positions)
    ids = [f"x{p:05d}" for p in positions]
    return [(ids[i], ids[i + 1], None) if leader_first else (ids[i + 1], ids[i], None) for i in range(length)]


CHAINS = [
    (length, order, leader_first)
    for length in (10, 100, 1000)
    for order in ("ascending", "descending", "shuffled")
    for leader_first in (True, False)
]


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize(
    ("length", "order", "leader_first"),
    CHAINS,
    ids=[f"L{c[0]}-{c[1]}-{'fwd' if c[2] else 'rev'}" for c in CHAINS],
)
def test_chain_converges_in_log_iterations(
    sql_dirs: dict[str, Path], loop: str, length: int, order: str, leader_first: bool
) -> None:
    records = chain(length, order, leader_first)
    iterations, rows = run_loop(sql_dirs[loop], records)
    assert_converged_correctly(rows, records)
    assert iterations <= math.ceil(math.log2(length)) + 3


def test_mixed_key_types_leader_is_smallest_ns(sql_dir: Path) -> None:
    # b-keys (ns 2) lead their records here, yet the a-key (ns 1) must end up leading.
    records: list[Record] = [(None, None, "b1"), ("a9", None, "b1"), (None, None, "b2"), ("a9", "a3", "b2")]
    _, rows = run_loop(sql_dir, records)
    assert {r[2:4] for r in rows} == {(1, "a3")}
    assert_converged_correctly(rows, records)


@pytest.mark.parametrize("loop", LOOPS)
def test_derived_iteration_equals_generated_file(
    sql_dirs: dict[str, Path], tmp_path: Path, loop: str
) -> None:
    """The runner's renumbering of the last file gives exactly what the generator would write."""
    generate(
        dict(CONFIG, canonical_ids=[dict(CONFIG["canonical_ids"][0], merge_iterations=7)]), tmp_path, loop
    )
    last = (sql_dirs[loop] / "04_unify_loop_iteration_02.sql").read_text()
    for k in range(3, 8):
        generated = (tmp_path / f"04_unify_loop_iteration_{k:02d}.sql").read_text()
        assert derive_iteration_sql(last, prefix="uid", last=2, target=k) == generated
