"""Demo data generator + the independent ground truth it is checked against."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import networkx as nx
import pytest

from airflow_idu.demo.data import TABLES, DemoSummary, create_chain_data, create_demo_data

# tests/ is not a package; ground_truth.py lives one level up from this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ground_truth import (
    assert_lookup_matches,
    expected_canonical_ids,
    load_identifier_graph,
)

UNIFY_YML = Path(__file__).resolve().parents[2] / "examples" / "customer_unification" / "unify.yml"
MERGE_BY_KEYS = ["email", "customer_id", "phone_number"]
DEMO_PEOPLE = 2000


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return path, create_demo_data(path, people=DEMO_PEOPLE, seed=42)


@pytest.fixture(scope="module")
def demo_graph(demo_db: tuple[Path, DemoSummary]) -> nx.Graph:
    return load_identifier_graph(demo_db[0], UNIFY_YML, source_schema="customer_db")


def _table_rows(path: Path, schema: str = "customer_db") -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {schema}.{t} ORDER BY ALL").fetchall() for t in TABLES}


def _leader(nodes: set[tuple[str, str]] | nx.Graph) -> tuple[str, str]:
    return min(nodes, key=lambda n: (MERGE_BY_KEYS.index(n[0]), n[1]))


# ---------------------------------------------------------------- generator properties


@pytest.mark.parametrize(
    ("seed_a", "seed_b", "identical"),
    [(7, 7, True), (7, 8, False)],
    ids=["same-seed-identical", "different-seed-differs"],
)
def test_determinism(tmp_path: Path, seed_a: int, seed_b: int, identical: bool) -> None:
    create_demo_data(tmp_path / "a.duckdb", people=300, seed=seed_a)
    create_demo_data(tmp_path / "b.duckdb", people=300, seed=seed_b)
    a, b = _table_rows(tmp_path / "a.duckdb"), _table_rows(tmp_path / "b.duckdb")
    for table in TABLES:
        assert (a[table] == b[table]) is identical, table


@pytest.mark.parametrize("people", [100, 1_000, 20_000], ids=["100-people", "1k-people", "20k-people"])
def test_record_count_scales_with_people(tmp_path: Path, people: int) -> None:
    summary = create_demo_data(tmp_path / "d.duckdb", schema="src", people=people, seed=1)
    with duckdb.connect(str(tmp_path / "d.duckdb"), read_only=True) as con:
        actual = {t: con.execute(f"SELECT count(*) FROM src.{t}").fetchone()[0] for t in TABLES}
    assert summary.row_counts == actual
    assert summary.total_records == sum(actual.values())
    assert (summary.people, summary.seed) == (people, 1)
    assert 11 <= summary.total_records / people <= 13.5, summary


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("customer_profiles", {"email_std": "VARCHAR", "customer_id": "VARCHAR", "phone_number": "VARCHAR"}),
        ("web_sessions", {"session_id": "BIGINT", "user_email": "VARCHAR", "page": "VARCHAR"}),
        ("orders", {"order_id": "BIGINT", "customer_id": "VARCHAR", "phone": "VARCHAR"}),
        ("support_tickets", {"ticket_id": "BIGINT", "contact_email": "VARCHAR", "contact_phone": "VARCHAR"}),
    ],
    ids=list(TABLES),
)
def test_table_schema_has_keys_and_bigint_time(
    demo_db: tuple[Path, DemoSummary], table: str, columns: dict[str, str]
) -> None:
    with duckdb.connect(str(demo_db[0]), read_only=True) as con:
        types = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE customer_db.{table})").fetchall()
        )
        null_times = con.execute(f"SELECT count(*) FROM customer_db.{table} WHERE time IS NULL").fetchone()[0]
    assert {c: types.get(c) for c in [*columns, "time"]} == {**columns, "time": "BIGINT"}
    assert null_times == 0


@pytest.mark.parametrize(
    ("people", "exc_match"),
    [(0, "people"), (-5, "people")],
    ids=["zero-people", "negative-people"],
)
def test_rejects_bad_people(tmp_path: Path, people: int, exc_match: str) -> None:
    with pytest.raises(ValueError, match=exc_match):
        create_demo_data(tmp_path / "x.duckdb", people=people)


def test_rejects_unsafe_schema(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="schema"):
        create_demo_data(tmp_path / "x.duckdb", schema="a; DROP TABLE b", people=10)


# ---------------------------------------------------------------- invalid values


# (table, column holding the invalid value, the value or None for NULL, column of the valid partner id)
INVALID_BESIDE_VALID = [
    ("orders", "customer_id", "0", ("phone", "phone_number")),
    ("orders", "phone", "12345", ("customer_id", "customer_id")),
    ("orders", "phone", None, ("customer_id", "customer_id")),
    ("customer_profiles", "email_std", "N/A", ("customer_id", "customer_id")),
    ("customer_profiles", "customer_id", "null", ("phone_number", "phone_number")),
    ("customer_profiles", "phone_number", "", ("customer_id", "customer_id")),
    ("support_tickets", "contact_email", "no-email", ("contact_phone", "phone_number")),
    ("support_tickets", "contact_phone", "555-0100", ("contact_email", "email")),
]


@pytest.mark.parametrize(
    ("table", "column", "value", "partner"),
    INVALID_BESIDE_VALID,
    ids=[f"{t}.{c}={v!r}" for t, c, v, _ in INVALID_BESIDE_VALID],
)
def test_invalid_value_would_merge_different_people(
    demo_db: tuple[Path, DemoSummary],
    demo_graph: nx.Graph,
    table: str,
    column: str,
    value: str | None,
    partner: tuple[str, str],
) -> None:
    """The invalid value sits beside valid ids of >= 2 different people: not filtering it merges them."""
    partner_column, partner_key = partner
    where = f"{column} IS NULL" if value is None else f"{column} = $v"
    with duckdb.connect(str(demo_db[0]), read_only=True) as con:
        params = [] if value is None else {"v": value}
        rows = con.execute(f"SELECT DISTINCT {partner_column} FROM customer_db.{table} WHERE {where}", params)
        partners = {(partner_key, r[0]) for r in rows.fetchall()} & set(demo_graph.nodes)
    components = {frozenset(nx.node_connected_component(demo_graph, n)) for n in partners}
    assert len(components) >= 2, f"{table}.{column}={value!r} only beside {sorted(partners)[:3]}"


INVALID_NODES = [
    ("email", "N/A"),
    ("email", ""),
    ("email", "null"),
    ("email", "no-email"),
    ("email", "unknown"),
    ("customer_id", "0"),
    ("customer_id", "N/A"),
    ("customer_id", ""),
    ("phone_number", "12345"),
    ("phone_number", "555-0100"),
    ("phone_number", "000000000"),
    ("phone_number", "N/A"),
]


@pytest.mark.parametrize("node", INVALID_NODES, ids=[f"{k}={v!r}" for k, v in INVALID_NODES])
def test_invalid_value_is_present_in_source_but_not_a_node(
    demo_db: tuple[Path, DemoSummary], demo_graph: nx.Graph, node: tuple[str, str]
) -> None:
    columns = {"email": ["email_std", "user_email", "contact_email"], "customer_id": ["customer_id"]}
    columns["phone_number"] = ["phone_number", "phone", "contact_phone"]
    with duckdb.connect(str(demo_db[0]), read_only=True) as con:
        present = sum(
            con.execute(f"SELECT count(*) FROM customer_db.{t} WHERE {c} = $v", {"v": node[1]}).fetchone()[0]
            for t in TABLES
            for c in columns[node[0]]
            if c in {r[0] for r in con.execute(f"DESCRIBE customer_db.{t}").fetchall()}
        )
    assert present > 0, f"demo data never uses invalid {node}"
    assert node not in demo_graph


def test_every_node_passes_validation(demo_graph: nx.Graph) -> None:
    bad = [
        n
        for n in demo_graph
        if (n[0] == "email" and "@" not in n[1])
        or (n[0] == "phone_number" and not re.fullmatch(r"[0-9]{10,}", n[1]))
        or n[1] in {"", "N/A", "null"}
        or n == ("customer_id", "0")
    ]
    assert not bad, bad[:5]


# ---------------------------------------------------------------- planted identities


def _person_of(node: tuple[str, str]) -> str:
    """The 9-digit person number every planted identifier embeds."""
    key, value = node
    if key == "email":
        match = re.search(r"(\d{9})\.", value)
        assert match, node
        return match.group(1)
    return value[1:10]  # 'C'/'K' + person for customer ids, '1'/'2' + person for phones


def test_each_planted_person_is_exactly_one_component(demo_graph: nx.Graph) -> None:
    components = list(nx.connected_components(demo_graph))
    mixed = [sorted(c)[:4] for c in components if len({_person_of(n) for n in c}) > 1]
    assert not mixed, mixed[:3]
    assert len(components) == DEMO_PEOPLE


@pytest.mark.parametrize(
    ("description", "predicate", "minimum"),
    [
        ("all three key types", lambda g, c: {k for k, _ in c} == set(MERGE_BY_KEYS), 100),
        ("three emails", lambda g, c: sum(k == "email" for k, _ in c) == 3, 100),
        ("singleton", lambda g, c: len(c) == 1, 20),
        (
            "leader >= 12 hops from some id",
            lambda g, c: max(nx.single_source_shortest_path_length(g, _leader(c)).values()) >= 12,
            10,
        ),
    ],
    ids=["all-three-key-types", "three-emails", "singletons", "long-chains"],
)
def test_demo_plants_component_shapes(
    demo_graph: nx.Graph, description: str, predicate, minimum: int
) -> None:
    count = sum(1 for c in nx.connected_components(demo_graph) if predicate(demo_graph, c))
    assert count >= minimum, f"only {count} components with {description}"


def test_some_ids_link_only_through_other_tables(demo_graph: nx.Graph) -> None:
    """Email 3 of a person never shares a record with customer id 1: the link needs >= 2 hops."""
    far = [
        n
        for n in demo_graph
        if n[0] == "email"
        and n[1].endswith(".3@example.com")
        and nx.shortest_path_length(demo_graph, n, ("customer_id", f"C{_person_of(n)}-1")) >= 2
    ]
    assert len(far) >= 100


# ---------------------------------------------------------------- chain data


@pytest.mark.parametrize("length", [1, 2, 3, 4, 13, 50], ids=lambda n: f"length-{n}")
def test_chain_data_is_one_path_with_minimum_at_an_end(tmp_path: Path, length: int) -> None:
    path = tmp_path / "chain.duckdb"
    create_chain_data(path, length=length)
    graph = load_identifier_graph(path, UNIFY_YML, source_schema="customer_db")
    assert graph.number_of_nodes() == length
    assert nx.number_connected_components(graph) == 1
    assert nx.is_tree(graph) and max(d for _, d in graph.degree) <= 2  # a simple path
    leader = _leader(graph)
    assert nx.eccentricity(graph, leader) == length - 1  # the far end is length-1 hops away
    records = sum(len(rows) for rows in _table_rows(path).values())
    assert records == max(length - 1, 1)


def test_chain_data_replaces_previous_tables(tmp_path: Path) -> None:
    path = tmp_path / "chain.duckdb"
    create_demo_data(path, people=50)
    create_chain_data(path, length=5, seed=3)
    assert load_identifier_graph(path, UNIFY_YML, source_schema="customer_db").number_of_nodes() == 5


# ---------------------------------------------------------------- canonical ids (hand-computed)

# Values computed outside Python with sha256sum / xxd / base64 (see report), e.g. for a@example.com:
# sha256[:8]=08168cd80dfd534a ^ 0ffdbcf0c666ce19 = 07eb3028cb9b9d53, + 0d -> "B-swKMubnVMN".
HAND_COMPUTED = [
    (
        [
            ("phone_number", "15551234567"),
            ("customer_id", "C000000001-1"),
            ("email", "b@example.com"),
            ("email", "a@example.com"),
        ],
        "B-swKMubnVMN",  # email wins by ns although 'C...' < 'a...'; 'a@' < 'b@' by string
    ),
    ([("phone_number", "15551234567"), ("customer_id", "C000000001-1")], "HsPfYtewFquQ"),
    ([("phone_number", "15551234567")], "eqFBWtUB3_Un"),
]


@pytest.mark.parametrize(
    ("path_nodes", "expected"), HAND_COMPUTED, ids=["email-leader", "customer-id-leader", "phone-singleton"]
)
def test_expected_canonical_ids_hand_computed(path_nodes: list[tuple[str, str]], expected: str) -> None:
    graph = nx.path_graph(path_nodes)
    graph.add_node(("email", "other@example.com"))  # a separate component must not change the result
    ids = expected_canonical_ids(graph, MERGE_BY_KEYS)
    assert {ids[n] for n in path_nodes} == {expected}
    assert ids[("email", "other@example.com")] != expected


# ---------------------------------------------------------------- assert_lookup_matches can fail


def _small_graph() -> nx.Graph:
    """Two components: an email-phone pair and a lone customer id."""
    graph = nx.Graph([(("email", "a@x"), ("phone_number", "1234567890"))])
    graph.add_node(("customer_id", "7"))
    return graph


def _lookup_rows() -> list[tuple[str, str, int]]:
    graph = _small_graph()
    return [
        (cid, node[1], MERGE_BY_KEYS.index(node[0]) + 1)
        for node, cid in expected_canonical_ids(graph, MERGE_BY_KEYS).items()
    ]


def _mutate(kind: str, rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    by_id = {r[1]: r for r in rows}
    if kind == "missing":
        return [r for r in rows if r[1] != "7"]
    if kind == "extra":
        return [*rows, ("zzz", "N/A", 1)]
    if kind == "duplicate":
        return [*rows, by_id["7"]]
    if kind == "merged":  # customer 7 takes the email's canonical id
        return [r if r[1] != "7" else (by_id["a@x"][0], "7", 2) for r in rows]
    if kind == "split":
        return [r if r[1] != "1234567890" else ("other", r[1], r[2]) for r in rows]
    if kind == "wrong-value":  # consistent partition, wrong hash
        return [(r[0] + "x", r[1], r[2]) for r in rows]
    return rows


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("correct", None),
        ("missing", "missing from the lookup"),
        ("extra", "not valid source identifiers"),
        ("duplicate", "more than once"),
        ("merged", "merge different components"),
        ("split", "split over several canonical ids"),
        ("wrong-value", "wrong canonical id values"),
    ],
    ids=["correct", "missing", "extra", "duplicate", "merged", "split", "wrong-value"],
)
def test_assert_lookup_matches(tmp_path: Path, kind: str, message: str | None) -> None:
    path = tmp_path / "lookup.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE lookup (canonical_id VARCHAR, id VARCHAR, id_key_type BIGINT)")
        con.executemany("INSERT INTO lookup VALUES (?, ?, ?)", _mutate(kind, _lookup_rows()))
    check = dict(lookup_table="lookup", graph=_small_graph(), merge_by_keys=MERGE_BY_KEYS)
    if message is None:
        assert_lookup_matches(path, **check)
    else:
        with pytest.raises(AssertionError, match=message):
            assert_lookup_matches(path, **check)
