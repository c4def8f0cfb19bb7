"""explain: the chain it returns is a shortest path whose every link is backed by source rows."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import networkx as nx
import yaml

from airflow_idu.demo.data import JUNK_PHONE
from airflow_idu.health.explain import explain, render_text
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML, REPO
from tests.health.conftest import NS, TABLES, Unified

PAIRS = 100


def _columns() -> dict[str, list[tuple[str, str]]]:
    """Source table -> [(column, key name)] from unify.yml (read independently of the product)."""
    config = yaml.safe_load(EXAMPLE_YML.read_text())
    return {t["table"]: [(kc["column"], kc["key"]) for kc in t["key_columns"]] for t in config["tables"]}


def _record_times(
    con: duckdb.DuckDBPyConnection, table: str, a: tuple[str, str], b: tuple[str, str]
) -> list[int]:
    """Times of the records of ``table`` that hold both identifiers (each in a column of its key type)."""
    columns = _columns()[table]
    cols_a = [c for c, key in columns if key == a[0]]
    cols_b = [c for c, key in columns if key == b[0]]
    if not cols_a or not cols_b:
        return []
    where_a = " OR ".join(f'CAST("{c}" AS VARCHAR) = ?' for c in cols_a)
    where_b = " OR ".join(f'CAST("{c}" AS VARCHAR) = ?' for c in cols_b)
    rows = con.execute(
        f'SELECT "time" FROM customer_db."{table}" WHERE ({where_a}) AND ({where_b})',
        [a[1]] * len(cols_a) + [b[1]] * len(cols_b),
    ).fetchall()
    return [int(t) for (t,) in rows]


def _check_link(con: duckdb.DuckDBPyConnection, link: dict) -> None:
    a = (link["from"]["key_type"], link["from"]["value"])
    b = (link["to"]["key_type"], link["to"]["value"])
    times: list[int] = []
    for table in link["source_tables"]:
        found = _record_times(con, table, a, b)
        assert found, f"no record of {table} holds both {a} and {b}"
        times += found
    assert link["first_seen_at"] in times and link["last_seen_at"] in times, (link, sorted(times))
    assert min(times) <= link["first_seen_at"] <= link["last_seen_at"] <= max(times)


def _arg(node: tuple[str, str]) -> str:
    return f"{node[0]}:{node[1]}"


def test_explain_returns_valid_shortest_chains(junk_unified: Unified) -> None:
    graph = junk_unified.graph
    rng = random.Random(17)
    components = [sorted(c) for c in nx.connected_components(graph) if len(c) > 1]
    weights = [len(c) for c in components]
    engine = junk_unified.engine()
    try:
        answers = []
        for _ in range(PAIRS):
            component = rng.choices(components, weights=weights)[0]
            a, b = rng.sample(component, 2)
            answers.append((a, b, explain(engine, TABLES, _arg(a), _arg(b))))
    finally:
        engine.close()
    with duckdb.connect(str(junk_unified.database), read_only=True) as con:
        for a, b, answer in answers:
            assert answer["connected"] is True, answer
            links = answer["links"]
            assert len(links) == nx.shortest_path_length(graph, a, b), (a, b)
            chain = [(links[0]["from"]["key_type"], links[0]["from"]["value"])]
            for link in links:
                assert (link["from"]["key_type"], link["from"]["value"]) == chain[-1]
                chain.append((link["to"]["key_type"], link["to"]["value"]))
                assert graph.has_edge(chain[-2], chain[-1])
                _check_link(con, link)
            assert chain[0] == a and chain[-1] == b


def test_explain_says_clearly_when_not_connected(junk_unified: Unified) -> None:
    graph = junk_unified.graph
    first, second = sorted(nx.connected_components(graph), key=lambda c: min(c))[:2]
    engine = junk_unified.engine()
    try:
        answer = explain(engine, TABLES, _arg(min(first)), _arg(min(second)))
        missing = explain(engine, TABLES, "email:nobody@nowhere.example", _arg(min(first)))
    finally:
        engine.close()
    assert answer["connected"] is False and answer["links"] == []
    assert answer["message"].startswith("not connected:") and "different clusters" in answer["message"]
    assert missing["connected"] is False
    assert "'email:nobody@nowhere.example' is not an identifier of this graph" in missing["message"]


def test_explain_one_identifier_names_the_junk_key_as_the_main_bridge(junk_unified: Unified) -> None:
    graph = junk_unified.graph
    junk = ("phone_number", JUNK_PHONE)
    component = graph.subgraph(nx.node_connected_component(graph, junk))
    engine = junk_unified.engine()
    try:
        answer = explain(engine, TABLES, JUNK_PHONE)  # a bare value: unique in this graph
    finally:
        engine.close()
    assert answer["cluster_size"] == component.number_of_nodes()
    assert sum(answer["key_types"].values()) == answer["cluster_size"]
    assert answer["bridges_total"] == len(set(nx.articulation_points(component)))
    assert answer["bridges"][0]["key_type"] == "phone_number" and answer["bridges"][0]["value"] == JUNK_PHONE
    assert answer["canonical_id"]
    assert "would split it" in render_text(answer)


def _cli(*args: str, conn_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **conn_env}
    return subprocess.run(
        [sys.executable, "-m", "airflow_idu.cli", "explain", str(EXAMPLE_SQL), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_explain_exit_codes(junk_unified: Unified, tmp_path: Path) -> None:
    conn = {
        "AIRFLOW_CONN_IDU_EXPLAIN": json.dumps({"conn_type": "duckdb", "host": str(junk_unified.database)})
    }
    graph = junk_unified.graph
    component = sorted(nx.node_connected_component(graph, ("phone_number", JUNK_PHONE)))
    a, b = component[0], component[-1]
    joined = _cli(_arg(a), _arg(b), "--conn", "idu_explain", "--json", conn_env=conn)
    assert joined.returncode == 0, joined.stderr
    answer = json.loads(joined.stdout)
    assert answer["connected"] and len(answer["links"]) == nx.shortest_path_length(graph, a, b)

    first, second = sorted(nx.connected_components(graph), key=lambda c: min(c))[:2]
    apart = _cli(_arg(min(first)), _arg(min(second)), "--conn", "idu_explain", conn_env=conn)
    assert apart.returncode == 0, apart.stderr
    assert apart.stdout.startswith("not connected:")

    unknown = _cli(_arg(a), "email:nobody@nowhere.invalid", "--conn", "idu_explain", conn_env=conn)
    assert unknown.returncode == 1, unknown.stderr
    assert "'email:nobody@nowhere.invalid' is not an identifier of this graph" in unknown.stdout

    no_conn = _cli(_arg(a), "--conn", "no_such_conn", conn_env=conn)
    assert no_conn.returncode != 0 and "no_such_conn" in no_conn.stderr
    assert NS["phone_number"] == 3
